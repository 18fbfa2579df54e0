"""runtime/importcache.py: the CLI's one-file module cache.

Every scenario imports in a fresh interpreter (as bin/oci-runtime does), from
a small package in a temp directory, and reports which loader served what.
"""
import json
import marshal
import os
import subprocess
import sys
import time

import pytest

from runtime import importcache, importcache_build

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "plugins", "module_utils")

PACKAGE = {
    "pkgx/__init__.py": "VALUE = 'init'\n",
    "pkgx/sub/__init__.py": "",
    "pkgx/sub/leaf.py": "from .. import VALUE\nLEAF = VALUE + '-leaf'\n",
    "pkgx/other.py": "OTHER = 1\n",
}

# Every scenario starts as bin/oci-runtime does: the cache for %(package)s in place.
PREAMBLE = """import json, os, sys
sys.path.insert(0, %(module_utils)r)
sys.path.insert(0, %(root)r)
from runtime import importcache
cache = importcache.install(%(package)r, os.path.join(%(root)r, %(package)r))
"""


def scenario(template, root, package="pkgx", **values):
    """``template`` filled in, with PREAMBLE first, as the code of a fresh interpreter."""
    values.update(module_utils=MODULE_UTILS, root=str(root), package=package)
    return template % dict(values, preamble=PREAMBLE % values)


SCENARIO = """
%(preamble)s
import pkgx.sub.leaf, pkgx.other
try:
    import pkgx.missing
except ImportError:
    pass
out = {"leaf": pkgx.sub.leaf.LEAF, "stale": cache.stale,
       "loaders": {name: type(mod.__spec__.loader).__name__ for name, mod in sys.modules.items()
                   if name.startswith("pkgx")},
       "file": pkgx.sub.leaf.__file__, "path": list(pkgx.sub.__path__)}
cache.refresh()
print(json.dumps(out))
"""


def write_package(root, files=None):
    for relative, text in (files or PACKAGE).items():
        path = os.path.join(root, relative)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write(text)


def run_scenario(root):
    code = scenario(SCENARIO, root)
    out = subprocess.check_output([sys.executable, "-I", "-S", "-c", code])
    return json.loads(out.decode())


@pytest.fixture
def package(tmp_path):
    write_package(str(tmp_path))
    return tmp_path


def cache_file(root):
    return importcache.cache_path(os.path.join(str(root), "pkgx"))


def test_first_run_builds_the_cache_and_the_second_uses_it(package):
    first = run_scenario(package)
    assert first["leaf"] == "init-leaf"
    assert first["stale"] is True
    assert set(first["loaders"].values()) == {"SourceFileLoader"}
    assert os.path.isfile(cache_file(package))
    assert os.stat(cache_file(package)).st_mode & 0o777 == 0o644

    second = run_scenario(package)
    assert second["leaf"] == "init-leaf"
    assert second["stale"] is False
    # pkgx itself is imported before install() puts the cache in place
    assert second["loaders"]["pkgx.sub.leaf"] == "ModuleCache"
    assert second["loaders"]["pkgx.sub"] == "ModuleCache"
    assert second["loaders"]["pkgx.other"] == "ModuleCache"
    assert second["file"] == os.path.join(str(package), "pkgx", "sub", "leaf.py")
    assert second["path"] == [os.path.join(str(package), "pkgx", "sub")]


def test_a_changed_source_is_imported_normally_and_the_cache_rewritten(package):
    run_scenario(package)
    leaf = os.path.join(str(package), "pkgx", "sub", "leaf.py")
    with open(leaf, "w") as f:
        f.write("from .. import VALUE\nLEAF = VALUE + '-changed'\n")
    later = time.time() + 5
    os.utime(leaf, (later, later))
    changed = run_scenario(package)
    assert changed["leaf"] == "init-changed"
    assert changed["loaders"]["pkgx.sub.leaf"] == "SourceFileLoader"
    assert changed["loaders"]["pkgx.other"] == "ModuleCache"
    assert changed["stale"] is True
    again = run_scenario(package)
    assert again["leaf"] == "init-changed"
    assert again["loaders"]["pkgx.sub.leaf"] == "ModuleCache"
    assert again["stale"] is False


def test_a_new_module_marks_the_cache_stale_and_a_missing_one_does_not(package):
    run_scenario(package)
    assert run_scenario(package)["stale"] is False  # pkgx.missing: no such file, nothing to cache
    write_package(str(package), {"pkgx/missing.py": "X = 1\n"})
    result = run_scenario(package)
    assert result["stale"] is True
    assert result["loaders"]["pkgx.missing"] == "SourceFileLoader"
    assert run_scenario(package)["loaders"]["pkgx.missing"] == "ModuleCache"


