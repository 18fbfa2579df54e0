# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a parsed config.json against the OCI runtime-spec.

runtime.md: the runtime MUST generate an error for a configuration it cannot
honour, before creating anything. ``validate_config`` runs an explicit,
ordered list of small checks and raises SpecError(json_path, message) for the
first one that fails, so the user sees exactly which field is wrong, e.g.
``process.args: must be a non-empty list of strings``. Properties the spec
does not define are ignored (config.md: runtimes MUST ignore unknown ones).

Later checks may rely on earlier ones: namespaces are checked before the
rules that depend on them (hostname, sysctl, id mappings, time offsets).
"""


from .checks_common import boolean, check_object, fail, json_type, nonempty_string, string
from .checks_linux import (
    check_cgroups_path, check_devices, check_hostname, check_id_mappings,
    check_linux_misc, check_linux_object, check_masked_and_readonly_paths,
    check_mount_namespace_needs, check_namespaces, check_rootfs_propagation, check_sysctl,
    check_time_offsets,
)
from .checks_mounts import check_annotations, check_hooks, check_mounts
from .checks_process import check_process
from .checks_resources import check_resources
from .checks_seccomp import check_seccomp

# config.md: ociVersion is SemVer 2.0.0. This runtime implements the 1.x
# series up to 1.3; pre-release and build suffixes (1.0.2-dev, 1.0.0-rc5)
# belong to the same minor version.
# Checked by hand, not with re (re imports enum: ~5 ms of every create):
# 1.<0-3>.<patch>[-<pre-release>][+<build>], the patch without a leading
# zero, the suffixes of [0-9A-Za-z.-] (SemVer 2.0.0's identifier characters).
_DIGITS = frozenset("0123456789")
_IDENTIFIER_CHARS = _DIGITS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-")


def supported_oci_version(version):
    """True for 1.0.0 through 1.3.x, with any pre-release or build suffix."""
    core, plus, build = version.partition("+")
    core, dash, pre_release = core.partition("-")
    for present, suffix in ((plus, build), (dash, pre_release)):
        if present and not (suffix and all(char in _IDENTIFIER_CHARS for char in suffix)):
            return False
    parts = core.split(".")
    return (len(parts) == 3 and parts[0] == "1" and parts[1] in ("0", "1", "2", "3")
            and parts[2] != "" and all(char in _DIGITS for char in parts[2])
            and (parts[2] == "0" or parts[2][0] != "0"))


def check_oci_version(config, for_create):
    if "ociVersion" not in config:
        if for_create:
            fail("ociVersion", "is required")
        return
    version = config["ociVersion"]
    string(version, "ociVersion")
    if not supported_oci_version(version):
        fail("ociVersion", "unsupported version %r: this runtime supports 1.0.0 to 1.3.x"
             % (version,))


def check_root(config, for_create):
    # config.md: root is REQUIRED on Linux; root.path names the rootfs directory.
    if "root" not in config:
        if for_create:
            fail("root", "is required")
        return
    check_object(config["root"], "root", {"path": nonempty_string, "readonly": boolean},
                 required=("path",))


# The order is the order errors are found in; see the module docstring.
CHECKS = (
    check_oci_version,
    check_root,
    check_process,
    check_linux_object,
    check_namespaces,
    check_id_mappings,
    check_hostname,
    check_mounts,
    check_hooks,
    check_annotations,
    check_time_offsets,
    check_devices,
    check_cgroups_path,
    check_resources,
    check_sysctl,
    check_rootfs_propagation,
    check_masked_and_readonly_paths,
    check_mount_namespace_needs,
    check_seccomp,
    check_linux_misc,
)


def validate_config(config, for_create=True):
    """Raise SpecError for the first problem in ``config``; return ``config`` if valid.

    ``for_create`` demands what ``create`` needs (ociVersion, root, and in a
    process its args and cwd); without it a partial config is checked only
    for what it contains.
    """
    if not isinstance(config, dict):
        fail("", "config.json must hold a JSON object, not %s" % json_type(config))
    for check in CHECKS:
        check(config, for_create)
    return config
