#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oci_exec
short_description: Run a command in a running OCI container
version_added: 0.1.0
description:
  - Runs a process in a running container of this collection's runtime. The process joins every
    namespace and the cgroup of the container and takes the container's user, capabilities, rlimits
    and environment unless the options say otherwise.
  - Like M(ansible.builtin.command), the task reports a change and fails on a non-zero return code.
author:
  - opencontainer.runtime contributors (@opencontainer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - opencontainer.runtime.container.STATE_ROOT
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: linux
options:
  name:
    description:
      - The container id.
    type: str
    required: true
  command:
    description:
      - The command, as a list of arguments or a string split like a shell would (no shell runs it).
    type: raw
    required: true
  env:
    description:
      - Environment variables added to the container's.
    type: dict
  workdir:
    description:
      - Working directory inside the container; defaults to the container's.
    type: str
  user:
    description:
      - C(uid[:gid]) or C(name[:group]) (looked up in the container's rootfs); defaults to the container's user.
    type: str
  stdin:
    description:
      - Text fed to the command's standard input.
    type: str
  stdin_add_newline:
    description:
      - Append a newline to O(stdin) when it has none.
    type: bool
    default: true
  strip_empty_ends:
    description:
      - Strip trailing newlines from RV(stdout) and RV(stderr).
    type: bool
    default: true
  timeout:
    description:
      - Seconds after which the command is killed and the task fails. No limit when unset.
    type: float
notes:
  - Needs root on the target (C(become=true)).
  - Fails clearly when the container does not exist or is not running.
seealso:
  - module: opencontainer.runtime.oci_container
'''

EXAMPLES = r'''
- name: Look inside
  opencontainer.runtime.oci_exec:
    name: web
    command: [cat, /etc/hostname]
  register: result

- name: Feed a script through stdin, as another user, with a time limit
  opencontainer.runtime.oci_exec:
    name: web
    command: sh -s
    stdin: |
      echo hello from $(id -u)
    user: "1000:1000"
    timeout: 30
'''

RETURN = r'''
rc:
  description: Exit code of the command (128+N when killed by signal N).
  returned: always
  type: int
  sample: 0
stdout:
  description: Standard output.
  returned: always
  type: str
  sample: hello
stderr:
  description: Standard error.
  returned: always
  type: str
  sample: ""
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: always
  type: list
  elements: str
cmd:
  description: The arguments run.
  returned: always
  type: list
  elements: str
  sample: [cat, /etc/hostname]
delta:
  description: Seconds the command ran.
  returned: always
  type: str
  sample: "0.012"
'''

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import module_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.execute import run_exec
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.options import COMMON_OPTIONS


def main():
    argument_spec = dict((o.name, o.argument_spec()) for o in COMMON_OPTIONS)
    argument_spec.update(
        name=dict(type="str", required=True),
        command=dict(type="raw", required=True),
        env=dict(type="dict"),
        workdir=dict(type="str"),
        user=dict(type="str"),
        stdin=dict(type="str"),
        stdin_add_newline=dict(type="bool", default=True),
        strip_empty_ends=dict(type="bool", default=True),
        timeout=dict(type="float"),
    )
    module = module_glue.new_module(argument_spec, supports_check_mode=False)
    module_glue.require_root(module)
    result = module_glue.run(module, run_exec, module.params)
    module_glue.exit_with(module, result)


if __name__ == "__main__":
    main()
