#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_image_info
short_description: List the images of this collection's image store
version_added: 0.2.0
description:
  - Returns the images of the store with digest, names, size, creation time, config, layers and the
    containers made from each.
  - Only reads (stale records of containers that no longer exist are dropped).
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
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
      - Only these images (references, resolved like M(opencontainer.runtime.oci_image) does, or digests).
    type: list
    elements: str
  image_store:
    description:
      - The image store directory.
    type: path
    default: /var/lib/opencontainer/images
seealso:
  - module: opencontainer.runtime.oci_image
'''

EXAMPLES = r'''
- name: Every image and the containers using it
  opencontainer.runtime.oci_image_info:
  register: images
'''

RETURN = r'''
images:
  description: The images.
  returned: always
  type: list
  elements: dict
  contains:
    digest:
      description: The manifest digest.
      type: str
    names:
      description: The references it is stored under.
      type: list
      elements: str
    size:
      description: Bytes of its blobs.
      type: int
    created:
      description: The image config's C(created).
      type: str
    used_by:
      description: The containers (C(state_root/name)) made from it.
      type: list
      elements: str
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.image import manage


def main():
    module = module_glue.new_module(dict(
        name=dict(type="list", elements="str"),
        image_store=dict(type="path", default="/var/lib/opencontainer/images"),
    ))
    result = module_glue.run(module, manage.info, module.params)
    module_glue.exit_with(module, result)


if __name__ == "__main__":
    main()
