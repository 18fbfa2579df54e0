# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON through CPython's C accelerator alone.

``import json`` loads json.decoder, which imports re and enum: about 14 ms
on a small VM, paid by every `state` call and by the monitor at the moment a
container exits. The C scanner and encoder in ``_json`` are what json uses
anyway; calling them directly skips those imports. Output is compact (the C
encoder has no indentation). Falls back to json where ``_json`` is missing.
"""

try:
    import _json
except ImportError:  # pragma: no cover - every CPython build we target has it
    _json = None

_WHITESPACE = " \t\n\r"


class _DecodeContext(object):
    """The attributes json's C scanner reads from its JSONDecoder."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = None

    @staticmethod
    def parse_constant(name):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


def _no_default(obj):
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def copy_json(value):
    """A deep copy of a JSON-shaped value (dicts, lists, scalars), as
    copy.deepcopy makes one, without importing copy (and weakref with it) on
    the exec path."""
    if isinstance(value, dict):
        return dict((key, copy_json(item)) for key, item in value.items())
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


if _json is not None:
    _scan = _json.make_scanner(_DecodeContext())
    _encode = _json.make_encoder(None, _no_default, _json.encode_basestring_ascii, None,
                                 ":", ",", True, False, True)
    _encode_in_order = _json.make_encoder(None, _no_default, _json.encode_basestring_ascii, None,
                                          ":", ",", False, False, True)

    def loads(text):
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8")
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            obj, end = _scan(text, start)
        except StopIteration as e:
            raise ValueError("invalid JSON at character %s" % (e.value,))
        except SystemError:
            # Some faults (a missing ':', an unterminated string, a trailing
            # comma) make the C scanner raise json.decoder.JSONDecodeError,
            # which some CPython versions (3.11, Debian's) look up in
            # sys.modules only (Modules/_json.c, raise_errmsg): without json
            # imported the scanner fails with no exception set, reported as
            # SystemError. It is still just invalid JSON.
            raise ValueError("invalid JSON")
        if text[end:].strip(_WHITESPACE):
            raise ValueError("extra data after JSON at character %d" % end)
        return obj

    def dumps(obj, sort_keys=True):
        """Compact JSON; ``sort_keys=False`` keeps each dict's own order (runc's field order)."""
        return "".join((_encode if sort_keys else _encode_in_order)(obj, 0))
else:  # pragma: no cover
    import json

    def loads(text):
        return json.loads(text)

    def dumps(obj, sort_keys=True):
        return json.dumps(obj, sort_keys=sort_keys, separators=(",", ":"))
