"""The cookbook reads as steps (issue 17 item 13): checks on the notebooks' stored outputs and cells, and on the
cookbook helpers that make them.

- no output shows a raw Python repr (``SettleResult(steps=16, …)``) — every notebook;
- no change table runs on: at most ``CHANGE_LINES`` lines, the rest counted ("… and 12 more lines") — every notebook;
- no identifier is broken mid-word across the lines of a table cell — every notebook;
- in the notebooks rewritten as steps (``STEPWISE``): every code cell is short (``MAX_LINES``; the closing
  "What must be true" check and a cell that only draws a diagram excepted) and every step shows the equivalent
  ``kratix-lab`` command beside it (in its output, or in the markdown just above);
- the tour draws the road by role (a few boxes with counts), not one box per machine-named object.

The other notebooks are still to be rewritten as steps: ``STEPWISE`` grows as they are.
"""

from __future__ import annotations

import itertools
import re
import sys

import nbformat
import pytest

from tests.helpers import ROOT

NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
STEPWISE = [
    "00-tour.ipynb",
    "01-vcluster-orchestrator.ipynb",
    "02-vcluster-core.ipynb",
    "03-vcluster-coredns.ipynb",
    "04-vcluster-kubeconfig-sync.ipynb",
    "05-vcluster-kubeconfig-external-secret.ipynb",
    "06-vcluster-argocd-cluster-registration.ipynb",
    "07-argocd-project.ipynb",
    "08-argocd-application.ipynb",
    "09-new-promise.ipynb",
    "10-troubleshooting.ipynb",
    "11-kubectl.ipynb",
]  # every code cell one step, its command beside it
MAX_LINES = 8
CHANGE_LINES = 10
ANSI = re.compile(r"\x1b\[[0-9;]*m")
REPR = re.compile(r"\b[A-Z][A-Za-z]+\((?:[a-z_]+)=")  # a dataclass repr: SettleResult(steps=…, TraceNode(kind=…
CHECK = "# What must be true"


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _texts(cell: nbformat.NotebookNode) -> list[str]:
    """Every plain-text output of a code cell, colours removed."""
    out = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        for text in (o.get("text"), data.get("text/plain"), data.get("text/markdown")):
            if text:
                out.append(ANSI.sub("", text if isinstance(text, str) else "".join(text)))
    return out


def raw_reprs(text: str) -> list[str]:
    return [text[m.start() : m.start() + 60] for m in REPR.finditer(text)]


def change_tables(text: str) -> list[list[str]]:
    """The body lines of each change table (``cookbook.changes_table``) in an output."""
    tables, current = [], None
    for line in text.splitlines():
        if "objects (namespace:" in line:
            current = []
            tables.append(current)
        elif current is not None and line.startswith("└"):
            current = None
        elif current is not None and re.match(r"^│ (created|updated|deleted|…) ", line):
            current.append(line)
    return tables


JOINED = re.compile(r"[-./:_0-9]")  # what identifiers have and prose words do not: names, paths, URLs, SHAs
PATTERN = re.compile(r"[\[\]^$()*?|{}\\]")  # a schema's regex (api_table folds those on purpose: not a name; a name
# cut with … is whole on its line)


def broken_words(text: str) -> list[str]:
    """Table cells whose text runs to the cell's edge on one line and goes on, without a space, on the next line of
    the same row: a name folded across lines (rich's ``overflow="fold"``), e.g. ``vcluster-orchestrato`` /
    ``r-media``. A line continues the row above when its first cell is blank; only identifiers count (the two
    halves, joined, have a '-', '.', '/', ':', '_' or a digit): prose wraps between words."""
    found = []
    lines = text.splitlines()
    for a, b in itertools.pairwise(lines):
        if not (a.startswith("│") and b.startswith("│")) or len(a) != len(b):
            continue
        bars = [i for i, ch in enumerate(a) if ch == "│"]
        if bars != [i for i, ch in enumerate(b) if ch == "│"] or len(bars) < 2 or b[1 : bars[1]].strip():
            continue
        for left, right in itertools.pairwise(bars):
            cell_a, cell_b = a[left + 1 : right], b[left + 1 : right]
            if len(cell_a) < 3 or cell_a[-2] in " …" or cell_b[1] == " ":
                continue
            tail, head = cell_a.split()[-1], cell_b.split()[0]
            joined = tail + head.rstrip(".,;:)")  # a sentence's full stop is not part of a name
            # "Cluster-scoped" / "kinds", "length:" / "..63": a sentence wrapped at a space (names are lowercase and do
            # not end in a colon or comma)
            prose = tail[0].isupper() or tail[-1] in ",;:"
            if JOINED.search(joined) and "…" not in joined and not PATTERN.search(joined) and not prose:
                found.append(f"{cell_a.strip()!r} / {cell_b.strip()!r}")
    return found


