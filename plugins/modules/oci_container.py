#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_container
short_description: Manage OCI containers run by this collection's own runtime
version_added: 0.1.0
description:
  - Makes an OCI container V(created), V(started), V(stopped) or V(absent), idempotently.
  - The container runs under the collection's runtime (no Docker, podman or runc on the host). Its
    state is C(<state_root>/<name>/state.json), where any tool can find it, and a small monitor
    process records its exit after the module has returned.
  - What to do is decided from C(state.json). The desired config is compared field by field with the
    config the container was created from. No difference and the right status changes nothing. A
    difference in cgroup resources only is applied in place. Any other difference recreates the
    container (see O(recreate) and O(comparisons)).
  - The container comes from an existing O(bundle), or from O(rootfs) or O(image) plus inline options that the
    module turns into a complete C(config.json) (the runtime's default spec, the image's config, the options, then
    O(spec) merged last).
  - The container's stdout and stderr go to a size-capped log file (O(log_path)).
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - opencontainer.runtime.container
  - opencontainer.runtime.container.IMAGE
  - opencontainer.runtime.container.STATE_ROOT
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Before and after of the config fields that differ and of the status; for a new container the options set
      and the config values they became.
  platform:
    platforms: linux
notes:
  - Needs root on the target (C(become=true)), Linux with namespaces and cgroups, and Python 3.8 or later.
seealso:
  - module: opencontainer.runtime.oci_containers
  - module: opencontainer.runtime.oci_container_info
  - module: opencontainer.runtime.oci_exec
'''

EXAMPLES = r'''
- name: A long-running container from a rootfs
  opencontainer.runtime.oci_container:
    name: web
    rootfs: /srv/web/rootfs
    command: httpd -f -p 8080
    env:
      MODE: production
    memory: 256m
    pids_limit: 100

- name: A one-shot container; wait for it and show its output
  opencontainer.runtime.oci_container:
    name: migrate
    rootfs: /srv/app/rootfs
    command: [sh, -c, "echo migrating; exit 0"]
    wait: true
  register: migrate

- name: From an existing OCI bundle, only created (not started)
  opencontainer.runtime.oci_container:
    name: db
    bundle: /srv/bundles/db
    state: created

- name: Ignore changes of the environment
  opencontainer.runtime.oci_container:
    name: web
    rootfs: /srv/web/rootfs
    command: httpd -f -p 8080
    comparisons:
      env: ignore

- name: Stop it, giving it 30 seconds after SIGINT
  opencontainer.runtime.oci_container:
    name: web
    rootfs: /srv/web/rootfs
    command: httpd -f -p 8080
    state: stopped
    stop_signal: SIGINT
    stop_timeout: 30

- name: From an image, pulled when missing; the image's Cmd replaced
  opencontainer.runtime.oci_container:
    name: web
    image: docker.io/library/nginx:1.27
    command: [nginx, -g, "daemon off;"]
    env:
      NGINX_PORT: "8080"

- name: Remove it
  opencontainer.runtime.oci_container:
    name: web
    state: absent
'''

RETURN = r'''
container:
  description:
    - The container's state after the task (empty when absent), as in C(state.json) with the live status.
    - In check mode, the container as the task would leave it, also one that does not exist yet (or would be
      recreated), with its id, bundle, C(config) and the status it would reach.
  returned: success
  type: dict
  contains:
    id:
      description: The container id.
      type: str
      sample: web
    status:
      description: V(created), V(running), V(paused) or V(stopped).
      type: str
      sample: running
    pid:
      description: Host pid of the container's process.
      type: int
      sample: 4242
    bundle:
      description: Absolute path of the bundle.
      type: str
      sample: /var/lib/opencontainer/bundles/web
    annotations:
      description: The config's annotations.
      type: dict
      sample: {}
    config:
      description: The full C(config.json) the container was (in check mode, would be) created from.
      type: dict
      sample: {"ociVersion": "1.2.0", "process": {"args": ["httpd", "-f"]}}
    created:
      description: When the container was created (RFC 3339).
      type: str
      sample: "2026-11-22T10:00:00.000000000Z"
    started:
      description: When its process was started.
      type: str
      returned: once started
    finished:
      description: When its process exited.
      type: str
      returned: once stopped
    exit_code:
      description: Exit code of the process (128+N when killed by signal N).
      type: int
      returned: once stopped
    exit_signal:
      description: Name of the signal that killed the process, or null.
      type: str
      returned: once stopped
    oom_killed:
      description:
        - Whether the OOM killer killed a process of the container (its cgroup's C(oom_kill) counter grew since
          create), or null where the host does not count it (cgroup v2 without a memory limit).
      type: bool
      returned: once stopped
    log_path:
      description: File with the container's output.
      type: str
    restart_policy:
      description: The restart policy (V(no), V(on-failure[:N]), V(always), V(unless-stopped)).
      type: str
      returned: with a restart policy or a health check
    restart_count:
      description: How many times the monitor restarted the container since its create (or the boot).
      type: int
      returned: with a restart policy or a health check
    restart_last_exit:
      description: The exit the last restart decision was about (C(exit_code), C(exit_signal), C(finished)).
      type: dict
      returned: after an exit with a restart policy
    restart_next_attempt:
      description: When the monitor restarts the container (while it waits out the backoff).
      type: str
      returned: while a restart is pending
    stop_requested:
      description: The user stopped the container; no restart policy undoes that.
      type: bool
      returned: after a stop by the user
    health:
      description:
        - Health check state, C(status) (V(starting), V(healthy), V(unhealthy)), C(failing_streak), and
          C(log), the last five results (C(start), C(end), C(exit_code), C(output)).
      type: dict
      returned: with a health check, once started
    output:
      description: The last O(output_lines) lines of the container's output.
      type: list
      elements: str
      returned: when O(output_lines) is positive or O(wait=true)
actions:
  description: What the module did (in check mode, would do), in order.
  returned: always
  type: list
  elements: str
  sample: [write_bundle, create, start]
diff:
  description:
    - Status and differing config fields (by config path), before and after.
    - For a container that does not exist yet, C(after) has C(options), the container options the task set, and
      C(config), the config values they became (by config path); the full config is in RV(container.config).
  returned: always
  type: dict
  sample: {"before": {"status": "running", "config": {"process.env": ["PATH=/bin"]}},
           "after": {"status": "running", "config": {"process.env": ["PATH=/bin", "A=1"]}}}
exit_code:
  description:
    - Exit code of the process with O(wait=true).
    - Null when the container's monitor was killed before it could record the exit.
  returned: when O(wait=true)
  type: int
  sample: 0
image:
  description: The image the container is made from, with the ports its config exposes.
  returned: with O(image), unless in check mode before the first pull
  type: dict
  sample: {"name": "docker.io/library/nginx:1.27", "digest": "sha256:...", "exposed_ports": ["80/tcp"]}
drift:
  description: Config differences left in place because O(recreate=never).
  returned: when O(recreate=never) and the config differs
  type: list
  elements: dict
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.manager import ContainerManager
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.options import container_argument_spec


def main():
    module = module_glue.new_module(container_argument_spec(), mutually_exclusive=[("bundle", "rootfs", "image")])
    module_glue.require_root(module)
    manager = ContainerManager(module.params, check_mode=module.check_mode)
    result = module_glue.run(module, manager.converge)
    module_glue.exit_with(module, result, manager.warnings)


if __name__ == "__main__":
    main()
