# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Code that must also run on its own, outside this package.

The monitor outlives the command (or Ansible module) that created a container,
and Ansible deletes a module's files when it returns. So the files here import
only the standard library and each other as top-level modules; create copies
them into a root-owned directory of the state root and the monitor runs from
that copy (see process/libexec.py).
"""