# ---- the checks, first on text made to fail them (so they can fail), then on the stored notebooks ----------------


def test_the_checks_catch_what_they_look_for():
    assert raw_reprs("SettleResult(steps=16, time='2026-01-01T00:01:30Z', quiescent=True, writes=3)")
    assert not raw_reprs("settled after 16 rounds; quiescent (SecretSynced) Ready=True")
    folded = (
        "│ created │ platform-requests: vcluster-orchestrato │\n│         │ r-media-vcluster-orchestrator-abcde     │"
    )
    assert broken_words(folded) == ["'platform-requests: vcluster-orchestrato' / 'r-media-vcluster-orchestrator-abcde'"]
    wrapped = "│ created │ platform-requests:          │\n│         │ vcluster-orchestrator-abcde │"
    assert broken_words(wrapped) == []
    next_row = "│ kratix-state-reconciler │\n│ platform-requests-x     │"  # two rows, each filling its cell
    assert broken_words(next_row) == []
    prose = "│ a │ namespace; vClusters need │\n│   │ privileged (hostPath for) │"  # words wrapped at a space
    assert broken_words(prose) == []
    assert broken_words("│ a │ Cluster-scoped │\n│   │ kinds the      │") == []
    assert broken_words("│ a │ Argo CD runs │\n│   │ in.          │") == []
    assert broken_words("│ a │ $; length: │\n│   │ ..63       │") == []
    pattern = "│ a │ ^[a-z0-9]([-a │\n│   │ -z0-9]*[a-z0-9])?$ │"  # a regex folded on purpose
    assert broken_words(pattern) == []
    table = "objects (namespace: names)\n" + "│ created │ x │\n" * 11 + "└──┘"
    assert [len(t) for t in change_tables(table)] == [11]


@pytest.mark.parametrize("name", ALL)
def test_no_output_is_a_raw_python_repr(name):
    bad = [(i, r) for i, c in enumerate(_read(name).cells) for t in _texts(c) for r in raw_reprs(t)]
    assert not bad, f"{name}: raw reprs in outputs (cell, text): {bad}"


@pytest.mark.parametrize("name", ALL)
def test_change_tables_are_capped_with_a_count_of_the_rest(name):
    for i, c in enumerate(_read(name).cells):
        for t in _texts(c):
            for rows in change_tables(t):
                assert len(rows) <= CHANGE_LINES + 1, f"{name} cell {i}: a change table of {len(rows)} lines"
                if len(rows) == CHANGE_LINES + 1:
                    assert "… and " in rows[-1] and "more lines" in rows[-1], rows[-1]


@pytest.mark.parametrize("name", ALL)
def test_no_identifier_breaks_mid_word_in_a_change_table(name):
    bad = [
        (i, w)
        for i, c in enumerate(_read(name).cells)
        for t in _texts(c)
        if "objects (namespace:" in t
        for w in broken_words(t[t.index("objects (namespace:") :].split("└")[0])
    ]
    assert not bad, f"{name}: names folded across change-table lines (cell, text): {bad}"


@pytest.mark.parametrize("name", STEPWISE)
def test_no_identifier_breaks_mid_word_in_any_table(name):
    bad = [(i, w) for i, c in enumerate(_read(name).cells) for t in _texts(c) for w in broken_words(t)]
    assert not bad, f"{name}: names folded across table lines (cell, text): {bad}"


def _figure(source: str) -> bool:
    """A cell that only draws a diagram (``import cookbook`` and one ``cookbook.mermaid(…)`` call): its text is the
    figure, not plumbing, and it is not a step."""
    body = source.replace("import cookbook", "", 1).strip()
    return body.startswith("cookbook.mermaid(") and body.count("cookbook.") == 1


