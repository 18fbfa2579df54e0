# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`oci-runtime exec`: runc's exec command line on top of lifecycle/exec.py.

Two ways to say what to run, as with runc: ``--process P.json`` (a process
object, the schema of config.json's ``process``), or the command after the
id plus flags that adjust a copy of the container's own process: ``--env``
adds variables, ``--cap`` adds a capability to the bounding, effective and
permitted sets (and ambient when the container has inheritable ones),
``--user UID[:GID]``, ``--additional-gids``, ``--cwd``, ``--no-new-privs``.

In the foreground the command exits with the process's exit code and
forwards the signals it gets to it (as `run` does); with ``--detach`` it
exits 0 as soon as the process has exec'd.

``--ignore-paused`` allows a paused container (the process starts frozen);
``--cgroup [CONTROLLER:]PATH`` starts it in a sub-cgroup of the container's
(cgroups/subcgroups.py). The command's own failures exit 255, as runc's
exec does (utils_linux.go fatalWithCode), so callers tell them apart from
the process's exit codes.

``--tty`` (or ``"terminal": true`` in --process) gives the process a new pty:
its master goes to ``--console-socket``, or, in the foreground without one,
comes back here and the caller's terminal is proxied until the process
exits (process/terminal.py). Detached without a console socket is refused.
"""

import posix  # os without os.py: runtime/pathlite.py says why
# _signal, the C module behind signal.py: the same functions and numbers
# without signal.py's IntEnum tables (enum, functools, collections: ~5 ms
# of imports on every exec).
import _signal as signal

from ..errors import RuntimeFailure, UnsupportedError
from ..standalone.jsonlite import copy_json, loads
from .args import UsageError

# The signals a foreground `run` forwards (cli/run.py), spelled out here:
# importing run.py would load create, start and delete, ~40 ms per exec.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH)

_ADJUSTING = ("env", "cwd", "user", "additional-gids", "cap", "no-new-privs")


def cmd_exec(root, flags, positionals, log):
    from ..lifecycle.exec import start_exec
    from ..state import StateRoot
    container_id, argv = positionals[0], positionals[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if flags.get("apparmor") or flags.get("process-label"):
        raise UnsupportedError("exec --apparmor/--process-label: LSM labels are not supported by this runtime yet")
    if flags.get("process"):
        process = process_from_file(flags, argv)
    else:
        if not argv:
            raise UsageError("exec: missing the command to run (or --process FILE)")
        base = (StateRoot(root).load(container_id).get("config") or {}).get("process") or {}
        process = process_from_flags(flags, argv, base)
    console = flags.get("console-socket") or None
    if flags.get("detach"):
        start_exec(root, container_id, process, console_socket=console, **_exec_options(flags))
        return 0
    if console is None and process.get("terminal"):
        return _exec_with_proxy(root, container_id, process, flags)
    # Handlers go in before the process starts: it may act (and its caller
    # signal us) before start_exec returns. Signals that arrive meanwhile
    # are delivered once the process is known. execve(2) resets handled
    # signals to their defaults, so the process itself is not affected.
    started = []
    pending = []

    def forward(signum, _frame):
        if started:
            started[0].kill(signum)
        else:
            pending.append(signum)

    previous = dict((sig, signal.signal(sig, forward)) for sig in FORWARDED)
    try:
        started.append(start_exec(root, container_id, process, console_socket=console, **_exec_options(flags)))
        for signum in pending:
            started[0].kill(signum)
        return started[0].wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exec_options(flags):
    """start_exec's keyword arguments from the flags every way of exec'ing shares."""
    from .main import _preserve_fds
    sub_cgroups = None
    if flags.get("cgroup"):
        from ..cgroups.subcgroups import parse
        sub_cgroups = parse(flags["cgroup"])
    return dict(preserve_fds=_preserve_fds(flags), pid_file=flags.get("pid-file"),
                ignore_paused=bool(flags.get("ignore-paused")), sub_cgroups=sub_cgroups)


def _exec_with_proxy(root, container_id, process, flags):
    """Foreground --tty without --console-socket: receive the master, proxy the caller's terminal."""
    from ..lifecycle.exec import start_exec
    from ..process import terminal
    size = terminal.get_size(0) if posix.isatty(0) else None
    if size and size[0] and size[1]:
        # The caller's window size from the first instruction on: the master
        # reaches us only once the process runs, too late to resize first.
        process = dict(process, consoleSize={"height": size[0], "width": size[1]})
    receiver, child_end = terminal.console_pair()
    try:
        handle = start_exec(root, container_id, process, console_socket=child_end, **_exec_options(flags))
    finally:
        child_end.close()
    try:
        master, dummy = terminal.recv_master(receiver, what="exec process")
    except BaseException:
        receiver.close()
        handle.kill()
        handle.wait()
        raise
    receiver.close()
    forwarded = tuple(s for s in FORWARDED if s != signal.SIGWINCH)  # the proxy resizes the pty instead
    previous = dict((sig, signal.signal(sig, lambda signum, _frame: handle.kill(signum))) for sig in forwarded)
    try:
        try:
            with terminal.Proxy(master) as proxy:
                terminal.proxy_until_exit(proxy, handle.pid)
        finally:
            posix.close(master)
        return handle.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def process_from_file(flags, argv):
    """The process object of --process; other process flags and a command conflict with it."""
    given = [name for name in _ADJUSTING if flags.get(name)]
    if given or argv:
        raise UsageError("exec: --process cannot be combined with %s" % (
            ", ".join("--" + name for name in given) if given else "a command"))
    path = flags["process"]
    try:
        with open(path) as handle:
            process = loads(handle.read())
    except (IOError, OSError) as e:
        raise RuntimeFailure("--process: cannot read %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise RuntimeFailure("--process: %s is not valid JSON: %s" % (path, e))
    if not isinstance(process, dict):
        raise RuntimeFailure("--process: %s must hold a JSON object (a config.json \"process\")" % path)
    return process


def process_from_flags(flags, argv, base):
    """A copy of the container's process ``base`` running ``argv``, adjusted by the flags."""
    process = copy_json(base)
    process["args"] = list(argv)
    process["terminal"] = bool(flags.get("tty"))
    for key in ("consoleSize", "commandLine"):
        process.pop(key, None)
    if flags.get("env"):
        process["env"] = list(process.get("env") or []) + [_env_entry(e) for e in flags["env"]]
    if flags.get("cwd"):
        process["cwd"] = flags["cwd"]
    user = dict(process.get("user") or {"uid": 0, "gid": 0})
    if flags.get("user"):
        user.update(parse_user(flags["user"]))
    if flags.get("additional-gids"):
        user["additionalGids"] = list(user.get("additionalGids") or []) + [
            _number(g, "--additional-gids") for g in flags["additional-gids"]]
    process["user"] = user
    if flags.get("cap"):
        caps = dict((k, list(v)) for k, v in (process.get("capabilities") or {}).items())
        sets = ["bounding", "effective", "permitted"]
        # capabilities(7): an ambient capability must also be inheritable; runc
        # adds --cap to ambient only when the container has inheritable ones.
        if caps.get("inheritable"):
            sets += ["inheritable", "ambient"]
        for name in flags["cap"]:
            name = name.upper() if name.upper().startswith("CAP_") else "CAP_" + name.upper()
            for set_name in sets:
                if name not in caps.setdefault(set_name, []):
                    caps[set_name].append(name)
        process["capabilities"] = caps
    if flags.get("no-new-privs"):
        process["noNewPrivileges"] = True
    return process


def parse_user(text):
    """--user UID[:GID] (numbers: names would need the container's /etc/passwd)."""
    uid, sep, gid = str(text).partition(":")
    out = {"uid": _number(uid, "--user")}
    if sep:
        out["gid"] = _number(gid, "--user")
    return out


def _number(text, flag):
    text = str(text).strip()
    if not text.isdigit() or int(text) > 2 ** 32 - 2:
        raise UsageError("%s: %r is not a numeric id (0 to 4294967294)" % (flag, text))
    return int(text)


def _env_entry(text):
    if "=" not in text or text.startswith("="):
        raise UsageError("--env: %r is not KEY=VALUE" % (text,))
    return text
