# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux security module labels: process.apparmorProfile, process.selinuxLabel,
linux.mountLabel.

config.md gives a profile or label for the process; an empty string is the
same as leaving the field out (nothing to apply), so it is accepted on any
host. A non-empty value needs that LSM on the host: without it the create
fails, since a container silently left unconfined is worse than none.

The exec label is set by writing to /proc/self/attr (proc(5)): for AppArmor
"exec PROFILE" to attr/apparmor/exec (attr/exec on kernels without the
per-LSM directory), for SELinux the context to attr/exec. The kernel applies
it at the next execve(2), so the runtime's own code keeps running unconfined
until it execs the user's program.

linux.mountLabel is the SELinux context of the file systems the runtime
mounts for the container: rootfs/ adds it to their mount(2) data as the
context="<label>" mount option (rootfs/options.format_mount_label).
"""

from .. import pathlite
from ..errors import SecurityError, SpecError, UnsupportedError

APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
SELINUX_ENFORCE = "/sys/fs/selinux/enforce"


def apparmor_enabled(path=APPARMOR_ENABLED):
    """AppArmor is active: the module parameter reads Y (and securityfs lists it)."""
    try:
        with open(path) as handle:
            return handle.read().strip() == "Y"
    except OSError:
        return False


def selinux_enabled(path=SELINUX_ENFORCE):
    """SELinux is active when selinuxfs is mounted (its enforce file exists)."""
    return pathlite.exists(path)


def check_supported(config, apparmor=None, selinux=None):
    """Refuse labels this host cannot apply; empty values mean "no label"."""
    process = config.get("process") or {}
    linux = config.get("linux") or {}
    if process.get("apparmorProfile"):
        if not (apparmor_enabled() if apparmor is None else apparmor):
            raise UnsupportedError("process.apparmorProfile: %r was requested but AppArmor is not enabled on "
                                   "this host (%s); use an empty profile for none" % (process["apparmorProfile"],
                                                                                      APPARMOR_ENABLED))
    has_selinux = selinux_enabled() if selinux is None else selinux
    if process.get("selinuxLabel") and not has_selinux:
        raise UnsupportedError("process.selinuxLabel: %r was requested but SELinux is not enabled on this host "
                               "(no %s); use an empty label for none" % (process["selinuxLabel"], SELINUX_ENFORCE))
    if linux.get("mountLabel"):
        if not has_selinux:
            raise UnsupportedError("linux.mountLabel: %r was requested but SELinux is not enabled on this host "
                                   "(no %s); use an empty label for none" % (linux["mountLabel"], SELINUX_ENFORCE))
        if '"' in linux["mountLabel"]:
            # It goes quoted into the mount data; an SELinux context has no quote.
            raise SpecError("linux.mountLabel", "%r must not contain a double quote" % linux["mountLabel"])


def _write_attr(candidates, value, field):
    last = None
    for path in candidates:
        try:
            with open(path, "w") as handle:
                handle.write(value)
            return path
        except FileNotFoundError as exc:
            last = exc
        except OSError as exc:
            raise SecurityError("%s: writing %r to %s failed: %s" % (field, value, path, exc.strerror))
    raise SecurityError("%s: cannot set the exec label: %s" % (field, last.strerror if last else "no attr file"))


def apply_exec_labels(process, proc_root="/proc"):
    """Set the labels the next execve(2) applies; call right before exec (and before seccomp)."""
    attr = proc_root.rstrip("/") + "/self/attr"
    if process.get("apparmorProfile"):
        _write_attr((attr + "/apparmor/exec", attr + "/exec"), "exec " + process["apparmorProfile"],
                    "process.apparmorProfile")
    if process.get("selinuxLabel"):
        _write_attr((attr + "/exec",), process["selinuxLabel"], "process.selinuxLabel")
