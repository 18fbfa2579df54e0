"""syscalls/libc.py: libc calls through _ctypes, checked against the os module."""
import errno
import os
import subprocess
import sys

import pytest

from runtime.syscalls import libc as L

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "plugins", "module_utils")


@pytest.fixture(scope="module")
def lib():
    return L.Library("libc.so.6")


def test_int_result_and_arguments(lib):
    assert lib.function("getpid")() == os.getpid()
    assert lib.function("abs", [L.c_int])(-7) == 7


def test_long_result_through_syscall(lib):
    syscall = lib.function("syscall", returns_long=True)
    getppid_nr = {"x86_64": 110, "aarch64": 173}.get(os.uname().machine)
    if getppid_nr is None:
        pytest.skip("no getppid number for %s in this test" % os.uname().machine)
    assert syscall(L.c_long(getppid_nr)) == os.getppid()


def test_errno_is_saved_after_a_failing_call(lib):
    close = lib.function("close", [L.c_int])
    assert close(-1) == -1
    assert L.get_errno() == errno.EBADF


def test_bytes_and_none_as_char_pointers(lib):
    strlen = lib.function("strlen", [L.c_char_p])
    assert strlen(b"runtime") == 7
    access = lib.function("access", [L.c_char_p, L.c_int])
    assert access(b"/", os.F_OK) == 0
    assert access(None, os.F_OK) == -1 and L.get_errno() == errno.EFAULT


def test_array_type_is_zeroed_and_writable_by_the_callee(lib):
    pair = L.array_type(L.c_int, 2)
    fds = pair()
    assert list(fds) == [0, 0]
    assert lib.function("pipe")(fds) == 0
    try:
        os.write(fds[1], b"x")
        assert os.read(fds[0], 1) == b"x"
    finally:
        os.close(fds[0])
        os.close(fds[1])


def test_array_of_unsigned_keeps_32_bits():
    words = L.array_type(L.c_uint, 3)(1, 0xFFFFFFFF)
    assert list(words) == [1, 0xFFFFFFFF, 0]
    assert L.sizeof(words) == 12


def test_char_buffer_holds_the_bytes_and_has_an_address(lib):
    buf = L.char_buffer(b"abc\0def")
    assert buf.raw == b"abc\0def"
    assert L.addressof(buf) != 0
    assert lib.function("strlen")(buf) == 3
    assert L.char_buffer(b"").raw == b"\0"


def test_unknown_function_and_library_fail_clearly(lib):
    with pytest.raises(AttributeError):
        lib.function("no_such_function_in_libc")
    with pytest.raises(OSError):
        L.Library("libno-such-library.so.9")


def test_the_syscall_layer_does_not_load_ctypes():
    # The point of libc.py: a command that makes syscalls pays for _ctypes only.
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from runtime.syscalls.host import real\n"
            "real().prctl(3)\n"  # PR_GET_DUMPABLE
            "print('ctypes' in sys.modules)" % MODULE_UTILS)
    out = subprocess.check_output([sys.executable, "-I", "-S", "-c", code])
    assert out.strip() == b"False"


def test_rlimits_through_prlimit64_agree_with_the_resource_module():
    import resource
    from runtime.errors import SyscallError
    from runtime.syscalls.host import real
    sc = real()
    for number in (resource.RLIMIT_NOFILE, resource.RLIMIT_CORE, resource.RLIMIT_STACK):
        assert sc.getrlimit(number) == resource.getrlimit(number)
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        sc.setrlimit(resource.RLIMIT_CORE, 0, hard)  # -1 (infinity) passes through as the kernel's
        assert resource.getrlimit(resource.RLIMIT_CORE) == (0, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
    with pytest.raises(SyscallError) as raised:
        sc.setrlimit(resource.RLIMIT_CORE, 2, 1)  # soft above hard
    assert raised.value.errno == errno.EINVAL
