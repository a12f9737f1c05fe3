"""The composition root: where a platform is opened as a ``Source``.

Kept out of ``kratix_lab/sources/__init__.py`` so that trace and diagnose, which import the protocol,
never load the lab (the import contract in pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

from kratix_lab.sources import Source


def open(lab: str | os.PathLike[str], *, read_only: bool = False, create: bool = False) -> Source:
    """The composition root: a ``Source`` for a platform. Today a lab directory (``LabSource``); a live
    cluster's source joins here later. Front ends that must stay platform-agnostic open sources through
    this function and never import ``kratix_lab.platform`` themselves (import-linter enforces it)."""
    from kratix_lab.platform.lab import Lab
    from kratix_lab.sources.lab import LabSource

    return LabSource(Lab(Path(lab), create=create), read_only=read_only)
