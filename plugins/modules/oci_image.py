#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_image
short_description: Make an OCI or Docker image present or absent in this collection's image store
version_added: 0.2.0
description:
  - Pulls an image from a registry or an archive into the image store on the host with C(skopeo), and
    unpacks each layer once (shared by every image and container that uses it), or removes it.
  - Blobs are stored once by digest; removing the last image that uses a layer removes the layer.
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: A pull is reported as a change without downloading anything (with O(pull=always) the source's
      manifest digest is read, nothing else).
  diff_mode:
    support: full
    details: The image digest before and after.
  platform:
    platforms: linux
options:
  name:
    description:
      - The image reference. C(registry/repo:tag), C(registry/repo@sha256:...), a short name resolved
        through C(registries.conf) as podman does (aliases, then an image already in the store, then a single
        C(unqualified-search-registries) entry; several are refused as ambiguous), C(oci:DIR[:tag]),
        C(oci-archive:PATH) or C(docker-archive:PATH) (a C(docker save) file).
      - With O(state=absent), also an image digest C(sha256:...) (the image with all its names).
    type: str
    required: true
  state:
    description:
      - V(present) the image is in the store; V(absent) it is not (its name is removed; the image goes with
        its last name, refused while containers use it unless O(force=true)).
    type: str
    choices: [present, absent]
    default: present
  pull:
    description:
      - V(missing) pulls only when the store has no image under that name; V(always) reads the source's
        manifest digest and pulls when it differs from the stored one (a change only then); V(never) fails
        when the image is not in the store.
    type: str
    choices: [missing, always, never]
    default: missing
  platform:
    description:
      - C(os/architecture[/variant]) to pull from a multi-platform image. Default the host's.
    type: str
  username:
    description:
      - Registry user name (with O(password)). Passed to skopeo in a temporary 0600 auth file, never on a
        command line.
    type: str
  password:
    description:
      - Registry password or token.
    type: str
  auth_file:
    description:
      - A containers-auth.json(5) file (what C(podman login) writes) with the registry credentials.
    type: path
  validate_certs:
    description:
      - Verify the registry's TLS certificate. V(false) also allows a plain HTTP registry.
    type: bool
    default: true
  force:
    description:
      - With O(state=absent), remove the image even while containers use it. Its layers stay until the last
        of those containers is removed.
    type: bool
    default: false
  image_store:
    description:
      - The image store directory.
    type: path
    default: /var/lib/opencontainer/images
notes:
  - Needs root and the C(skopeo) program on the target (the package C(skopeo); the host role installs it).
seealso:
  - module: opencontainer.runtime.oci_image_info
  - module: opencontainer.runtime.oci_container
'''

EXAMPLES = r'''
- name: An image from a registry
  opencontainer.runtime.oci_image:
    name: docker.io/library/nginx:1.27

- name: The newest image under a tag (a change only when its digest changed)
  opencontainer.runtime.oci_image:
    name: registry.example.com/app/web:stable
    pull: always
    username: deploy
    password: "{{ registry_token }}"

- name: From a docker save archive
  opencontainer.runtime.oci_image:
    name: docker-archive:/srv/images/app.tar

- name: Remove it
  opencontainer.runtime.oci_image:
    name: docker.io/library/nginx:1.27
    state: absent
'''

RETURN = r'''
image:
  description: The image in the store.
  returned: with O(state=present), unless in check mode before the first pull
  type: dict
  contains:
    digest:
      description: The digest of the image's manifest in the store.
      type: str
    names:
      description: The references the image is stored under.
      type: list
      elements: str
    config:
      description: The image config (image-spec config.md).
      type: dict
    layers:
      description: The layers, bottom first, each with C(digest), C(diff_id), C(size) and C(media_type).
      type: list
      elements: dict
    size:
      description: Bytes of the manifest's blobs (compressed layers and config).
      type: int
    used_by:
      description: The containers (C(state_root/name)) made from it.
      type: list
      elements: str
name:
  description: The fully qualified reference the name resolved to.
  returned: always
  type: str
actions:
  description: What was done (in check mode, would be done), e.g. V(pull), V(remove), V(untag).
  returned: always
  type: list
  elements: str
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.image import manage


def main():
    module = module_glue.new_module(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        pull=dict(type="str", default="missing", choices=["missing", "always", "never"]),
        platform=dict(type="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        auth_file=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        image_store=dict(type="path", default="/var/lib/opencontainer/images"),
    ), required_together=[("username", "password")], mutually_exclusive=[("username", "auth_file")])
    module_glue.require_root(module)
    action = manage.present if module.params["state"] == "present" else manage.absent
    result = module_glue.run(module, action, module.params, module.check_mode)
    module_glue.exit_with(module, result)


if __name__ == "__main__":
    main()
