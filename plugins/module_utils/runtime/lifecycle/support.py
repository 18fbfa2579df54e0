# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Features a valid config may ask for that this runtime or host cannot give.

Checked before create changes anything, so such a config fails with a clear
error naming the field instead of yielding a container that silently lacks
what was asked (e.g. an unfiltered container when seccomp was requested).
"""

from .. import namespaces
from ..errors import SpecError, UnsupportedError
from ..security import lsm
from ..security.personality import persona
from ..security.seccomp_filter import compile_optional as compile_seccomp
from ..standalone.jsonlite import loads


def check_supported(config):
    process = config.get("process") or {}
    linux = config.get("linux") or {}
    unsupported = (
        ("linux.intelRdt", linux.get("intelRdt"), "Intel RDT is not supported"),
        ("linux.memoryPolicy", linux.get("memoryPolicy"), "memory policies are not supported"),
        ("process.ioPriority", process.get("ioPriority"), "I/O priorities are not supported yet"),
        ("process.scheduler", process.get("scheduler"), "scheduler settings are not supported yet"),
    )
    for path, value, why in unsupported:
        if value:
            raise UnsupportedError("%s: %s" % (path, why))
    namespaces.check_supported(config)
    persona(linux.get("personality"))
    # config.md: an empty profile or label means none, accepted on any host.
    lsm.check_supported(config)
    # No libseccomp, or a rule it refuses: fail before anything exists (the
    # init forked later reuses this compiled filter).
    compile_seccomp(linux.get("seccomp"))
    check_on_stop_annotation(config)


def check_on_stop_annotation(config):
    """The on-stop handlers annotation must be a JSON list of hooks."""
    if not config.get("annotations"):
        return  # exec's process, most containers: no need to load the monitor's file
    from ..standalone.monitor import ON_STOP_ANNOTATION
    raw = config["annotations"].get(ON_STOP_ANNOTATION)
    if raw is None:
        return
    path = "annotations.%s" % ON_STOP_ANNOTATION
    try:
        handlers = loads(raw)
    except ValueError as e:
        raise SpecError(path, "must be a JSON list of hooks: %s" % e)
    if not isinstance(handlers, list):
        raise SpecError(path, "must be a JSON list of hooks")
    from ..spec import validate
    validate.validate_config({"ociVersion": config.get("ociVersion", "1.2.0"),
                              "hooks": {"poststop": handlers}}, for_create=False)
