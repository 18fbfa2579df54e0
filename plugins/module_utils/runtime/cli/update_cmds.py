# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The update, pause, resume, ps and events commands (runc's grammar).

* ``update [--memory M] ... [-r FILE] ID``: the flags become a partial
  ``linux.resources`` object (merged over FILE, if given; "-" reads stdin),
  memory sizes accept runc's suffixes (k, m, g, t, p; binary multiples).
* ``ps [--format table|json] ID [ps options]``: json is the list of host
  pids; table runs ps(1) (default options -ef) and keeps its header and the
  lines of the container's pids, as runc does.
* ``events [--stats] [--interval 5s] ID``: one stats JSON object per line.
"""

import sys

from ..errors import RuntimeFailure
from .args import UsageError

_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
# flag -> (section, key, parser name)
_UPDATE_FLAGS = (
    ("memory", "memory", "limit", "size"),
    ("memory-swap", "memory", "swap", "size"),
    ("memory-reservation", "memory", "reservation", "size"),
    ("kernel-memory", "memory", "kernel", "size"),
    ("kernel-memory-tcp", "memory", "kernelTCP", "size"),
    ("pids-limit", "pids", "limit", "int"),
    ("cpu-quota", "cpu", "quota", "int"),
    ("cpu-period", "cpu", "period", "int"),
    ("cpu-shares", "cpu", "shares", "int"),
    ("cpu-weight", "cpu", "shares", "weight"),
    ("cpu-rt-period", "cpu", "realtimePeriod", "int"),
    ("cpu-rt-runtime", "cpu", "realtimeRuntime", "int"),
    ("cpuset-cpus", "cpu", "cpus", "str"),
    ("cpuset-mems", "cpu", "mems", "str"),
    ("blkio-weight", "blockIO", "weight", "int"),
)


def parse_size(flag, text):
    """runc's memory sizes: 512, 64k, 100m, 1.5g, 2GiB (powers of 1024); -1 = unlimited."""
    value = text.strip().lower()
    sign = 1
    if value.startswith("-"):
        sign, value = -1, value[1:]
    if value.endswith("b"):
        value = value[:-1]
        if value.endswith("i") and value[-2:-1] in ("k", "m", "g", "t", "p") and len(value) > 1:
            value = value[:-1]
    unit = value[-1:] if value[-1:] in ("k", "m", "g", "t", "p") else ""
    number = value[:-1] if unit else value
    try:
        amount = float(number) if "." in number else int(number)
        return sign * int(amount * _SIZE_UNITS[unit])
    except (ValueError, OverflowError):
        raise UsageError("update: --%s: %r is not a size like 512, 64k, 100m or 1g" % (flag, text))


def _parse_int(flag, text):
    try:
        return int(text)
    except (TypeError, ValueError):
        raise UsageError("update: --%s: %r is not an integer" % (flag, text))


def weight_to_shares(weight):
    """cpu.weight (1..10000) -> the smallest cpu.shares that maps back to it (cgroups/v2.py)."""
    if weight < 1 or weight > 10000:
        raise UsageError("update: --cpu-weight must be between 1 and 10000, not %d" % weight)
    return 2 + -(-(weight - 1) * 262142 // 9999)


def _read_resources_file(path):
    import json
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path) as handle:
                text = handle.read()
        data = json.loads(text)
    except (IOError, OSError) as e:
        raise RuntimeFailure("update: cannot read %s: %s" % (path, e.strerror or e))
    except ValueError as e:
        raise RuntimeFailure("update: %s is not valid JSON: %s" % (path, e))
    if not isinstance(data, dict):
        raise RuntimeFailure("update: %s must hold a JSON object (linux.resources)" % path)
    return data


def resources_from_flags(flags):
    """The partial linux.resources object an update command line asks for."""
    resources = _read_resources_file(flags["resources"]) if flags.get("resources") else {}
    for flag, section, key, kind in _UPDATE_FLAGS:
        if flag not in flags:
            continue
        text = flags[flag]
        if kind == "size":
            value = parse_size(flag, text)
        elif kind == "int":
            value = _parse_int(flag, text)
        elif kind == "weight":
            value = weight_to_shares(_parse_int(flag, text))
        else:
            value = text
        target = resources.setdefault(section, {})
        if not isinstance(target, dict):
            raise RuntimeFailure("update: linux.resources.%s in the resources file must be an object" % section)
        target[key] = value
    return resources


