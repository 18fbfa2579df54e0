#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_network
short_description: Bridge networks for this collection's containers
version_added: 0.1.0
description:
  - Defines a named network of a state root (C(<state_root>/.networks/<name>.json)), creates its Linux bridge
    with the gateway address, and the nftables masquerade rule for its subnet (table C(inet opencontainer)).
  - Containers join it with the C(network) option of M(opencontainer.runtime.oci_container); each gets an
    address leased from the subnet.
  - The network C(oci0) (bridge C(oci0), 10.88.0.0/16) exists without being defined.
  - Removing a network, or changing one, fails while a container holds an address in it.
  - Needs pyroute2 and nftables on the host; enables C(net.ipv4.ip_forward), as podman and docker do.
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
  platform:
    platforms: linux
options:
  name:
    description:
      - The network's name (letters, digits, C(_ . -), at most 64 characters).
    type: str
    required: true
  state:
    description:
      - V(present) defines (or changes) the network and sets up its bridge; V(absent) removes the bridge,
        the rules and the definition.
    type: str
    choices: [present, absent]
    default: present
  subnet:
    description:
      - IPv4 subnet, for example V(10.89.0.0/24). Required unless O(name=oci0).
    type: str
  gateway:
    description:
      - The bridge's address in O(subnet); default its first host address.
    type: str
  subnet6:
    description:
      - Optional IPv6 subnet; containers get the address with the same host offset as their IPv4 one.
    type: str
  gateway6:
    description:
      - The bridge's IPv6 address; default the first host address of O(subnet6).
    type: str
  bridge:
    description:
      - The bridge interface's name (at most 15 characters); default the network's name when it fits.
    type: str
  mtu:
    description:
      - MTU of the bridge and the containers' interfaces.
    type: int
    default: 1500
seealso:
  - module: opencontainer.runtime.oci_container
'''

EXAMPLES = r'''
- name: A network for the web tier
  opencontainer.runtime.oci_network:
    name: web
    subnet: 10.89.0.0/24

- name: A container on it with a published port
  opencontainer.runtime.oci_container:
    name: frontend
    rootfs: /srv/frontend/rootfs
    command: httpd -f -p 80
    network: web
    publish: ["8080:80"]

- name: Remove the network (its containers first)
  opencontainer.runtime.oci_network:
    name: web
    state: absent
'''

RETURN = r'''
network:
  description: The network's definition (null when absent).
  returned: always
  type: dict
  sample: {name: web, bridge: web, subnet: 10.89.0.0/24, gateway: 10.89.0.1, mtu: 1500}
diff:
  description: The definition before and after (empty when there is none).
  returned: always
  type: dict
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.network_glue import (
    converge_network, network_argument_spec,
)


def main():
    module = module_glue.new_module(network_argument_spec())
    module_glue.require_root(module)
    result = module_glue.run(module, converge_network, module.params, check_mode=module.check_mode)
    module_glue.exit_with(module, result)


if __name__ == "__main__":
    main()
