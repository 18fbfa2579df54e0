# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and versions of this runtime and of the OCI runtime-spec it implements.

The runtime package imports nothing from Ansible and uses only relative
imports inside itself, so the same code serves the Ansible modules (imported
as ansible_collections.opencontainer.runtime.plugins.module_utils.runtime)
and the runc-compatible CLI in bin/oci-runtime (imported as a top-level
package). Its __init__.py files are empty (ansible-test's empty-init rule):
import from the modules themselves.
"""

RUNTIME_NAME = "opencontainer-runtime"
RUNTIME_VERSION = "0.1.0"
OCI_VERSION = "1.2.0"
