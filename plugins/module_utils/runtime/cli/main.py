# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bin/oci-runtime: the runtime behind runc's command line.

Exit status 0 on success; otherwise 1 (2 for usage errors) and one line on
stderr; `run` in the foreground exits with the container's exit status.
Each command imports only what it needs: `state` and `list` stay cheap.
"""

import posix  # os without os.py: runtime/pathlite.py says why
import sys

from .. import pathlite
from ..version import RUNTIME_NAME, RUNTIME_VERSION, OCI_VERSION
from ..errors import RuntimeFailure
from .args import UsageError, parse
from .log import Logger

USAGE = """usage: oci-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND ...

commands:
  create --bundle B [--pid-file F] [--console-socket S] ID
                                        create a container (its program waits for start)
  start ID                              run the program of a created container
  run [--detach] --bundle B [--pid-file F] [--console-socket S] ID
                                        create and start; in the foreground, wait and delete
  state ID                              print the container's state as JSON
  kill ID [SIGNAL] [--all]              send a signal (default SIGTERM)
  delete [--force] ID                   remove a stopped container (--force: any)
  list [--format table|json] [--quiet]  list containers
  spec [--bundle B]                     write a default config.json
  update [--memory M] [--memory-swap M] [--memory-reservation M] [--pids-limit N]
         [--cpu-quota N] [--cpu-period N] [--cpu-shares N] [--cpu-weight N] [--cpuset-cpus S]
         [--cpuset-mems S] [--blkio-weight N] [-r FILE|-] ID
                                        change the cgroup limits of a live container
  pause ID / resume ID                  freeze / thaw every process of a container
  ps [--format table|json] ID [PS OPTIONS]
                                        the container's processes
  events [--stats] [--interval 5s] ID   cgroup usage statistics as JSON
  boot                                  after a reboot: create and start again the containers whose
                                        restart policy asks for it (service records, not the state root)
  exec [--detach] [--pid-file F] [--tty] [--console-socket S] [--ignore-paused]
       [--cgroup [CONTROLLER:]PATH] [--process P.json | --env K=V --cwd D
       --user U[:G] --cap C --no-new-privs] ID [ARGS...]
                                        run one more process in a created or running container
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    log = Logger()
    try:
        global_flags, command, flags, positionals = parse(argv)
        log.configure(global_flags.get("log"), global_flags.get("log-format", "text"),
                      global_flags.get("debug", False))
        if global_flags.get("version"):
            sys.stdout.write("%s version %s\nspec: %s\n" % (RUNTIME_NAME, RUNTIME_VERSION, OCI_VERSION))
            return 0
        if global_flags.get("help") or command is None:
            sys.stdout.write(USAGE)
            return 0 if global_flags.get("help") else 2
        if global_flags.get("systemd-cgroup"):
            raise RuntimeFailure("--systemd-cgroup: the systemd cgroup driver is not supported; "
                                 "use cgroupfs paths")
        root = global_flags.get("root") or None
        log.debug("%s %s" % (command, " ".join(positionals)))
        return COMMANDS[command](root, flags, positionals, log)
    except UsageError as e:
        # containerd's shim shows the runtime's last --log line as the error,
        # so a usage error goes there too whenever --log itself parsed.
        parsed = getattr(e, "global_flags", None)
        if parsed and log.path is None:
            try:
                log.configure(parsed.get("log"), parsed.get("log-format", "text"), parsed.get("debug", False))
            except RuntimeFailure:
                pass  # a bad --log-format: stderr only
        log.error(str(e))
        return 2
    except RuntimeFailure as e:
        log.error(str(e))
        return 1
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130


def main_and_exit(argv=None, before_exit=None):
    """main(), then leave through os._exit(2) once stdout and stderr are flushed.

    That skips the interpreter's teardown (unloading every module, ctypes
    included), about 10 ms of each command on a small VM: exec and state are
    called by engines many times. Nothing here needs the teardown: files are
    written with os.write or closed explicitly, no atexit handler exists, and
    a foreground command has reaped its children before main() returns.
    ``before_exit`` runs after the flush: the caller has the output already
    (bin/oci-runtime refreshes its module cache there).
    """
    code = main(argv)
    try:
        sys.stdout.flush()
    except (IOError, OSError):
        code = code or 120  # the reader went away: what CPython's own exit reports
    try:
        sys.stderr.flush()
    except (IOError, OSError):
        pass
    if before_exit is not None:
        before_exit()
    posix._exit(code or 0)


def cmd_state(root, flags, positionals, log):
    from ..lifecycle.query import state
    _print_json(runc_order(state(root, positionals[0])), sort_keys=False)
    return 0


# runc's containerState (list.go), field for field: tools that match its
# output as text see the same order; our own fields follow, sorted.
RUNC_STATE_ORDER = ("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner")


def runc_order(item, omit_empty_annotations=False):
    """``item`` with runc's fields first, in runc's order; our own fields after them."""
    out = {}
    for key in RUNC_STATE_ORDER:
        if key in item and not (omit_empty_annotations and key == "annotations" and not item[key]):
            out[key] = item[key]
    for key in sorted(item):
        if key not in RUNC_STATE_ORDER:
            out[key] = item[key]
    return out


