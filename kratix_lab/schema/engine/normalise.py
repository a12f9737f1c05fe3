"""Input normalisation: what kubectl's YAML-to-JSON conversion and the server's JSON decoding do."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kratix_lab.schema.engine.goformat import go_float


def _json_key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return go_float(k)
    return str(k)


def to_json_like(v: Any) -> Any:
    """A deep copy of a YAML-loaded value as the server would hold it after decoding JSON.

    YAML timestamps become their ISO text (kubectl sends them as strings), non-string keys become
    strings, tuples become lists and integral floats become ints (``1.0`` is sent as ``1``).
    """
    if isinstance(v, dict):
        return {_json_key(k): to_json_like(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [to_json_like(x) for x in v]
    if isinstance(v, float) and v.is_integer() and -(2**63) <= v < 2**63:
        return int(v)
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()
    return v
