"""Filesystem writes that never leave half a result behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kratix_lab.errors import Invalid


class OutputDirError(Invalid):
    pass


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a scratch directory that replaces ``target`` only if the block succeeds.

    ``target`` must not exist or be empty: an existing result is never mixed with a new one. Anything that stops
    the write (a symbolic link, a file where a directory must be, a read-only or full filesystem) is one
    ``OutputDirError`` naming ``target`` and the cause, and nothing is left behind (issue 18 item 14).
    """
    target = Path(target)
    if target.is_symlink():
        link = os.readlink(target)
        state = "" if target.exists() else ", which does not exist"
        raise OutputDirError(f"{target}: a symbolic link to {link}{state}; give a new directory to --out")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputDirError(f"{target}: exists and is not an empty directory (choose a new --out directory)")
    for ancestor in target.parents:
        if ancestor.exists() or ancestor.is_symlink():
            if not ancestor.is_dir():
                raise OutputDirError(f"{target}: {ancestor} is not a directory")
            break
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as e:
        raise OutputDirError(f"{target}: cannot create it: {e.strerror or e}") from None
    try:
        yield scratch
        if target.exists():
            target.rmdir()
        os.replace(scratch, target)
    except OSError as e:
        shutil.rmtree(scratch, ignore_errors=True)
        raise OutputDirError(f"{target}: cannot write it: {e.strerror or e}; nothing was written") from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
