# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a string can name a file at all, checked where a path enters.

The command line's path flags (cli/args.py) and the modules' path options
(container/options.py, container/module_glue.py) pass through here before
anything is written, so a bad path is refused with the flag or option it came
from instead of failing halfway through create (a bundle directory already
made, a traceback from the first system call to meet it):

* NUL: every path system call takes a C string, which ends at the first NUL
  (path_resolution(7)); Python refuses such a str with "embedded null byte"
  wherever it is first used. An Ansible option can hold one ("\\0" in YAML);
  a command-line argument cannot (execve(2) argv strings are C strings too).
* Length: ENAMETOOLONG (path_resolution(7)) for a component longer than
  NAME_MAX (255 bytes) or a path of PATH_MAX (4096 bytes, its NUL included)
  or more.
* Encoding: a str Python cannot turn into bytes for the kernel (a lone
  surrogate that is not one of os.fsencode's escapes).

Standard library only, and no imports: the CLI's hot commands load it.
"""

NAME_MAX = 255  # limits.h: bytes in one file name
PATH_MAX = 4096  # limits.h: bytes in a path, the terminating NUL included


def path_problem(value):
    """What makes ``value`` unusable as a path, or None."""
    if not isinstance(value, str):
        return "must be a path string, not %s" % type(value).__name__
    if "\0" in value:
        return "must not contain a NUL byte (%r)" % (value,)
    try:
        raw = value.encode("utf-8", "surrogateescape")  # os.fsencode on Linux
    except UnicodeEncodeError:
        return "is not encodable as a file name (%r)" % (value,)
    if len(raw) >= PATH_MAX:
        return "is %d bytes long; a path must be shorter than PATH_MAX (%d bytes)" % (len(raw), PATH_MAX)
    for part in raw.split(b"/"):
        if len(part) > NAME_MAX:
            return ("has a component of %d bytes (%s...); a file name is at most NAME_MAX (%d bytes)"
                    % (len(part), part[:24].decode("utf-8", "replace"), NAME_MAX))
    return None
