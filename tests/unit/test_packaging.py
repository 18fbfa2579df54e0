"""The built collection: what users need, nothing of the developers' tools, no build warning."""
import os
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEFT_OUT = ("bench/", "scripts/", ".venv/", ".ci/", ".cache/", ".pytest_cache/")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    if not os.access(galaxy, os.X_OK):
        pytest.skip("ansible-galaxy is not installed beside %s (the test venv has it)" % sys.executable)
    out = str(tmp_path_factory.mktemp("build"))
    # A stray editor file and a compiled module, as a developer's tree has them.
    strays = [os.path.join(REPO, "plugins", "modules", ".oci_container.py.swp"),
              os.path.join(REPO, "roles", "host", "tasks", "main.yml~")]
    for path in strays:
        with open(path, "w") as handle:
            handle.write("x")
    try:
        proc = subprocess.run([galaxy, "collection", "build", "--output-path", out, REPO], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=300, check=False)
    finally:
        for path in strays:
            os.unlink(path)
    assert proc.returncode == 0, proc.stdout
    tarballs = [name for name in os.listdir(out) if name.endswith(".tar.gz")]
    assert len(tarballs) == 1, proc.stdout
    with tarfile.open(os.path.join(out, tarballs[0])) as tar:
        return proc.stdout, tar.getnames()


def test_build_is_warning_free(built):
    output, _names = built
    assert "WARNING" not in output.upper(), output


def test_what_users_need_is_in(built):
    _output, names = built
    for needed in ("plugins/modules/oci_container.py", "plugins/module_utils/runtime/__init__.py",
                   "roles/host/tasks/main.yml", "roles/containers/tasks/main.yml", "bin/oci-runtime",
                   "meta/runtime.yml", "README.md"):
        assert needed in names, needed


def test_developer_files_are_left_out(built):
    _output, names = built
    bad = [name for name in names
           if name.startswith(LEFT_OUT) or name.endswith((".swp", "~", ".pyc", ".bin")) or "__pycache__" in name]
    assert bad == []


def test_demo_installs_ansible_core_alone_with_the_tests_pin():
    def requirements(path):
        with open(os.path.join(REPO, path)) as handle:
            return [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    demo = requirements("scripts/requirements-demo.txt")
    assert demo == [line for line in requirements("tests/requirements.txt") if line.startswith("ansible-core")]
    with open(os.path.join(REPO, "scripts", "demo.sh")) as handle:
        assert 'ensure_venv "$REPO_ROOT/.venv" "$REPO_ROOT/scripts/requirements-demo.txt"' in handle.read()