def damage_file(path, damage, format_line):
    """Make the cache or bundle file at ``path`` unsafe or damaged, the way ``damage`` names."""
    with open(path, "rb") as f:
        data = f.read()
    start = len(format_line)
    if damage == "group-writable":
        os.chmod(path, 0o664)
    elif damage == "symlink":
        os.rename(path, path + ".real")
        os.symlink(path + ".real", path)
    else:
        damaged = {"truncated": data[:-10],
                   "other-magic": data[:start] + b"\0\0\r\n" + data[start + 4:],
                   "not-a-tuple": data[:start + len(importcache.MAGIC_NUMBER)] + marshal.dumps({"pkgy": 1}),
                   "garbage": b"not a cache"}[damage]
        with open(path, "wb") as f:
            f.write(damaged)


@pytest.mark.parametrize("damage", ["group-writable", "truncated", "other-magic", "garbage"])
def test_an_unsafe_or_damaged_cache_is_ignored(package, damage):
    run_scenario(package)
    damage_file(cache_file(package), damage, importcache.FORMAT)
    result = run_scenario(package)
    assert result["leaf"] == "init-leaf"
    assert set(result["loaders"].values()) == {"SourceFileLoader"}
    assert result["stale"] is True  # and rewritten
    assert run_scenario(package)["loaders"]["pkgx.sub.leaf"] == "ModuleCache"


def test_no_cache_where_it_cannot_be_written(package):
    # A file where __pycache__ should be: the command still works, without a cache.
    with open(os.path.join(str(package), "pkgx", "__pycache__"), "w") as f:
        f.write("in the way\n")
    for dummy in range(2):
        result = run_scenario(package)
        assert result["leaf"] == "init-leaf"
        assert set(result["loaders"].values()) == {"SourceFileLoader"}


def test_build_indexes_every_module_of_the_runtime():
    data = importcache_build.build("runtime", os.path.join(MODULE_UTILS, "runtime"))
    assert data.startswith(importcache.FORMAT)
    names = []
    for directory, dummy, files in os.walk(os.path.join(MODULE_UTILS, "runtime")):
        for filename in files:
            if filename.endswith(".py") and "__pycache__" not in directory:
                names.append(filename)
    # every .py file has an entry: the index is as long as the file count
    start = len(importcache.FORMAT) + len(importcache.MAGIC_NUMBER) + 4
    size = int.from_bytes(data[start - 4:start], "little")
    index = marshal.loads(data[start:start + size])
    assert len(index) == len(names)
    assert index["runtime.cli.main"][0] is False
    assert index["runtime.cli"][0] is True


FD_SCENARIO = """
%(preamble)s
import fcntl
cache.index  # read on first use: it opens the file
flags = fcntl.fcntl(cache.fd, fcntl.F_GETFD)
import subprocess
# What an exec'd process (the container's, through exec) would see of it.
seen = subprocess.call(["/bin/sh", "-c", "[ -e /proc/self/fd/%%d ]" %% cache.fd], close_fds=False)
# A refresh elsewhere renames a new file into place: this process keeps
# reading the file it opened.
os.rename(importcache.cache_path(os.path.join(%(root)r, "pkgx")), %(root)r + "/moved.bin")
import pkgx.other
os.close(cache.fd)
try:
    import pkgx.sub.leaf
    error = None
except ImportError as e:
    error = str(e)
print(json.dumps({"inherited": seen == 0, "cloexec": bool(flags & fcntl.FD_CLOEXEC), "other": pkgx.other.OTHER,
                  "loader": type(pkgx.other.__spec__.loader).__name__, "error": error}))
"""


def test_the_cache_is_read_through_a_close_on_exec_fd_and_a_closed_one_is_a_clear_error(package):
    run_scenario(package)  # builds the cache
    code = scenario(FD_SCENARIO, package)
    out = json.loads(subprocess.check_output([sys.executable, "-I", "-S", "-c", code]).decode())
    assert out["inherited"] is False
    assert out["cloexec"] is True
    assert out["other"] == 1 and out["loader"] == "ModuleCache"
    assert out["error"].startswith("pkgx.sub: cannot read the module cache: Bad file descriptor")


def test_the_cache_works_under_a_low_fd_limit(package):
    import resource
    run_scenario(package)  # builds the cache
    code = scenario(SCENARIO, package)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    out = subprocess.check_output(
        [sys.executable, "-I", "-S", "-c", code],
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard)))
    assert json.loads(out.decode())["loaders"]["pkgx.sub.leaf"] == "ModuleCache"


