# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for ansible-test's get-pip.py bootstrap script.

ansible-test bootstraps pip in its sanity virtualenvs by downloading
get-pip.py from ci-files.testing.ansible.com, which this CI cannot reach.
It first looks for ~/.ansible/test/cache/get_pip_<version>.py; scripts/test.sh
installs this file there. Like get-pip.py it installs pip into the running
interpreter, here from the wheel bundled with ensurepip, then installs the
requested packages (pip==X setuptools==Y wheel==Z) from the package index.
"""
import os
import subprocess
import sys


def main():
    env = dict(os.environ)
    # A PIP_CONFIG_FILE set by the caller may point at settings that
    # ensurepip's isolated pip cannot use.
    env.pop("PIP_CONFIG_FILE", None)
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], env=env)
    args = sys.argv[1:]
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args, env=env)


if __name__ == "__main__":
    main()
