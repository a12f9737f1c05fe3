"""The ``meta.k8s.io/v1`` Table answer for ``kubectl get`` (``k8s.io/apimachinery/pkg/apis/meta/v1/types.go``).

Cells come from the lab's one ``kubectl get`` renderer (``views.lab_view.get_table``: Kratix's
MESSAGE/STATUS, Argo CD's SYNC STATUS/HEALTH STATUS, pods' READY/STATUS/RESTARTS …); the columns that
only ``-o wide`` shows get ``priority: 1`` so kubectl hides them otherwise.
"""

from __future__ import annotations

from typing import Any

from kratix_lab.platform.lab import Lab
from kratix_lab.views.kube_view import age
from kratix_lab.views.lab_view import get_table


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


# core/v1 Event's columns and cells, as the API server prints them (``kubernetes@v1.32:pkg/printers/
# internalversion/printers.go``: ``eventColumnDefinitions`` and ``printEvent``; the server renders the wide cells
# and kubectl hides priority-1 columns unless ``-o wide``): LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
_EVENT_COLUMNS = [
    ("Last Seen", 0),
    ("Type", 0),
    ("Reason", 0),
    ("Object", 0),
    ("Subobject", 1),
    ("Source", 1),
    ("Message", 0),
    ("First Seen", 1),
    ("Count", 1),
    ("Name", 1),
]


def _event_cells(e: dict[str, Any], now: int) -> list[Any]:
    inv = e.get("involvedObject") or {}
    target = (
        f"{str(inv.get('kind', '')).lower()}/{inv['name']}" if inv.get("name") else str(inv.get("kind", "")).lower()
    )
    first = age(e.get("firstTimestamp"), now)
    last = age(e.get("lastTimestamp"), now) if e.get("lastTimestamp") else first
    source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
    return [
        last,
        e.get("type", ""),
        e.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        source,
        str(e.get("message", "")).strip(),
        first,
        int(e.get("count") or 1),
        e["metadata"]["name"],
    ]


def _event_table(lab: Lab, objs: list[dict[str, Any]], include_object: bool, rv: str) -> dict[str, Any]:
    now = lab.store.now_seconds()
    cols = [
        {
            "name": n,
            "type": "integer" if n == "Count" else "string",
            "format": "name" if n == "Name" else "",
            "description": n,
            "priority": p,
        }
        for n, p in _EVENT_COLUMNS
    ]
    rows = [{"cells": _event_cells(e, now), "object": e if include_object else _partial(e)} for e in objs]
    return _table(rv, cols, rows)


def table(
    lab: Lab, objs: list[dict[str, Any]], *, include_object: bool, rv: str, kind_hint: str = ""
) -> dict[str, Any]:
    if objs and all(o.get("kind") == "Event" and o.get("apiVersion") == "v1" for o in objs):
        return _event_table(lab, objs, include_object, rv)
    wide = get_table(lab, objs, show_namespace=False, wide=True)
    # the headers are the kind's (get_table takes the last object's): one object says which are narrow,
    # where rendering every row a second time cost as much as the whole table (kubectl get vco -A, 100 rows)
    narrow = set(get_table(lab, objs[-1:], show_namespace=False, wide=False).headers)
    headers = ["NAME", "AGE"] if not objs else list(wide.headers)
    cols = [
        {
            "name": h,
            "type": "string",
            "format": "name" if h == "NAME" else "",
            "description": h,
            "priority": 0 if (h in narrow or not objs) else 1,
        }
        for h in headers
    ]
    rows = [
        {"cells": list(cells), "object": obj if include_object else _partial(obj)}
        for obj, cells in zip(objs, wide.rows, strict=True)
    ]
    return _table(rv, cols, rows)


def _table(rv: str, cols: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table (what ``kubectl get`` asks for with ``Accept: …;as=Table``)."""
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": cols,
        "rows": rows,
    }