# -- dependencies loaded without importlib ------------------------------------

EARLY_PACKAGE = {
    "pkgy/__init__.py": "ORDER = []\n",
    "pkgy/sub/__init__.py": "from .. import ORDER\nORDER.append(__name__)\n",
    "pkgy/sub/leaf.py": "from .. import ORDER\nORDER.append(__name__)\n",
    "pkgy/deep/__init__.py": "from pkgy import ORDER\nORDER.append(__name__)\n",
    "pkgy/deep/inner.py": "import pkgy\npkgy.ORDER.append(__name__)\n",
    "pkgy/other.py": "from . import ORDER, helper\nORDER.append(__name__)\nVALUE = 'other'\n",
    "pkgy/helper.py": "from . import ORDER\nORDER.append(__name__)\n",  # only other.py imports it
    "pkgy/lazy.py": "from . import ORDER\nORDER.append(__name__)\n",
    # the module the scenario imports: every kind of top-level import
    "pkgy/uses.py": (
        "import os\n"
        "from . import ORDER\n"
        "from .sub import leaf\n"
        "import pkgy.deep.inner\n"
        "from .other import VALUE\n"
        "if os.environ.get('NEVER_SET'):\n"
        "    from . import lazy\n"
        "def later():\n"
        "    from . import lazy\n"
        "    return lazy\n"
        "ORDER.append(__name__)\n"),
    # a cycle: each imports the other at its top level
    "pkgy/ping.py": "from . import ORDER, pong\nORDER.append(__name__)\n",
    "pkgy/pong.py": "from . import ORDER, ping\nORDER.append(__name__)\n",
}

EARLY_SCENARIO = """
%(preamble)s
asked = []
find_spec = cache.find_spec
def recording_find_spec(name, path=None, target=None):
    spec = find_spec(name, path, target)
    if spec is not None:
        asked.append(name)
    return spec
cache.find_spec = recording_find_spec
import pkgy
error = None
try:
    import %(target)s
except Exception as e:
    error = "%%s: %%s" %% (type(e).__name__, e)
modules = {name: mod for name, mod in sys.modules.items() if name.startswith("pkgy")}
out = {"order": pkgy.ORDER, "asked": asked, "error": error,
       "loaders": {name: type(mod.__loader__).__name__ for name, mod in modules.items()},
       "specs": {name: type(mod.__spec__.loader).__name__ for name, mod in modules.items()},
       "files": {name: mod.__file__ for name, mod in modules.items()},
       "paths": {name: list(mod.__path__) for name, mod in modules.items() if hasattr(mod, "__path__")},
       "parents_hold_children": all(getattr(sys.modules[name.rpartition(".")[0]], name.rpartition(".")[2]) is mod
                                    for name, mod in modules.items() if "." in name),
       "initializing": [name for name, mod in modules.items() if getattr(mod.__spec__, "_initializing", False)]}
cache.refresh()
print(json.dumps(out))
"""


def run_early(root, target="pkgy.uses"):
    code = scenario(EARLY_SCENARIO, root, package="pkgy", target=target)
    return json.loads(subprocess.check_output([sys.executable, "-I", "-S", "-c", code]).decode())


@pytest.fixture
def early_package(tmp_path):
    write_package(str(tmp_path), EARLY_PACKAGE)
    return tmp_path


def test_top_level_imports_are_loaded_early_in_the_order_imports_would_load_them(early_package):
    normal = run_early(early_package)  # no cache yet: importlib and the pyc files
    assert set(normal["loaders"].values()) == {"SourceFileLoader"}
    cached = run_early(early_package)
    assert cached["error"] is None
    # The same module bodies ran in the same order...
    assert cached["order"] == normal["order"] == [
        "pkgy.sub", "pkgy.sub.leaf", "pkgy.deep", "pkgy.deep.inner", "pkgy.helper", "pkgy.other", "pkgy.uses"]
    # ...but importlib found only the modules imported by name: the
    # dependencies of pkgy.uses, and theirs, were loaded before its body ran. The imports
    # in an if and in a function were left alone.
    assert cached["asked"] == ["pkgy", "pkgy.uses"]
    assert "pkgy.lazy" not in cached["loaders"]
    # Each module as importlib would have left it.
    assert set(cached["loaders"].values()) == set(cached["specs"].values()) == {"ModuleCache"}
    assert cached["files"] == normal["files"]
    assert cached["paths"] == normal["paths"]
    assert cached["parents_hold_children"] is True
    assert cached["initializing"] == []


