"""`make book`: the cookbook's notebooks as a static website, built with Jupyter Book 2 from their STORED outputs.

    python book/build.py               # the site in build/book/html (serve it: python -m http.server -d build/book/html)
    python book/build.py --out DIR     # somewhere else

Nothing is re-executed: each page shows what its notebook stored (what nbval compares). Three steps:

1. The theme. `jupyter-book build --html` renders pages with a MyST site theme that it downloads, prebuilt, from
   GitHub; no package registry publishes it built. book/theme/ holds its source (myst-theme v1.3.1, MIT; see
   book/theme/VENDORED.md), built here once with packages from the npm registry into build/book-theme/ (about two
   minutes; rebuilt only when book/theme/ changes).
2. The project. A MyST project is staged in build/book/src/: book/index.md, a copy of each notebook, and the
   untouched notebook beside it for download. The copy differs in two ways only: a first cell links the page to
   the notebook that produced it, and a Mermaid diagram that a cell displayed (a `text/markdown` output, which
   MyST leaves as raw text: jupyter-book/mystmd#1026) becomes a Markdown cell just below that code cell, so the
   theme draws it like the diagrams written in Markdown cells. The navigation follows the road: the tour, the
   Promises in road order, the new-Promise tutorial, troubleshooting.
3. The site. `jupyter-book build --html` with the local theme; the pages are copied to the output directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
THEME_SOURCE = BOOK / "theme"
THEME_BUILD = ROOT / "build" / "book-theme"
OUT = ROOT / "build" / "book"

TITLE = "kratix-lab cookbook"
SOURCES = "notebooks"  # where the untouched notebooks sit in the staged project (and so in the site)
MERMAID = re.compile(r"^```mermaid\s*$", re.MULTILINE)


class BookError(Exception):
    """The book cannot be built; the message names the file (and cell) and what to do."""


@dataclass(frozen=True)
class Part:
    """One entry of the navigation: a page, or a titled group of pages."""

    title: str | None
    files: tuple[str, ...]


def road(notebooks: list[str]) -> list[Part]:
    """The navigation, in the order of the road: tour, the Promises (orchestrator first, then the sub-Promises in
    the catalogue's order: the notebooks' numbers), the new-Promise tutorial, troubleshooting, then the same
    troubleshooting with the real kubectl.

    A notebook that fits nowhere is an error, so a new one cannot silently miss the site."""
    from kratix_lab.promises import CATALOGUE_PROMISES

    promises = [CATALOGUE_PROMISES[-1], *CATALOGUE_PROMISES[:-1]]  # the request a developer writes, then its parts
    wanted = {f"{i:02d}-{name}.ipynb" for i, name in enumerate(promises, start=1)}
    by_name = set(notebooks)
    after = ("09-new-promise.ipynb", "10-troubleshooting.ipynb", "11-kubectl.ipynb")
    unplaced = sorted(by_name - wanted - {"00-tour.ipynb", *after})
    if unplaced:
        raise BookError(
            f"notebooks/{unplaced[0]}: not on the road (expected 00-tour, NN-<promise> for "
            f"{', '.join(promises)}, 09-new-promise, 10-troubleshooting or 11-kubectl); name it so or add it to "
            "book/build.py road()"
        )
    missing = sorted((wanted | {"00-tour.ipynb"}) - by_name)
    if missing:
        raise BookError(f"notebooks/{missing[0]}: missing; the book's road needs it")
    parts = [Part(None, ("00-tour.ipynb",))]
    parts.append(Part("The Promises, in road order", tuple(sorted(wanted))))
    parts += [Part(None, (name,)) for name in after if name in by_name]
    return parts


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def page_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The notebook as its page shows it (see the module's docstring); `nb` is not changed.

    Refuses a notebook with a code cell that was never run: the book shows stored outputs, it runs nothing."""
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None:
            raise BookError(
                f"notebooks/{name}: cell {i} has no stored output (never run); "
                f"run `make notebooks-refresh` (or `python notebooks/regenerate.py {name}`) first"
            )
    page = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    cells = []
    for cell in page.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            markdown = output.get("data", {}).get("text/markdown")
            if markdown is not None and MERMAID.search(_text(markdown)):
                cells.append(nbformat.v4.new_markdown_cell(_text(markdown)))
            else:
                kept.append(output)
        cell.outputs = kept
    link = f"{SOURCES}/{name}"
    front = f"---\ndownloads:\n  - file: {link}\n    title: the notebook ({name})\n---\n\n"
    note = (
        f":::{{note}} The notebook behind this page\n"
        f"This page is [`notebooks/{name}`]({link}) as stored in the repository, outputs included: nothing was "
        "re-run to build it. Open it in JupyterLab with `make notebooks`; `make test` runs it and compares every "
        "output (nbval).\n:::\n"
    )
    # The notebook's '# title' stays the page's first content, so MyST takes it as the title (and shows it once);
    # the note follows it.
    first = cells[0] if cells and cells[0].cell_type == "markdown" else None
    if first is not None and first.source.lstrip().startswith("# "):
        title, _, rest = first.source.lstrip().partition("\n")
        head = [nbformat.v4.new_markdown_cell(front + title), nbformat.v4.new_markdown_cell(note)]
        page.cells = head + ([nbformat.v4.new_markdown_cell(rest)] if rest.strip() else []) + cells[1:]
    else:
        page.cells = [nbformat.v4.new_markdown_cell(front + note), *cells]
    return page


