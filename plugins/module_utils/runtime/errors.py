# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One base error for the runtime and one subclass per room.

Every error carries a message meant for a human: the CLI prints it on one line
and the Ansible modules put it in ``msg``.
"""


class RuntimeFailure(Exception):
    """Base class of every error the runtime raises on purpose."""


class SpecError(RuntimeFailure):
    """config.json is invalid; ``path`` is the JSON path of the bad field."""

    def __init__(self, path, message):
        self.path = path
        self.message = message
        RuntimeFailure.__init__(self, "%s: %s" % (path, message) if path else message)


class InvalidIDError(RuntimeFailure):
    """A container id that could be a path trick or is otherwise unusable."""


class StateError(RuntimeFailure):
    """The state root or a state file is unusable."""


class ContainerNotFound(StateError):
    """No container with this id in the state root."""


class CorruptStateError(StateError):
    """A container's state.json exists but cannot be used (truncated, not JSON, wrong shape).

    ``path`` is the file, ``detail`` what is wrong with it. The container's
    processes may still run: list shows it as "unknown", delete --force
    removes it (lifecycle/damaged.py).
    """

    def __init__(self, container_id, path, detail):
        self.container_id = container_id
        self.path = path
        self.detail = detail
        StateError.__init__(self, "state of container %s is unreadable: %s: %s" % (container_id, path, detail))


class ContainerExists(StateError):
    """create was asked for an id that is already taken."""


class StatusError(RuntimeFailure):
    """The operation is not allowed in the container's current status."""


class HookError(RuntimeFailure):
    """A lifecycle hook failed, timed out or could not be run."""


class CgroupError(RuntimeFailure):
    """A cgroup could not be created, configured, joined or removed."""


class RootfsError(RuntimeFailure):
    """The root file system or one of its mounts could not be set up."""


class SecurityError(RuntimeFailure):
    """Capabilities, user, rlimits or another process attribute failed."""


class UnsupportedError(RuntimeFailure):
    """The config asks for something this host (or this runtime) cannot do."""


class SyscallError(RuntimeFailure):
    """A system call failed; ``errno`` is kept for callers that branch on it."""

    def __init__(self, call, errno_, detail=""):
        import os
        self.call = call
        self.errno = errno_
        msg = "%s: %s" % (call, os.strerror(errno_))
        if detail:
            msg = "%s (%s)" % (msg, detail)
        RuntimeFailure.__init__(self, msg)
