# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a test needs from the host, checked BEFORE the test creates anything.

Each requirement is a small object whose ``missing()`` returns None when the
host has the feature, else the reason the test cannot run ("no blkio.weight or
blkio.bfq.weight in a new cgroup of /sys/fs/cgroup/blkio ..."). Tests declare
them with the ``requires`` marker:

    @requires(cgroup_v1_file("blkio", "blkio.weight", "blkio.bfq.weight"))
    def test_blkio_weight(oci): ...

and the integration conftest (``skip_unmet_requirements``, a tryfirst
pytest_runtest_setup hook) skips the test with that reason before any fixture
runs, so no container, cgroup or mount exists yet. Inside a test body (when
the requirement depends on a parameter) ``require(...)`` skips the same way.

Every check looks at the host as it is when the test runs (never at what an
earlier test or another process left behind), and takes its roots as
arguments, so tests/unit/test_host_features.py can fake a host in a temp dir.
"""
from __future__ import absolute_import, division, print_function

import ctypes.util
import errno
import os
import shutil
import uuid

import pytest

CGROUP_ROOT = "/sys/fs/cgroup"
MARKER = "requires"


class Requirement(object):
    """A named host feature; ``missing()`` is None or why the host lacks it."""

    def __init__(self, name, check):
        self.name = name
        self._check = check

    def missing(self):
        return self._check()

    def __repr__(self):
        return "Requirement(%s)" % self.name


def requires(*requirements):
    """A marker: skip the test with the first unmet requirement's reason,
    before its fixtures run (see skip_unmet_requirements)."""
    return getattr(pytest.mark, MARKER)(*requirements)


def require(*requirements):
    """Skip the running test now when a requirement is unmet (for checks that
    depend on a test parameter); call it before creating anything."""
    reason = first_missing(requirements)
    if reason:
        pytest.skip(reason)


def first_missing(requirements):
    for requirement in requirements:
        reason = requirement.missing()
        if reason:
            return reason
    return None


def skip_unmet_requirements(item):
    """For pytest_runtest_setup: skip ``item`` when its requires marks name an unmet requirement."""
    for mark in item.iter_markers(name=MARKER):
        reason = first_missing(mark.args)
        if reason:
            skip = pytest.skip.Exception(reason)
            # As pytest's own skipif marks: the summary names the test, not this file.
            skip._use_item_location = True  # pylint: disable=protected-access
            raise skip


# -- cgroups ---------------------------------------------------------------
def cgroup_layout(root=CGROUP_ROOT):
    """"unified" (cgroup2 at root), "hybrid" (v1 + cgroup2 at root/unified),
    "legacy" (v1 only) or None (nothing mounted there)."""
    if os.path.isfile(os.path.join(root, "cgroup.controllers")):
        return "unified"
    has_v1 = any(os.path.isfile(os.path.join(root, name, "cgroup.procs"))
                 and not os.path.isfile(os.path.join(root, name, "cgroup.controllers"))
                 for name in _listdir(root))
    if not has_v1:
        return None
    return "hybrid" if os.path.isfile(os.path.join(root, "unified", "cgroup.controllers")) else "legacy"


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _v1_hierarchy_missing(controller, root):
    path = os.path.join(root, controller)
    if cgroup_layout(root) in (None, "unified") or not os.path.isfile(os.path.join(path, "cgroup.procs")) \
            or os.path.isfile(os.path.join(path, "cgroup.controllers")):
        return "the host has no cgroup v1 %s hierarchy at %s (cgroup layout: %s)" % (
            controller, path, cgroup_layout(root) or "none")
    return None


def cgroup_v1(*controllers, **kwargs):
    """The host mounts a v1 hierarchy for each controller at <root>/<controller>
    (the v1 paths the tests read: legacy and hybrid hosts)."""
    root = kwargs.get("root", CGROUP_ROOT)

    def check():
        for controller in controllers:
            reason = _v1_hierarchy_missing(controller, root)
            if reason:
                return reason
        return None
    return Requirement("cgroup v1 %s" % ",".join(controllers), check)


def probe_cgroup_files(hierarchy):
    """The file names of a fresh child cgroup of ``hierarchy``: some files
    (blkio.bfq.weight, pids.max, cgroup.freeze) exist only below the root.
    The child is removed again; on a plain directory (a faked host) it is an
    empty directory, so only the root's files count there."""
    probe = os.path.join(hierarchy, "oci-test-probe-%s" % uuid.uuid4().hex[:10])
    os.mkdir(probe)
    try:
        return set(_listdir(probe))
    finally:
        os.rmdir(probe)


def _files_of(hierarchy):
    names = set(_listdir(hierarchy))
    try:
        names |= probe_cgroup_files(hierarchy)
    except OSError as exc:
        return names, "cannot make a probe cgroup in %s: %s" % (hierarchy, os.strerror(exc.errno or errno.EIO))
    return names, None


def cgroup_v1_file(controller, *names, **kwargs):
    """A v1 hierarchy for ``controller`` whose cgroups have one of ``names``
    (e.g. blkio.weight, or BFQ's blkio.bfq.weight)."""
    root = kwargs.get("root", CGROUP_ROOT)

    def check():
        reason = _v1_hierarchy_missing(controller, root)
        if reason:
            return reason
        hierarchy = os.path.join(root, controller)
        present, problem = _files_of(hierarchy)
        if problem:
            return problem
        if not present.intersection(names):
            return "no %s in a cgroup of %s on this kernel%s" % (
                " or ".join(names), hierarchy, kwargs.get("why", ""))
        return None
    return Requirement("cgroup v1 %s file %s" % (controller, "|".join(names)), check)


def cgroup2_tree(root=CGROUP_ROOT):
    """The cgroup2 tree: <root> on a unified host, <root>/unified on a hybrid one, else None."""
    for path in (root, os.path.join(root, "unified")):
        if os.path.isfile(os.path.join(path, "cgroup.controllers")):
            return path
    return None


def cgroup2(*files, **kwargs):
    """A cgroup2 tree (unified or hybrid) whose new cgroups have ``files``."""
    root = kwargs.get("root", CGROUP_ROOT)

    def check():
        tree = cgroup2_tree(root)
        if tree is None:
            return "the host has no cgroup2 tree at %s or %s/unified" % (root, root)
        if files:
            present, problem = _files_of(tree)
            if problem:
                return problem
            lacking = [name for name in files if name not in present]
            if lacking:
                return "no %s in a cgroup of %s on this kernel%s" % (
                    ", ".join(lacking), tree, kwargs.get("why", ""))
        return None
    return Requirement("cgroup2 %s" % ",".join(files), check)


def cgroup_layout_is(*layouts, **kwargs):
    """The host's cgroup layout is one of ``layouts`` (legacy, hybrid, unified)."""
    root = kwargs.get("root", CGROUP_ROOT)

    def check():
        layout = cgroup_layout(root)
        if layout not in layouts:
            return "needs a %s cgroup host; %s is %s" % (" or ".join(layouts), root, layout or "not a cgroup mount")
        return None
    return Requirement("cgroup layout %s" % "|".join(layouts), check)


# -- kernel and host -------------------------------------------------------
def namespace(kind, proc="/proc"):
    """The kernel has ``kind`` namespaces (user, time, cgroup...)."""
    def check():
        if not os.path.exists(os.path.join(proc, "self", "ns", kind)):
            return "the kernel has no %s namespaces (%s/self/ns/%s missing)" % (kind, proc, kind)
        return None
    return Requirement("%s namespaces" % kind, check)


def user_namespaces(proc="/proc"):
    """User namespaces exist and may be created (user.max_user_namespaces > 0)."""
    def check():
        reason = namespace("user", proc).missing()
        if reason:
            return reason
        limit = os.path.join(proc, "sys", "user", "max_user_namespaces")
        try:
            with open(limit) as handle:
                if int(handle.read().strip() or 0) == 0:
                    return "user namespaces are disabled (%s is 0)" % limit
        except (IOError, OSError, ValueError):
            pass
        return None
    return Requirement("user namespaces", check)


def char_device(path):
    """``path`` exists on the host and is a character device (e.g. /dev/fuse)."""
    def check():
        import stat
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return "the host has no %s" % path
        if not stat.S_ISCHR(mode):
            return "%s on the host is not a character device" % path
        return None
    return Requirement("device %s" % path, check)


def program(name, hint=""):
    """``name`` is on PATH (podman, nft, runc, crun...)."""
    def check():
        if shutil.which(name) is None:
            return "%s is not installed%s" % (name, " (%s)" % hint if hint else "")
        return None
    return Requirement("program %s" % name, check)


def effective_capability(name, status_path="/proc/self/status"):
    """The test process holds ``name`` in its effective set (e.g. CAP_SYS_RESOURCE)."""
    from itest_helpers import CAP_NAMES
    bit = 1 << CAP_NAMES.index(name)

    def check():
        try:
            with open(status_path) as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
            effective = int(fields["CapEff"].strip(), 16)
        except (IOError, OSError, KeyError, ValueError):
            return "cannot read CapEff from %s" % status_path
        if not effective & bit:
            return "the test process lacks %s (this host or container withholds it)" % name
        return None
    return Requirement(name, check)


APPARMOR_FILES = ("/sys/module/apparmor/parameters/enabled", "/sys/kernel/security/apparmor")
SELINUX_FILES = ("/sys/fs/selinux/enforce",)


def _lsm_active(name, sys_root):
    paths = [os.path.join(sys_root, p[len("/sys/"):]) for p in
             (APPARMOR_FILES if name == "apparmor" else SELINUX_FILES)]
    if name == "apparmor":
        try:
            with open(paths[0]) as handle:
                if handle.read().strip().upper().startswith("Y"):
                    return True
        except (IOError, OSError):
            pass
        return os.path.isdir(paths[1])
    return os.path.exists(paths[0])


def lsm(name, sys_root="/sys"):
    """The ``name`` LSM (apparmor or selinux) is active on the host."""
    def check():
        if not _lsm_active(name, sys_root):
            return "%s is not enabled on this host" % ("AppArmor" if name == "apparmor" else "SELinux")
        return None
    return Requirement(name, check)


def no_lsm(*names, **kwargs):
    """None of the LSMs is active (tests of the errors on such a host)."""
    sys_root = kwargs.get("sys_root", "/sys")

    def check():
        active = [name for name in names if _lsm_active(name, sys_root)]
        if active:
            return "checks a host without %s; this one has %s" % (" and ".join(names), " and ".join(active))
        return None
    return Requirement("no %s" % ",".join(names), check)


def shared_library(name, hint=""):
    """A shared library ctypes can load (e.g. seccomp for libseccomp)."""
    def check():
        found = ctypes.util.find_library(name)
        if not found:
            return "lib%s is not installed on this host%s" % (name, " (%s)" % hint if hint else "")
        try:
            ctypes.CDLL(found)
        except OSError as exc:
            return "lib%s cannot be loaded: %s" % (name, exc)
        return None
    return Requirement("lib%s" % name, check)


def python_module(name, hint=""):
    """``name`` imports in the test's interpreter."""
    def check():
        import importlib
        try:
            importlib.import_module(name)
        except ImportError:
            return "%s is not installed%s" % (name, " (%s)" % hint if hint else "")
        return None
    return Requirement("python module %s" % name, check)


def path_exists(path, what):
    """A host path that a test needs (``what`` says why, for the skip reason)."""
    def check():
        if not os.path.exists(path):
            return "%s: %s does not exist on this host" % (what, path)
        return None
    return Requirement(path, check)


def procs_cgroup_dir(cgroups_path, controller="pids", root=CGROUP_ROOT):
    """Where a container's processes are listed on this host: its cgroup in the
    v1 ``controller`` hierarchy when the host has one, else in the cgroup2 tree."""
    if _v1_hierarchy_missing(controller, root) is None:
        return os.path.join(root, controller, cgroups_path.lstrip("/"))
    tree = cgroup2_tree(root)
    if tree is None:
        raise AssertionError("no %s v1 hierarchy and no cgroup2 tree under %s" % (controller, root))
    return os.path.join(tree, cgroups_path.lstrip("/"))


def any_of(*requirements):
    """Met when one of ``requirements`` is (e.g. a v1 freezer or cgroup2's cgroup.freeze)."""
    def check():
        reasons = [requirement.missing() for requirement in requirements]
        if all(reasons):
            return "; ".join(reasons)
        return None
    return Requirement(" or ".join(r.name for r in requirements), check)


def cgroup_freezer(root=CGROUP_ROOT):
    """pause/resume can work: a v1 freezer hierarchy or cgroup2's cgroup.freeze."""
    return any_of(cgroup_v1("freezer", root=root), cgroup2("cgroup.freeze", root=root, why=" (kernel before 5.2)"))


def hard_rlimits(**wanted):
    """Each RLIMIT_<NAME>=hard may be set by a runtime this test process starts:
    setrlimit(2) raises a hard limit only with CAP_SYS_RESOURCE, so either the
    process holds it or its own hard limit is already that high
    (e.g. hard_rlimits(MEMLOCK=131072); container hosts often cap MEMLOCK at 64 KiB)."""
    def check():
        import resource
        if effective_capability("CAP_SYS_RESOURCE").missing() is None:
            return None
        for name, hard in sorted(wanted.items()):
            current = resource.getrlimit(getattr(resource, "RLIMIT_" + name))[1]
            if current != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or current < hard):
                return ("RLIMIT_%s hard limit %d is below %s and the test process lacks CAP_SYS_RESOURCE to raise it"
                        % (name, current, "unlimited" if hard == resource.RLIM_INFINITY else hard))
        return None
    return Requirement("hard rlimits %s" % sorted(wanted), check)


def command_works(argv, what):
    """``argv`` runs and exits 0 (e.g. `nft list tables`: the kernel has nf_tables)."""
    def check():
        import subprocess
        if shutil.which(argv[0]) is None:
            return "%s: %s is not installed" % (what, argv[0])
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  universal_newlines=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "%s: %s failed: %s" % (what, " ".join(argv), exc)
        if proc.returncode != 0:
            return "%s: %s exited %d: %s" % (what, " ".join(argv), proc.returncode, proc.stderr.strip()[-300:])
        return None
    return Requirement(" ".join(argv), check)


def host_content(*paths):
    """Each path is a directory with entries or a file with content (a masked path
    must hide something that is there: /sys/firmware is empty on some virtual machines)."""
    def check():
        for path in paths:
            try:
                if os.path.isdir(path):
                    if os.listdir(path):
                        continue
                else:
                    with open(path) as handle:
                        if handle.read(1):
                            continue
            except (IOError, OSError) as exc:
                return "%s cannot be read on this host: %s" % (path, exc)
            return "%s is empty on this host" % path
        return None
    return Requirement("content of %s" % ",".join(paths), check)
