"""Re-run cookbook notebooks and store their outputs (what nbval then compares): `make notebooks-refresh`.

    python notebooks/regenerate.py                 # every notebook in notebooks/
    python notebooks/regenerate.py 00-tour.ipynb   # some of them

Each notebook runs in a fresh kernel of this Python with notebooks/ as the working directory. A notebook
that raises is reported with its cell and left untouched; the others are written atomically.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def regenerate(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
        record_timing=False,
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str]) -> int:
    paths = [HERE / a if not Path(a).is_absolute() and not Path(a).exists() else Path(a) for a in argv] or sorted(
        HERE.glob("*.ipynb")
    )
    failed = 0
    for p in paths:
        if not p.is_file():
            print(f"{p}: no such notebook", file=sys.stderr)
            failed += 1
            continue
        try:
            regenerate(p)
        except CellExecutionError as e:
            failed += 1
            print(f"{p.name}: FAILED, left unchanged\n{e}", file=sys.stderr)
            continue
        print(f"{p.name}: outputs stored")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
