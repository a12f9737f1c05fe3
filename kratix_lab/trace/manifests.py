"""The files of a commit, each parsed once: ``CommitManifests``; and what a WorkPlacement holds when the state repo
cannot be read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kratix_lab.model import Document, YamlError, doccache


class CommitManifests(Mapping[str, bytes]):
    """The files of one commit under one path (repo path → bytes), each file's YAML parsed at most once.

    A trace reads a commit's files three times at the sync stage (the live objects, whether its objects are
    Synced, whether a failed sync failed on one of them) and diagnose's commit rules read them again; all of
    them ask here. The documents are shared: readers must not change them."""

    def __init__(self, files: Mapping[str, bytes]):
        self._files = dict(files)
        self._parsed: dict[str, list[Document] | YamlError | UnicodeDecodeError] = {}

    def __getitem__(self, fpath: str) -> bytes:
        return self._files[fpath]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def documents(self, fpath: str) -> list[Document]:
        """The YAML documents of ``fpath``; raises the YamlError or UnicodeDecodeError its parse raised (again
        on every ask: a file that is not YAML is parsed once too)."""
        parsed = self._parsed.get(fpath)
        if parsed is None:
            try:
                parsed = doccache.documents(self._files[fpath], fpath)  # kept by content when a cache is open
            except (YamlError, UnicodeDecodeError) as e:
                parsed = e
            self._parsed[fpath] = parsed
        if isinstance(parsed, Exception):
            raise parsed
        return parsed


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
