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
from rich.tree import Tree

from kratix_lab import Lab
from kratix_lab.model import dump, load_documents, load_one
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
    (``[a-z0-9]`` in a pattern or ``map[string]string`` is not read as rich markup); long cells wrap, never cut."""
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    t = Table(title=title, title_justify="left", header_style="bold", min_width=min(len(title or ""), WIDTH))
    for c in cols:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(Text("" if r.get(c) is None else str(r.get(c))) for c in cols))
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
    """``kubectl get`` of the lab (the CLI's columns), as a literal table."""
    from kratix_lab.views.lab_view import get_table

    objs = lab.list(kind, namespace, selector)
    data = get_table(lab, objs, show_namespace=namespace is None, wide=wide)
    return table(
        data.records(),
        data.headers,
        title or f"kubectl get {kind.lower()}" + (f" -n {namespace}" if namespace else " -A"),
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


def changes_table(rows: list[dict[str, str]], title: str | None = None) -> Table:
    """``changes`` rows grouped: objects of one kind with the same change and status share a line."""
    groups: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault((r["change"], r["kind"], r["fields"], r["status"]), []).append((r["namespace"], r["name"]))
    order = {"created": 0, "updated": 1, "deleted": 2}
    t = Table(title=title, title_justify="left", header_style="bold")
    for col in ("change", "kind", "objects (namespace: names)", "what changed", "status now"):
        t.add_column(col, overflow="fold")
    style = {"created": "green", "updated": "cyan", "deleted": "red"}
    for (change, kind, fields, status), refs in sorted(groups.items(), key=lambda g: (order[g[0][0]], g[0][1])):
        by_ns: dict[str, list[str]] = {}
        for ns, name in refs:
            by_ns.setdefault(ns, []).append(name)
        objects = "\n".join(f"{ns}: {', '.join(names)}" if ns else ", ".join(names) for ns, names in by_ns.items())
        if len(refs) > 3:
            objects = f"({len(refs)}) {objects}"
        t.add_row(Text(change, style=style[change]), Text(kind), Text(objects), Text(fields), Text(status))
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


def show_commits(commits: Sequence[Any], title: str | None = None) -> None:
    """Commits of a lab repository (``repo.log()``), newest first: short SHA, date, author, subject and files."""
    from kratix_lab.views.lab_view import repo_log_rich

    if title:
        console.print(Text(title, style="bold"))
    console.print(repo_log_rich(list(commits)) if commits else Text("no commits", style="dim"))


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

    before, head = snapshot(lab), lab.state_remote.head()
    results = [lab.step() for _ in range(rounds)]
    data = steps_table(results)
    console.print(table(data.records(), data.headers, "objects each controller wrote, per round"))
    rows = show_changes(before, snapshot(lab), "objects that changed")
    commits = new_commits(lab, head)
    if commits:
        show_commits(commits, f"state-repo commits pushed ({len(commits)})")
    return Stage(results, rows, commits)


def scratch_dir(name: str) -> Path:
    """A new, empty temporary directory for files a notebook writes (removed when the kernel exits, like the labs)."""
    path = Path(tempfile.mkdtemp(prefix=f"kratix-lab-cookbook-{name}-"))
    _labs.append(path)
    return path
