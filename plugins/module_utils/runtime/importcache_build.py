# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The writing side of importcache.py: building the module cache and the bundles.

Loaded only when a command finds a source newer than the cache (the first
command after an upgrade or an edit), so none of it is paid by the others.
"""

import ast
import marshal
import os

from .importcache import (BUNDLE_FORMAT, FORMAT, MAGIC_NUMBER, bundle_path, cache_path,
                          valid_bundle_name)


def write_files(package, package_dir, bundles):
    """Write the cache file and one file per bundle, each atomically; best effort.

    ``bundles`` maps a bundle's name to the modules it starts from. Each file
    is written to a temp file and renamed into place, so a concurrent command
    reads either the old file or the new one. A directory we may not write
    means no cache, as a read-only install has no pyc files either.
    """
    directory = os.path.dirname(cache_path(package_dir))
    try:
        if not os.path.isdir(directory):
            os.mkdir(directory, 0o755)
        if not os.access(directory, os.W_OK):
            return
        modules = compile_modules(package, package_dir)
        _write_atomically(cache_path(package_dir), cache_bytes(modules))
        for name, starts in sorted(bundles.items()):
            if valid_bundle_name(name):
                _write_atomically(bundle_path(package_dir, name), bundle_bytes(modules, starts))
    except (OSError, SyntaxError, ValueError):
        # A source that does not compile fails its own import, with the
        # interpreter's message; the cache just stays as it was.
        pass


def _write_atomically(target, data):
    temp = "%s.%d.tmp" % (target, os.getpid())
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, 0o644)  # whatever the umask: other commands' users read it
        finally:
            os.close(fd)
        os.rename(temp, target)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


class CompiledModule(object):
    """One module of the package: where it is, its source's stat and its code."""

    def __init__(self, name, is_package, relative, st, code, imports):
        self.name = name
        self.is_package = is_package
        self.relative = relative            # path below the package's directory
        self.mtime_ns = st.st_mtime_ns
        self.size = st.st_size
        self.code = code
        self.imports = imports              # the package's modules it imports at its top level


def compile_modules(package, package_dir):
    """{module name: CompiledModule} for every .py file below ``package_dir``."""
    found = {}  # module name -> (is package, path)
    for directory, subdirs, files in os.walk(package_dir):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for filename in sorted(files):
            if filename.endswith(".py"):
                path = os.path.join(directory, filename)
                parts = [package] + os.path.relpath(path, package_dir)[:-3].split(os.sep)
                is_package = parts[-1] == "__init__"
                if is_package:
                    parts.pop()
                found[".".join(parts)] = (is_package, path)
    modules = {}
    for name, (is_package, path) in found.items():
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            source = f.read()
        tree = ast.parse(source, path)
        modules[name] = CompiledModule(name, is_package, os.path.relpath(path, package_dir), st,
                                       compile(tree, path, "exec", dont_inherit=True),
                                       top_level_imports(tree, name, is_package, found))
    return modules


def build(package, package_dir):
    """The cache file's bytes for every .py file below ``package_dir``."""
    return cache_bytes(compile_modules(package, package_dir))


def cache_bytes(modules):
    index = {}
    chunks = []
    offset = 0
    for name, module in modules.items():
        blob = marshal.dumps(module.code)
        index[name] = (module.is_package, module.relative, offset, len(blob), module.mtime_ns, module.size,
                       " ".join(module.imports))
        chunks.append(blob)
        offset += len(blob)
    header = marshal.dumps(index)
    return b"".join([FORMAT, MAGIC_NUMBER, len(header).to_bytes(4, "little"), header] + chunks)


def bundle_order(modules, starts):
    """The modules ``starts`` load at their top level, theirs and so on, each after those it imports.

    The order importcache's _load_early would load them in: depth first,
    a module's own imports (its parent package first) before the module.
    Names that are not modules of the package are left out.
    """
    order = []
    seen = set()

    def visit(name):
        if name in seen or name not in modules:
            return
        seen.add(name)  # before the imports: a cycle stops here, as an import statement would
        for imported in modules[name].imports:
            visit(imported)
        order.append(name)

    for name in starts:
        visit(name)
    return order


def bundle_bytes(modules, starts):
    entries = tuple((name, modules[name].is_package, modules[name].relative, modules[name].mtime_ns,
                     modules[name].size, modules[name].code)
                    for name in bundle_order(modules, starts))
    return BUNDLE_FORMAT + MAGIC_NUMBER + marshal.dumps(entries)


def top_level_imports(tree, name, is_package, modules):
    """The modules of ``modules`` that module ``name`` (parsed: ``tree``) imports whenever it is imported.

    Those of the import statements at its top level (not in a function, an if
    or a try), each after the packages above it, as the import system loads
    them; its own parent package first. A list, in that order.
    """
    found = []

    def add(target):
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if candidate in modules and candidate != name and candidate not in found:
                found.append(candidate)

    add(name.rpartition(".")[0])
    here = name if is_package else name.rpartition(".")[0]  # what a relative import starts from
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                target = base + "." + target if target else base
            add(target)
            for alias in node.names:
                add(target + "." + alias.name)  # `from package import module`
    return found
