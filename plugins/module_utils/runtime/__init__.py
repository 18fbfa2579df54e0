# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""opencontainer.runtime: an OCI runtime written in Python.

This package imports nothing from Ansible and uses only relative imports
inside itself, so the same code serves the Ansible modules (imported as
ansible_collections.opencontainer.runtime.plugins.module_utils.runtime) and the
runc-compatible CLI in bin/oci-runtime (imported as a top-level package).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

RUNTIME_NAME = "opencontainer-runtime"
RUNTIME_VERSION = "0.1.0"
# The runtime-spec version this runtime implements and reports in state.json.
OCI_VERSION = "1.2.0"