def index_page(parts: list[Part], titles: dict[str, str]) -> str:
    """book/index.md followed by the road: every page, in navigation order, with its notebook's title."""
    lines = [(BOOK / "index.md").read_text(encoding="utf-8").rstrip(), "", "## The road, page by page", ""]
    for part in parts:
        if part.title:
            lines += ["", f"**{part.title}**", ""]
        lines += [f"1. [{titles[f]}]({f})" for f in part.files]
    return "\n".join(lines) + "\n"


def _title(nb: nbformat.NotebookNode, name: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
            if first.startswith("# "):
                return first[2:].strip()
            break
    raise BookError(f"notebooks/{name}: the first cell must start with a '# ' title (the page's title)")


def stage(src: Path, notebooks: Path = NOTEBOOKS, theme: Path = THEME_BUILD) -> list[Part]:
    """Write the MyST project into `src` (emptied first); returns the navigation it holds."""
    names = sorted(p.name for p in notebooks.glob("*.ipynb"))
    if not names:
        raise BookError(f"{notebooks}: no notebooks")
    parts = road(names)
    if src.exists():
        shutil.rmtree(src)
    (src / SOURCES).mkdir(parents=True)
    titles = {}
    for name in [f for part in parts for f in part.files]:
        path = notebooks / name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as e:  # nbformat raises several kinds for a damaged file
            raise BookError(f"notebooks/{name}: not a readable notebook: {e}") from e
        titles[name] = _title(nb, name)
        nbformat.write(page_notebook(nb, name), src / name)
        shutil.copyfile(path, src / SOURCES / name)  # byte for byte: what the page links to
    (src / "index.md").write_text(index_page(parts, titles), encoding="utf-8")
    shutil.copyfile(BOOK / "favicon.png", src / "favicon.png")
    toc = [{"file": "index.md"}]
    for part in parts:
        entries = [{"file": f} for f in part.files]
        toc += [{"title": part.title, "children": entries}] if part.title else entries
    config = {
        "version": 1,
        "project": {"title": TITLE, "toc": toc},
        "site": {
            "template": str(theme),
            "options": {"logo_text": TITLE, "favicon": "favicon.png", "folders": False},
        },
    }
    # JSON is YAML: no YAML writer needed here
    (src / "myst.yml").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return parts


def _run(cmd: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise BookError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)} in {cwd}\n{tail}")


def _theme_key(source: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_theme(source: Path = THEME_SOURCE, dest: Path = THEME_BUILD, log=print) -> Path:
    """The book theme, built from its source in `dest` (kept between builds, rebuilt when `source` changes)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise BookError("node and npm are needed to build the book's theme (Debian: apt-get install nodejs npm)")
    key = _theme_key(source)
    stamp = dest / ".kratix-lab-theme"
    if stamp.is_file() and stamp.read_text() == key:
        return dest
    log(f"building the book theme in {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest} (once)…")
    if dest.exists():
        stamp.unlink(missing_ok=True)
        for child in dest.iterdir():  # keep node_modules: npm ci replaces it anyway, and fast from its cache
            if child.name != "node_modules":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, dest, dirs_exist_ok=True)
    # --ignore-scripts: no install script runs (none is needed; some would try to download binaries)
    _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], dest, "installing the theme's npm packages")
    for patch in sorted((dest / "patches").glob("*.patch")):
        package = patch.stem.replace("+", "/", 1) if patch.stem.startswith("@") else patch.stem
        _run(["patch", "-p1", "--forward", "-i", str(patch)], dest / "node_modules" / package, f"patching {package}")
    bin_ = dest / "node_modules" / ".bin"
    _run([str(bin_ / "tailwindcss"), "-m", "-i", "styles/app.css", "-o", "app/styles/app.css"], dest, "tailwindcss")
    _run([str(bin_ / "copy-thebe-assets"), "public"], dest, "copying thebe's assets")
    _run(
        [str(bin_ / "remix"), "build"],
        dest,
        "building the theme (remix build)",
        env={**os.environ, "NODE_ENV": "production"},
    )
    stamp.write_text(key)
    return dest


def jupyter_book() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    if not exe.exists():
        raise BookError(f"{exe}: jupyter-book is not installed in this environment (pip install -e '.[dev]')")
    return [str(exe)]


def build(out: Path = OUT, log=print) -> Path:
    """Build the site; returns the directory of its pages (out/html)."""
    started = time.monotonic()
    theme = build_theme(log=log)
    src = out / "src"
    stage(src, theme=theme)
    log(f"building the site from {len(list(src.glob('*.ipynb')))} notebooks…")
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    _run([*jupyter_book(), "build", "--html", "--strict"], src, "jupyter-book build --html", env=env)
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(src / "_build" / "html", html)
    log(f"the site is in {html} ({time.monotonic() - started:.0f} s); serve it with: python -m http.server -d {html}")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (default: build/book)")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve())
    except BookError as e:
        print(f"make book: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
