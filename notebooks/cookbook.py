"""What every cookbook notebook shares: a fresh lab of its own and rich displays that render the same way every run.

A front end like the dashboard: it may import Jupyter, kratix_lab may not. Rich prints HTML (and a plain-text
copy) in Jupyter; the width and colours are fixed so nbval can compare the stored outputs exactly.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import itertools
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from IPython.display import Markdown, display
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from kratix_lab import Lab
from kratix_lab.model import MODELLED_ANNOTATION, dump, load_documents, load_one
from kratix_lab.pipeline.executors import Executor
from kratix_lab.pipeline.runner import PipelineRun, WorkflowResult, run_workflow
from kratix_lab.platform.gitrepo import GitRepo
from kratix_lab.promise import Promise
from kratix_lab.promises import load_catalogue
from kratix_lab.render import admit
from kratix_lab.startup import skip_slow_optional_imports
from kratix_lab.views.explain_view import field_rows

skip_slow_optional_imports()  # before anything imports jsonschema: saves seconds per kernel (see kratix_lab.startup)

WIDTH = 110
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_requests"

# Jupyter is detected by rich; fixed width and colour system keep the HTML byte-identical across runs.
console = Console(width=WIDTH, color_system="truecolor", force_jupyter=None, legacy_windows=False)

_labs: list[Path] = []


def fresh_lab(seed: str = "kratix-lab", executor: str | Executor = "in-process") -> Lab:
    """A new lab in a temporary directory (removed when the kernel exits): each notebook runs alone, in any order.

    ``executor`` runs the pipelines (e.g. a ``LocalPipelineExecutor`` for a Promise whose image is not built)."""
    path = Path(tempfile.mkdtemp(prefix="kratix-lab-cookbook-")) / "lab"
    _labs.append(path.parent)
    return Lab(path, seed=seed, executor=executor)


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


def show_table(rows: Iterable[dict[str, Any]], columns: Sequence[str] | None = None, title: str | None = None) -> None:
    console.print(table(rows, columns, title))


def mermaid(text: str) -> None:
    """A Mermaid diagram; JupyterLab 4 draws ```mermaid blocks in Markdown output."""
    display(Markdown(f"```mermaid\n{text.rstrip()}\n```"))


# ---- tables, the API reference, pipeline runs, diffs ---------------------------------------------------------


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str] | None = None, title: str | None = None) -> Table:
    """A rich table from a list of dicts (columns: the given keys, else the first row's). Every cell is literal text
    (``[a-z0-9]`` in a pattern or ``map[string]string`` is not read as rich markup); text wraps at spaces, a
    column of identifiers (no cell has a space) never wraps, and a word too long for its column is cut with …:
    a name is never broken mid-word."""
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    t = Table(title=title, title_justify="left", header_style="bold", min_width=min(len(title or ""), WIDTH))
    cells = [["" if r.get(c) is None else str(r.get(c)) for c in cols] for r in rows]
    for i, c in enumerate(cols):
        # a column of identifiers (no cell has a space) never wraps: a name is cut with … rather than broken mid-word
        names = bool(cells) and all(" " not in row[i] and "\n" not in row[i] for row in cells)
        t.add_column(c, overflow="ellipsis", no_wrap=names)
    for row in cells:
        t.add_row(*(Text(v) for v in row))
    return t


def api_table(promise: str | Promise, root: str = "spec") -> Table:
    """A Promise's API from its schema (a catalogue name or any ``Promise``): field, type, default, allowed values,
    description — nested fields indented under their parent, patterns and types literal, nothing cut off."""
    crd = (load_catalogue().get(promise) if isinstance(promise, str) else promise).crd
    rows = []
    for r in field_rows(crd, root):
        path = r["field"].removeprefix(f"{root}.")
        depth = path.count(".")
        rows.append(
            {
                "field": "  " * depth + path.rsplit(".", 1)[-1],
                "type": r["type"] + (" (required)" if r["required"] else ""),
                "default": "" if r["default"] is None else dump(r["default"]).strip(),
                "allowed": ", ".join(map(str, r["allowed"])) if r["allowed"] else "; ".join(r["constraints"]),
                "description": r["description"],
            }
        )
    t = table(rows, title=f"{crd.kind} ({crd.group}/{crd.storage_version}): {root}")
    t.columns[0].no_wrap = True
    t.columns[2].max_width = 24  # a long default (a URL) is cut with …: `kratix-lab explain` shows it whole
    t.columns[3].overflow = "fold"  # a pattern is shown whole, folded if it must be: it is not a name
    t.columns[3].min_width = 20  # "(x-kubernetes-preserve-unknown-fields)" wraps between its two words of prose
    t.columns[4].min_width = 34  # the description reads as sentences, not one word a line
    return t


def show_text(text: str, style: str | None = None) -> None:
    """Literal text (an error message, a log), never read as markup."""
    console.print(Text(text.rstrip("\n"), style=style or ""))


def show_code(text: str, lexer: str = "bash", title: str | None = None) -> None:
    """A script or config as syntax-highlighted code."""
    if title:
        console.print(Text(title, style="bold"))
    console.print(Syntax(text.rstrip("\n"), lexer, theme="ansi_light", word_wrap=True, background_color="default"))


def run_env_table(run: Any) -> Table:
    """The environment Kratix gives a pipeline's containers (a ``PipelineRun`` of ``kratix_lab.pipeline.runner``)."""
    return table(({"variable": k, "value": v} for k, v in run.env.items()), title=f"env of {run.name}")


def run_outputs(run: Any) -> list[tuple[str, dict[str, Any]]]:
    """(file, object) for every document a pipeline wrote to /kratix/output (read with kratix_lab's one loader)."""
    return [
        (w.filepath, doc.data)
        for w in run.workloads
        for doc in load_documents(w.content.decode("utf-8"), w.filepath)
        if isinstance(doc.data, dict)
    ]


def run_outputs_table(run: Any) -> Table:
    """What a pipeline wrote to /kratix/output: file, kind, name and namespace of each object."""
    rows = [
        {
            "/kratix/output/…": f,
            "kind": o.get("kind"),
            "name": (o.get("metadata") or {}).get("name"),
            "namespace": (o.get("metadata") or {}).get("namespace") or "(cluster-scoped)",
        }
        for f, o in run_outputs(run)
    ]
    return table(rows, title=f"outputs of {run.name}: {run.phase}")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested maps as ``{"a.b.c": leaf}`` (lists are leaves): the input of a field-by-field comparison."""
    if isinstance(data, dict) and data:
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: data}


def differences(named: dict[str, Any], missing: str = "—") -> list[dict[str, Any]]:
    """Rows of every flattened field whose value differs between the named objects (one column per name)."""
    flat = {n: flatten(d) for n, d in named.items()}
    keys: list[str] = []
    for f in flat.values():
        keys += [k for k in f if k not in keys]
    rows = []
    for k in keys:
        values = [f.get(k, missing) for f in flat.values()]
        if any(v != values[0] for v in values):
            rows.append({"field": k, **{n: f.get(k, missing) for n, f in flat.items()}})
    return rows


def kubectl_get(
    lab: Lab,
    kind: str,
    namespace: str | None = None,
    selector: dict[str, Any] | None = None,
    *,
    wide: bool = False,
    title: str | None = None,
) -> Table:
    """``kubectl get`` of the lab (the CLI's columns), as a literal table titled with the equivalent command."""
    from kratix_lab.views.lab_view import get_table

    objs = lab.list(kind, namespace, selector)
    # a NAMESPACE column only for namespaced objects (as ``kratix-lab get -A`` prints it)
    namespaced = any(o["metadata"].get("namespace") for o in objs)
    data = get_table(lab, objs, show_namespace=namespace is None and namespaced, wide=wide)
    return table(
        data.records(),
        data.headers,
        title
        or f"$ kratix-lab get {kind.lower()}"
        + (f" -n {namespace}" if namespace else " -A")
        + (" -l " + ",".join(f"{k}={v}" for k, v in selector.items()) if selector else ""),
    )


def works_table(lab: Lab, resource_name: str | None = None, promise: str | None = None) -> Table:
    """Works and their WorkPlacements: the Promise that wrote each, its Destination and commit (``versionID``)."""
    selector = {k: v for k, v in (("kratix.io/resource-name", resource_name), ("kratix.io/promise-name", promise)) if v}
    rows = []
    for w in lab.list("Work", None, selector or None):
        labels = w["metadata"].get("labels") or {}
        placements = lab.list("WorkPlacement", w["metadata"]["namespace"], {"kratix.io/work": w["metadata"]["name"]})
        for wp in placements or [{}]:
            rows.append(
                {
                    "promise": labels.get("kratix.io/promise-name"),
                    "request": labels.get("kratix.io/resource-name"),
                    "Work": w["metadata"]["name"],
                    "destination": (wp.get("spec") or {}).get("targetDestinationName", "(unscheduled)"),
                    "commit": ((wp.get("status") or {}).get("versionID") or "")[:8],
                }
            )
    columns = ["promise", *([] if resource_name else ["request"]), "Work", "destination", "commit"]
    t = table(rows, columns, title="Works → WorkPlacements (destination) → commits (versionID)")
    t.columns[0].no_wrap = True
    t.columns[-2].min_width = max([len("destination"), *(len(r["destination"]) for r in rows)])
    t.columns[-1].min_width = 8  # a short SHA whole: the long Work name is the one cut with …
    return t


# ---- one request up close (the per-Promise notebooks 05–08): samples, a local pipeline run, the state repo -----


def sample(name: str) -> dict[str, Any]:
    """A request from sample_requests/ as a dict: ``sample("media")``, ``sample("argocd-project")``."""
    return load_one((SAMPLES / f"{name}.yaml").read_text(encoding="utf-8"), f"sample_requests/{name}.yaml")


def run_configure(request: dict[str, Any]) -> WorkflowResult:
    """Admit ``request`` as the API server would (defaults applied) and run its Promise's configure workflow here,
    with the contract runner the lab uses: fresh /kratix directories and the KRATIX_* environment per pipeline."""
    promise, admission = admit(load_catalogue(), request)
    if not admission.ok:
        raise ValueError(admission.message)
    return run_workflow(promise, admission.object, "configure")


def show_outputs(run: PipelineRun) -> None:
    """Each file a pipeline wrote, as YAML under its /kratix/output path."""
    for w in run.workloads:
        show_yaml(w.content.decode("utf-8"), title=f"/kratix/output/{w.filepath}")


def repo_tree(repo: GitRepo, prefix: str, rev: str | None = None) -> Tree:
    """The files under ``prefix`` of a lab repository (at ``rev``, else the branch head) as a folder tree."""
    files = repo.read_files(prefix) if rev is None else repo.read_files(prefix, rev)
    root = Tree(Text(prefix.rstrip("/") + "/", style="bold"))
    nodes: dict[str, Tree] = {}
    for path in sorted(files):
        parent, parts = root, path.removeprefix(prefix).strip("/").split("/")
        for i, part in enumerate(parts[:-1]):
            key = "/".join(parts[: i + 1])
            if key not in nodes:
                nodes[key] = parent.add(Text(part + "/", style="bold"))
            parent = nodes[key]
        parent.add(Text(parts[-1]))
    return root


# ---- the road step by step, the state repo, diagnoses (the tour, the tutorial, troubleshooting) ----------------

ObjectKey = tuple[str, str, str]  # (kind, namespace, name)


def snapshot(lab: Lab) -> dict[ObjectKey, dict[str, Any]]:
    """Every object in the lab now (fresh copies): compare two snapshots with ``changes``."""
    return {(o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]): o for o in lab.store.list()}


def object_status(obj: dict[str, Any]) -> str:
    """One line saying how an object is doing, in the words its controller uses (a request's message is cut at
    60 characters: ``kubectl get`` shows it whole)."""
    from kratix_lab.model import get_condition
    from kratix_lab.views.lab_view import pod_ready, pod_status, workload_ready

    kind, st = obj.get("kind"), obj.get("status") or {}
    if kind == "Application":
        sync, health = st.get("sync") or {}, st.get("health") or {}
        rev = (sync.get("revision") or "")[:8]
        return f"{sync.get('status', 'Unknown')} / {health.get('status', 'Unknown')}" + (f" at {rev}" if rev else "")
    if kind == "Pod":
        return f"{pod_status(obj)} ({pod_ready(obj)} ready)"
    if kind in ("StatefulSet", "Deployment", "ReplicaSet"):
        return f"{workload_ready(obj)} ready"
    if kind == "Job":
        for ctype in ("Complete", "Failed"):
            if (get_condition(obj, ctype) or {}).get("status") == "True":
                return ctype
        return "running" if st.get("active") else ""
    if kind == "WorkPlacement":
        ready = get_condition(obj, "Ready") or {}
        version = (st.get("versionID") or "")[:8]
        return (
            f"Ready={ready.get('status', 'Unknown')}"
            + (f" ({ready['reason']})" if ready.get("reason") else "")
            + (f", versionID {version}" if version else "")
        )
    if kind == "Promise":
        return str(st.get("status") or "")
    rec = get_condition(obj, "Reconciled")
    if rec is not None:  # a Kratix resource request
        message = st.get("message", "")
        message = message if len(message) <= 60 else message[:59] + "…"
        return f"{message} (Reconciled={rec.get('status')}: {rec.get('reason', '')})"
    for ctype in ("Ready", "Available"):
        cond = get_condition(obj, ctype)
        if cond is not None:
            return f"{ctype}={cond.get('status')}" + (f" ({cond['reason']})" if cond.get("reason") else "")
    return str(st.get("phase") or "")


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = [k for k in sorted(set(old) | set(new)) if k not in ("metadata", "status") and old.get(k) != new.get(k)]
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    parts += [k for k in ("labels", "annotations", "finalizers") if om.get(k) != nm.get(k)]
    if nm.get("deletionTimestamp") and not om.get("deletionTimestamp"):
        parts.append("deletionTimestamp")
    if old.get("status") != new.get("status"):
        parts.append("status")
    return ", ".join(parts)


def changes(before: dict[ObjectKey, dict[str, Any]], after: dict[ObjectKey, dict[str, Any]]) -> list[dict[str, str]]:
    """What happened between two snapshots: one row per object created, updated or deleted."""
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if (
            old is not None
            and new is not None
            and old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion")
        ):
            continue
        change = "created" if old is None else "deleted" if new is None else "updated"
        obj = new if new is not None else old
        rows.append(
            {
                "change": change,
                "kind": key[0],
                "namespace": key[1],
                "name": key[2],
                "fields": _what_changed(old, new) if change == "updated" else "",
                "status": object_status(obj) if new is not None else "",
            }
        )
    return rows


def shorten(name: str, width: int) -> str:
    """``name`` cut in the middle to ``width`` characters (its start and its distinguishing end kept), never broken."""
    if len(name) <= width:
        return name
    head = (width - 1) * 2 // 3
    return name[:head] + "…" + name[len(name) - (width - 1 - head) :]


def changes_table(rows: list[dict[str, str]], title: str | None = None, limit: int = 10, names: int = 3) -> Table:
    """``changes`` rows grouped: objects of one kind with the same change and status share a line. A summary, not a
    dump: at most ``limit`` lines and ``names`` names a line, each with a count of what was left out ("… and 4
    more"); a name too long for its column is cut in the middle with …, never broken across lines (``kratix-lab get``
    shows it whole)."""
    groups: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault((r["change"], r["kind"], r["fields"], r["status"]), []).append((r["namespace"], r["name"]))
    order = {"created": 0, "updated": 1, "deleted": 2}
    ordered = sorted(groups.items(), key=lambda g: (order[g[0][0]], g[0][1]))
    shown = ordered[:limit]
    kind_w = max([len("kind"), *(len(k) for (_, k, _, _), _ in shown)])
    avail = WIDTH - 13 - len("updated") - kind_w  # four columns: five borders and a space each side of a cell
    natural = max([len("objects"), *(len(f"{ns}: {n}") for _, refs in shown for ns, n in refs[:names])])
    obj_w = min(natural, max(24, avail // 2))
    t = Table(title=title, title_justify="left", header_style="bold")
    t.add_column("change", no_wrap=True)
    t.add_column("kind", no_wrap=True)
    t.add_column("objects (namespace: names)", width=obj_w, overflow="ellipsis")
    t.add_column("status now (fields changed)", overflow="ellipsis")
    style = {"created": "green", "updated": "cyan", "deleted": "red"}
    for (change, kind, fields, status), refs in shown:
        by_ns: dict[str, list[str]] = {}
        for ns, name in refs[:names]:
            by_ns.setdefault(ns, []).append(name)
        lines = []
        for ns, ns_names in by_ns.items():
            one = (f"{ns}: " if ns else "") + ", ".join(ns_names)
            if len(one) <= obj_w:
                lines.append(one)
            else:  # the namespace on a line of its own, then one name a line
                lines += ([f"{ns}:"] if ns else []) + [shorten(n, obj_w) for n in ns_names]
        objects = Text("\n".join(lines))
        if len(refs) > names:
            objects.append(f"\n… and {len(refs) - names} more ({len(refs)} in all)", style="dim")
        now = Text(status)
        if fields:
            now.append(f"{' ' if status else ''}({fields})", style="dim")
        t.add_row(Text(change, style=style[change]), Text(kind), objects, now)
    if len(ordered) > limit:
        left = ordered[limit:]
        more = f"… and {len(left)} more lines: {sum(len(refs) for _, refs in left)} objects"
        t.add_row(Text("…", style="dim"), Text(""), Text(more, style="dim"), Text(""))
    return t


def show_changes(
    before: dict[ObjectKey, dict[str, Any]], after: dict[ObjectKey, dict[str, Any]], title: str | None = None
) -> list[dict[str, str]]:
    """Print what changed between two snapshots (grouped) and return the rows, for assertions."""
    rows = changes(before, after)
    console.print(changes_table(rows, title) if rows else Text("nothing changed", style="dim"))
    return rows


def show_conditions(lab: Lab, obj: dict[str, Any], title: str | None = None) -> None:
    """An object's conditions, as ``kubectl describe`` lists them (ages on the lab's clock)."""
    from kratix_lab.views.lab_view import conditions_table

    data = conditions_table(obj, lab.store.now_seconds())
    console.print(table(data.records(), data.headers, title))


def show_commits(commits: Sequence[Any], title: str | None = None, limit: int | None = None) -> None:
    """Commits of a lab repository (``repo.log()``), newest first: short SHA, date, author, subject and files
    (the first ``limit`` commits, then a count of the others: ``kratix-lab repo log`` lists them all)."""
    commits = list(commits)
    if title:
        console.print(Text(title, style="bold"))
    shown = commits if limit is None else commits[:limit]
    if not commits:
        console.print(Text("no commits", style="dim"))
    for c in shown:
        _print_commit(c)
    if len(shown) < len(commits):
        console.print(Text(f"… and {len(commits) - len(shown)} more commits ($ kratix-lab repo log)", style="dim"))


def _print_commit(c: Any) -> None:
    """One commit as ``repo log`` prints it: its header and folders cut with … at the console's width rather than
    wrapped mid-word, its files grouped by folder (a folder's files share a line, wrapped between names)."""
    from kratix_lab.views.lab_view import commit_rows

    (r,) = commit_rows([c])
    head = Text()
    head.append(r["short"], style="yellow")
    head.append(f"  {r['date']}  {r['author']}  ")
    head.append(r["subject"], style="bold")
    console.print(head, no_wrap=True, overflow="ellipsis")
    folders: dict[str, list[str]] = {}
    for f in r["files"]:
        folder, _, name = f.rpartition("/")
        folders.setdefault(folder, []).append(name)
    for folder, names in folders.items():
        console.print(Text(f"    {folder}/", style="dim"), no_wrap=True, overflow="ellipsis")
        console.print(Text("      " + ", ".join(names), style="dim"))


def new_commits(lab: Lab, since: str | None = None, repo: str = "state", path: str | None = None) -> list[Any]:
    """Commits on the main branch of the lab's ``state`` repo (the remote Kratix pushes to) or ``gitops`` repo,
    newer than ``since`` (a SHA; None: all) and touching ``path`` (a file or folder; None: any), newest first.
    Read through a fresh handle: a ``GitRepo`` kept open since before a push can miss the new pack."""
    root = lab.state_remote_path if repo == "state" else lab.gitops_repo_path
    out = []
    for c in GitRepo(root).log(path, max_count=500):
        if c.sha == since:
            break
        out.append(c)
    return out


def show_diff(before: str, after: str, name: str) -> None:
    """What an edit changed, as a unified diff."""
    import difflib

    diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{name}", f"b/{name}"))
    show_code(diff or "(no change)\n", "diff")


def show_diagnosis(d: Any) -> None:
    """A diagnosis (``kratix_lab.diagnose.diagnose``) as ``kratix-lab diagnose`` prints it: verdict, then findings."""
    from kratix_lab.views.trace_view import diagnosis_text

    verdict, _, rest = diagnosis_text(d).partition("\n")
    console.print(Text(verdict, style="bold green" if d.healthy or d.deleted else "bold red"))
    console.print(Text(rest.strip("\n")))


class Stage:
    """What some controller rounds did (``step_and_show``): the rounds, the changed objects, the new commits."""

    def __init__(self, results: list[Any], rows: list[dict[str, str]], commits: list[Any]):
        self.results, self.rows, self.commits = results, rows, commits

    def _refs(self, change: str, kind: str) -> list[str]:
        return [
            f"{r['namespace']}/{r['name']}" if r["namespace"] else r["name"]
            for r in self.rows
            if r["change"] == change and r["kind"] == kind
        ]

    def created(self, kind: str) -> list[str]:
        return self._refs("created", kind)

    def updated(self, kind: str) -> list[str]:
        return self._refs("updated", kind)

    def deleted(self, kind: str) -> list[str]:
        return self._refs("deleted", kind)


def step_and_show(lab: Lab, rounds: int = 1) -> Stage:
    """``lab.step()`` ``rounds`` times, then show what each controller wrote, every object that changed and the
    commits pushed to the state repo meanwhile. Returns a ``Stage`` for assertions."""
    from kratix_lab.views.lab_view import steps_table

    command("step" + (f" {rounds}" if rounds != 1 else ""), key="n")
    before, head = snapshot(lab), lab.state_remote.head()
    results = [lab.step() for _ in range(rounds)]
    data = steps_table(results)
    console.print(table(data.records(), data.headers, "objects each controller wrote, per round"))
    rows = show_changes(before, snapshot(lab), "objects that changed")
    commits = new_commits(lab, head)
    if commits:
        show_commits(commits, f"state-repo commits pushed ({len(commits)})", limit=3)
    return Stage(results, rows, commits)


def scratch_dir(name: str) -> Path:
    """A new, empty temporary directory for files a notebook writes (removed when the kernel exits, like the labs)."""
    path = Path(tempfile.mkdtemp(prefix=f"kratix-lab-cookbook-{name}-"))
    _labs.append(path)
    return path


# ---- one step per cell: the equivalent command beside each step, summaries instead of dumps ---------------------

COMMAND_STYLE = "bold magenta"


def command(args: str, key: str | None = None, note: str | None = None) -> None:
    """The CLI command that does what the cell does (``$ kratix-lab <args>``, run against the lab's directory with
    ``--lab DIR``) and, where there is one, the dashboard key (``kratix-lab tui``)."""
    line = Text(f"$ kratix-lab {args}", style=COMMAND_STYLE)
    if key:
        line.append(f"   dashboard: {key}", style="dim")
    if note:
        line.append(f"   ({note})", style="dim")
    console.print(line, no_wrap=True, overflow="ellipsis")


def submit(lab: Lab, name: str, show_file: bool = True) -> str:
    """The GitOps road's first step: admit ``sample_requests/<name>.yaml`` as the API server would and commit it to
    the gitops repo (``lab.submit``); shows the commit and the file. Returns the commit's SHA."""
    command(f"submit sample_requests/{name}.yaml", key="c", note="the create form")
    sha = lab.submit(SAMPLES / f"{name}.yaml")
    (commit,) = new_commits(lab, repo="gitops")[:1]
    show_commits([commit], "gitops repo: the new commit")
    for path in commit.files if show_file else []:
        show_yaml((lab.gitops_repo_path / path).read_text(encoding="utf-8"), path)
    return sha


def settle_line(result: Any) -> str:
    """A ``SettleResult`` in words, as ``kratix-lab settle`` prints it (``str``), never its dataclass repr."""
    return str(result)


def settle(lab: Lab) -> Any:
    """``lab.settle()``: rounds until nothing changes and nothing is due within ten simulated minutes; prints the
    command, a one-line summary and what changed meanwhile (a capped table). Returns the ``SettleResult``."""
    command("settle", key="p", note="play the clock")
    before = snapshot(lab)
    result = lab.settle()
    show_text(settle_line(result))
    show_changes(before, snapshot(lab), "objects that changed")
    return result


def show_requests(lab: Lab, kinds: Iterable[str], name: str, namespace: str = "platform-requests") -> Table:
    """Requests of several kinds named ``name``: each one's Kratix MESSAGE and its ``Reconciled`` condition."""
    from kratix_lab.model import get_condition

    kinds = sorted(kinds)
    command(f"get {','.join(k.lower() for k in kinds)} -n {namespace}")
    rows = []
    for kind in kinds:
        request = lab.get(kind, name, namespace) or {}
        rec = get_condition(request, "Reconciled") or {}
        rows.append(
            {
                "kind": kind,
                "MESSAGE": (request.get("status") or {}).get("message", "(not found)"),
                "Reconciled": f"{rec.get('status', '—')} ({rec.get('reason', '')})",
            }
        )
    t = table(rows)
    console.print(t)
    return t


def request_conditions(lab: Lab, kind: str, name: str, namespace: str | None = "platform-requests") -> dict[str, Any]:
    """A request's conditions as ``kratix-lab describe`` lists them (ages on the lab's clock). Returns it."""
    obj = lab.get(kind, name, namespace)
    if obj is None:
        raise LookupError(f"{kind}/{name} not found in namespace {namespace}")
    command(f"describe {kind.lower()}/{name}" + (f" -n {namespace}" if namespace else ""), key="d")
    show_conditions(lab, obj, f"{kind}/{name} conditions")
    return obj


def show_logs(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> None:
    """``kratix-lab logs``: a Pod's, a Job's or a request's pipeline runs' log lines (newest last)."""
    command(f"logs {kind.lower()}/{name} -n {namespace}", key="l")
    show_text(lab.logs(kind, name, namespace))


def show_spec(lab: Lab, kind: str, name: str, namespace: str, keys: Sequence[str], elide: Sequence[str] = ()) -> None:
    """Some top-level fields of an object's spec as YAML (each field in ``elide`` shown as ``…``)."""
    obj = lab.get(kind, name, namespace)
    if obj is None:
        raise LookupError(f"{kind}/{name} not found in namespace {namespace}")
    command(f"get {kind.lower()} {name} -n {namespace} -o yaml", key="y")
    spec = obj.get("spec") or {}
    shown = {k: spec[k] for k in keys if k in spec}
    for path in elide:
        head, _, leaf = path.rpartition(".")
        if not head:
            shown[leaf] = "…"
        elif isinstance(shown.get(head), dict) and leaf in shown[head]:
            shown[head] = {**shown[head], leaf: "…"}
    show_yaml(
        shown,
        f"{kind} {namespace}/{name}: spec ({', '.join(keys)})" + (f"; {', '.join(elide)} elided" if elide else ""),
    )


def show_request(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> dict[str, Any]:
    """A request as ``kratix-lab get`` lists it and its conditions as ``describe`` shows them. Returns it."""
    obj = lab.get(kind, name, namespace)
    if obj is None:
        raise LookupError(f"{kind}/{name} not found in namespace {namespace}")
    show(kubectl_get(lab, f"{kind.lower()}s", namespace))
    return request_conditions(lab, kind, name, namespace)


def last_pod_ready(lab: Lab, namespace: str) -> str:
    """When the last pod of ``namespace`` turned Ready (its Ready condition's lastTransitionTime), as RFC 3339."""
    times = [
        c["lastTransitionTime"]
        for pod in lab.list("Pod", namespace)
        for c in (pod.get("status") or {}).get("conditions") or []
        if c.get("type") == "Ready" and c.get("status") == "True"
    ]
    if not times:
        raise LookupError(f"no Ready pod in namespace {namespace}")
    return max(times)


def _trace(lab: Lab, kind: str, name: str, namespace: str) -> Any:
    from kratix_lab.sources.lab import LabSource
    from kratix_lab.trace import trace

    return trace(LabSource(lab), kind, name, namespace)


def show_trace(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> Any:
    """``kratix-lab trace``: one line per resource, each healthy Work → WorkPlacement → commit → Argo CD chain folded
    into one "delivered @<sha>, synced" line, lines cut with … at the notebook's width. Returns the full trace."""
    from kratix_lab.views.trace_view import trace_compact

    command(f"trace {kind.lower()}/{name} -n {namespace}", key="enter", note="-o wide: every node")
    root = _trace(lab, kind, name, namespace)
    console.print(trace_compact(root, now=lab.store.now_seconds(), width=WIDTH))
    return root


def show_diagnose(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> Any:
    """``kratix-lab diagnose``: the verdict, then the findings with their fixes. Returns the ``Diagnosis``."""
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    command(f"diagnose {kind.lower()}/{name} -n {namespace}", key="enter", note="the detail's verdict")
    d = diagnose(LabSource(lab), kind, name, namespace)
    show_diagnosis(d)
    return d


# the road's roles, in order: (stage of the trace, the box's title, what it counts)
ROLES = [
    ("request", "request", "{kind} {name}"),
    ("pipeline", "Kratix pipelines", "{n} pipeline run{s}"),
    ("work", "Works → WorkPlacements", "{n} Work{s}"),
    ("commit", "state repo", "{n} commit{s}"),
    ("sync", "Argo CD", "{n} sync{s} of the state repo"),
    ("subrequest", "sub-requests", "{n} sub-request{s}"),
    ("helm", "Helm", "{n} chart render{s}"),
    ("workload", "workloads", "{n} workload{s}"),
    ("pod", "pods", "{n} pod{s}"),
]


def road_roles(root: Any) -> dict[str, list[Any]]:
    """The trace's nodes by role: the root request, its sub-requests, and every other node by its stage."""
    roles: dict[str, list[Any]] = {}
    for n, depth in root.walk():
        role = n.stage if n.stage != "request" else ("request" if depth == 0 else "subrequest")
        roles.setdefault(role, []).append(n)
    return roles


def road_mermaid(root: Any, gitops: str | None = None, platform_app: dict[str, Any] | None = None) -> str:
    """The seed's architecture diagram at the level of roles: one box per role of the road (request → Kratix
    pipelines → Works → state repo → Argo CD → sub-requests → Helm → workloads → pods) with how many of the trace's
    nodes play it, coloured by the worst health among them — instead of one box per machine-named object."""
    from kratix_lab.kube.health import ORDER

    roles = road_roles(root)

    def worst(nodes: list[Any]) -> str:
        return max((n.health for n in nodes), key=lambda h: ORDER.get(h, 0)).lower()

    lines = ["flowchart LR"]
    if gitops:
        lines.append(f'  gitops["gitops repo<br/><small>{gitops}</small>"]:::healthy')
    if platform_app is not None:
        st = platform_app.get("status") or {}
        sync, health = (st.get("sync") or {}).get("status", "Unknown"), (st.get("health") or {}).get("status")
        lines.append(f'  platform["Argo CD: platform app<br/><small>{sync}, {health}</small>"]:::{health.lower()}')
    present = [(stage, title, what) for stage, title, what in ROLES if roles.get(stage)]
    for stage, title, what in present:
        nodes = roles[stage]
        text = what.format(n=len(nodes), s="" if len(nodes) == 1 else "s", kind=root.kind, name=root.name)
        if stage == "subrequest":
            text += "<br/>one per sub-Promise"
        if stage == "workload":  # "2 StatefulSets, 1 Deployment"
            kinds = sorted({n.kind for n in nodes})
            counts = [(sum(n.kind == k for n in nodes), k) for k in kinds]
            text = ", ".join(f"{c} {k}{'s' if c != 1 else ''}" for c, k in counts)
        lines.append(f'  {stage}["{title}<br/><small>{text}</small>"]:::{worst(nodes)}')
    chain = (["gitops"] if gitops else []) + (["platform"] if platform_app is not None else [])
    chain += [stage for stage, _, _ in present]
    lines += [f"  {a} --> {b}" for a, b in itertools.pairwise(chain)]
    if roles.get("subrequest") and roles.get("pipeline"):
        lines.append("  subrequest -. each runs its own pipeline .-> pipeline")
    from kratix_lab.views.trace_view import MERMAID_HEALTH_CLASSES

    lines += MERMAID_HEALTH_CLASSES
    return "\n".join(lines)


def show_road(lab: Lab, kind: str, name: str, namespace: str = "platform-requests", gitops_sha: str = "") -> Any:
    """The road of one request as a role-level diagram (``road_mermaid``) drawn from its live trace, the gitops
    commit and the ``platform`` Application in front. Returns the trace."""
    command(f"trace {kind.lower()}/{name} -n {namespace} -o mermaid", note="every node, machine-named")
    root = _trace(lab, kind, name, namespace)
    path = f"platform/vclusters/{name}.yaml" + (f" @{gitops_sha[:8]}" if gitops_sha else "")
    mermaid(road_mermaid(root, path, lab.get("Application", "platform", "argocd")))
    return root


def trace_line(root: Any) -> str:
    """A trace in one line: its root, how many nodes, and how many are not Healthy (``show_trace`` prints it)."""
    nodes = [n for n, _ in root.walk()]
    bad = sum(n.health != "Healthy" for n in nodes)
    return f"trace of {root.kind}/{root.name}: {len(nodes)} nodes, " + (f"{bad} not Healthy" if bad else "all Healthy")


def _register_formatters() -> None:
    """Result objects of kratix_lab shown as words when a cell ends with one (``lab.settle()``), not as a repr."""
    from IPython import get_ipython

    from kratix_lab.diagnose import Diagnosis
    from kratix_lab.platform.lab import SettleResult
    from kratix_lab.trace import TraceNode

    ip = get_ipython()
    if ip is None:
        return
    plain = ip.display_formatter.formatters["text/plain"]
    plain.for_type(SettleResult, lambda obj, p, cycle: p.text(settle_line(obj)))
    plain.for_type(TraceNode, lambda obj, p, cycle: p.text(trace_line(obj)))
    plain.for_type(Diagnosis, lambda obj, p, cycle: p.text(obj.verdict))


_register_formatters()


# ---- breaking the road on purpose and mending it (10-troubleshooting): faults, reconciles, checks -----------------


def inject(lab: Lab, fault: str, **params: str) -> None:
    """``kratix-lab fault inject NAME key=value…``: break one stage of the road the way the real failure would."""
    command("fault inject " + " ".join([fault, *(f"{k}={v}" for k, v in params.items())]))
    lab.faults.inject(fault, **params)


def clear(lab: Lab, fault: str) -> None:
    """``kratix-lab fault clear NAME``: the fault is mended."""
    command(f"fault clear {fault}")
    lab.faults.clear(fault)


def show_faults(lab: Lab) -> None:
    """``kratix-lab fault list``: every fault the lab can inject, its parameters, and which are active."""
    from kratix_lab.views.lab_view import faults_table

    command("fault list")
    data = faults_table(lab.faults.available(), lab.faults.active())
    console.print(table(data.records(), data.headers))


def reconcile(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> None:
    """``kratix-lab reconcile``: ask Kratix to run the request's workflows again (the manual-reconciliation label)."""
    command(f"reconcile {kind.lower()}/{name} -n {namespace}", key="r")
    lab.reconcile(kind, name, namespace)


def run_for(lab: Lab, seconds: int) -> Any:
    """``kratix-lab run-for Ns``: let simulated time pass, recurring work included (retries, restarts, CronJobs)."""
    command(f"run-for {seconds}s")
    result = lab.run_for(seconds)
    show_text(f"ran {seconds}s: " + str(result).rsplit("; ", 1)[0])  # as the CLI: time ran out, so never quiescent
    return result


def wait(lab: Lab, max_steps: int = 1000) -> Any:
    """``kratix-lab settle`` without the table of changes: one line saying how it ended. Returns the result."""
    command("settle" + (f" --max-steps {max_steps}" if max_steps != 1000 else ""), key="p", note="play the clock")
    result = lab.settle(max_steps=max_steps)
    show_text(str(result))
    return result


def delete(lab: Lab, kind: str, name: str, namespace: str) -> None:
    """``kratix-lab delete``: through the gitops repo when Argo CD manages the object, else in the cluster."""
    command(f"delete {kind.lower()}/{name} -n {namespace}", key="ctrl+d")
    show_text(lab.delete(kind, name, namespace))


def request(kind: str, name: str, spec: dict[str, Any], namespace: str = "platform-requests") -> dict[str, Any]:
    """A request of the catalogue's API group: ``request("ArgocdProject", "one", {...})``."""
    return {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def apply(lab: Lab, obj: dict[str, Any]) -> None:
    """``kratix-lab apply -f FILE``: create or update an object in the cluster directly (bypassing GitOps)."""
    command(f"apply -f {obj['kind'].lower()}-{obj['metadata']['name']}.yaml", note="the object as YAML")
    lab.apply(obj)


def commit_to_gitops(lab: Lab, path: str, text: str, message: str) -> None:
    """What a ``git commit && git push`` to the gitops repo does: no admission check on the way (``submit`` checks)."""
    from kratix_lab.platform.lab import GITOPS_IDENTITY

    command("repo log --gitops -n 1", note=f"after: git commit -m {message!r} {path} && git push")
    lab.gitops_repo.write_files({path: text.encode()}, message, GITOPS_IDENTITY, lab.store.now_seconds())
    lab.gitops_repo.sync_worktree()


class Scenarios:
    """Break, diagnose, fix, verify: ``check`` diagnoses a request as ``kratix-lab diagnose`` does, insists on the
    verdict and the rules, and records them; ``verify`` diagnoses it again after the fix and insists it is healthy
    (or, deleted, that nothing is left). ``rows`` is the record: one row per rule that fired."""

    def __init__(self, lab: Lab, namespace: str = "platform-requests"):
        self.lab, self.namespace = lab, namespace
        self.rows: list[dict[str, str]] = []

    def _diagnose(self, kind: str, name: str) -> Any:
        from kratix_lab.diagnose import diagnose
        from kratix_lab.sources.lab import LabSource

        return diagnose(LabSource(self.lab), kind, name, self.namespace)

    def healthy(self, kind: str, name: str) -> bool:
        return self._diagnose(kind, name).healthy

    def check(self, scenario: str, kind: str, name: str, *rules: str, verdict: str | None = None) -> Any:
        """Each of ``rules`` is among the findings and the verdict (the first finding) is ``verdict`` (default: the
        first of ``rules``). Returns the diagnosis."""
        from kratix_lab.trace import STAGE_TITLES

        d = show_diagnose(self.lab, kind, name, self.namespace)
        ids = [f.id for f in d.findings]
        assert ids and ids[0] == (verdict or rules[0]), (ids, d.verdict)
        for rule in rules:
            assert rule in ids, (rule, ids, d.verdict)
            found = next(f for f in d.findings if f.id == rule)
            self.rows.append(
                {
                    "scenario": scenario,
                    "request": f"{kind}/{name}",
                    "rule": rule,
                    "stage": STAGE_TITLES[found.stage],
                    "first finding": ids[0],
                    "fixed": "",
                }
            )
        return d

    def verify(self, kind: str, name: str, deleted: bool = False) -> None:
        command(f"diagnose {kind.lower()}/{name} -n {self.namespace}", key="enter")
        d = self._diagnose(kind, name)
        show_text(d.verdict, style="bold green" if d.healthy or d.deleted else "bold")
        if not deleted:
            assert d.healthy, d.verdict
        else:
            assert d.deleted and not d.findings and "nothing labelled with it is left" in d.verdict, d.verdict
        for row in self.rows:
            if row["request"] == f"{kind}/{name}":
                row["fixed"] = "yes"

    def show(self) -> None:
        console.print(table(self.rows, ["scenario", "rule", "stage", "first finding", "fixed"], "scenarios"))


def try_submit(lab: Lab, request: str | dict[str, Any]) -> str:
    """``kratix-lab submit`` of a request the API server would refuse (a sample's name, or the request itself):
    returns (and prints) why it was refused."""
    from kratix_lab.platform.lab import AdmissionError

    if isinstance(request, str):
        command(f"submit sample_requests/{request}.yaml", key="c")
    else:
        command(f"submit {request['kind'].lower()}-{request['metadata']['name']}.yaml", key="c")
    try:
        lab.submit(SAMPLES / f"{request}.yaml" if isinstance(request, str) else request)
    except AdmissionError as e:
        show_text(f"submit refused it: {e}")
        return str(e)
    raise AssertionError(f"{request} was accepted")


def diagnose_live(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> tuple[Any, Any]:
    """The same diagnosis twice: through the Kubernetes API (``kratix-lab serve --paused`` answering for the lab,
    read by live mode's ``LiveSource``, the state repo from a clone) and from the lab itself. Prints the first."""
    from kratix_lab import serve
    from kratix_lab.diagnose import diagnose
    from kratix_lab.platform.lab import STATE_URL
    from kratix_lab.sources.factory import open_live
    from kratix_lab.sources.lab import LabSource

    scratch = scratch_dir("live")
    command("serve --paused", note="in another shell: it writes a kubeconfig and answers the Kubernetes API")
    running = serve.start(lab.path, paused=True, kubeconfig=scratch / "kubeconfig")
    try:
        live = open_live(
            kubeconfig=scratch / "kubeconfig", repos={STATE_URL: str(lab.path / "state.git")}, cache_dir=scratch
        )
        through_api = diagnose(live, kind, name, namespace)
    finally:
        running.stop()
    command(f"--kubeconfig FILE diagnose {kind.lower()}/{name} -n {namespace}")
    show_diagnosis(through_api)
    return through_api, diagnose(LabSource(lab), kind, name, namespace)


def same_but_the_fix(a: Any, b: Any) -> bool:
    """Two diagnoses say the same — verdict, findings, trace — except the fixes (live mode names kubectl commands)."""
    from kratix_lab.views.trace_view import diagnosis_json

    def strip(d: Any) -> dict[str, Any]:
        data = diagnosis_json(d)
        return {
            **data,
            "verdict": d.verdict.removesuffix(d.findings[0].fix) if d.findings else d.verdict,
            "findings": [{k: v for k, v in f.items() if k != "fix"} for f in data["findings"]],
        }

    return strip(a) == strip(b)


# ---- one Promise up close (01–08): its API, a sample, the pipeline run, the state repo ------------------------------


def show_api(promise: str) -> None:
    """``kratix-lab explain KIND.spec --recursive``: a Promise's API from its schema, as a table (printed once: a
    returned table would be displayed a second time as the cell's value)."""
    kind = load_catalogue().get(promise).crd.kind
    command(f"explain {kind.lower()}.spec --recursive")
    console.print(api_table(promise))


def show_sample(name: str) -> dict[str, Any]:
    """A request from sample_requests/ as YAML (``kratix-lab validate`` prints it with the schema's defaults)."""
    command(f"validate sample_requests/{name}.yaml", note="the file with the schema's defaults applied")
    request = sample(name)
    show_yaml(request, title=f"sample_requests/{name}.yaml")
    return request


def variant(request: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A copy of ``request`` with some ``spec`` fields replaced."""
    import copy

    out = copy.deepcopy(request)
    out["spec"].update(spec)
    return out


def render(request: dict[str, Any], file: str | None = None) -> tuple[WorkflowResult, PipelineRun]:
    """``kratix-lab render FILE``: admit the request and run its configure pipeline here (``run_configure``); shows
    the run, the input object and the environment Kratix gives the container. Returns the result and the run."""
    kind = request["kind"].lower()
    command(f"render {file or kind + '.yaml'}", note="-o json: the status and logs too")
    result = run_configure(request)
    (run, *_) = result.pipelines
    show_text(f"pipeline {run.name}: {run.phase} (exit code {run.exit_code})")
    show_yaml(run.input_object, title="/kratix/input/object.yaml")
    console.print(run_env_table(run))
    return result, run


def variants_table(variants: dict[str, dict[str, Any]], row: Any, title: str) -> list[dict[str, Any]]:
    """Each request of ``variants`` (label → request) run through its real pipeline; ``row(object)`` turns the one
    object it writes into a table row. Prints the table and returns the rows."""
    command("render FILE", note="one run per variation")
    rows = []
    for label, req in variants.items():
        (run, *_) = run_configure(req).pipelines
        [(_, obj)] = run_outputs(run)
        rows.append({"variation": label, **row(obj)})
    console.print(table(rows, title=title))
    return rows


def appproject_row(project: dict[str, Any]) -> dict[str, str]:
    """What an AppProject allows (07-argocd-project): description, sources, destinations, kinds."""
    spec = project["spec"]
    return {
        "description": spec["description"],
        "sourceRepos": "\n".join(spec["sourceRepos"]) or "(none: no Application allowed)",
        "destinations": "\n".join(f"{d['server']} {d['namespace']}" for d in spec["destinations"]),
        "cluster kinds": ", ".join(f"{w['group']}/{w['kind']}" for w in spec.get("clusterResourceWhitelist", []))
        or "(none)",
        "namespaced kinds": ", ".join(
            f"{w['group'] or 'core'}/{w['kind']}" for w in spec.get("namespaceResourceWhitelist", [])
        )
        or "(all)",
    }


def show_state(lab: Lab, resource: str, promise: str, namespace: str = "platform-requests") -> list[str]:
    """Where a request's files are in the state repo: its Works and their commits, the last commit, the folder.
    Returns the files' paths."""
    command(f"get works,workplacements -n {namespace} -l kratix.io/resource-name={resource}")
    console.print(works_table(lab, resource, promise))
    prefix = f"clusters/the-cluster/resources/{namespace}/{promise}"
    command(f"repo log -n 1 {prefix}", key="4", note="the detail's Repo tab")
    show_commits(new_commits(lab, path=prefix)[:1])
    console.print(repo_tree(lab.state_remote, prefix))
    return list(lab.state_remote.read_files(prefix))


def application_row(app: dict[str, Any]) -> dict[str, str]:
    """What an Application deploys and how it syncs (08-argocd-application): source, values, sync policy."""
    src, sync = app["spec"]["source"], app["spec"]["syncPolicy"]
    chart = f"chart {src['chart']} {src['targetRevision']}" if src.get("chart") else None
    return {
        "source": chart or f"git {src['path']} @ {src['targetRevision']}",
        "helm values": ", ".join(flatten(src.get("helm", {}).get("valuesObject", {}))) or "(none)",
        "automated": ", ".join(f"{k}={v}" for k, v in sync["automated"].items()),
        "syncOptions": ", ".join(sync["syncOptions"]),
    }


def with_values(request: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of an ``ArgocdApplication`` request with one Helm value set: ``with_values(r, "a.b.c", 3)``."""
    out = variant(request)
    node = out["spec"]["source"]["helm"]["valuesObject"]
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return out


def seed_values_application(project: str = "vcluster-media") -> dict[str, Any]:
    """The seed's Application as its document writes it: two sources, the values from ``$values`` — a ``ref`` to
    the API server's URL (the seed's "ConfigMap hack"); in ``project``."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "media-seed", "namespace": "argocd"},
        "spec": {
            "project": project,
            "sources": [
                {
                    "repoURL": "https://charts.loft.sh",
                    "chart": "vcluster",
                    "targetRevision": "0.30.4",
                    "helm": {"valueFiles": ["$values/values.yaml"]},
                },
                {
                    "repoURL": "https://kubernetes.default.svc",
                    "targetRevision": "HEAD",
                    "ref": "values",
                    "path": "vcluster-media",
                },
            ],
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "vcluster-media"},
            "syncPolicy": {"automated": {"selfHeal": True, "prune": True}},
        },
    }


def app_condition(lab: Lab, name: str) -> dict[str, Any]:
    """An Application's first condition, printed as Argo CD shows it (``kratix-lab describe``)."""
    command(f"describe application/{name} -n argocd", key="d")
    condition = ((lab.get("Application", name, "argocd") or {}).get("status") or {}).get("conditions", [{}])[0]
    show_text(f"{condition.get('type')}: {condition.get('message')}", style="red")
    return condition


def show_app_resources(lab: Lab, name: str, provenance: bool = False) -> list[dict[str, Any]]:
    """What an Application's source rendered (its ``status.resources``), each object's sync and health (and, with
    ``provenance``, who creates it in a real cluster and whether the lab models it)."""
    command(f"get application {name} -n argocd -o yaml", key="y", note="status.resources")
    resources = (lab.get("Application", name, "argocd") or {}).get("status", {}).get("resources") or []
    rows = []
    for r in resources:
        row = {
            "kind": r["kind"],
            "name": r["name"],
            "sync": r["status"],
            "health": (r.get("health") or {}).get("status", ""),
        }
        if provenance:
            annotations = (
                (lab.get(r["kind"], r["name"], r.get("namespace")) or {}).get("metadata", {}).get("annotations", {})
            )
            row["created by"] = annotations.get("kratix-lab.io/rendered-by")
            row["modelled"] = annotations.get(MODELLED_ANNOTATION)
        rows.append(row)
    console.print(table(rows, title=f"Application {name}: status.resources"))
    return resources


def submit_object(
    lab: Lab, obj: dict[str, Any], key: str = "c", note: str | None = None, message: str | None = None
) -> str:
    """``kratix-lab submit FILE`` of a request built here (``e``: an edit of one already in git), committed with
    ``message`` (default: the lab's). Returns the SHA."""
    command(f"submit {obj['kind'].lower()}-{obj['metadata']['name']}.yaml", key=key, note=note)
    return lab.submit(obj, message=message) if message else lab.submit(obj)


# ---- the orchestrator up close (01-vcluster-orchestrator): defaults, presets, the render tree, values as data ------

SUB_KINDS = [
    "VClusterCore",
    "VClusterCoreDNS",
    "VClusterKubeconfigSync",
    "VClusterKubeconfigExternalSecret",
    "VClusterArgocdClusterRegistration",
    "ArgocdProject",
    "ArgocdApplication",
]  # the seven sub-requests the orchestrator writes, one per component Promise


def show_defaults(name: str) -> dict[str, Any]:
    """``kratix-lab validate sample_requests/<name>.yaml``: the file, then every field the API server fills in from
    the schema's defaults. Returns the admitted object (raises with the API server's message when it is refused)."""
    command(f"validate sample_requests/{name}.yaml", note="the file with the schema's defaults applied")
    given = sample(name)
    show_yaml(given, title=f"sample_requests/{name}.yaml")
    _, admission = admit(load_catalogue(), given)
    if not admission.ok:
        raise ValueError(admission.message)
    before = flatten(given["spec"])
    added = [
        {"field": f"spec.{k}", "default": v} for k, v in flatten(admission.object["spec"]).items() if k not in before
    ]
    console.print(table(added, title="filled in by the API server (schema defaults)"))
    return admission.object


def orchestrator(name: str, vcluster: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A ``VClusterOrchestrator`` request: ``orchestrator("demo", {"preset": "dev"}, integrations={...})``."""
    return {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": "VClusterOrchestrator",
        "metadata": {"name": name},
        "spec": {"name": name, "vcluster": vcluster, **spec},
    }


def _sub_request(node: Any, kind: str) -> dict[str, Any]:
    return next(o.obj for o in node.outputs if o.obj["kind"] == kind)


def preset_values(variants: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each ``spec.vcluster`` of ``variants`` (label → vcluster) rendered by the orchestrator's own pipeline (not the
    sub-requests'): the chart values it puts in the ``ArgocdApplication`` sub-request and the cluster registration's
    environment. Prints the fields that differ; returns label → flattened values."""
    from kratix_lab.render import render as render_tree

    command("render FILE -o yaml", note="one run per variation: the ArgocdApplication's helm.valuesObject")
    decided = {}
    for label, vcluster in variants.items():
        node = render_tree(load_catalogue(), orchestrator("demo", vcluster), max_depth=0)
        values = _sub_request(node, "ArgocdApplication")["spec"]["source"]["helm"]["valuesObject"]
        environment = _sub_request(node, "VClusterArgocdClusterRegistration")["spec"]["environment"]
        decided[label] = {**flatten(values), "(cluster registration) environment": environment}
    rows = sorted(differences(decided), key=lambda r: (r["field"].startswith("("), r["field"]))
    console.print(table(rows, title="chart values (helm.valuesObject) that differ between presets"))
    return decided


def render_all(request: dict[str, Any], file: str) -> tuple[Any, PipelineRun]:
    """``kratix-lab render FILE``: admit the request and run its pipeline and, recursively, its sub-requests' ones
    (``kratix_lab.render.render``); shows the first run's input object and environment. Returns the tree and run."""
    from kratix_lab.render import render as render_tree

    command(f"render {file}", note="every pipeline, the sub-requests' too")
    tree = render_tree(load_catalogue(), request)
    run = tree.result.pipelines[0]
    show_text(f"pipeline {run.name}: {run.phase} (exit code {run.exit_code}); {len(tree.children)} sub-requests")
    show_yaml(run.input_object, title="/kratix/input/object.yaml (the admitted request, defaults applied)")
    console.print(run_env_table(run))
    return tree, run


def show_subrequests(tree: Any) -> list[dict[str, str]]:
    """The render tree's sub-requests: each one's Promise and what its pipeline writes. Returns the rows."""
    command(f"render sample_requests/{tree.request['metadata']['name']}.yaml", note="the tree: one branch each")
    rows = [
        {
            "sub-request": f"{child.request['kind']}/{child.request['metadata']['name']}",
            "served by Promise": child.promise.name,
            "its pipeline writes": ", ".join(f"{o.obj['kind']}/{o.obj['metadata']['name']}" for o in child.outputs),
        }
        for child in tree.children
    ]
    console.print(
        table(
            rows,
            title=f"{len(tree.children)} sub-requests of {tree.request['kind']}/{tree.request['metadata']['name']}",
        )
    )
    return rows


class InlineValues:
    """The rendered Application and the ``vcluster-core`` ConfigMap of one render tree (``show_inline_values``)."""

    def __init__(self, app_node: Any, application: dict[str, Any], configmap: dict[str, Any]):
        self.rendered_by = app_node.promise.name
        self.application, self.configmap = application, configmap
        self.source = application["spec"]["source"]
        self.inline = self.source["helm"]["valuesObject"]
        self.copy = load_one(configmap["data"]["values.yaml"])


def show_inline_values(tree: Any) -> InlineValues:
    """The Application the ``argocd-application`` sub-request's pipeline renders (its one source, the values folded)
    and whether its ``helm.valuesObject`` equals the ``vcluster-core`` ConfigMap's ``values.yaml``."""
    command(
        f"render sample_requests/{tree.request['metadata']['name']}.yaml -o yaml", note="the Application, the ConfigMap"
    )
    app_node = next(c for c in tree.children if c.request["kind"] == "ArgocdApplication")
    core_node = next(c for c in tree.children if c.request["kind"] == "VClusterCore")
    v = InlineValues(app_node, _sub_request(app_node, "Application"), _sub_request(core_node, "ConfigMap"))
    folded = {**v.source, "helm": {**v.source["helm"], "valuesObject": "…"}}
    meta = v.application["metadata"]
    shown = {"Application": f"{meta['namespace']}/{meta['name']}", "rendered by": v.rendered_by, "spec.source": folded}
    show_yaml(shown, title="the Application's one source (valuesObject folded; compared below)")
    show_text(
        f"helm.valuesObject == ConfigMap {v.configmap['metadata']['name']} values.yaml: {v.inline == v.copy} "
        f"({len(flatten(v.inline))} values)"
    )
    return v


def through_two_pipelines(value: str) -> tuple[str, str, dict[str, Any]]:
    """``value`` as a ``clusterAnnotations`` entry of an orchestrator request, through the orchestrator's pipeline
    (into the ``VClusterArgocdClusterRegistration`` sub-request) and the registration's (into the ExternalSecret's
    template). Shows the ExternalSecret as written; returns the value after each pipeline and the ExternalSecret."""
    from kratix_lab.render import render as render_tree

    annotations = {"integratn.tech/notes": value}
    command("render hostile.yaml", note="spec.integrations.argocd.clusterAnnotations: the string below")
    tree = render_tree(
        load_catalogue(), orchestrator("hostile", {}, integrations={"argocd": {"clusterAnnotations": annotations}})
    )
    registration = next(c for c in tree.children if c.request["kind"] == "VClusterArgocdClusterRegistration")
    (es_file,) = registration.result.pipelines[0].workloads
    es_text = es_file.content.decode()
    show_code(es_text, "yaml", title=f"/kratix/output/{es_file.filepath}, as the registration pipeline wrote it")
    sub = next(
        w for w in tree.result.pipelines[0].workloads if w.filepath.startswith("vclusterargocdclusterregistration")
    )
    after_one = load_one(sub.content.decode())["spec"]["clusterAnnotations"]["integratn.tech/notes"]
    es = load_one(es_text)
    after_two = es["spec"]["target"]["template"]["metadata"]["annotations"]["integratn.tech/notes"]
    show_text(f"after the orchestrator:   byte-identical: {after_one.encode() == value.encode()}")
    show_text(f"after the registration:   byte-identical: {after_two.encode() == value.encode()}")
    show_text(f"kind of the object:       {es['kind']}")
    return after_one, after_two, es


HEREDOC = """\
NOTES=$(yq '.spec.clusterAnnotations["integratn.tech/notes"]' /kratix/input/object.yaml)
cat > /kratix/output/externalsecret.yaml <<EOF
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ${NAME}-cluster
  namespace: argocd
  annotations:
    integratn.tech/notes: ${NOTES}
spec:
  secretStoreRef:
    name: onepassword-connect
    kind: ClusterSecretStore
EOF"""  # a seed-style heredoc for the same annotation: shown, never run


def heredoc(value: str) -> str:
    """The document ``HEREDOC`` would write for ``value``: a plain text replacement, which is what ``${NOTES}`` does
    in an unquoted heredoc."""
    template = HEREDOC.split("<<EOF\n", 1)[1].rsplit("\nEOF", 1)[0]
    return template.replace("${NAME}", "hostile").replace("${NOTES}", value)


def parsed(text: str) -> str:
    """What kratix_lab's one YAML loader makes of a document: its kind and top-level keys, or its error."""
    from kratix_lab.model import YamlError

    try:
        obj = load_one(text)
    except YamlError as e:
        return "YAML error: " + str(e).splitlines()[0]
    return f"kind: {obj['kind']}; top-level keys: {', '.join(obj)}"


def heredoc_table(values: Sequence[str]) -> list[dict[str, str]]:
    """``HEREDOC`` (shown, not run), then each value through it (the document, parsed by the lab's loader) and
    through data rendering. Returns the rows."""
    show_code(HEREDOC, "bash", title="a seed-style heredoc (not run)")
    command("validate externalsecret.yaml", note="the heredoc's document, read by the lab's YAML loader")
    rows = [
        {
            "value": repr(v),
            "heredoc output parses as": parsed(heredoc(v)),
            "data rendering gives back": "the same string, byte for byte",
        }
        for v in values
    ]
    console.print(table(rows, title="the same values through a heredoc and through data rendering"))
    return rows


def show_repo_log(lab: Lab, repo: str = "state", files: bool = True) -> None:
    """``kratix-lab repo log`` (``--gitops``): every commit of a lab repository, newest first."""
    from kratix_lab.views.lab_view import repo_log_rich

    command("repo log" + (" --gitops" if repo == "gitops" else ""), key="4" if repo == "state" else None)
    commits = new_commits(lab, repo=repo)
    text = repo_log_rich(commits, files=files)
    if files:
        console.print(text)
        return
    for line in text.split("\n"):
        console.print(line, no_wrap=True, overflow="ellipsis")  # one line a commit, cut with …


def show_placement_commit(
    lab: Lab, resource: str, promise: str, namespace: str = "platform-requests"
) -> tuple[Any, Any, str]:
    """The commit a request's WorkPlacement recorded (``status.versionID``) and the files under its folder at that
    commit. Returns the WorkPlacement, the commit and the folder."""
    selector = {"kratix.io/resource-name": resource, "kratix.io/promise-name": promise}
    (wp,) = lab.list("WorkPlacement", namespace, selector)
    base = f"clusters/the-cluster/resources/{namespace}/{promise}/{resource}/{promise}-configure/5058f"
    command(f"repo show {wp['status']['versionID'][:12]}", key="4", note="the WorkPlacement's versionID")
    commit = lab.state_remote.show(wp["status"]["versionID"])
    show_text(f"commit {commit.sha[:12]}  {commit.message.splitlines()[0]}")
    console.print(repo_tree(lab.state_remote, base, commit.sha))
    return wp, commit, base


def show_status(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> dict[str, Any]:
    """An object's ``.status`` as YAML (``kratix-lab get … -o yaml``). Returns the object."""
    obj = lab.get(kind, name, namespace)
    if obj is None:
        raise LookupError(f"{kind}/{name} not found in namespace {namespace}")
    command(f"get {kind.lower()} {name} -n {namespace} -o yaml", key="y", note=".status")
    show_yaml(obj["status"], title=f"{kind}/{name} .status")
    return obj


def show_branch(lab: Lab, kind: str, name: str, sub_kind: str, namespace: str = "platform-requests") -> Any:
    """One branch of a request's trace, every node (``kratix-lab trace SUB-REQUEST -o wide``): the sub-request of kind
    ``sub_kind``, its pipeline, Work, placement, commit, sync, the live objects and their pods. Returns the trace."""
    from kratix_lab.views.trace_view import trace_tree

    command(f"trace {sub_kind.lower()}/{name} -n {namespace} -o wide", key="enter")
    root = _trace(lab, kind, name, namespace)
    branch = next(n for n, _ in root.walk() if n.stage == "request" and n.kind == sub_kind)
    console.print(trace_tree(branch))
    return root


def stages_table(root: Any) -> list[dict[str, Any]]:
    """A whole trace counted by stage: how many nodes, and their healths. Prints it; returns the rows."""
    command(f"trace {root.kind.lower()}/{root.name} -n {root.namespace} -o json", note="every node, by stage")
    stages: dict[str, list[str]] = {}
    for n, _ in root.walk():
        stages.setdefault(n.stage, []).append(n.health)
    rows = [{"stage": s, "nodes": len(h), "health": ", ".join(sorted(set(h)))} for s, h in stages.items()]
    console.print(table(rows, title=f"the whole trace of {root.kind}/{root.name}, by stage"))
    return rows


# ---- a new Promise, written and run (09-new-promise): its files, a local run, edits, the best-practice checks ----

MY_PROMISE = Path(__file__).resolve().parent / "my-promise"  # the tutorial's files: promises/my-promise/ in the seed
MY_PROMISE_SHOWN = "promises/my-promise"
_my_promise_dir: list[Path] = []


def _load_edits() -> Any:
    import runpy
    from types import SimpleNamespace

    return SimpleNamespace(**runpy.run_path(str(MY_PROMISE / "edits.py")))


my_promise_edits = _load_edits()  # the tutorial's changes to its files, in order (my-promise/edits.py)


def write_file(name: str) -> Path:
    """Copy the tutorial's ``my-promise/<name>`` into a scratch directory of this kernel (where the notebook then edits
    it) and show it. Returns the copy's path."""
    if not _my_promise_dir:
        _my_promise_dir.append(scratch_dir("my-promise"))
    path = _my_promise_dir[0] / name
    text = (MY_PROMISE / name).read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    lexer = {".yaml": "yaml", ".py": "python"}.get(path.suffix, "docker")
    show_code(text, lexer, f"{MY_PROMISE_SHOWN}/{name}")
    return path


def edit_file(path: Path, replacements: Sequence[tuple[str, str]]) -> None:
    """Apply exact (old, new) replacements to a file (each must match exactly once) and show the diff."""
    before = after = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert after.count(old) == 1, f"not exactly one match for {old!r}"
        after = after.replace(old, new)
    path.write_text(after, encoding="utf-8")
    show_diff(before, after, path.name)


def show_promise_api(promise: Promise) -> None:
    """``kratix-lab --promise DIR explain KIND.spec --recursive`` of a Promise outside the catalogue."""
    command(f"--promise {MY_PROMISE_SHOWN} explain {promise.crd.kind.lower()}.spec --recursive")
    console.print(api_table(promise))


def my_request(object_name: str, /, **spec: Any) -> dict[str, Any]:
    """A MyPromise request named ``object_name``, with the given spec fields."""
    return request("MyPromise", object_name, spec)


def admission_table(promise: Promise, tries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each request of ``tries`` (label → request) as the API server answers it (``promise.crd.admit``): admitted with
    its stored spec, or refused with the API server's error. Returns label → admission."""
    command(f"--promise {MY_PROMISE_SHOWN} validate FILE", note="one run per request")
    admissions = {what: promise.crd.admit(obj) for what, obj in tries.items()}
    rows = [
        {
            "request": what,
            "admitted": "yes" if a.ok else "no",
            "stored spec / the API server's error": dump(a.object["spec"]).strip() if a.ok else a.message,
        }
        for what, a in admissions.items()
    ]
    console.print(table(rows, title="admission of MyPromise requests"))
    return admissions


def local_render(promise: Promise, executor: Executor) -> Any:
    """A function running a request through ``promise``'s configure workflow here, admitted first as the API server
    would (``kratix-lab --promise DIR render FILE --executor container``, once the image is built)."""

    def render_one(req: dict[str, Any]) -> WorkflowResult:
        command(
            f"--promise {MY_PROMISE_SHOWN} render {req['metadata']['name']}.yaml --executor container",
            note="with the image built",
        )
        admission = promise.crd.admit(req)
        assert admission.ok, admission.message
        return run_workflow(promise, admission.object, executor=executor)

    return render_one


REQUIRED_LABELS = ("kratix.io/promise-name", "kratix.io/resource-name", "app.kubernetes.io/managed-by")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def best_practice_problems(result: WorkflowResult) -> list[str]:
    """The seed's output rules (required labels, an explicit namespace, never a Secret), checked on a local run
    before anything reaches git: a small pre-commit check in the spirit of the seed's hook."""
    problems = []
    for path, obj in run_outputs(result.pipelines[0]):
        ref, meta = f"{obj['kind']}/{obj['metadata']['name']}", obj["metadata"]
        if obj["kind"] == "Secret":
            problems.append(f"{path}: {ref} is a Secret (use an ExternalSecret)")
        missing = [k for k in REQUIRED_LABELS if k not in (meta.get("labels") or {})]
        if missing:
            problems.append(f"{path}: {ref} lacks {', '.join(missing)}")
        if obj["kind"] not in CLUSTER_SCOPED and not meta.get("namespace"):
            problems.append(f"{path}: {ref} has no namespace")
    return problems


def show_local_run(result: WorkflowResult) -> None:
    """A local run: what it wrote, its log, each output as YAML, and the pre-commit check."""
    console.print(run_outputs_table(result.pipelines[0]))
    show_text(result.logs)
    show_outputs(result.pipelines[0])
    show_table(({"problem": p} for p in best_practice_problems(result)), title="pre-commit check")


def install_promise(lab: Lab, promise: Promise) -> None:
    """``kratix-lab apply -f promise.yaml``: install (or update) a Promise, as ``kubectl apply`` would."""
    command(f"apply -f {MY_PROMISE_SHOWN}/promise.yaml")
    lab.install_promise(promise.doc)


def submit_path(lab: Lab, path: Path) -> str:
    """``kratix-lab submit FILE`` of a request file; shows the gitops commit. Returns the SHA."""
    command(f"submit {MY_PROMISE_SHOWN}/{path.name}", key="c")
    sha = lab.submit(path)
    show_commits(new_commits(lab, repo="gitops")[:1], "gitops repo")
    return sha


def label_destination(lab: Lab, name: str, labels: dict[str, str]) -> None:
    """Label a Destination (``kubectl label destination NAME k=v``): the lab applies the labels onto it."""
    pairs = " ".join(f"{k}={v}" for k, v in labels.items())
    command(f"apply -f destination-{name}.yaml", note=f"kubectl label destination {name} {pairs}")
    lab.apply(
        {
            "apiVersion": "platform.kratix.io/v1alpha1",
            "kind": "Destination",
            "metadata": {"name": name, "labels": labels},
        }
    )


def rerun(lab: Lab, kind: str, name: str, namespace: str = "platform-requests") -> Any:
    """Ask Kratix to run the request's pipeline again (``reconcile``), let the platform settle, diagnose the request.
    Returns the ``Diagnosis``."""
    reconcile(lab, kind, name, namespace)
    wait(lab)
    return show_diagnose(lab, kind, name, namespace)


def final_runs_table(runs: dict[str, WorkflowResult]) -> None:
    """Local runs by size: the outputs and the pre-commit check of each."""
    rows = [
        {
            "size": size,
            "outputs": ", ".join(w.filepath for w in run.workloads),
            "pre-commit check": "; ".join(best_practice_problems(run)) or "clean",
        }
        for size, run in runs.items()
    ]
    show_table(rows, title="local runs of the final pipeline")


def show_events(lab: Lab, kind: str, name: str, reason: str, namespace: str = "platform-requests") -> list[dict]:
    """``kratix-lab events --for KIND/NAME``: the object's events whose reason holds ``reason``. Returns them."""
    command(f"events -n {namespace} --for {kind.lower()}/{name}", key="d", note="describe lists them too")
    events = [e for e in lab.events(kind, name, namespace) if reason in e["reason"]]
    rows = [{"type": e["type"], "reason": e["reason"], "message": e["message"]} for e in events]
    show_table(rows, title=f"events of {kind} {name}" + (f" ({reason})" if reason else ""))
    return events


# ---- a sub-Promise up close (02–06): what the orchestrator writes for it, live metadata, the modelled chart --------


def orchestrated(request: dict[str, Any], kind: str) -> dict[str, Any]:
    """The sub-request of ``kind`` the orchestrator's own pipeline writes for ``request`` (its sub-requests' pipelines
    are not run)."""
    from kratix_lab.render import render as render_tree

    node = render_tree(load_catalogue(), request, max_depth=0)
    return _sub_request(node, kind)


def show_orchestrated(name: str, kind: str) -> dict[str, Any]:
    """``kratix-lab render sample_requests/<name>.yaml -o yaml``: the ``kind`` sub-request the orchestrator writes for
    that sample, as YAML. Returns it."""
    command(f"render sample_requests/{name}.yaml -o yaml", note=f"the {kind} sub-request")
    request = sample(name)
    obj = orchestrated(request, kind)
    show_yaml(obj, title=f"{kind}/{obj['metadata']['name']}, as the orchestrator writes it")
    return obj


def show_labels(*objs: dict[str, Any]) -> None:
    """Live objects' labels and annotations (``kratix-lab describe``), one row each."""
    for o in objs:
        meta = o["metadata"]
        command(
            f"describe {o['kind'].lower()}/{meta['name']}"
            + (f" -n {meta['namespace']}" if meta.get("namespace") else ""),
            key="d",
        )
    rows = [
        {"object": f"{o['kind']}/{o['metadata']['name']}", "label / annotation": k, "value": v}
        for o in objs
        for k, v in {**o["metadata"].get("labels", {}), **o["metadata"].get("annotations", {})}.items()
    ]
    console.print(table(rows, title="labels and annotations of the live objects"))


def chart_compare(
    source: dict[str, Any], namespace: str, values: dict[str, dict[str, Any]], release: str | None = None
) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """The lab's modelled ``helm template`` of an Application's chart (``source``) with each label's values: the
    objects only some render, and the control plane's and etcd's replicas. Returns label → (kind, name) → object."""
    from kratix_lab.platform.helm import HelmSource, render_chart

    release = release or source["helm"]["releaseName"]
    rendered = {}
    for label, v in values.items():
        helm = HelmSource(source["repoURL"], source["chart"], source["targetRevision"], release, namespace, v)
        rendered[label] = {(o["kind"], o["metadata"]["name"]): o for o in render_chart(helm).objects}

    def replicas(objs: dict[tuple[str, str], dict[str, Any]], name: str) -> Any:
        return objs[("StatefulSet", name)]["spec"]["replicas"] if ("StatefulSet", name) in objs else "—"

    keys = sorted(set().union(*rendered.values()))
    rows = [
        {"object": f"{k}/{n}", **{label: "✔" if (k, n) in objs else "" for label, objs in rendered.items()}}
        for k, n in keys
        if len({(k, n) in objs for objs in rendered.values()}) > 1
    ]
    for name in (release, f"{release}-etcd"):
        rows.append({"object": f"StatefulSet/{name} replicas", **{lb: replicas(o, name) for lb, o in rendered.items()}})
    console.print(table(rows, title=f"the modelled chart: what {' vs '.join(values)} render differently"))
    return rendered


def dns_entries_table(blocks: Sequence[dict[str, Any]]) -> None:
    """The host CoreDNS's server-block ConfigMaps (03-vcluster-coredns): each vCluster's zone and where it forwards."""
    rows = []
    for cm in blocks:
        ((key, block),) = cm["data"].items()
        rows.append(
            {
                "vCluster": cm["metadata"]["labels"]["kratix.io/resource-name"],
                "ConfigMap": f"kube-system/{cm['metadata']['name']}",
                "key": key,
                "zone": block.split(":53", 1)[0],
                "forward to": block.split("forward . ", 1)[1].split()[0],
                "applied by": cm["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"].split(":", 1)[0],
            }
        )
    console.print(table(rows, title=f"{len(rows)} vClusters, {len(rows)} entries"))


def show_coredns_import(blocks: Sequence[dict[str, Any]]) -> dict[str, str]:
    """What CoreDNS's config sidecar would assemble for ``import /etc/coredns/custom/*.server`` from the live
    ConfigMaps (the lab runs no CoreDNS). Returns file → server block."""
    imported = {key: block for cm in blocks for key, block in cm["data"].items()}
    text = "".join(f"# /etc/coredns/custom/{key}\n{block}" for key, block in sorted(imported.items()))
    show_code(text, "text", title="the host CoreDNS import directory")
    return imported


# ---- the kubeconfig sync job (04-vcluster-kubeconfig-sync): its CronJob, its script run against stand-ins ---------

_OP_STUB = """#!{python} -IS
# modelled 1Password CLI: items live in $OP_STUB_DB (JSON); `--opt value`, `--opt=value`, `--` and --template
import json, os, sys
db, (noun, verb, *rest) = os.environ["OP_STUB_DB"], sys.argv[1:]
items = json.load(open(db)) if os.path.exists(db) else []
opts, args, it = {{}}, [], iter(rest)
for a in it:
    if a == "--":
        args += list(it)
    elif a.startswith("--"):
        key, eq, value = a[2:].partition("=")
        opts[key] = value if eq else next(it)
    else:
        args.append(a)
template = json.load(open(opts["template"])) if "template" in opts else {{}}
title = opts.get("title") or template.get("title") or next((a for a in args if "=" not in a), None)
fields = [f["id"] for f in template.get("fields", [])] or [a.split("=", 1)[0] for a in args if "=" in a]
found = [i for i in items if i["title"] == title and i["vault"] == opts.get("vault")]
if (noun, verb) == ("item", "get"):
    sys.exit(0 if found else 1)
if (noun, verb) == ("item", "create"):
    items.append({{"id": f"item-{{len(items) + 1}}", "vault": opts["vault"], "title": title, "fields": sorted(fields), "edits": 0}})
elif (noun, verb) == ("item", "edit") and found:
    found[0]["edits"] += 1
else:
    sys.exit(f"op: unsupported or failed: {{sys.argv[1:4]}}")
json.dump(items, open(db, "w"))
"""

SEED_SYNC_SCRIPT = """\
vcluster connect media --namespace vcluster-media --print-kubeconfig > /tmp/kubeconfig
op item create --vault homelab --category login \\
  --title "vcluster-media-kubeconfig" \\
  "kubeconfig=$(cat /tmp/kubeconfig)"
"""  # the seed's CronJob script (text from the seed document)


class Served:
    """``kratix-lab --lab DIR serve --paused`` on a fresh lab, and the real ``kubectl`` against it (notebook 11).

    ``kubectl(...)`` prints ``$ kubectl …`` and what it printed, and — given ``same`` — the ``kratix-lab`` command that
    answers the same from the lab's directory; ``settle()``/``step()`` are what ``kratix-lab settle``/``step`` from
    another shell do to the served lab; ``with served.lab() as lab`` reads the served lab itself; ``stop()`` is Ctrl-C."""

    def __init__(self, lab: Lab) -> None:
        """Serve ``lab`` (closed here: the server opens it)."""
        import os
        import shutil

        from kratix_lab import serve

        self.kubectl_binary = shutil.which("kubectl")
        assert self.kubectl_binary, "kubectl is not installed: this notebook runs the real kubectl"
        self.lab_dir = lab.path
        lab.close()
        command("--lab LAB serve --paused --kubeconfig kubeconfig", note="in its own shell; Ctrl-C stops it")
        self.run = serve.start(self.lab_dir, paused=True, kubeconfig=self.lab_dir.parent / "kubeconfig")
        cache = str(self.lab_dir.parent / "kube-cache")
        self.env = {**os.environ, "KUBECONFIG": str(self.run.kubeconfig), "KUBECACHEDIR": cache}

    def kubectl(self, *args: str, same: str | None = None, quiet: bool = False) -> Any:
        import subprocess

        assert self.kubectl_binary is not None
        p = subprocess.run(
            [self.kubectl_binary, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if not quiet:
            print("$ kubectl " + " ".join(f"'{a}'" if " " in a or "{" in a else a for a in args))
            print((p.stdout + p.stderr).rstrip("\n"))
            if same:
                command(same, note="the same, from the lab's directory")
        return p

    def grep(self, word: str, *args: str, same: str | None = None) -> list[str]:
        """``kubectl ARGS | grep WORD``: the matching lines, printed."""
        lines = [line for line in self.kubectl(*args, quiet=True).stdout.splitlines() if word in line]
        print(f"$ kubectl {' '.join(args)} | grep {word}")
        print("\n".join(lines))
        if same:
            command(same, note="the same, from the lab's directory")
        return lines

    @contextlib.contextmanager
    def lab(self) -> Iterator[Lab]:
        """The served lab, between two API requests (its lock held)."""
        with self.run.api.lock:
            yield self.run.api.lab
        self.run.api.hub.poll()

    def settle(self) -> None:
        command("--lab LAB settle", key="p", note="from another shell: the served lab's controllers run")
        with self.lab() as lab:
            lab.settle()

    def step_until(self, word: str, *args: str, steps: int = 60) -> list[str]:
        """``kratix-lab step`` until ``kubectl ARGS`` prints a line with ``word`` (at most ``steps``); those lines."""
        command("--lab LAB step", key="n", note=f"until `kubectl {' '.join(args)}` shows {word!r}")
        for _ in range(steps):
            with self.lab() as lab:
                lab.step()
            if any(word in line for line in self.kubectl(*args, quiet=True).stdout.splitlines()):
                break
        return self.grep(word, *args)

    def inject(self, fault: str, **params: str) -> None:
        with self.lab() as lab:
            inject(lab, fault, **params)

    def clear(self, fault: str) -> None:
        with self.lab() as lab:
            clear(lab, fault)

    def stop(self) -> None:
        show_text("Ctrl-C in the shell running $ kratix-lab serve: the server stops, the lab stays")
        self.run.stop()


def put_kubeconfig_items(lab: Lab, *vclusters: str) -> None:
    """Put each vCluster's 1Password item ``vcluster-<name>-kubeconfig`` (fields ``kubeconfig``, ``ca``, ``cert``,
    ``key``: what 04's kubeconfig sync writes, from a modelled kubeconfig) as ``op item create`` would — for a lab in
    which no vCluster runs for the sync to read. ``lab.put_onepassword_item`` is the lab's side of it."""
    from kratix_lab.platform.externalsecrets import kubeconfig_value

    kc = OpStandIns.KUBECONFIG
    fields = {"kubeconfig": kc.rstrip("\n")} | {
        f: kubeconfig_value(kc, k)
        for f, k in (
            ("ca", "certificate-authority-data"),
            ("cert", "client-certificate-data"),
            ("key", "client-key-data"),
        )
    }
    for name in vclusters:
        show_text(
            f"$ op item create --vault homelab --title vcluster-{name}-kubeconfig …   (the lab: put_onepassword_item)"
        )
        lab.put_onepassword_item(f"vcluster-{name}-kubeconfig", fields)


class OpStandIns:
    """Small stand-ins for ``op`` (a modelled 1Password CLI keeping a vault in a JSON file), ``kubectl`` and
    ``vcluster`` in a scratch directory: ``run`` runs a job's script (``sh -c``, as the CronJob's container does, its
    ``/tmp`` redirected to the scratch directory) and returns what it printed and the vault's items."""

    KUBECONFIG = (  # the fields the sync script copies into the 1Password item (modelled certificates)
        "apiVersion: v1\nkind: Config\nclusters:\n- name: media\n  cluster:\n    server: https://media.integratn.tech\n"
        "    certificate-authority-data: bW9kZWxsZWQtY2E=\nusers:\n- name: media\n  user:\n"
        "    client-certificate-data: bW9kZWxsZWQtY2VydA==\n    client-key-data: bW9kZWxsZWQta2V5\n"
    )

    def __init__(self) -> None:
        import base64
        import sys

        self.scratch = scratch_dir("kubeconfig-sync")
        self.bin = self.scratch / "bin"
        self.bin.mkdir()
        (self.bin / "op").write_text(_OP_STUB.format(python=sys.executable))
        encoded = base64.b64encode(self.KUBECONFIG.encode()).decode()
        (self.bin / "kubectl").write_text(f"#!/bin/sh\nprintf '%s' '{encoded}'\n")
        (self.bin / "vcluster").write_text("#!/bin/sh\nprintf '%s' " + repr(self.KUBECONFIG) + "\n")
        for stub in self.bin.iterdir():
            stub.chmod(0o755)

    def run(self, script: str, vault_db: str, **env: str) -> tuple[str, list[dict[str, Any]]]:
        import json
        import subprocess

        text = script.replace("/tmp/", "${SCRATCH}/")
        environ = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "SCRATCH": str(self.scratch),
            "OP_STUB_DB": str(self.scratch / vault_db),
            **env,
        }
        done = subprocess.run(["/bin/sh", "-c", text], env=environ, capture_output=True, text=True, check=True)
        return done.stdout.strip(), json.loads((self.scratch / vault_db).read_text())


def show_cronjob(run: PipelineRun) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The pipeline's CronJob as YAML with its script folded, and the Role's rules. Returns the outputs by kind, the
    CronJob and its container."""
    outputs = {o["kind"]: o for _, o in run_outputs(run)}
    cronjob = outputs["CronJob"]
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    folded = copy.deepcopy(cronjob)
    folded["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][2] = (
        "<the sync script, below>"
    )
    command(f"render sample_requests/{run.input_object['kind'].lower()}.yaml -o yaml", note="the CronJob and the Role")
    name = cronjob["metadata"]["name"]
    show_yaml(folded, title=f"/kratix/output/cronjob-{name}.yaml (the script folded)")
    show_yaml(outputs["Role"]["rules"], title=f"Role {outputs['Role']['metadata']['name']}: rules")
    return outputs, cronjob, container


def env_table(container: dict[str, Any]) -> None:
    """A container's environment: each variable's value, or the Secret key it comes from."""
    rows = [
        {
            "env": e["name"],
            "value": e.get("value")
            or f"Secret {e['valueFrom']['secretKeyRef']['name']}, key {e['valueFrom']['secretKeyRef']['key']}",
        }
        for e in container["env"]
    ]
    console.print(table(rows, title="the container's environment"))


def show_cronjob_history(lab: Lab, name: str, namespace: str) -> list[dict[str, Any]]:
    """``kratix-lab events --for cronjob/NAME``, its Jobs, and its schedule and last runs. Returns the events."""
    from kratix_lab.views.lab_view import events_table

    command(f"events -n {namespace} --for cronjob/{name}")
    events = lab.events("CronJob", name, namespace)
    rows = events_table(events, lab.store.now_seconds(), show_namespace=False)
    console.print(table(rows.records(), [h for h in rows.headers if h != "OBJECT"]))
    console.print(kubectl_get(lab, "Job", namespace))
    cj = lab.get("CronJob", name, namespace) or {}
    show_text(
        f"schedule {cj['spec']['schedule']!r}, last schedule {cj['status']['lastScheduleTime']}, "
        f"last success {cj['status']['lastSuccessfulTime']}"
    )
    return events


def get_kinds(lab: Lab, kinds: Sequence[str], namespace: str, selector: dict[str, str]) -> list[dict[str, Any]]:
    """``kratix-lab get a,b,c -n NS -l k=v``: several kinds in one table (``kind/name``). Returns the objects."""
    from kratix_lab.views.lab_view import get_table

    short = {"ServiceAccount": "sa"}
    labels = ",".join(f"{k}={v}" for k, v in selector.items())
    title = f"$ kratix-lab get {','.join(short.get(k, k.lower()) for k in kinds)} -n {namespace} -l {labels}"
    live = [o for kind in kinds for o in lab.list(kind, namespace, selector)]
    rows = get_table(lab, live, show_namespace=False, kind_prefix=True)
    console.print(table(rows.records(), rows.headers, title=title))
    return live


def op_vault(lab: Lab, name: str = "sandbox") -> str:
    """The vault the kubeconfig-sync CronJob of ``name`` writes to (its ``OP_VAULT``)."""
    cj = lab.get("CronJob", f"{name}-kubeconfig-sync", f"vcluster-{name}") or {}
    env = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    return next(e["value"] for e in env if e["name"] == "OP_VAULT")


def cron_runs(
    stand_ins: OpStandIns, script: str, seed_script: str, env: dict[str, str], minutes: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both scripts run once a minute of ``minutes`` against the stand-ins, each with its own vault; prints what each
    run printed and left in the vaults. Returns the two vaults' items after the last run."""
    rows = []
    for minute in minutes:
        ours, vault = stand_ins.run(script, "vault-ours.json", **env)
        _, seed_vault = stand_ins.run(seed_script, "vault-seed.json")
        rows.append(
            {
                "run": minute,
                "this job prints": ours,
                "items (this job)": ", ".join(f"{i['id']} ({i['edits']} edits)" for i in vault),
                "items (seed job)": ", ".join(i["id"] for i in seed_vault),
            }
        )
    console.print(table(rows, title=f"{len(minutes)} CronJob runs against the modelled 1Password vault"))
    return vault, seed_vault


# ---- the kubeconfig ExternalSecret (05): what each request renders, the Secret ESO writes, Argo CD's sync ----------


def externalsecret_row(es: dict[str, Any]) -> dict[str, str]:
    """What an ExternalSecret asks ESO for: API version, store, 1Password item, refresh, and the Secret it writes."""
    return {
        "apiVersion": es["apiVersion"],
        "store": f"{es['spec']['secretStoreRef']['kind']}/{es['spec']['secretStoreRef']['name']}",
        "1Password item (remoteRef.key)": es["spec"]["data"][0]["remoteRef"]["key"],
        "refresh": es["spec"]["refreshInterval"],
        "Secret": f"{es['metadata']['namespace']}/{es['spec']['target']['name']}",
    }


def show_owned_secret(lab: Lab, name: str, namespace: str, labels: bool = False) -> dict[str, Any]:
    """``kratix-lab describe secret/NAME``: a Secret's owner, annotations and (decoded) data (with ``labels``, its
    type and labels too). Returns it."""
    import base64

    command(f"describe secret/{name} -n {namespace}", key="d")
    secret = lab.get("Secret", name, namespace)
    if secret is None:
        raise LookupError(f"Secret/{name} not found in namespace {namespace}")
    owner = secret["metadata"]["ownerReferences"][0]
    rows = [
        {
            "field": "owner",
            "value": f"{owner['kind']}/{owner['name']} ({owner['apiVersion']}, controller={owner['controller']})",
        },
        {"field": "annotations", "value": ", ".join(f"{k}={v}" for k, v in secret["metadata"]["annotations"].items())},
        *({"field": f"data.{k} (decoded)", "value": base64.b64decode(v).decode()} for k, v in secret["data"].items()),
    ]
    if labels:
        rows[1:1] = [{"field": f"label {k}", "value": v} for k, v in secret["metadata"]["labels"].items()]
        rows.insert(0, {"field": "type", "value": secret["type"]})
    console.print(table(rows, title=f"Secret {namespace}/{name}"))
    return secret


def seed_external_secret() -> dict[str, Any]:
    """The seed document's ExternalSecret for ``media``'s kubeconfig: ``external-secrets.io/v1beta1``."""
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": "media-kubeconfig", "namespace": "vcluster-media"},
        "spec": {
            "secretStoreRef": {"name": "onepassword-connect", "kind": "ClusterSecretStore"},
            "target": {"name": "media-kubeconfig"},
            "data": [
                {"secretKey": "kubeconfig", "remoteRef": {"key": "vcluster-media-kubeconfig", "property": "kubeconfig"}}
            ],
        },
    }


def try_apply(lab: Lab, obj: dict[str, Any]) -> str:
    """``kratix-lab apply -f FILE`` of an object the API server refuses: shows it, returns (and prints) why."""
    from kratix_lab.platform.lab import AdmissionError

    show_yaml(obj, title=f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml")
    command(f"apply -f {obj['kind'].lower()}-{obj['metadata']['name']}.yaml")
    try:
        lab.apply(obj)
    except AdmissionError as e:
        show_text(f"apply refused it: {e}", style="red")
        return str(e)
    raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']} was accepted")


def show_sync_state(lab: Lab, app: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """An Application's sync status, its last sync operation and its ``SyncError`` condition (if any), as
    ``kratix-lab get application … -o yaml`` shows them. Returns the Application, the operation and the condition."""
    command(f"get application {app} -n argocd -o yaml", key="y", note="status.operationState, conditions")
    obj = lab.get("Application", app, "argocd") or {}
    st = obj.get("status") or {}
    operation = st.get("operationState") or {}
    show_text(f"{app}: {st['sync']['status']}; last sync {operation.get('phase')}: {operation.get('message')}")
    error = next((c for c in st.get("conditions") or [] if c["type"] == "SyncError"), None)
    if error:
        show_text(f"SyncError: {error['message']}")
    return obj, operation, error


# ---- the Argo CD cluster registration (06): the cluster Secret's labels, what cluster generators select -----------


def without(request: dict[str, Any], *fields: str) -> dict[str, Any]:
    """A copy of ``request`` without some ``spec`` fields (the schema's defaults then apply)."""
    out = variant(request)
    for f in fields:
        out["spec"].pop(f, None)
    return out


def cluster_labels_table(variants: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The labels each registration request puts on its cluster Secret (the ExternalSecret's target template), run
    through the real pipeline: one column per request. Returns request label → labels."""
    command("render FILE -o yaml", note="one run per variation: target.template.metadata.labels")
    rendered = {}
    for label, req in variants.items():
        (run,) = run_configure(req).pipelines
        [(_, es)] = run_outputs(run)
        rendered[label] = es["spec"]["target"]["template"]["metadata"]["labels"]
    keys = list(dict.fromkeys(k for labels in rendered.values() for k in labels))
    rows = [{"label": k, **{v: labels.get(k, "") for v, labels in rendered.items()}} for k in keys]
    t = table(rows, title="labels on the cluster Secret")
    for column, labels in zip(t.columns[1:], rendered.values(), strict=True):
        column.no_wrap = False  # the request's name (the header) wraps between its words; a value is never cut
        column.min_width = max(len(v) for v in labels.values())
    console.print(t)
    return rendered


def cluster_generators(lab: Lab, selectors: Sequence[str], namespace: str = "argocd") -> list[str]:
    """The cluster Secrets (``argocd.argoproj.io/secret-type: cluster``) each selector (``"k=v"``; ``""``: none) picks,
    as an ApplicationSet cluster generator with that ``matchLabels`` would. Returns the names each found."""
    cluster = {"argocd.argoproj.io/secret-type": "cluster"}
    command(f"get secrets -n {namespace} -l argocd.argoproj.io/secret-type=cluster,KEY=VALUE", note="one per selector")
    rows, found = [], []
    for sel in selectors:
        labels = dict([sel.split("=", 1)]) if sel else {}
        names = ", ".join(
            s["metadata"]["name"] for s in lab.list("Secret", namespace, {"matchLabels": cluster | labels})
        )
        rows.append({"selector": sel or "(Argo CD's cluster list)", "clusters (Secrets)": names})
        found.append(names)
    console.print(table(rows, title=f"Secrets in {namespace} with argocd.argoproj.io/secret-type=cluster"))
    return found
