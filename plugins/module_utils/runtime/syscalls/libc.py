# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libc functions through _ctypes, the C half of ctypes, without ctypes' Python layer.

Why: ``import ctypes`` costs about 5 ms per command on a small VM. Its
__init__ defines some forty classes and imports struct, types and
ctypes._endian. That is a quarter of what an exec does beyond starting the
interpreter, while ``_ctypes`` alone loads in under a millisecond.

The syscall layer passes only integers, byte strings and small fixed-size
buffers, and reads errno. So it uses the primitives ctypes' own classes are
made of, all part of _ctypes since Python 2.5:

- a simple C type is a ``_SimpleCData`` subclass whose ``_type_`` is a struct
  format code ("i" int, "l" long, "I" unsigned int, "L" unsigned long);
- an array type is an ``Array`` subclass with ``_type_`` and ``_length_``;
  passing an instance passes a pointer to its first element;
- a foreign function is a ``CFuncPtr`` subclass (calling convention and
  errno handling in ``_flags_``, result type in ``_restype_``) built from
  ``(name, library)``, where ``library._handle`` is the dlopen(3) handle.

security/seccomp.py and cgroups/devices_bpf.py, loaded only for containers
that use them, keep using ctypes for their structures.
"""

import _ctypes
# Re-exported: errno as saved right after each call; the address of a
# buffer; the size of a C type or instance.
addressof = _ctypes.addressof
get_errno = _ctypes.get_errno
sizeof = _ctypes.sizeof


def _simple_type(name, code):
    return type(name, (_ctypes._SimpleCData,), {"_type_": code})


c_int = _simple_type("c_int", "i")
c_uint = _simple_type("c_uint", "I")
c_long = _simple_type("c_long", "l")
c_ulong = _simple_type("c_ulong", "L")
c_uint64 = _simple_type("c_uint64", "Q")
c_char = _simple_type("c_char", "c")
c_void_p = _simple_type("c_void_p", "P")
c_char_p = _simple_type("c_char_p", "z")  # a NUL-terminated string: from bytes or None (NULL)


# cdecl, and errno copied into ctypes' private errno right after the call
# (get_errno reads it): what CDLL(..., use_errno=True) functions do. Each
# CFuncPtr class must define _flags_ itself, an inherited one is refused.
_FLAGS = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO


class _Function(_ctypes.CFuncPtr):
    _flags_ = _FLAGS
    _restype_ = c_int


class _LongFunction(_ctypes.CFuncPtr):
    _flags_ = _FLAGS
    _restype_ = c_long


# What PyDLL functions do: the GIL stays held during the call (and a Python
# error set by the callee is raised). For the Python C API, and for a
# clone3(2) that must leave the child's only thread holding the GIL, as
# os.fork() does (syscalls/linux.py, fork_into_cgroup).
_GIL_FLAGS = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_PYTHONAPI


class _GilFunction(_ctypes.CFuncPtr):
    _flags_ = _GIL_FLAGS
    _restype_ = None


class _GilLongFunction(_ctypes.CFuncPtr):
    _flags_ = _GIL_FLAGS | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = c_long


def array_type(item_type, length):
    """The C type ``item_type[length]``; an instance starts zeroed."""
    return type("%s_Array_%d" % (item_type.__name__, length), (_ctypes.Array,),
                {"_type_": item_type, "_length_": length})


def char_buffer(data):
    """A writable char array holding ``data``: for calls that take a pointer to a struct."""
    buf = array_type(c_char, max(len(data), 1))()
    buf.raw = data + b"\0" * (len(buf.raw) - len(data))
    return buf


class Library(object):
    """A shared library opened with dlopen(3), as ctypes.CDLL(name, use_errno=True).

    ``name`` None: the program and what it loaded (dlopen(NULL)), where the
    Python C API lives, as ctypes.pythonapi.
    """

    def __init__(self, name):
        # _ctypes.dlopen adds RTLD_NOW; RTLD_LOCAL (0) is ctypes' default mode.
        self._handle = _ctypes.dlopen(name, 0)
        self.name = name

    def function(self, name, argtypes=None, returns_long=False):
        """The C function ``name``: int result (long with ``returns_long``).

        Without ``argtypes`` a Python int is passed as a C int, a bytes object
        as a char pointer and None as NULL, as with ctypes.
        """
        func = (_LongFunction if returns_long else _Function)((name, self))
        if argtypes is not None:
            func.argtypes = tuple(argtypes)
        return func

    def gil_function(self, name, returns_long=False):
        """The C function ``name``, called with the GIL held (as through ctypes.PyDLL).

        Without ``returns_long`` it returns nothing (void); with it, a long,
        and errno is saved for get_errno as by function().
        """
        return (_GilLongFunction if returns_long else _GilFunction)((name, self))
