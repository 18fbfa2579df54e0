# Make the runtime package importable as the top-level package `runtime`,
# exactly as bin/oci-runtime imports it.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "plugins", "module_utils"))
