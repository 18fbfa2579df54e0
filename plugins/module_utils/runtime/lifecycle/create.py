# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""create: build the container and leave its init waiting for start.

runtime.md "Create": all resources of config.json are created, the user's
program is not run, and afterwards the status is "created". Nothing is
touched before the id and the config are known to be valid; if any later
step fails, everything done so far is undone (init killed, cgroups removed,
state directory deleted) so the host is as if create never ran.
"""

import os
import time

from .. import hooks
from ..cgroups.oom import oom_record
from ..version import OCI_VERSION
from ..errors import HookError, RuntimeFailure
from ..ids import validate_id
from ..network.wiring import Wiring, release as release_network
from ..pathcheck import path_problem
from ..process import spawn as spawner
from ..process import sync
from ..process.terminal import check_console
from ..signals import SIGKILL
from ..spec.load import load_bundle
from ..standalone import jsonlite
from ..standalone.stateio import DirLock, proc_stat, process_alive
from ..state import StateRoot, spec_state, timestamp
from .support import check_supported


LOG_FILE = "container.log"


def create(state_root, container_id, bundle_path, pid_file=None, preserve_fds=0, warn=None,
           log_path=None, log_max_size=1024 * 1024, console_socket=None, replacing=None, no_pivot=False):
    """Create container ``container_id`` from the bundle; return its stored state.

    With ``log_path`` the container's stdout and stderr go to that file
    (``True``: ``container.log`` in the container's state directory), capped
    at ``log_max_size`` bytes plus one rotated file; otherwise the container
    inherits the caller's stdin/stdout/stderr (runc's terminal: false).

    ``bundle_path`` may be a loaded spec.load.Bundle. ``replacing``: a
    services.recreate.Replacement, when the monitor's restart helper creates
    the container again in its existing, locked state directory.
    ``no_pivot``: runc's --no-pivot (rootfs/pivot.py move_root_into).
    """
    validate_id(container_id)
    _check_paths(bundle=bundle_path, pid_file=pid_file, log_path=log_path, console_socket=console_socket)
    bundle = bundle_path if hasattr(bundle_path, "rootfs") else load_bundle(bundle_path)
    config = bundle.config
    check_supported(config)
    services = None
    if _wants_services(config):
        from ..services import setup as services
        services.check(config)
    network = Wiring.from_config(config)  # bad network annotations fail before anything exists
    check_console(config.get("process"), console_socket)  # path or connected socket (process/terminal.py)
    custom_log = None
    if log_path and log_path is not True:
        custom_log = os.path.abspath(log_path)
        if not os.path.isdir(os.path.dirname(custom_log)):
            raise RuntimeFailure("log_path: directory %s does not exist" % os.path.dirname(custom_log))
    root = StateRoot(state_root).ensure()
    if replacing is None:
        container_dir = root.new_container_dir(container_id)
        lock = DirLock(container_dir).acquire()
    else:
        container_dir, lock = root.container_dir(container_id), replacing.lock
    job = _Creation(root, container_id, container_dir, bundle, lock.fd, preserve_fds)
    if replacing is not None:
        job.state.update(replacing.carry)
    job.network = network
    job.console_socket = console_socket
    job.no_pivot = no_pivot
    if no_pivot:
        job.state["no_pivot"] = True  # a restart or boot makes it again the same way (services/)
    if log_path:
        path = os.path.join(container_dir, LOG_FILE) if log_path is True else custom_log
        job.log = spawner.OutputLog(path, log_max_size)
        job.state["log_path"] = path
    try:
        if services is not None:
            services.prepare(job.state, root.path, bundle, log_path, log_max_size,
                             replacing.carry if replacing is not None else None)
        job.run()
        if pid_file:
            try:
                write_pid_file(pid_file, job.state["pid"])
            except OSError as e:
                raise RuntimeFailure("--pid-file: cannot write %s: %s" % (pid_file, e.strerror or e))
        return job.state
    except BaseException as e:
        job.abort(warn, run_poststop=isinstance(e, HookError))
        if replacing is None and job.state.get("service_record"):
            from ..services.record import remove
            remove(job.state["service_record"])
        raise
    finally:
        lock.release()
        job.reap_monitor_if_failed()


class _Creation(object):
    def __init__(self, root, container_id, container_dir, bundle, dir_fd, preserve_fds):
        self.root = root
        self.id = container_id
        self.dir = container_dir
        self.bundle = bundle
        self.dir_fd = dir_fd
        self.preserve_fds = preserve_fds
        self.cgroup = None
        self.log = None
        self.console_socket = None
        self.no_pivot = False
        self.sock = None
        self.network = None
        self.failed = False
        config = bundle.config
        me = proc_stat(os.getpid())
        self.state = {
            "ociVersion": config.get("ociVersion", OCI_VERSION),
            "id": container_id,
            "status": "creating",
            "bundle": bundle.path,
            "annotations": dict(config.get("annotations") or {}),
            # the seed's field names
            "version": config.get("ociVersion", OCI_VERSION),
            "root": bundle.path,
            # private to the runtime
            "rootfs": bundle.rootfs,
            "created": timestamp(),
            "creator_pid": os.getpid(),
            "creator_start_time": me[1] if me else None,
            "owner": _owner(),
            "config": config,
        }

    def save(self):
        self.root.save(self.state)

    def run(self):
        from ..cgroups.manager import CgroupManager
        config = self.bundle.config
        linux = config.get("linux") or {}
        self.save()
        self.cgroup = CgroupManager.plan(self.id, linux.get("cgroupsPath"), state_root=self.root.path)
        self.cgroup.require_thawed()  # else the init would wait in the freezer, and create with it
        self.state["cgroup"] = self.cgroup.to_dict()
        self.save()  # delete can clean up even if we are killed while creating cgroups
        self.cgroup.create()
        self.state["cgroup"] = self.cgroup.to_dict()
        self.save()
        self.cgroup.require_empty()
        self.cgroup.apply(linux.get("resources"))
        self.state["oom_events"] = oom_record(self.cgroup)  # the monitor's oom_killed compares with it
        init_config = config
        if self.network is not None:
            # Before the fork: the init consumes the mounts (resolv.conf, hosts) while it builds the rootfs.
            init_config = self.network.prepare(self.root.path, self.id, self.dir, config, self.state)
            self.save()
        ctx = spawner.InitContext(init_config, self.bundle.rootfs, self.root.path, self.dir,
                                  cgroup=self.cgroup, preserve_fds=self.preserve_fds, log=self.log,
                                  console=self.console_socket, no_pivot=self.no_pivot)
        self.sock, monitor_pid, init_pid = spawner.spawn(ctx, self.dir_fd)
        self.state.update({
            "pid": init_pid,
            "pid_start_time": _start_time(init_pid),
            "monitor_pid": monitor_pid,
            "monitor_start_time": _start_time(monitor_pid),
        })
        self.save()
        sync.recv(self.sock, expect="prestart")
        if self.network is not None:
            # The init has its network namespace and waits for "continue": veth, address, routes, ports.
            self.network.attach(self.state)
            self.save()
        creating = spec_state(self.state, "creating")
        hooks.run_phase(config, "prestart", creating)
        hooks.run_phase(config, "createRuntime", creating)
        sync.send(self.sock, "continue", state=jsonlite.dumps(creating))
        sync.recv(self.sock, expect="created")
        self.sock.close()
        self.state["status"] = "created"
        self.save()

    def abort(self, warn, run_poststop):
        """Undo whatever was done; the lock is still held."""
        self.failed = True
        if self.sock is not None:
            self.sock.close()
        pid = self.state.get("pid")
        if pid and process_alive(pid, self.state.get("pid_start_time")):
            try:
                os.kill(pid, SIGKILL)
            except OSError:
                pass
            _wait_gone(pid, self.state.get("pid_start_time"), 5.0)
        if self.cgroup is not None:
            try:
                self.cgroup.destroy()
            except Exception as e:  # keep undoing; report what is left
                if warn:
                    warn("cleanup: %s" % e)
        for problem in release_network(self.root.path, self.id, self.state.get("network")):
            if warn:
                warn("cleanup: %s" % problem)
        if run_poststop:
            hooks.run_phase(self.bundle.config, "poststop", spec_state(self.state, "stopped"), warn=warn or _ignore)
        self.root.remove(self.id)

    def reap_monitor_if_failed(self):
        """After a failed create the monitor finds no state and exits: reap it (it is our child)."""
        monitor = self.state.get("monitor_pid")
        if self.failed and monitor:
            try:
                os.waitpid(monitor, 0)
            except OSError:
                pass


def _ignore(_msg):
    pass


# services/setup.py ANNOTATIONS, written out: most containers never load that file.
_SERVICE_ANNOTATIONS = ("org.opencontainer.runtime.restart", "org.opencontainer.runtime.healthcheck")


def _wants_services(config):
    annotations = config.get("annotations") or {}
    return any(key in annotations for key in _SERVICE_ANNOTATIONS)


def _owner():
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def _start_time(pid):
    info = proc_stat(pid)
    return info[1] if info else None


def _wait_gone(pid, start_time, timeout):
    deadline = time.monotonic() + timeout
    while process_alive(pid, start_time) and time.monotonic() < deadline:
        time.sleep(0.005)


def _check_paths(**paths):
    """Refuse a path that cannot name a file, and a pid file that cannot be written, before anything exists.

    The names are create's arguments, which are also the modules' option
    names (bundle, log_path) and the command line's flags (--pid-file).
    """
    for name, value in sorted(paths.items()):
        if isinstance(value, str) and value:
            problem = path_problem(value)
            if problem:
                raise RuntimeFailure("%s: %s" % (name if name in ("bundle", "log_path") else
                                                 "--" + name.replace("_", "-"), problem))
    pid_file = paths.get("pid_file")
    if pid_file:
        path = os.path.abspath(pid_file)
        if not os.path.isdir(os.path.dirname(path)):
            raise RuntimeFailure("--pid-file: directory %s does not exist" % os.path.dirname(path))
        if os.path.isdir(path):
            raise RuntimeFailure("--pid-file: %s is a directory" % path)


def write_pid_file(path, pid):
    """Write the pid as digits only, atomically (tools poll for this file)."""
    path = os.path.abspath(path)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, str(pid).encode("ascii"))
    finally:
        os.close(fd)
    try:
        os.rename(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise
