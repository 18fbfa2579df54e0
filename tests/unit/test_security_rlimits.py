# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import errno
import resource

import pytest

from runtime.errors import SecurityError
from runtime.security.rlimits import RLIMITS, apply_rlimits, parse_rlimits
from runtime.syscalls.fake import FakeSyscalls


def test_names_map_to_kernel_numbers():
    # numbers the resource module knows must agree with it
    for name, number in RLIMITS.items():
        if hasattr(resource, name):
            assert getattr(resource, name) == number, name
    assert RLIMITS["RLIMIT_LOCKS"] == 10 and len(RLIMITS) == 16


def test_apply_in_config_order_with_infinity():
    fake = FakeSyscalls()
    apply_rlimits([
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 2 ** 64 - 1},
        {"type": "RLIMIT_LOCKS", "soft": 7, "hard": 7},
    ], syscalls=fake)
    assert fake.calls == [
        ("setrlimit", resource.RLIMIT_NOFILE, 512, 1024),
        ("setrlimit", resource.RLIMIT_CORE, 0, resource.RLIM_INFINITY),
        ("setrlimit", 10, 7, 7),
    ]


def test_absent_or_empty_does_nothing():
    fake = FakeSyscalls()
    apply_rlimits(None, syscalls=fake)
    apply_rlimits([], syscalls=fake)
    assert fake.calls == []


@pytest.mark.parametrize("rlimits, message", [
    ([{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}], r"process\.rlimits\[0\]\.type: unknown.*RLIMIT_FOO"),
    ([{"type": "nofile", "soft": 1, "hard": 1}], r"process\.rlimits\[0\]\.type"),
    ([{"type": "RLIMIT_CPU", "soft": 1, "hard": 1},
      {"type": "RLIMIT_CPU", "soft": 2, "hard": 2}], r"process\.rlimits\[1\]\.type: RLIMIT_CPU is already set by process\.rlimits\[0\]"),
    ([{"type": "RLIMIT_CPU", "soft": 5, "hard": 1}], r"process\.rlimits\[0\]: RLIMIT_CPU soft limit 5 is above its hard limit 1"),
    ([{"type": "RLIMIT_CPU", "soft": -1, "hard": 1}], r"process\.rlimits\[0\]\.soft: must be an unsigned"),
    ([{"type": "RLIMIT_CPU", "soft": 1}], r"process\.rlimits\[0\]\.hard: missing"),
    ({"type": "RLIMIT_CPU"}, r"process\.rlimits: must be an array"),
])
def test_invalid_rlimits(rlimits, message):
    fake = FakeSyscalls()
    with pytest.raises(SecurityError, match=message):
        apply_rlimits(rlimits, syscalls=fake)
    assert fake.calls == []


def test_raising_hard_limit_without_privilege():
    fake = FakeSyscalls(fail={"setrlimit": errno.EPERM})
    fake.rlimits = {resource.RLIMIT_NOFILE: (1024, 4096)}
    with pytest.raises(SecurityError) as info:
        apply_rlimits([{"type": "RLIMIT_CPU", "soft": 1, "hard": 1},
                       {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 8192}], syscalls=fake)
    # the first entry already failed: the message names index 0
    assert "process.rlimits[0].type" in str(info.value)
    fake = FakeSyscalls(fail={"setrlimit": errno.EPERM})
    fake.rlimits = {resource.RLIMIT_NOFILE: (1024, 4096)}
    with pytest.raises(SecurityError) as info:
        apply_rlimits([{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 8192}], syscalls=fake)
    text = str(info.value)
    assert text.startswith("process.rlimits[0].type: setting RLIMIT_NOFILE")
    assert "above the current 4096 needs CAP_SYS_RESOURCE" in text


def test_infinite_current_hard_limit_is_not_reported_as_raised():
    fake = FakeSyscalls(fail={"setrlimit": errno.EPERM})
    fake.rlimits = {resource.RLIMIT_NOFILE: (1024, resource.RLIM_INFINITY)}
    with pytest.raises(SecurityError) as info:
        apply_rlimits([{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 2 ** 40}], syscalls=fake)
    assert "CAP_SYS_RESOURCE" not in str(info.value)
    assert "nr_open" in str(info.value)


def test_parse_rlimits_result():
    assert parse_rlimits([{"type": "RLIMIT_AS", "soft": 1, "hard": 2 ** 64 - 1}]) == [
        (0, "RLIMIT_AS", 9, 1, resource.RLIM_INFINITY)]
