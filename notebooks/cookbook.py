"""What every cookbook notebook shares: a fresh lab of its own and rich displays that render the same way every run.

A front end like the dashboard: it may import Jupyter, kratix_lab may not. Rich prints HTML (and a plain-text
copy) in Jupyter; the width and colours are fixed so nbval can compare the stored outputs exactly.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from IPython.display import Markdown, display
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from kratix_lab import Lab
from kratix_lab.model import dump
from kratix_lab.promises import load_catalogue
from kratix_lab.views.explain_view import field_rows

WIDTH = 110
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_requests"

# Jupyter is detected by rich; fixed width and colour system keep the HTML byte-identical across runs.
console = Console(width=WIDTH, color_system="truecolor", force_jupyter=None, legacy_windows=False)

_labs: list[Path] = []


def fresh_lab(seed: str = "kratix-lab") -> Lab:
    """A new lab in a temporary directory (removed when the kernel exits): each notebook runs alone, in any order."""
    path = Path(tempfile.mkdtemp(prefix="kratix-lab-cookbook-")) / "lab"
    _labs.append(path.parent)
    return Lab(path, seed=seed)


@atexit.register
def _cleanup() -> None:
    for p in _labs:
        shutil.rmtree(p, ignore_errors=True)


def show(*renderables: Any) -> None:
    """Print rich renderables (trees, tables, text) with the cookbook's fixed console."""
    for r in renderables:
        console.print(r)


def show_yaml(obj: Any, title: str | None = None) -> None:
    """An object (or YAML text) as syntax-highlighted YAML, written by kratix_lab's one YAML dumper."""
    text = obj if isinstance(obj, str) else dump(obj)
    if title:
        console.print(Text(title, style="bold"))
    console.print(Syntax(text.rstrip("\n"), "yaml", theme="ansi_light", word_wrap=True, background_color="default"))


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str] | None = None, title: str | None = None) -> Table:
    """A rich table from a list of dicts (columns: the given keys, else the first row's)."""
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    t = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
    return t


def show_table(rows: Iterable[dict[str, Any]], columns: Sequence[str] | None = None, title: str | None = None) -> None:
    console.print(table(rows, columns, title))


def api_table(promise_name: str, root: str = "spec") -> Table:
    """A Promise's API built from its schema: field, type, default, allowed values, description."""
    crd = load_catalogue().get(promise_name).crd
    rows = [
        {
            "field": r["field"].removeprefix("spec."),
            "type": r["type"] + (" (required)" if r["required"] else ""),
            "default": "" if r["default"] is None else dump(r["default"]).strip(),
            "allowed": ", ".join(map(str, r["allowed"])) if r["allowed"] else "; ".join(r["constraints"]),
            "description": r["description"],
        }
        for r in field_rows(crd, root)
    ]
    return table(rows, title=f"{crd.kind} ({crd.group}/{crd.storage_version})")


def mermaid(text: str) -> None:
    """A Mermaid diagram; JupyterLab 4 draws ```mermaid blocks in Markdown output."""
    display(Markdown(f"```mermaid\n{text.rstrip()}\n```"))
