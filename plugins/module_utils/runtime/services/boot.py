# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`oci-runtime boot`: bring back, after a reboot, the containers whose restart policy asks for it.

The state root is a tmpfs: after a reboot it is empty, and no monitor
runs. The service records (record.py) on disk say which containers of the
state root should be running: a policy other than ``no``, started, and
neither stopped by the user nor given up on by their policy (``run``).
Each of those is created again from its recorded config (same id, bundle,
root file system, log, network annotations: the same address when it was
static, the same published ports) and started, each with a monitor of its
own; its restart count starts again at 0, as after a new create.

Before that, what an unclean end may have left of the container on the
host when the state root was not wiped (a simulated reboot, a state root
that is not a tmpfs) is removed: its veth and its DNAT rules (names and tags
are derived from the state root and the id); and the definitions of the
networks it joins, which live in the state root, are put back from the
record.

Running it again is harmless: a container whose state directory exists is
left alone, running or not (it is then the monitor's and the user's).
The host role runs it at boot (a systemd unit; README "Coming back after a
reboot" for other init systems).
"""

from ..errors import RuntimeFailure
from ..spec.load import Bundle
from ..state import StateRoot
from . import record as records


class BootResult(object):
    def __init__(self):
        self.started = []
        self.left = []      # (id, why)
        self.failed = []    # (id, message)


def boot(state_root=None, warn=None, base=None):
    """Create and start the containers of ``state_root`` that should run; return a BootResult."""
    root = StateRoot(state_root).ensure()
    result = BootResult()
    pending = []
    for path, item in records.records(root.path, base):
        if item is None:
            result.failed.append((path, "unreadable service record"))
        elif not item.get("run"):
            result.left.append((item.get("id"), "not to run (stopped by the user, or its policy gave up)"))
        elif _exists(root, item.get("id")):
            result.left.append((item.get("id"), "exists already"))
        else:
            pending.append((path, item))
    # A container that joins another's network namespace (network container:<id>) needs that one
    # running first: what failed is tried again while a pass brings anything back.
    while pending:
        failed = []
        for path, item in pending:
            error = _try(root, path, item, warn)
            if error is None:
                result.started.append(item["id"])
            else:
                failed.append((path, item, error))
        if len(failed) == len(pending):
            result.failed.extend((item["id"], error) for path, item, error in failed)
            break
        pending = [(path, item) for path, item, error in failed]
    return result


def _try(root, path, item, warn):
    """Bring one container back; the error message, or None."""
    try:
        _bring_back(root, item, warn)
        return None
    except RuntimeFailure as e:
        error = str(e)
    except (OSError, ValueError, KeyError) as e:
        error = "%s: %s" % (type(e).__name__, e)
    records.write(path, item)  # a failed create removed it: keep it for the next boot
    return error


def _exists(root, cid):
    from .. import pathlite
    return pathlite.isdir(root.container_dir(cid))


def _bring_back(root, item, warn):
    from ..lifecycle.create import create
    from ..lifecycle.start import start
    config = item["config"]
    if _uses_bridge(config):
        _restore_networks(root, item.get("networks") or {})
        _remove_leftovers(root, item["id"], warn)
    bundle = Bundle(item["bundle"], config, item.get("rootfs"))
    create(root.path, item["id"], bundle, warn=warn, log_path=item.get("log_path") or None,
           log_max_size=item.get("log_max_size") or 1024 * 1024, no_pivot=bool(item.get("no_pivot")))
    try:
        start(root.path, item["id"], warn=warn)
    except RuntimeFailure:
        from ..lifecycle.delete import delete
        delete(root.path, item["id"], force=True, warn=warn)  # so that the next pass can create it
        raise


def _uses_bridge(config):
    from ..network.annotations import request_from_config
    request = request_from_config(config)
    return request is not None and request.mode == "bridge"


def _restore_networks(root, definitions):
    from ..network.store import NetworkStore
    store = NetworkStore(root.path)
    lock = store.lock()
    try:
        for name, definition in sorted(definitions.items()):
            if store.get(name) is None:
                store.save(definition)
    finally:
        lock.release()


def _remove_leftovers(root, cid, warn):
    """The veth and DNAT rules a container of this id and state root had before (derived names)."""
    from ..network import nft
    from ..network.attach import detach
    from ..network.common import veth_names
    host_ifname, peer_ifname = veth_names(root.path, cid)
    for step, args in ((detach, (host_ifname,)), (detach, (peer_ifname,)),
                       (nft.delete_rules, (nft.container_tag(root.path, cid),))):
        try:
            step(*args)
        except Exception as e:  # best effort: create reports what really is in the way
            if warn:
                warn("cleanup before bringing back %s: %s" % (cid, e))
