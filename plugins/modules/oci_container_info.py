#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_container_info
short_description: List the containers of this collection's runtime
version_added: 0.1.0
description:
  - Reads C(<state_root>/<id>/state.json) of every container (or of O(name)) and returns the state
    with the live status (a process that is gone or whose pid was reused reads as V(stopped)).
  - Only reads files; never changes anything.
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - opencontainer.runtime.container.STATE_ROOT
attributes:
  check_mode:
    support: full
    details: It only reads, in check mode too.
  diff_mode:
    support: N/A
    details: It changes nothing.
  platform:
    platforms: linux
options:
  name:
    description:
      - Only this container. Without it, every container.
    type: str
seealso:
  - module: opencontainer.runtime.oci_container
'''

EXAMPLES = r'''
- name: Every container
  opencontainer.runtime.oci_container_info:
  register: all_containers

- name: One container
  opencontainer.runtime.oci_container_info:
    name: web
  register: web

- name: Names of the running ones
  ansible.builtin.debug:
    msg: "{{ all_containers.containers | selectattr('status', 'equalto', 'running') | map(attribute='id') }}"
'''

RETURN = r'''
containers:
  description: The containers, sorted by id; empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The container id.
      type: str
      sample: web
    status:
      description:
        - Live status, V(creating), V(created), V(running), V(paused) or V(stopped).
        - V(unknown) when the container's C(state.json) is unreadable (truncated or corrupt); its processes
          may still run. C(reason) says why; O(opencontainer.runtime.oci_container#module:state=absent) removes it.
      type: str
      sample: running
    reason:
      description: Why the status is V(unknown) (names the unreadable file).
      type: str
      returned: when status is V(unknown)
    pid:
      description: Host pid of the container's process.
      type: int
    bundle:
      description: Absolute path of the bundle.
      type: str
    annotations:
      description: The config's annotations.
      type: dict
    ociVersion:
      description: The config's OCI version.
      type: str
    created:
      description: Creation time.
      type: str
    started:
      description: Start time, once started.
      type: str
    finished:
      description: Exit time, once stopped.
      type: str
    exit_code:
      description: Exit code, once stopped.
      type: int
    oom_killed:
      description: Once stopped, whether the OOM killer killed a process of the container (null where the host does not count it).
      type: bool
    log_path:
      description: The container's output log, when it has one.
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
exists:
  description: Whether O(name) exists (only with O(name)).
  returned: when O(name) is given
  type: bool
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.info import container_info
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.options import COMMON_OPTIONS


def main():
    argument_spec = dict((o.name, o.argument_spec()) for o in COMMON_OPTIONS)
    argument_spec.update(name=dict(type="str"))
    module = module_glue.new_module(argument_spec)
    result = module_glue.run(module, container_info, module.params["state_root"], module.params["name"])
    module_glue.exit_with(module, result)


if __name__ == "__main__":
    main()
