# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OCI bundle and its config.json: loading, validation and defaults.

Everything else in the runtime works from a config that passed
``validate_config``, so it can rely on the JSON types and the cross-field
rules (namespaces vs. hostname, sysctl, mappings) checked here.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .checks_process import validate_process
from .checks_resources import validate_resources
from .defaults import default_config
from .load import Bundle, load_bundle, read_config
from .validate import validate_config

__all__ = ["Bundle", "default_config", "load_bundle", "read_config", "validate_config",
           "validate_process", "validate_resources"]