def change_other(root):
    """pkgy/other.py changed after the cache was written (a later mtime, whatever the clock's resolution)."""
    other = os.path.join(str(root), "pkgy", "other.py")
    with open(other, "a") as f:
        f.write("VALUE = 'changed'\n")
    later = time.time() + 5
    os.utime(other, (later, later))


def test_a_stale_dependency_is_imported_normally(early_package):
    run_early(early_package)
    change_other(early_package)
    result = run_early(early_package)
    assert result["error"] is None
    assert result["order"][-2:] == ["pkgy.other", "pkgy.uses"]
    assert result["loaders"]["pkgy.other"] == "SourceFileLoader"
    assert result["loaders"]["pkgy.sub.leaf"] == "ModuleCache"


def test_a_failing_dependency_fails_the_import_and_is_not_left_half_loaded(early_package):
    run_early(early_package)
    other = os.path.join(str(early_package), "pkgy", "other.py")
    write_package(str(early_package), {"pkgy/other.py": "raise ValueError('broken on purpose')\n"})
    later = time.time() + 5
    os.utime(other, (later, later))
    run_early(early_package)  # rebuilds the cache with the broken module
    result = run_early(early_package)
    assert result["error"] == "ValueError: broken on purpose"
    assert "pkgy.other" not in result["loaders"]
    assert "pkgy.uses" not in result["loaders"]
    assert result["initializing"] == []


def test_an_import_cycle_loads_as_without_the_cache(early_package):
    normal = run_early(early_package, "pkgy.ping")
    cached = run_early(early_package, "pkgy.ping")
    assert normal["error"] is None and cached["error"] is None
    assert cached["order"] == normal["order"] == ["pkgy.pong", "pkgy.ping"]
    assert cached["loaders"]["pkgy.pong"] == "ModuleCache"


def test_top_level_imports_resolves_relative_and_absolute_names():
    import ast
    modules = {"top", "top.a", "top.a.b", "top.a.c", "top.d", "top.d.e"}
    source = (
        "import os, top.d.e\n"
        "from . import c, missing\n"
        "from ..d import e as renamed\n"
        "from .c import something\n"
        "from top import a\n"
        "try:\n    from . import b\nexcept ImportError:\n    pass\n"
        "def f():\n    from ..d import e\n")
    found = importcache_build.top_level_imports(ast.parse(source), "top.a.b", False, modules)
    # its package first, then each import as the import system walks it
    assert found == ["top", "top.a", "top.d", "top.d.e", "top.a.c"]
    package = importcache_build.top_level_imports(ast.parse("from . import b\nfrom .. import d\n"),
                                                  "top.a", True, modules)
    assert package == ["top", "top.a.b", "top.d"]


# -- bundles: a command's modules in one piece ------------------------------

BUNDLE_SCENARIO = """
import json, os, sys
sys.path.insert(0, %(module_utils)r)
sys.path.insert(0, %(root)r)
from runtime import importcache
asked = []
# Which package modules importlib still has to find, once the bundle ran.
class Recorder(object):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("pkgy"):
            asked.append(name)
        return None
sys.meta_path.insert(0, Recorder())
cache = importcache.install("pkgy", os.path.join(%(root)r, "pkgy"), %(argv)r)
preloaded = sorted(name for name in sys.modules if name.startswith("pkgy"))
error = None
try:
    import pkgy.uses
except Exception as e:
    error = "%%s: %%s" %% (type(e).__name__, e)
import pkgy
modules = {name: mod for name, mod in sys.modules.items() if name.startswith("pkgy")}
out = {"order": pkgy.ORDER, "asked": asked, "error": error, "preloaded": preloaded, "stale": cache.stale,
       "loaders": {name: type(mod.__loader__).__name__ for name, mod in modules.items()},
       "files": {name: mod.__file__ for name, mod in modules.items()},
       "paths": {name: list(mod.__path__) for name, mod in modules.items() if hasattr(mod, "__path__")},
       "parents_hold_children": all(getattr(sys.modules[name.rpartition(".")[0]], name.rpartition(".")[2]) is mod
                                    for name, mod in modules.items() if "." in name)}
cache.bundles = {"uses": ("pkgy.uses",), "other": ("pkgy.other",)}
cache.refresh()
print(json.dumps(out))
"""

USES_ORDER = ["pkgy.sub", "pkgy.sub.leaf", "pkgy.deep", "pkgy.deep.inner", "pkgy.helper", "pkgy.other", "pkgy.uses"]


