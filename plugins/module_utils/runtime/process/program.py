# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the init and an exec process share just before execve(2): the
program lookup, the environment, and the signals to reset.

A room of its own so that exec (process/execproc.py) does not import the
init, which pulls in the whole rootfs room: exec runs once per command and
its start-up time is the interpreter's plus its imports.
"""

import posix  # os without os.py: runtime/pathlite.py says why
# _signal, the C module behind signal.py: the same functions and numbers
# without signal.py's IntEnum tables (enum, functools, collections: ~5 ms
# of imports on every exec).
import _signal as signal

from .. import pathlite
from ..errors import RuntimeFailure
from ..spec.defaults import DEFAULT_PATH  # the lookup path when process.env has no PATH

# The signals the created init handles (so `kill` of a created container works);
# execve(2) resets handled signals to their defaults.
TERMINATING_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                       signal.SIGUSR1, signal.SIGUSR2)
# Python ignores these at startup; ignored dispositions survive execve(2), so
# the user's program would inherit them unless they are reset.
PYTHON_IGNORED_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)


def find_program(name, env):
    """execvp(3)-style lookup of args[0] with the container's PATH, inside the container."""
    if "/" in name:
        candidates = [name]
    else:
        path = DEFAULT_PATH
        for item in env:
            if item.startswith("PATH="):
                path = item[5:]
        candidates = [pathlite.join(d or ".", name) for d in path.split(":")]
    for candidate in candidates:
        if pathlite.isfile(candidate) and posix.access(candidate, posix.X_OK):
            return candidate
    # The wording is runc's (execve(2) errors, exec.LookPath): podman and
    # conmon map "no such file or directory" / "executable file not found in"
    # to exit code 127 and "permission denied" to 126, as shells do.
    if "/" in name:
        if pathlite.exists(name):
            raise RuntimeFailure("process.args[0]: %s: permission denied (not an executable file in the container)"
                                 % name)
        raise RuntimeFailure("process.args[0]: %s: no such file or directory in the container" % name)
    raise RuntimeFailure("process.args[0]: %r: executable file not found in $PATH of the container" % name)


def environ_dict(env):
    """process.env (a list of "KEY=value") as the mapping os.execve(2) takes; the last KEY wins."""
    out = {}
    for item in env:
        key, dummy, value = item.partition("=")
        out[key] = value
    return out