def cmd_update(root, flags, positionals, log):
    from ..lifecycle.update import update
    resources = resources_from_flags(flags)
    if not resources:
        raise UsageError("update: nothing to change; give resource flags (--memory, --pids-limit, ...) or -r FILE")
    update(root, positionals[0], resources, warn=log.warn)
    return 0


def cmd_pause(root, flags, positionals, log):
    from ..lifecycle.pause import pause
    pause(root, positionals[0])
    return 0


def cmd_resume(root, flags, positionals, log):
    from ..lifecycle.pause import resume
    resume(root, positionals[0])
    return 0


def _print_json(obj, sort_keys=True):
    from ..standalone import jsonlite
    sys.stdout.write(jsonlite.dumps(obj, sort_keys=sort_keys) + "\n")
    sys.stdout.flush()


def cmd_ps(root, flags, positionals, log):
    from ..lifecycle.ps import container_pids
    fmt = flags.get("format", "table")
    if fmt not in ("table", "json"):
        raise UsageError("ps: --format must be table or json, not %r" % fmt)
    pids = container_pids(root, positionals[0])
    if fmt == "json":
        # runc encodes an empty Go slice of pids as null (ps.go), e.g. for a stopped container.
        _print_json(pids or None)
        return 0
    sys.stdout.write(ps_table(pids, positionals[1:] or ["-ef"]))
    return 0


def ps_table(pids, ps_args):
    """ps(1)'s output limited to ``pids``: its header, then the matching lines."""
    import subprocess
    wanted = set(pids)
    try:
        proc = subprocess.run(["ps"] + list(ps_args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return _simple_table(pids)  # no ps(1) on this host
    if proc.returncode != 0:
        raise RuntimeFailure("ps %s failed: %s" % (" ".join(ps_args), (proc.stderr.strip().splitlines() or ["?"])[0]))
    lines = proc.stdout.splitlines()
    if not lines:
        return ""
    header = lines[0].split()
    if "PID" not in header:
        raise RuntimeFailure("ps %s: no PID column in its output; include pid in the format" % " ".join(ps_args))
    column = header.index("PID")
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > column and fields[column].isdigit() and int(fields[column]) in wanted:
            out.append(line)
    return "\n".join(out) + "\n"


def _simple_table(pids):
    rows = ["%-8s %s" % ("PID", "CMD")]
    for pid in pids:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (IOError, OSError):
            continue
        rows.append("%-8d %s" % (pid, cmd))
    return "\n".join(rows) + "\n"


def parse_interval(text):
    """A Go duration ("5s", "250ms", "1m30s") or a number of seconds, > 0."""
    units = (("ms", 0.001), ("us", 0.000001), ("µs", 0.000001), ("ns", 1e-9), ("h", 3600.0), ("m", 60.0), ("s", 1.0))
    rest = str(text).strip()
    total = 0.0
    try:
        if rest and rest.replace(".", "", 1).isdigit():
            total = float(rest)
            rest = ""
        while rest:
            i = 0
            while i < len(rest) and (rest[i].isdigit() or rest[i] == "."):
                i += 1
            number, rest = rest[:i], rest[i:]
            for unit, scale in units:
                if rest.startswith(unit):
                    total += float(number) * scale
                    rest = rest[len(unit):]
                    break
            else:
                raise ValueError(text)
    except ValueError:
        raise UsageError("events: --interval: %r is not a duration like 5s or 500ms" % (text,))
    if total <= 0:
        raise UsageError("events: --interval must be greater than 0, not %r" % (text,))
    return total


def cmd_events(root, flags, positionals, log):
    from ..lifecycle.events import stats, watch
    from .stats_format import runc_event
    if flags.get("stats"):
        _print_json(runc_event(stats(root, positionals[0])), sort_keys=False)
        return 0
    interval = parse_interval(flags.get("interval", "5s"))
    for sample in watch(root, positionals[0], interval):
        _print_json(runc_event(sample), sort_keys=False)
    return 0


COMMANDS = {"update": cmd_update, "pause": cmd_pause, "resume": cmd_resume, "ps": cmd_ps, "events": cmd_events}
