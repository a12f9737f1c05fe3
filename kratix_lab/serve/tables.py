"""The ``meta.k8s.io/v1`` Table answer for ``kubectl get`` (``k8s.io/apimachinery/pkg/apis/meta/v1/types.go``).

Cells come from the lab's one ``kubectl get`` renderer (``views.lab_view.get_table``: Kratix's
MESSAGE/STATUS, Argo CD's SYNC STATUS/HEALTH STATUS, pods' READY/STATUS/RESTARTS …); the columns that
only ``-o wide`` shows get ``priority: 1`` so kubectl hides them otherwise.
"""

from __future__ import annotations

from typing import Any

from kratix_lab.platform.lab import Lab
from kratix_lab.views.lab_view import get_table


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(
    lab: Lab, objs: list[dict[str, Any]], *, include_object: bool, rv: str, kind_hint: str = ""
) -> dict[str, Any]:
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
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": cols,
        "rows": rows,
    }
