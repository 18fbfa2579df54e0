# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The options of one container: oci_container's, and those of each item of
    # oci_containers' containers list. Declared in code once, in
    # plugins/module_utils/container/options.py.
    DOCUMENTATION = r'''
options:
  name:
    description:
      - The container id. Letters, digits and C(_.+-), starting with a letter or digit, at most 200 characters.
    type: str
    required: true
  state:
    description:
      - V(started) the container runs. A created container is started, a paused one resumed, and
        a stopped one is deleted and created again (an OCI container cannot be started twice).
      - V(created) the container exists, whatever its process is doing; a new one is created
        but not started.
      - V(stopped) the container exists and its process does not run (created or stopped). A
        running container is stopped with O(stop_signal), O(stop_timeout), then SIGKILL.
      - V(absent) the container is stopped and deleted, with the bundle directory the module
        wrote for it.
      - A container whose C(state.json) is unreadable (status V(unknown) in
        M(opencontainer.runtime.oci_container_info)) can only be made V(absent), which kills its
        processes and removes it, with the bundle directory the module wrote at O(bundle_dir) (the
        path was in the lost state). Any other O(state) fails naming the file.
    type: str
    choices: [absent, created, started, stopped]
    default: started
  bundle:
    description:
      - An existing OCI bundle directory; its C(config.json) is the desired config.
      - Mutually exclusive with O(rootfs) and the inline config options.
    type: path
  rootfs:
    description:
      - The root file system of an inline container. The module writes a complete C(config.json)
        from the runtime's default spec and the inline options into O(bundle_dir).
    type: path
  bundle_dir:
    description:
      - Where an inline container's bundle is written; C(config.json) is rewritten only when its
        content changes.
      - Defaults to C(/var/lib/opencontainer/bundles/<name>).
    type: path
  recreate:
    description:
      - V(auto) a config difference in cgroup resources is applied in place, any other difference
        recreates the container (stop, delete, create, start).
      - V(always) recreate on every run.
      - V(never) report the difference in RV(drift) and a warning, and leave the container.
    type: str
    choices: [auto, always, never]
    default: auto
  restart:
    description:
      - Stop and create the container again even without a difference (with O(state=started)).
    type: bool
    default: false
  comparisons:
    description:
      - How a config field is compared, keyed by an option name (for example V(env)) or a
        C(config.json) path (for example V(process.env) or V(linux.resources.memory.limit)).
      - Values are V(strict) (equal JSON), V(set) (lists compared as sets) or V(ignore) (never a
        reason to change anything).
    type: dict
  stop_signal:
    description:
      - Signal that asks the container's process to stop, a name with or without C(SIG) or a
        number.
      - Defaults to the config's C(org.opencontainer.image.stopSignal) annotation, else SIGTERM.
      - If the process is pid 1 of its pid namespace and has no handler for the signal, it could
        never receive it; it is killed at once instead of waiting for O(stop_timeout).
    type: str
  stop_timeout:
    description:
      - Seconds to wait after O(stop_signal) before SIGKILL.
    type: float
    default: 10.0
  wait:
    description:
      - With O(state=started), wait for the container's process to exit (one-shot containers) and
        return RV(exit_code) and the last O(output_lines) lines of its output.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds O(wait) or O(wait_healthy) waits before failing (the container keeps running).
    type: float
    default: 300.0
  wait_healthy:
    description:
      - With O(state=started) and a O(healthcheck), return once the check passes (health C(healthy)),
        or fail after O(wait_timeout) with the output of the last check.
    type: bool
    default: false
  log_path:
    description:
      - File that receives the container's stdout and stderr. Its directory must exist.
      - Defaults to C(container.log) in the container's state directory (removed with the container).
    type: path
  log_max_size:
    description:
      - Bytes after which the log is rotated to C(<log_path>.1); at most twice this is kept.
    type: int
    default: 1048576
  output_lines:
    description:
      - How many of the last lines of the container's output to return in RV(container.output).
      - Defaults to 20 with O(wait=true), else 0.
    type: int
  command:
    description:
      - The process's arguments (C(process.args)); a string is split like a shell would.
    type: raw
  env:
    description:
      - Environment variables added to the default C(PATH) and C(TERM) (C(process.env)). Values
        are strings; a null value removes a default.
    type: dict
  workdir:
    description:
      - Working directory inside the container (C(process.cwd)).
    type: str
  user:
    description:
      - C(uid[:gid]) or C(name[:group]), names looked up in the rootfs's C(/etc/passwd) and
        C(/etc/group) (C(process.user)).
    type: str
  hostname:
    description:
      - The container's host name (C(hostname)).
    type: str
  readonly_rootfs:
    description:
      - Mount the root file system read-only (C(root.readonly)).
    type: bool
    default: false
  mounts:
    description:
      - Mounts added after the default ones (C(mounts)). Each has C(destination), C(source),
        C(type) (default V(bind); bind mounts get C(rbind) unless C(bind) is given) and
        C(options) (a list of strings).
    type: list
    elements: dict
  memory:
    description:
      - Memory limit, bytes or with a C(k), C(m), C(g) suffix (C(linux.resources.memory.limit)).
        Changed in place.
    type: str
  memory_swap:
    description:
      - Memory plus swap limit, like O(memory) (C(linux.resources.memory.swap)). Changed in place.
    type: str
  pids_limit:
    description:
      - Maximum number of processes (C(linux.resources.pids.limit)). Changed in place.
    type: int
  cpu_shares:
    description:
      - Relative CPU weight (C(linux.resources.cpu.shares)). Changed in place.
    type: int
  cpu_quota:
    description:
      - CPU time in microseconds per O(cpu_period) (C(linux.resources.cpu.quota)). Changed in place.
    type: int
  cpu_period:
    description:
      - CPU period in microseconds (C(linux.resources.cpu.period)). Changed in place.
    type: int
  cpuset_cpus:
    description:
      - CPUs the container may use, for example V(0-1) (C(linux.resources.cpu.cpus)). Changed in place.
    type: str
  cap_add:
    description:
      - Capabilities added to the default set (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE), with
        or without C(CAP_); V(ALL) for all (C(process.capabilities)).
    type: list
    elements: str
  cap_drop:
    description:
      - Capabilities removed from the default set; V(ALL) for all.
    type: list
    elements: str
  ulimits:
    description:
      - Resource limits as C(name:soft[:hard]), for example V(nofile:4096:8192) (C(process.rlimits)).
    type: list
    elements: str
  sysctls:
    description:
      - Namespaced kernel parameters (C(linux.sysctl)).
    type: dict
  annotations:
    description:
      - Annotations of the container (C(annotations)).
    type: dict
  network:
    description:
      - How the container is networked, written as the annotation C(org.opencontainer.runtime.network)
        so that C(oci-runtime create) of the bundle does the same.
      - V(none) a network namespace with only C(lo); V(host) no network namespace (the host's);
        V(bridge) the default network C(oci0) (10.88.0.0/16); V(bridge:NAME) or just V(NAME) a network
        made with M(opencontainer.runtime.oci_network); V(container:NAME) the network namespace of
        another container of the same O(state_root), which must be running (the container is recreated
        when that one gets a new namespace).
      - On a bridge the container gets C(eth0) on a veth pair, an address leased from the network,
        a default route via the gateway, outbound masquerade, and its own C(/etc/resolv.conf) and
        C(/etc/hosts) bind-mounted from its state directory. Needs pyroute2 and nftables on the host.
      - Without it, no wiring is done (a new network namespace with only C(lo)).
    type: str
  ip:
    description:
      - A static IPv4 address in the bridge network's subnet (annotation C(org.opencontainer.runtime.network.ip)).
    type: str
  mac:
    description:
      - A static MAC address for C(eth0) (annotation C(org.opencontainer.runtime.network.mac)).
    type: str
  publish:
    description:
      - Ports published on the host, each C([host_ip:]host_port:container_port[/tcp|udp]) (IPv4), through
        nftables DNAT rules in the table C(inet opencontainer) (annotation
        C(org.opencontainer.runtime.network.publish), a JSON list).
    type: list
    elements: str
  restart_policy:
    description:
      - What the container's monitor does when the container's process exits, with docker's meaning
        (annotation C(org.opencontainer.runtime.restart)). V(no) leaves it stopped. V(on-failure)
        brings it back after a non-zero exit, at most O(restart_retries) times. V(always) and
        V(unless-stopped) bring it back after any exit.
      - A stop asked for by the user (O(state=stopped) or V(absent), the command line's C(kill) with the
        stop signal, C(delete)) is never undone.
      - Restarts wait 100 ms, doubling up to one minute; the wait starts again at 100 ms once the
        container had run for 10 seconds. The result's C(container) shows C(restart_count) and
        C(restart_last_exit).
      - With a policy other than V(no) the container also comes back after a reboot, unless the user
        stopped it or the policy gave up (the C(host) role installs the boot service; see the README).
    type: str
    choices: ['no', on-failure, always, unless-stopped]
  restart_retries:
    description:
      - With O(restart_policy=on-failure), the most restarts (0 or unset, no limit).
    type: int
  healthcheck:
    description:
      - A health check the container's monitor runs inside the container, through the runtime's exec
        (annotation C(org.opencontainer.runtime.healthcheck)). Keys C(test) (a shell command string,
        a list (the argv), or docker's C([CMD, ...]), C([CMD-SHELL, cmd]), C([NONE])), C(interval),
        C(timeout), C(start_period) (seconds or durations like C(1m30s), C(500ms); defaults 30s, 30s,
        0s) and C(retries) (default 3).
      - One check at a time; a check running past C(timeout) is killed and fails. Health is C(starting)
        until the first success, C(unhealthy) after C(retries) failures in a row (failures during
        C(start_period) do not count), C(healthy) after a success. The result's C(container.health)
        has the status, the failing streak and the last results with their output.
    type: dict
  healthcheck_failure_action:
    description:
      - What the monitor does when the container becomes C(unhealthy). V(none) (the default) only
        records it, V(kill) sends SIGKILL (the restart policy then applies), V(restart) kills it and
        restarts it whatever O(restart_policy) says (a stop by the user still wins).
    type: str
    choices: [none, kill, restart]
  hooks:
    description:
      - OCI hooks (C(hooks)), an object keyed by phase as in config.md.
    type: dict
  no_new_privileges:
    description:
      - Set no_new_privs for the process (C(process.noNewPrivileges)); the default spec sets it.
    type: bool
  seccomp:
    description:
      - Path to a JSON file with a C(linux.seccomp) object.
    type: path
  namespaces:
    description:
      - The container's namespaces (C(linux.namespaces)), replacing the default
        (pid, network, ipc, uts, mount, cgroup). Each item is a type name, C(type:path) to join an
        existing namespace, or a dict with C(type) and C(path).
    type: list
    elements: raw
  spec:
    description:
      - A raw OCI config object deep-merged last, for anything the options do not cover. A null
        value removes a key.
    type: dict
'''

    STATE_ROOT = r'''
options:
  state_root:
    description:
      - The runtime's state directory, where each container has C(<id>/state.json).
    type: path
    default: /run/opencontainer/containers
'''

    # A container from an image (plugins/module_utils/container/image_glue.py).
    IMAGE = r'''
options:
  image:
    description:
      - Run the container from this image instead of O(rootfs) or O(bundle). A registry reference
        (C(registry/repo:tag), C(repo@sha256:...), a short name resolved through C(registries.conf) as
        podman does; an ambiguous short name is refused), C(oci:DIR[:tag]), C(oci-archive:PATH) or
        C(docker-archive:PATH).
      - The image's config gives the defaults of C(config.json) under the options. Entrypoint and Cmd
        become the arguments (O(command) replaces Cmd, O(entrypoint) replaces Entrypoint and drops Cmd).
        Env is merged with O(env) winning. User (names resolved through the image's own C(/etc/passwd) and
        C(/etc/group)), WorkingDir and StopSignal are used unless O(user), O(workdir), O(stop_signal) are set.
        Labels become annotations, with the fields the image-spec conversion names.
      - The root file system is an overlay of the image's layers (shared by every container of the image)
        and the container's own writable layer in O(bundle_dir), mounted inside the container's mount
        namespace only. The writable layer is kept while the container is recreated from the same image
        and is new when the image digest changes. V(absent) removes it.
      - The image digest is recorded in the container's state; when O(image) resolves to another digest the
        container is recreated (the diff shows C(image)). The same digest never recreates it.
      - Not with a user namespace (overlayfs reads the layers' opaque-directory marks only outside one).
    type: str
  pull:
    description:
      - V(missing) pulls the image only when the store does not have it under that name; V(always) asks the
        source for its current digest and pulls when it differs; V(never) uses the store only.
    type: str
    choices: [missing, always, never]
    default: missing
  entrypoint:
    description:
      - Replaces the image's Entrypoint (a list, or a string split like a shell does). The image's Cmd is then
        not used unless O(command) is set. An empty list runs O(command) alone.
    type: raw
  image_store:
    description:
      - The image store (blobs, unpacked layers, image records). Default C(/var/lib/opencontainer/images).
    type: path
  image_auth_file:
    description:
      - A containers-auth.json(5) file with the registry credentials for the implied pull.
    type: path
  image_validate_certs:
    description:
      - Verify the registry's TLS certificate for the implied pull (V(false) also allows plain HTTP).
    type: bool
    default: true
'''
