# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few os.path functions the CLI's everyday commands need, on posix alone.

Why: ``import os`` costs each command of the CLI about 2 ms on a small VM,
an eighth of the interpreter's own start: os.py builds os.environ, whose
MutableMapping base drags in _collections_abc and its ~30 abstract classes,
and loads posixpath, genericpath and stat. The modules that exec and state
load therefore use posix, the C module os re-exports its system calls from,
and these functions for paths. They behave as posixpath's do for str paths
and path-like objects of str (the only kinds the runtime handles); the rest
of the runtime keeps os.
"""

import posix


def join(first, *others):
    """posixpath.join: an absolute part starts over, '/' between parts unless there is one."""
    path = posix.fspath(first)
    for part in others:
        part = posix.fspath(part)
        if part.startswith("/"):
            path = part
        elif not path or path.endswith("/"):
            path += part
        else:
            path += "/" + part
    return path


def dirname(path):
    """posixpath.dirname: everything before the last '/', trailing slashes removed (but not a root)."""
    path = posix.fspath(path)
    head = path[:path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def normpath(path):
    """posixpath.normpath: no empty, '.' or 'x/..' parts; '..' stops at an absolute root.

    Purely textual, as posixpath's: 'a/link/..' becomes 'a' whatever link is.
    """
    path = posix.fspath(path)
    if not path:
        return "."
    # POSIX leaves the meaning of exactly two leading slashes to the
    # implementation (posixpath keeps them); three or more are one.
    leading = 2 if path.startswith("//") and not path.startswith("///") else (1 if path.startswith("/") else 0)
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != ".." or (not leading and (not parts or parts[-1] == "..")):
            parts.append(part)
        elif parts:
            parts.pop()
    path = "/" * leading + "/".join(parts)
    return path or "."


def abspath(path):
    """posixpath.abspath: ``path`` from the current directory, normalized."""
    path = posix.fspath(path)
    if not path.startswith("/"):
        path = join(posix.getcwd(), path)
    return normpath(path)


def _mode(path, stat):
    try:
        return stat(path).st_mode
    except (OSError, ValueError):  # as genericpath: a path with a NUL byte does not exist either
        return None


# st_mode's file type bits (inode(7)): no stat module either, it costs an import too.
_S_IFMT = 0o170000
_S_IFDIR = 0o040000
_S_IFREG = 0o100000
_S_IFLNK = 0o120000


def exists(path):
    """os.path.exists: stat(2) succeeds (a dangling symlink does not exist)."""
    return _mode(path, posix.stat) is not None


def lexists(path):
    """os.path.lexists: lstat(2) succeeds (a dangling symlink exists)."""
    return _mode(path, posix.lstat) is not None


def isdir(path):
    mode = _mode(path, posix.stat)
    return mode is not None and mode & _S_IFMT == _S_IFDIR


def isfile(path):
    mode = _mode(path, posix.stat)
    return mode is not None and mode & _S_IFMT == _S_IFREG


def islink(path):
    mode = _mode(path, posix.lstat)
    return mode is not None and mode & _S_IFMT == _S_IFLNK
