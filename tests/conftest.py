# Make the runtime package importable as the top-level package `runtime`,
# exactly as bin/oci-runtime imports it.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "plugins", "module_utils"))


def collection_import_root():
    """A directory where `ansible_collections.opencontainer.runtime` is this repository.

    The Ansible glue (plugins/module_utils/container) imports the runtime
    relatively from the collection's package, so its tests import it under
    the name Ansible gives it.
    """
    import hashlib
    import tempfile
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # One directory per checkout: two checkouts (git worktrees) testing at
    # once must not repoint each other's link.
    tag = hashlib.sha256(repo.encode()).hexdigest()[:12]
    base = os.path.join(tempfile.gettempdir(), "opencontainer-test-collections-%d-%s"
                        % (os.getuid(), tag))
    link = os.path.join(base, "ansible_collections", "opencontainer", "runtime")
    if os.path.realpath(link) != repo:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(repo, link)
    return base


sys.path.insert(0, collection_import_root())