def _steps(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """Code cells that do something (not only imports, not a figure, not the closing check)."""
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or c.source.startswith(CHECK) or _figure(c.source):
            continue
        lines = [line for line in c.source.splitlines() if line.strip()]
        setup = [line for line in lines if not line.startswith(("import ", "from ", "#"))]
        if all("(" not in line for line in setup):  # imports and constants: setup, not a step
            continue
        out.append((i, c))
    return out


@pytest.mark.parametrize("name", STEPWISE)
def test_every_code_cell_reads_as_one_step(name):
    nb = _read(name)
    long = [
        (i, len(c.source.splitlines()))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and not c.source.startswith(CHECK)
        and not _figure(c.source)
        and len(c.source.splitlines()) > MAX_LINES
    ]
    assert not long, f"{name}: code cells over {MAX_LINES} lines (cell, lines): {long}"


@pytest.mark.parametrize("name", STEPWISE)
def test_every_step_shows_its_kratix_lab_command(name):
    nb = _read(name)
    missing = []
    for i, c in _steps(nb):
        before = nb.cells[i - 1].source if i and nb.cells[i - 1].cell_type == "markdown" else ""
        if not any("$ kratix-lab " in t for t in _texts(c)) and "`kratix-lab " not in before:
            missing.append((i, c.source.splitlines()[0]))
    assert not missing, f"{name}: steps without their kratix-lab command (cell, first line): {missing}"


def _mermaid(nb: nbformat.NotebookNode) -> list[str]:
    return [t for c in nb.cells for t in _texts(c) if t.startswith("```mermaid")]


def test_a_figure_is_not_a_step_but_a_cell_that_does_more_is():
    assert _figure('import cookbook\n\ncookbook.mermaid(\n    """\nflowchart LR\n  a --> b\n"""\n)')
    assert not _figure('import cookbook\ncookbook.mermaid("flowchart LR")\nlab = cookbook.fresh_lab()')


def test_the_tour_draws_the_road_by_role_with_counts():
    (diagram,) = _mermaid(_read("00-tour.ipynb"))
    boxes = re.findall(r'^\s+(\w+)\["([^"]*)"\]', diagram, re.MULTILINE)
    assert 6 <= len(boxes) <= 14, f"{len(boxes)} boxes: one per role, not one per object"
    labels = " ".join(label for _, label in boxes)
    assert not re.search(r"-[a-z0-9]{5}\b", labels), "machine-generated names in the diagram"
    for want in ("7 sub-requests", "8 pipeline runs", "7 commits", "7 pods", "Argo CD", "Helm"):
        assert want in labels, f"{want!r} not in the diagram: {labels}"


# ---- the cookbook helpers themselves ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cookbook():
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import cookbook as module
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return module


def _render(cookbook, renderable) -> str:
    from rich.console import Console

    console = Console(width=cookbook.WIDTH, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def _rows(n: int, kinds: int) -> list[dict[str, str]]:
    return [
        {
            "change": "created",
            "kind": f"Kind{k:02d}",
            "namespace": "platform-requests",
            "name": f"vcluster-orchestrator-media-vcluster-orchestrator-config-{i:05d}.the-cluster-5058f",
            "fields": "",
            "status": "Ready=True (WorkloadsWrittenToStateStore), versionID 3a6ae19d",
        }
        for k in range(kinds)
        for i in range(n)
    ]


def test_a_change_table_is_capped_and_counts_what_it_left_out(cookbook):
    text = _render(cookbook, cookbook.changes_table(_rows(5, 14), "objects that changed"))
    (rows,) = change_tables(text)
    assert len(rows) == CHANGE_LINES + 1
    assert "… and 4 more lines: 20 objects" in rows[-1]
    assert text.count("… and 2 more (5 in all)") == CHANGE_LINES
    assert broken_words(text) == []
    assert "vcluster-orchestrator-media…" in text  # long names cut in the middle, never folded


def test_a_short_change_table_is_whole(cookbook):
    text = _render(cookbook, cookbook.changes_table(_rows(2, 3)))
    (rows,) = change_tables(text)
    assert len(rows) == 3 and "more" not in text


def test_shorten_keeps_both_ends_and_the_width(cookbook):
    name = "kratix-vcluster-orchestrator-media-vcluster-orchestrator-nz6z2"
    assert cookbook.shorten(name, 100) == name
    short = cookbook.shorten(name, 30)
    assert len(short) == 30 and short.startswith("kratix-vcluster") and short.endswith("nz6z2") and "…" in short


def test_a_generic_table_never_folds_a_column_of_names(cookbook):
    rows = [{"NAME": "x" * 30 + f"-{i}-" + "y" * 40, "MESSAGE": "a long message " * 8} for i in range(3)]
    text = _render(cookbook, cookbook.table(rows))
    assert broken_words(text) == []


def test_settle_results_and_traces_read_as_words(cookbook):
    from kratix_lab.platform.lab import SettleResult

    line = cookbook.settle_line(SettleResult(16, "2026-01-01T00:01:30Z", True, 27))
    assert line == "16 steps, 27 writes; simulated time 2026-01-01T00:01:30Z; quiescent"  # as `kratix-lab settle`
    assert str(SettleResult(1, "2026-01-01T00:00:05Z", False, 1)) == (
        "1 step, 1 write; simulated time 2026-01-01T00:00:05Z; NOT quiescent"
    )
    assert not raw_reprs(line) and not raw_reprs(f"{SettleResult(2, 't', True, 0)}")
