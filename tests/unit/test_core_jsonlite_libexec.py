import json
import os
import stat

import pytest

from runtime.process import libexec
from runtime.standalone import jsonlite


@pytest.mark.parametrize("value", [
    {}, [], {"b": [1, 2.5, None, True, False], "a": {"x": -1}}, "é\"\\\n", 0, -2 ** 40,
    {"nested": {"deep": [{"k": "v"}]}},
])
def test_jsonlite_round_trip_matches_json(value):
    text = jsonlite.dumps(value)
    assert json.loads(text) == value
    assert jsonlite.loads(text) == value
    assert jsonlite.loads(" \n" + json.dumps(value, indent=2) + "\n") == value


BAD_JSON = ['{"a": ', "[1,", '{"a" 1}', "nul", '"abc', '{"a":1,}', "x", '{"a":1} 2', ""]


def test_jsonlite_refuses_bad_json_with_value_error_without_json_imported():
    # As the CLI runs it: a fresh interpreter where json was never imported,
    # so the C scanner cannot raise json's JSONDecodeError itself.
    import subprocess
    import sys
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from runtime.standalone import jsonlite\n"
        "for text in %r:\n"
        "    try:\n"
        "        jsonlite.loads(text)\n"
        "    except ValueError:\n"
        "        continue\n"
        "    raise SystemExit('accepted %%r' %% (text,))\n"
        "print('json' in sys.modules)\n"
        % (os.path.dirname(os.path.dirname(os.path.dirname(jsonlite.__file__))), BAD_JSON))
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in ("False", "True")  # True where CPython imports json for its error


def test_jsonlite_sorts_keys():
    assert jsonlite.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'


@pytest.mark.parametrize("text", ["", "{", "[1,]", "1 2", "{\"a\":}", "nul"])
def test_jsonlite_rejects_bad_json(text):
    with pytest.raises(ValueError):
        jsonlite.loads(text)


def test_jsonlite_refuses_unserialisable():
    with pytest.raises(TypeError):
        jsonlite.dumps({"x": object()})


def test_monitor_copy_is_content_addressed_and_read_only(tmp_path):
    root = str(tmp_path)
    script = libexec.monitor_script(root)
    assert script == libexec.monitor_script(root)  # same code, same copy
    target = os.path.dirname(script)
    assert sorted(os.listdir(target)) == sorted(libexec.FILES + ("__pycache__",))  # compiled in advance
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o500
    assert stat.S_IMODE(os.stat(os.path.join(target, "__pycache__")).st_mode) == 0o500
    for name in libexec.FILES:
        assert stat.S_IMODE(os.stat(os.path.join(target, name)).st_mode) == 0o400
        with open(os.path.join(target, name), "rb") as copy:
            assert copy.read() == libexec._sources()[name]
    # no temp directory is left behind
    assert [n for n in os.listdir(os.path.join(root, ".libexec")) if n.startswith(".tmp")] == []
