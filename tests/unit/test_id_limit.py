# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The id length limit: one number, and every name made from an id fits NAME_MAX."""
import pytest

from runtime.cgroups.manager import resolve_cgroups_path
from runtime.errors import InvalidIDError
from runtime.ids import MAX_ID_LENGTH, validate_id
from runtime.state import StateRoot

NAME_MAX = 255  # limits.h
LONGEST = "a" * MAX_ID_LENGTH


def test_state_directory_name_fits():
    name = StateRoot("/run/x").container_dir(LONGEST).rsplit("/", 1)[1]
    assert len(name.encode()) <= NAME_MAX


def test_default_cgroup_components_fit():
    # The default cgroup path may add a prefix or suffix to the id (a hash of
    # the state root): every component must still be a valid file name.
    path = resolve_cgroups_path(LONGEST, None)
    assert LONGEST in path
    assert max(len(part.encode()) for part in path.split("/")) <= NAME_MAX


def test_temp_state_file_fits_in_directory():
    # .state.json.PID.tmp is a component of its own, inside the id's directory.
    assert len(".state.json.%d.tmp" % (2 ** 22)) <= NAME_MAX


@pytest.mark.parametrize("length", [MAX_ID_LENGTH + 1, 255, 256, 1024])
def test_longer_ids_fail_at_validation(length):
    with pytest.raises(InvalidIDError) as err:
        validate_id("b" * length)
    assert "longer than %d characters" % MAX_ID_LENGTH in str(err.value)
