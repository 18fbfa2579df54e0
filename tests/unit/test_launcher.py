"""bin/oci-runtime finds the collection from wherever it is run: links to it included."""
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bin", "oci-runtime")


def version(path, cwd=None):
    result = subprocess.run([path, "--version"], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


@pytest.mark.parametrize("layout", ["absolute", "relative", "chain", "linked-directory"])
def test_the_launcher_works_through_symlinks(tmp_path, layout):
    expected = version(LAUNCHER)
    assert "version" in expected
    links = tmp_path / "links"
    links.mkdir()
    if layout == "absolute":
        (links / "oci-runtime").symlink_to(LAUNCHER)
    elif layout == "relative":
        (links / "oci-runtime").symlink_to(os.path.relpath(LAUNCHER, str(links)))
    elif layout == "chain":
        (tmp_path / "first").symlink_to(LAUNCHER)
        (links / "oci-runtime").symlink_to("../first")
    else:
        # bin/ itself reached through a link: its ".." is the collection's
        # directory, not the directory holding the link.
        (links / "bin").symlink_to(os.path.dirname(LAUNCHER))
        assert version(str(links / "bin" / "oci-runtime")) == expected
        return
    assert version(str(links / "oci-runtime")) == expected
    # run by a relative path from the link's directory
    assert version("./oci-runtime", cwd=str(links)) == expected
