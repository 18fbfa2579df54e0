# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks written by hand so that create never imports re (and enum with it)
accept exactly what the regular expressions they replace accept."""
import itertools
import os
import random
import re
import subprocess
import sys

import pytest

from runtime.network import annotations
from runtime.spec import checks_resources, validate
from runtime.cgroups.detect import unescape_mountinfo_field

MODULE_UTILS = os.path.dirname(os.path.dirname(os.path.dirname(validate.__file__)))

CASES = [
    (validate.supported_oci_version,
     r"1\.([0-3])\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?",
     "01234.+-aZ\n_",
     ["1.0.0", "1.0.2-dev", "1.3.10+build.1", "1.4.0", "1.0.01", "1.0.0-", "1.0.0+",
      "1.0.0-rc5+x-y", "1.0.0+a+b", "2.0.0", "1.0", "1.0.0.0", "1.2.3\n", "1.2.٣"]),
    (checks_resources.valid_page_size, r"[1-9][0-9]*[KMGTP]?B",
     "0129KMGPBb \n", ["2MB", "1GB", "64KB", "B", "KB", "0MB", "10B", "2mB", "2MBB", "2MB\n", "٢MB"]),
    (annotations.valid_name, r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
     "aZ09_.-/ \n", ["oci0", "a" * 64, "a" * 65, "-a", "_a", "a-b.c_d", "", "a/b", "net\n", "é"]),
    (annotations._valid_mac, r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}",  # pylint: disable=protected-access
     "0aF:g\n", ["02:42:ac:11:00:02", "02:42:AC:11:00:02", "02:42:ac:11:00", "02:42:ac:11:00:02:03",
                 "2:42:ac:11:00:02", "02-42-ac-11-00-02", "02:42:ac:11:00:0g", "02:42:ac:11:00:02\n"]),
]


@pytest.mark.parametrize("check, pattern, alphabet, examples", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_agrees_with_the_regular_expression(check, pattern, alphabet, examples):
    regex = re.compile(pattern)
    generator = random.Random(7)
    samples = list(examples)
    # Every short string over a small alphabet, then random longer ones.
    for length in range(0, 4):
        samples.extend("".join(chars) for chars in itertools.product(alphabet[:6], repeat=length))
    for dummy in range(20000):
        samples.append("".join(generator.choice(alphabet) for dummy in range(generator.randint(1, 22))))
    for example in examples:  # small edits of the interesting ones
        for position in range(len(example) + 1):
            for char in alphabet:
                samples.append(example[:position] + char + example[position:])
                samples.append(example[:position] + char + example[position + 1:])
    accepted = 0
    for sample in samples:
        expected = regex.fullmatch(sample) is not None
        assert check(sample) == expected, (sample, expected)
        accepted += expected
    assert accepted > 10  # the sample set exercises both answers


def test_trailing_newline_is_refused():
    # The old patterns ended in "$", which also matches before a final "\n".
    assert not annotations.valid_name("oci0\n")
    assert not annotations._valid_mac("02:42:ac:11:00:02\n")  # pylint: disable=protected-access


@pytest.mark.parametrize("field, expected", [
    ("/plain", "/plain"), (r"/with\040space", "/with space"), (r"/tab\011and\012nl", "/tab\tand\nnl"),
    (r"/back\134slash", "/back\\slash"), (r"/not\08", r"/not\08"), ("\\", "\\"),
])
def test_mountinfo_unescape(field, expected):
    assert unescape_mountinfo_field(field) == expected


def test_create_loads_no_enum_re_json_socket_or_contextlib():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import runtime.cli.main, runtime.lifecycle.create\n"
        "print(sorted(m for m in ('enum', 're', 'json', 'socket', 'signal', 'contextlib', 'collections',\n"
        "                         'copy', 'selectors', 'array') if m in sys.modules))\n" % MODULE_UTILS)
    out = subprocess.check_output([sys.executable, "-I", "-S", "-c", code]).decode().strip()
    assert out == "[]"