def run_bundle(root, argv=("uses",)):
    code = BUNDLE_SCENARIO % dict(module_utils=MODULE_UTILS, root=str(root), argv=list(argv))
    return json.loads(subprocess.check_output([sys.executable, "-I", "-S", "-c", code]).decode())


def bundle_file(root, name="uses"):
    return importcache.bundle_path(os.path.join(str(root), "pkgy"), name)


def test_refresh_writes_the_bundles_and_install_runs_the_one_argv_names(early_package):
    first = run_bundle(early_package)  # no files yet: every module through importlib
    assert first["preloaded"] == [] and first["stale"] is True
    assert os.path.isfile(bundle_file(early_package))
    assert os.stat(bundle_file(early_package)).st_mode & 0o777 == 0o644
    # The command's name after an option and its value, as runc's global options come first.
    second = run_bundle(early_package, ("--root", "/some/where", "--log-format", "json", "uses", "x"))
    assert second["error"] is None and second["stale"] is False
    # Every module of the bundle ran before the import statement, in the
    # order the import statements would have run them...
    assert second["preloaded"] == sorted(["pkgy"] + USES_ORDER)
    assert second["order"] == first["order"] == USES_ORDER
    # ...and importlib was never asked for any of them.
    assert second["asked"] == []
    assert "pkgy.lazy" not in second["loaders"]
    assert set(second["loaders"].values()) == {"ModuleCache"}
    assert second["files"] == first["files"]
    assert second["paths"] == first["paths"]
    assert second["parents_hold_children"] is True


def test_a_command_line_that_names_no_bundle_preloads_nothing(early_package):
    run_bundle(early_package)
    result = run_bundle(early_package, ("--root", "/x", "state", "id"))
    assert result["preloaded"] == []
    assert result["order"] == USES_ORDER
    assert result["stale"] is False  # nothing missing: the per-module cache served the imports


def test_a_stale_module_keeps_the_whole_bundle_from_running(early_package):
    run_bundle(early_package)
    change_other(early_package)
    changed = run_bundle(early_package)
    assert changed["preloaded"] == []  # not even the modules that did not change
    assert changed["stale"] is True
    assert changed["order"] == USES_ORDER
    again = run_bundle(early_package)  # rewritten by the refresh
    assert again["preloaded"] == sorted(["pkgy"] + USES_ORDER)
    assert again["stale"] is False


@pytest.mark.parametrize("damage", ["group-writable", "truncated", "other-magic", "not-a-tuple", "symlink"])
def test_an_unsafe_or_damaged_bundle_is_ignored(early_package, damage):
    run_bundle(early_package)
    damage_file(bundle_file(early_package), damage, importcache.BUNDLE_FORMAT)
    result = run_bundle(early_package)
    assert result["preloaded"] == []
    assert result["error"] is None and result["order"] == USES_ORDER
    assert result["stale"] is True  # and rewritten
    assert run_bundle(early_package)["preloaded"] == sorted(["pkgy"] + USES_ORDER)


def test_a_failing_module_stops_the_bundle_and_fails_its_import_as_usual(early_package):
    write_package(str(early_package), {"pkgy/other.py": "raise ValueError('broken on purpose')\n"})
    run_bundle(early_package)  # writes the bundle with the broken module
    result = run_bundle(early_package)
    assert result["error"] == "ValueError: broken on purpose"
    # What ran before it stays loaded; it and what comes after are not left half-loaded.
    assert "pkgy.other" not in result["loaders"] and "pkgy.uses" not in result["loaders"]
    assert result["preloaded"] == sorted(["pkgy", "pkgy.sub", "pkgy.sub.leaf", "pkgy.deep", "pkgy.deep.inner"])


def test_bundle_order_puts_each_module_after_its_imports_and_stops_at_cycles():
    class Module(object):
        def __init__(self, imports):
            self.imports = imports
    modules = {"p": Module([]), "p.a": Module(["p", "p.b"]), "p.b": Module(["p", "p.c"]),
               "p.c": Module(["p"]), "p.x": Module(["p", "p.y"]), "p.y": Module(["p", "p.x"])}
    assert importcache_build.bundle_order(modules, ["p.a", "p.c", "not.ours"]) == ["p", "p.c", "p.b", "p.a"]
    assert importcache_build.bundle_order(modules, ["p.x"]) == ["p", "p.y", "p.x"]


def test_bundle_names_are_never_paths():
    assert importcache.valid_bundle_name("exec") and importcache.valid_bundle_name("log-format")
    for name in ("", "../x", "a/b", "Exec", "x.y", "/tmp", None):
        assert not importcache.valid_bundle_name(name)
