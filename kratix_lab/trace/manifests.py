"""The files of a commit: what a WorkPlacement holds when the state repo cannot be read."""

from __future__ import annotations

from typing import Any


def placement_files(wp: dict[str, Any], path: str) -> dict[str, bytes]:
    """The files a WorkPlacement holds (``spec.workloads[].content``, gzip then base64:
    ``kratix api/v1alpha1/work_types.go`` Workload, ``lib/compression/compression.go``) by repo path."""
    import base64
    import binascii
    import gzip

    out = {}
    for w in (wp.get("spec") or {}).get("workloads") or []:
        try:
            content = gzip.decompress(base64.b64decode(w.get("content") or ""))
        except (binascii.Error, OSError, EOFError):
            content = (w.get("content") or "").encode()  # not compressed: as written
        out[f"{path}/{w.get('filepath', '')}".replace("//", "/")] = content
    return out
