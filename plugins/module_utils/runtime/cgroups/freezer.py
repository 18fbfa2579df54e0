# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cgroup freezer: stop every process of a cgroup and let them go again.

Two kernel interfaces do this:

* v1, the freezer controller (Documentation/admin-guide/cgroup-v1/
  freezer-subsystem.rst): "FROZEN" written to freezer.state starts freezing;
  the file reads "FREEZING" until every task is frozen, then "FROZEN".
  Freezing can stall on a task that is busy in the kernel; writing FROZEN
  again retries it. "THAWED" lets the tasks run again. A frozen task keeps a
  SIGKILL pending until it is thawed.
* v2, the core file cgroup.freeze (cgroup-v2.rst "Core Interface Files"):
  "1" freezes the cgroup and its descendants, "0" thaws; the "frozen" key
  of cgroup.events becomes 1 once every process is stopped (the file is
  only a request; cgroup.events is the answer). SIGKILL kills a frozen
  process in v2.

Both report completion by reading back, so each change waits (polling) up
to a timeout; a freeze that does not complete is undone, so a failed pause
leaves the container running.

A process that joins a frozen cgroup, or one below a frozen cgroup, is
frozen at once (both documents: the state of a cgroup is that of its
nearest frozen ancestor). create checks with ``frozen_reason`` before it
makes anything: a container's init put there would wait in the freezer
forever, and create with it.
"""

import os
import time

from ..errors import CgroupError
from .detect import V1
from .files import read_control, write_control

FROZEN = "FROZEN"
THAWED = "THAWED"
FREEZING = "FREEZING"

_POLL = 0.002
_RETRY_WRITE = 0.1  # seconds between FROZEN re-writes while v1 reads FREEZING


def _v2_frozen(files, directory):
    """The "frozen" value of cgroup.events (True/False), or None if unreadable."""
    events = read_control(files, directory, "cgroup.events")
    if events is None:
        return None
    for line in events.splitlines():
        key, dummy, value = line.partition(" ")
        if key == "frozen":
            return value.strip() == "1"
    return None


def current_state(files, flavor, directory):
    """FROZEN, FREEZING or THAWED for the container's cgroup (v1 or v2 files)."""
    if flavor == V1:
        value = read_control(files, directory, "freezer.state")
        if value not in (FROZEN, FREEZING, THAWED):
            raise CgroupError("reading %s: unexpected value %r"
                              % (os.path.join(directory, "freezer.state"), value))
        return value
    requested = read_control(files, directory, "cgroup.freeze")
    frozen = _v2_frozen(files, directory)
    if requested is None:
        raise CgroupError("reading %s: the kernel has no cgroup v2 freezer (Linux >= 5.2)"
                          % os.path.join(directory, "cgroup.freeze"))
    if frozen:
        return FROZEN
    return FREEZING if requested == "1" else THAWED


def set_state(files, flavor, directory, frozen, timeout=5.0, sleep=time.sleep, clock=time.monotonic):
    """Freeze (``frozen``=True) or thaw the cgroup and wait until the kernel says so."""
    want = FROZEN if frozen else THAWED
    what = "freezing" if frozen else "thawing"
    if flavor == V1:
        filename, value = "freezer.state", want
    else:
        filename, value = "cgroup.freeze", "1" if frozen else "0"
    write_control(files, directory, filename, value, "%s cgroup %s" % (what, directory))
    deadline = clock() + timeout
    last_write = clock()
    while True:
        state = current_state(files, flavor, directory)
        if state == want:
            return
        if clock() >= deadline:
            break
        if flavor == V1 and frozen and clock() - last_write >= _RETRY_WRITE:
            # freezer-subsystem.rst: a FREEZING cgroup may need FROZEN written again.
            write_control(files, directory, filename, value, "freezing cgroup %s" % directory)
            last_write = clock()
        sleep(_POLL)
    if frozen:
        # Do not leave a half-frozen container behind a failed pause.
        try:
            set_state(files, flavor, directory, False, timeout, sleep, clock)
        except CgroupError:
            pass
    raise CgroupError("%s cgroup %s did not complete in %.1fs (state %s)" % (what, directory, timeout, state))


def frozen_reason(files, flavor, directory):
    """Why processes joining ``directory`` would be frozen, or None.

    v1: freezer.state is the effective state (FROZEN or FREEZING when the
    cgroup or an ancestor is frozen). v2: cgroup.freeze is this cgroup's
    request and the "frozen" key of cgroup.events the effective state, which
    a new cgroup below a frozen one inherits. A missing file (no freezer,
    the root cgroup, a kernel before 5.2) freezes nothing.
    """
    if flavor == V1:
        state = read_control(files, directory, "freezer.state")
        if state in (FROZEN, FREEZING):
            return "freezer.state is %s; thaw it with: echo %s > %s" % (
                state, THAWED, os.path.join(directory, "freezer.state"))
        return None
    if read_control(files, directory, "cgroup.freeze") == "1" or _v2_frozen(files, directory):
        return "cgroup.freeze or the frozen key of cgroup.events is 1; thaw it with: echo 0 > %s" % (
            os.path.join(directory, "cgroup.freeze"))
    return None
