#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_containers
short_description: Converge many OCI containers in one task
version_added: 0.1.0
description:
  - Each item of O(containers) is converged exactly as M(opencontainer.runtime.oci_container)
    would converge it, in list order, in one module call (a looped task costs Ansible about
    0.2 seconds per item).
  - With O(exclusive=true), containers in O(state_root) that are not listed are removed.
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - opencontainer.runtime.container.STATE_ROOT
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Before and after of each container that changed, by name (each item's result also has its own diff).
  platform:
    platforms: linux
options:
  containers:
    description:
      - The containers. Each item takes the options of M(opencontainer.runtime.oci_container)
        except O(state_root), which is shared.
      - Names must be unique in the list.
    type: list
    elements: dict
    required: true
  exclusive:
    description:
      - Remove (stop and delete) every container in O(state_root) that is not in O(containers).
    type: bool
    default: false
notes:
  - Needs root on the target (C(become=true)).
  - The first item that fails stops the run; RV(results) holds the items converged before it.
seealso:
  - module: opencontainer.runtime.oci_container
'''

EXAMPLES = r'''
- name: Three web containers and nothing else
  opencontainer.runtime.oci_containers:
    exclusive: true
    containers:
      - name: web1
        rootfs: /srv/web/rootfs
        command: httpd -f -p 8081
      - name: web2
        rootfs: /srv/web/rootfs
        command: httpd -f -p 8082
        memory: 128m
      - name: old
        state: absent
'''

RETURN = r'''
results:
  description: One result per container, in order, as M(opencontainer.runtime.oci_container) returns it, plus C(name).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "web1", "changed": true, "actions": ["write_bundle", "create", "start"],
            "container": {"id": "web1", "status": "running"}}]
diff:
  description:
    - Before and after of each container that changed, by container name, shown by C(--diff). Each is the C(diff)
      M(opencontainer.runtime.oci_container) returns (status and differing config fields; for a new container the
      options set and the config values they became).
  returned: always
  type: dict
  sample: {"before": {"web2": {"status": "running", "config": {"process.env": ["A=1"]}}},
           "after": {"web2": {"status": "running", "config": {"process.env": ["A=2"]}}}}
created:
  description:
    - Names of the containers made new.
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: [web1]
recreated:
  description:
    - Names of the containers deleted and made again, because their config differed or an item's C(recreate=always)
      or C(restart=true) asked for it.
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: [web2]
updated:
  description:
    - Names of the containers whose cgroup resources were changed in place.
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: []
started:
  description:
    - Names of the existing containers brought to running (started, resumed, or a stopped one made again with the
      same config).
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: []
stopped:
  description:
    - Names of the containers stopped and kept.
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description:
    - Names of the containers deleted (V(absent), or not listed with O(exclusive=true)).
    - In check mode, the ones that would be. Derived from each result's C(actions).
  returned: always
  type: list
  elements: str
  sample: [old]
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.batch import converge_all
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.options import COMMON_OPTIONS


def main():
    argument_spec = dict((o.name, o.argument_spec()) for o in COMMON_OPTIONS)
    argument_spec.update(
        containers=dict(type="list", elements="dict", required=True),
        exclusive=dict(type="bool", default=False),
    )
    module = module_glue.new_module(argument_spec)
    module_glue.require_root(module)
    result, warnings = module_glue.run(module, converge_all, module.params["containers"], module.params["state_root"],
                                       module.check_mode, exclusive=module.params["exclusive"])
    module_glue.exit_with(module, result, warnings)


if __name__ == "__main__":
    main()
