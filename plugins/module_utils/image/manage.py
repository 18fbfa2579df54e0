# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image present or absent in the store, and what the store holds (oci_image, oci_image_info)."""

import re

from .errors import ImageError
from .pull import ensure_image, resolve
from .skopeo import Auth
from .store import Store

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def describe(record, store, users=None):
    """What the modules return for an image."""
    if users is None:
        users = store.users_of(record["digest"])
    return {
        "digest": record["digest"], "names": list(record.get("names") or []), "size": record.get("size", 0),
        "created": record.get("created"), "pulled": record.get("pulled"),
        "os": record.get("os"), "architecture": record.get("architecture"),
        "config": record.get("config") or {}, "config_digest": record.get("config_digest"),
        "layers": [dict(layer) for layer in record.get("layers") or []],
        "source": record.get("source"), "source_digest": record.get("source_digest"),
        "used_by": users,
    }


def present(params, check_mode=False):
    store = Store(params.get("image_store"))
    ref = resolve(params["name"], store)
    auth = Auth(params.get("username"), params.get("password"), params.get("auth_file"),
                params.get("validate_certs", True))
    before = store.find(str(ref)) if store.exists() else None
    result = ensure_image(store, ref, params.get("pull") or "missing", auth, params.get("platform"), check_mode)
    out = {"changed": result.changed, "actions": ["pull"] if result.changed else [], "name": str(ref),
           "diff": {"before": {"digest": before["digest"] if before else None},
                    "after": {"digest": result.record["digest"] if result.record else "(pulled)"}}}
    if result.record is not None:
        out["image"] = describe(result.record, store)
    return out


def absent(params, check_mode=False):
    store = Store(params.get("image_store"))
    name = params["name"]
    if not store.exists():
        return {"changed": False, "actions": [], "name": name}
    if _DIGEST.match(name):
        record = store.find(name)
        names = list(record.get("names") or []) if record else []
    else:
        name = str(resolve(name, store))
        record = store.find(name)
        names = [name]
    if record is None:
        return {"changed": False, "actions": [], "name": name}
    out = {"changed": True, "name": name, "diff": {"before": {"digest": record["digest"], "names": record["names"]},
                                                   "after": {}}}
    remaining = [n for n in record.get("names") or [] if n not in names]
    if remaining:
        out["actions"] = ["untag"]
        if not check_mode:
            with store:
                store.remove_name(record, names[0])
        return out
    users = store.users_of(record["digest"])
    if users and not params.get("force"):
        raise ImageError("image %s (%s) is used by the containers %s; remove them first or set force: true"
                         % (name, record["digest"], ", ".join(users)))
    out["actions"] = ["remove"]
    out["used_by"] = users
    if not check_mode:
        with store:
            store.remove_image(record, force=True)
            out["removed"] = store.collect_garbage()
    return out


def info(params):
    store = Store(params.get("image_store"))
    if not store.exists():
        return {"images": []}
    users = store.live_users()
    wanted = params.get("name") or []
    images = []
    for record in store.records():
        if wanted and not any(_matches(record, store, w) for w in wanted):
            continue
        used = ["%s/%s" % (u["state_root"], u["container"]) for u in users if u["digest"] == record["digest"]]
        images.append(describe(record, store, used))
    return {"images": images}


def _matches(record, store, wanted):
    if wanted == record["digest"]:
        return True
    try:
        return str(resolve(wanted, store)) in (record.get("names") or [])
    except ImageError:
        return False