def cmd_list(root, flags, positionals, log):
    from ..lifecycle.query import list_containers
    items = list_containers(root)
    fmt = flags.get("format", "table")
    if flags.get("quiet"):
        sys.stdout.write("".join(item["id"] + "\n" for item in items))
    elif fmt == "json":
        # runc lists a stopped container with pid 0 and no empty annotations (list.go).
        _print_json([runc_order(dict(item, pid=item.get("pid", 0) if item["status"] != "stopped" else 0),
                                omit_empty_annotations=True) for item in items], sort_keys=False)
    elif fmt == "table":
        rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
        for item in items:
            if "reason" in item:  # status unknown: the table keeps runc's columns, the reason goes to stderr
                log.warn(item["reason"])
            rows.append((item["id"], str(item.get("pid", 0) if item["status"] != "stopped" else 0),
                         item["status"], item.get("bundle", ""), item.get("created", ""),
                         item.get("owner", "")))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            sys.stdout.write("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    else:
        raise UsageError("list: --format must be table or json, not %r" % fmt)
    return 0


def cmd_create(root, flags, positionals, log):
    from ..lifecycle.create import create
    from ..process import spawn
    spawn.HAND_OFF_TO_SUBREAPER = True  # conmon reaps the init itself (process/spawn.py)
    create(root, positionals[0], flags.get("bundle") or posix.getcwd(), pid_file=flags.get("pid-file"),
           preserve_fds=_preserve_fds(flags), warn=log.warn, console_socket=flags.get("console-socket") or None,
           no_pivot=bool(flags.get("no-pivot")))
    return 0


def cmd_start(root, flags, positionals, log):
    from ..lifecycle.start import start
    start(root, positionals[0], warn=log.warn)
    return 0


def cmd_kill(root, flags, positionals, log):
    from ..lifecycle.kill import kill
    kill(root, positionals[0], positionals[1] if len(positionals) > 1 else "SIGTERM",
         all_processes=bool(flags.get("all")))
    return 0


def cmd_delete(root, flags, positionals, log):
    from ..lifecycle.delete import delete
    from ..errors import ContainerNotFound
    try:
        delete(root, positionals[0], force=bool(flags.get("force")), warn=log.warn)
    except ContainerNotFound:
        if not flags.get("force"):
            raise
    return 0


def cmd_run(root, flags, positionals, log):
    from .run import run
    return run(root, positionals[0], flags.get("bundle") or posix.getcwd(), flags, log,
               preserve_fds=_preserve_fds(flags))


def cmd_spec(root, flags, positionals, log):
    from ..spec.defaults import default_config
    bundle = flags.get("bundle") or posix.getcwd()
    path = pathlite.join(bundle, "config.json")
    if pathlite.lexists(path):
        raise RuntimeFailure("%s already exists; remove it first" % path)
    try:
        fd = posix.open(path, posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL, 0o644)
    except OSError as e:
        raise RuntimeFailure("cannot write %s: %s" % (path, e.strerror))
    import json
    config = default_config()
    if not _host_is_cgroup2_only():
        # runc's spec adds a cgroup namespace only on a cgroup v2 host
        # (spec.go): tools that append {"type": "cgroup"} themselves on a
        # v1 or hybrid host would otherwise get a duplicate namespace.
        namespaces = config["linux"]["namespaces"]
        namespaces[:] = [ns for ns in namespaces if ns["type"] != "cgroup"]
    with open(fd, "w") as f:
        json.dump(config, f, indent="\t")
        f.write("\n")
    return 0


def cmd_boot(root, flags, positionals, log):
    from ..services.boot import boot
    result = boot(root, warn=log.warn)
    for cid in result.started:
        sys.stdout.write("started %s\n" % cid)
    for cid, why in result.left:
        sys.stdout.write("left %s: %s\n" % (cid, why))
    for cid, message in result.failed:
        log.error("%s: %s" % (cid, message))
    return 1 if result.failed else 0


def cmd_exec(root, flags, positionals, log):
    from .exec_cmd import cmd_exec as run_exec
    try:
        return run_exec(root, flags, positionals, log)
    except UsageError:
        raise
    except RuntimeFailure as e:
        log.error("exec failed: %s" % e)
        return 255  # runc's exit status for its own exec failures: the process's codes stay apart


def _host_is_cgroup2_only():
    from ..cgroups.detect import UNIFIED, detect_hierarchies, read_host_mountinfo
    from ..cgroups.files import CgroupFiles
    try:
        mode, _hierarchies = detect_hierarchies("/sys/fs/cgroup", read_host_mountinfo(), CgroupFiles())
    except RuntimeFailure:
        return False  # no cgroup mounted at all: certainly not a cgroup v2 host
    return mode == UNIFIED


def _preserve_fds(flags):
    value = flags.get("preserve-fds", 0)
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise UsageError("--preserve-fds must be a non-negative number, not %r" % (value,))
    return count


def _print_json(obj, sort_keys=True):
    from ..standalone import jsonlite
    sys.stdout.write(jsonlite.dumps(obj, sort_keys=sort_keys) + "\n")


COMMANDS = {
    "state": cmd_state, "list": cmd_list, "create": cmd_create, "start": cmd_start,
    "kill": cmd_kill, "delete": cmd_delete, "run": cmd_run, "spec": cmd_spec,
    "exec": cmd_exec, "boot": cmd_boot,
}


def _lazy(name):
    """A handler from cli/update_cmds.py, imported on use: `state` must not pay for it."""
    def handler(root, flags, positionals, log):
        from . import update_cmds
        return update_cmds.COMMANDS[name](root, flags, positionals, log)
    return handler


COMMANDS.update((_name, _lazy(_name)) for _name in ("update", "pause", "resume", "ps", "events"))
