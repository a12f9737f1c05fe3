"""The ``kratix-lab`` command: the platform engineer's front end (thin: logic lives in the package)."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from gitdb.exc import ODBError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kratix_lab import __version__
from kratix_lab.catalogue import Catalogue
from kratix_lab.errors import EXIT_BUG, KratixLabError, NotFound, UsageError
from kratix_lab.fsutil import atomic_dir
from kratix_lab.kube.refs import ObjectRef
from kratix_lab.kube.times import ago, rfc3339
from kratix_lab.model import dump, dump_all, load_documents, load_file, namespace_of
from kratix_lab.pipeline.executors import make_executor
from kratix_lab.platform.lab import AdmissionError, Lab, default_lab_dir
from kratix_lab.platform.store import Conflict
from kratix_lab.promise import Promise
from kratix_lab.promises import load_catalogue
from kratix_lab.render import DEFAULT_NAMESPACE, admit, read_request, render, write_tree
from kratix_lab.schema import explain
from kratix_lab.schema.crd import CRDError
from kratix_lab.startup import skip_slow_optional_imports
from kratix_lab.views import lab_view as lv
from kratix_lab.views.explain_view import explain_text
from kratix_lab.views.literal import LiteralConsole, LiteralStream
from kratix_lab.views.render_view import render_summary, render_tree
from kratix_lab.words import plural

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class CLIError(UsageError):
    """Reported as ``error: <message>`` with exit code 2."""


class NotFoundError(NotFound):
    """An object the command names does not exist: printed as is (kubectl's wording), exit code 1."""

    exit_code = EXIT_FINDINGS


def _console() -> Console:
    """The console for rich output: data printed literally (markup off, control characters escaped:
    ``views.literal``), writing to the real stdout (its own colour codes must not be escaped)."""
    out = sys.stdout.inner if isinstance(sys.stdout, LiteralStream) else sys.stdout
    tty = out.isatty()
    return LiteralConsole(
        file=out, highlight=False, soft_wrap=not tty, width=None if tty else 4096
    )  # piped: never crop


def _catalogue(args: argparse.Namespace) -> Catalogue:
    cat = Catalogue(dict(load_catalogue().promises))
    for p in args.promise or []:
        path = Path(p)
        files = sorted(path.rglob("promise.yaml")) if path.is_dir() else [path]
        if not files:
            raise CLIError(f"{path}: no promise.yaml found")
        for f in files:
            promise = Promise.from_file(f)
            if promise.name in cat.promises:
                print(f"note: Promise {promise.name} from {f} replaces the bundled one", file=sys.stderr)
                del cat.promises[promise.name]
            cat.add(promise)
    return cat


def cmd_promises(args: argparse.Namespace) -> int:
    cat = _catalogue(args)
    rows = []
    for p in cat:
        crd = p.crd
        fields = (
            sorted(((crd.schema(crd.storage_version).get("properties") or {}).get("spec") or {}).get("properties", {}))
            if crd
            else []
        )
        rows.append(
            {
                "name": p.name,
                "kind": crd.kind if crd else None,
                "apiVersion": crd.api_versions[0] if crd else None,
                "fields": fields,
                "configure": [pl["metadata"]["name"] for pl in p.pipelines("resource", "configure")],
                "delete": [pl["metadata"]["name"] for pl in p.pipelines("resource", "delete")],
            }
        )
    if args.output == "json":
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    table = Table(title=f"{len(rows)} Promises", title_justify="left")
    for col in ("PROMISE", "KIND", "API VERSION", "SPEC FIELDS", "PIPELINES"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["name"],
            r["kind"] or "-",
            r["apiVersion"] or "-",
            ", ".join(r["fields"]),
            ", ".join(r["configure"]),
        )
    _console().print(table)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    cat = _catalogue(args)
    kind, _, path = args.target.partition(".")
    promise = cat.for_kind(kind)
    try:
        node = explain(promise.crd, promise.crd.storage_version, path)
    except CRDError as e:  # named by the kind, not by the Promise file's absolute path (issue 17 item 8)
        raise CLIError(f"{promise.crd.kind}: {e.problem}") from None
    print(explain_text(promise.crd, node, recursive=args.recursive), end="")
    return EXIT_OK


def _load_and_admit(args: argparse.Namespace) -> tuple[Catalogue, Any, Any]:
    cat = _catalogue(args)
    obj = read_request(args.file)
    promise, admission = admit(cat, obj, args.namespace)
    return cat, promise, admission


def cmd_validate(args: argparse.Namespace) -> int:
    _, promise, admission = _load_and_admit(args)
    for p in admission.pruned:
        print(f"warning: unknown field {p!r} pruned (not in the {promise.crd.kind} schema)", file=sys.stderr)
    if not admission.ok:
        name = (admission.object.get("metadata") or {}).get("name", "")
        count = f"{len(admission.errors)} error{'s' if len(admission.errors) != 1 else ''}"
        print(f'{args.file}: The {promise.crd.kind} "{name}" is invalid ({count}):', file=sys.stderr)
        for e in admission.errors:
            print(f"  {e}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.output == "json":
        print(json.dumps(admission.object, indent=2))
    else:
        print(dump(admission.object), end="")
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    cat = _catalogue(args)
    obj = read_request(args.file)
    executor = make_executor(args.executor)
    if args.out and Path(args.out).exists() and (not Path(args.out).is_dir() or any(Path(args.out).iterdir())):
        raise CLIError(f"{args.out}: exists and is not an empty directory (choose a new --out directory)")
    node = render(cat, obj, executor=executor, namespace=args.namespace)
    errors = node.errors()
    if args.output == "json":
        print(json.dumps(render_summary(node), indent=2, default=str))
    elif args.output == "yaml":
        print(dump_all(node.all_objects()), end="")
    else:
        _console().print(render_tree(node))
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        if args.out:
            print(f"nothing written to {args.out}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.out:
        with atomic_dir(args.out) as scratch:
            written = write_tree(node, scratch)
        print(f"wrote {plural(len(written), 'file')} to {args.out}", file=sys.stderr)
    return EXIT_OK


# ---- the embedded lab ----------------------------------------------------------------------------


def _lab_path(args: argparse.Namespace) -> Path:
    return Path(args.lab) if getattr(args, "lab", None) else default_lab_dir()


def _open(args: argparse.Namespace, *, reads_only: bool = False) -> Lab:
    """The lab of ``--lab``. A command that only reads (``reads_only``) also works on a lab the user may not
    write: it is then opened read-only (``Lab.open_for_reading``)."""
    path = _lab_path(args)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{path}: not a directory, so not a lab")
    return Lab.open_for_reading(path) if reads_only else Lab(path, create=False)


# ---- live mode (kratix_lab.live): the same commands through a cluster's API -----------------------


def _live(args: argparse.Namespace) -> bool:
    """Live mode: a kubeconfig, a context or the in-cluster config was given (and no --lab)."""
    wanted = bool(
        getattr(args, "context", None) or getattr(args, "kubeconfig", None) or getattr(args, "in_cluster", False)
    )
    if wanted and getattr(args, "lab", None):
        raise CLIError("give --lab DIR (the embedded lab) or --context/--kubeconfig (a cluster), not both")
    return wanted


@contextlib.contextmanager
def _source(args: argparse.Namespace) -> Iterator[Any]:
    """The platform the command reads, as a Source: the lab, or a cluster in live mode (read-only)."""
    if _live(args):
        from kratix_lab.sources.factory import PlatformSettings, open_live_from

        if args.request_timeout <= 0:
            raise CLIError(f"--request-timeout must be a positive number of seconds, got {args.request_timeout}")
        source = open_live_from(PlatformSettings.from_args(args), watch=getattr(args, "watch", False))
        try:
            yield source
        finally:
            stop = getattr(source, "stop", None)
            if stop is not None:
                stop()
        return
    from kratix_lab.sources.lab import LabSource

    with _open(args, reads_only=True) as lab:
        yield LabSource(lab, read_only=True)


def _lab_or_live(args: argparse.Namespace) -> Any:
    """``get``/``describe``: the lab, or in live mode a cluster shaped as the lab views read one."""
    if _live(args):
        from kratix_lab.live.commands import LabShape

        cm = _source(args)
        source = cm.__enter__()
        _platform_line(args, source)
        return LabShape(source)
    return _open(args, reads_only=True)


def _platform_line(args: argparse.Namespace, source: Any) -> None:
    """Live mode's first line: which platform is read (stderr, so -o json stays one JSON document)."""
    if _live(args):
        mode = "read-only" if source.read_only else "writes allowed (--write)"
        print(f"platform: {source.name} (live, {mode})", file=sys.stderr)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Live mode's checks (kratix_lab.live.doctor): always a cluster (the current context by default)."""
    from kratix_lab.live.doctor import report
    from kratix_lab.live.repos import parse_overrides
    from kratix_lab.sources.factory import open_live

    if getattr(args, "lab", None):
        raise CLIError("doctor checks a cluster for live mode; --lab is not used")
    if args.request_timeout <= 0:
        raise CLIError(f"--request-timeout must be a positive number of seconds, got {args.request_timeout}")
    source = open_live(
        context=args.context,
        kubeconfig=args.kubeconfig,
        in_cluster=args.in_cluster,
        repos=parse_overrides(args.repo),
        cache_dir=args.cache_dir,
        timeout=args.request_timeout,
    )
    text, ok = report(source)  # type: ignore[arg-type]
    print(text, end="")
    return EXIT_OK if ok else EXIT_FINDINGS


def _show(table: lv.TableData) -> None:
    """Rich on a terminal, kubectl's aligned columns when piped."""
    if sys.stdout.isatty():
        _console().print(table.rich())
    else:
        print(table.plain(), end="")


def _find(lab: Lab, kind: lv.Kind, name: str, namespace: str | None) -> list[dict[str, Any]]:
    if not kind.namespaced or namespace:
        obj = lab.store.get(kind.kind, name, namespace if kind.namespaced else None, kind.group)
        return [obj] if obj is not None else []
    return [o for o in lab.store.list(kind.kind, group=kind.group) if o["metadata"]["name"] == name]


def _one(lab: Lab, kind: lv.Kind, name: str, namespace: str | None) -> dict[str, Any]:
    found = _find(lab, kind, name, namespace)
    if not found:
        raise NotFoundError(kind.not_found(name))
    if len(found) > 1:
        spaces = ", ".join(namespace_of(o) or "" for o in found)
        raise CLIError(f'{kind.kind} "{name}" exists in several namespaces ({spaces}); choose one with -n')
    return found[0]


def _remove_lab(path: Path) -> str:
    """Delete a lab directory and return its seed: only a recognisable lab (a valid lab.json, the
    lab's parts, nothing else), so ``--force`` never takes other files with it."""
    from kratix_lab.platform.lab import LAB_PARTS, LabError, _read_marker

    marker = path / "lab.json"
    if not marker.is_file():
        raise CLIError(f"{path}: not a lab (no lab.json); refusing to delete it")
    try:
        seed = _read_marker(marker)
    except LabError as e:
        raise CLIError(f"{e}; refusing to delete {path} (delete it by hand if it is yours)") from None
    known = {"lab.json", ".lock", *LAB_PARTS, "store.sqlite-wal", "store.sqlite-shm", "store.sqlite-journal"}
    other = sorted(p.name for p in path.iterdir() if p.name not in known)
    if other:
        raise CLIError(
            f"{path}: holds files that are not part of a lab ({', '.join(other)}); refusing to delete it "
            f"(it would delete them with lab.json, {', '.join(LAB_PARTS)})"
        )
    shutil.rmtree(path)
    return seed


def cmd_lab_init(args: argparse.Namespace) -> int:
    path = _lab_path(args)
    seed = "kratix-lab"
    if (path / "lab.json").exists():
        if not args.force:
            raise CLIError(f"{path}: already a lab (re-create it with `lab init --force` or `lab reset --yes`)")
        seed = _remove_lab(path)
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise CLIError(f"{path}: exists, is not empty and is not a lab (no lab.json); choose another directory")
    eso = getattr(args, "external_secrets_version", None)
    with Lab(path, create=True, seed=seed, external_secrets_version=eso) as lab:
        print(f"created lab {path} (simulated time {lab.store.now()}, External Secrets {lab.external_secrets_version})")
    return EXIT_OK


def cmd_lab_reset(args: argparse.Namespace) -> int:
    path = _lab_path(args)
    if not (path / "lab.json").is_file():
        what = "not a lab (no lab.json); refusing to delete it" if path.exists() else "no lab here"
        raise CLIError(f"{path}: {what}")
    if not args.yes:
        raise CLIError(f"lab reset deletes {path} and everything in it; re-run with --yes to confirm")
    seed = _remove_lab(path)
    with Lab(path, create=True, seed=seed) as lab:
        print(f"reset lab {path} (simulated time {lab.store.now()})")
    return EXIT_OK


def cmd_lab_status(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        data = lv.status_data(lab)
    if args.output == "json":
        print(json.dumps(data, indent=2))
    else:
        print(lv.status_text(data), end="")
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    docs = load_documents(sys.stdin.read(), "<stdin>") if args.filename == "-" else load_file(args.filename)
    if not docs:
        raise CLIError(f"{args.filename}: no objects found")
    failed = 0
    with _open(args) as lab:
        for d in docs:
            if not isinstance(d.data, dict):
                raise CLIError(f"{args.filename}: document {d.index + 1} (line {d.line}) is not an object")
            obj = d.data
            meta = obj.get("metadata")
            try:
                if not isinstance(meta, dict) or not meta.get("name"):
                    raise AdmissionError(f"{obj.get('kind') or 'object'}: resource name may not be empty")
                result = lab.apply(obj)
            except (AdmissionError, Conflict) as e:
                print(f"error: {args.filename} (line {d.line}): {e}", file=sys.stderr)
                failed += 1
                continue
            print(f"{lv.object_name(obj)} {result}")
    return EXIT_FINDINGS if failed else EXIT_OK


def cmd_submit(args: argparse.Namespace) -> int:
    docs = load_file(args.file)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise CLIError(f"{args.file}: expected exactly one object, found {len(docs)} documents")
    obj = docs[0].data
    if _live(args):
        from kratix_lab.live import gitops

        with _source(args) as source:
            _platform_line(args, source)
            if args.apply:
                applied = gitops.server_side_apply(source, obj)
                print(f"{lv.object_name(applied)} serverside-applied")
                print("applied to the cluster, not committed: the gitops repo does not hold it", file=sys.stderr)
                return EXIT_OK
            sha, rel = gitops.create(source, obj, _gitops_repo(args, source, str(obj.get("kind") or "")))
        print(f"{sha}  {rel}")
        print("committed and pushed to the gitops repo; Argo CD applies it at its next sync", file=sys.stderr)
        return EXIT_OK
    with _open(args) as lab:
        if args.apply:  # the lab's apply admits it as the API server would
            print(f"{lv.object_name(obj)} {lab.apply(obj)}")
            print("applied to the lab's cluster, not committed: the gitops repo does not hold it", file=sys.stderr)
            return EXIT_OK
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        if obj.get("kind") and obj.get("apiVersion") and lab.crd_for(obj) is None and "integratn.tech" not in group:
            raise CLIError(
                f"{args.file}: {obj['kind']} is not a Kratix resource request (no installed Promise serves it); "
                "submit commits requests to the gitops repo — use `apply -f` for other objects"
            )
        sha = lab.submit(args.file)
        if sha is None:
            print(f"unchanged: the gitops repo already holds this request (HEAD {lab.gitops_repo.head()})")
            return EXIT_OK
        files = lab.gitops_repo.show(sha).files
    print(f"{sha}  {' '.join(files)}")
    print("committed to the gitops repo; `kratix-lab settle` lets Argo CD and Kratix act on it", file=sys.stderr)
    return EXIT_OK


def _gitops_repo(args: argparse.Namespace, source: Any, kind: str | None = None) -> Any:
    """The gitops repo to commit to: --gitops-repo, else the one Argo CD applies the requests from."""
    from kratix_lab.live.gitops import GitOpsRepo, locate
    from kratix_lab.live.repos import norm_url, parse_overrides

    if not getattr(args, "write", False):
        from kratix_lab.errors import Forbidden

        raise Forbidden("live mode is read-only: this commits to the gitops repo; add --write to allow it")
    url, branch = args.gitops_repo, args.gitops_branch
    if not url:
        url, found_branch, app_path, app = locate(source, kind)
        branch = args.gitops_branch if args.gitops_branch != "main" else found_branch
        print(f"gitops repo: {url} ({branch}), from Argo CD application {app} (path {app_path})", file=sys.stderr)
    remote = {norm_url(k): v for k, v in parse_overrides(args.repo).items()}.get(norm_url(url), url)
    return GitOpsRepo(remote, branch=branch, path=args.gitops_path, cache_dir=args.cache_dir)


def _refs(args: argparse.Namespace) -> list[ObjectRef]:
    """The objects a command names: ``KIND NAME [NAME…]`` or ``KIND/NAME [KIND/NAME…]`` (kubectl's rules)."""
    return ObjectRef.parse_args(args.refs, args.namespace)


def cmd_delete(args: argparse.Namespace) -> int:
    refs = _refs(args)
    if _live(args):
        from kratix_lab.live import gitops

        with _source(args) as source:
            _platform_line(args, source)
            repo = _gitops_repo(args, source)
            for ref in refs:
                info = source.kinds().resolve(ref.kind)
                sha, rel = gitops.delete(source, info.kind, ref.name, ref.namespace, repo)
                print(f"{sha}  removed {rel}")
        return EXIT_OK
    with _open(args) as lab:
        for ref in refs:
            kind = lv.resolve_kind(lab, ref.kind)
            if lab.get(kind.kind, ref.name, ref.namespace) is None and lab.never_applied(
                kind.kind, ref.name, ref.namespace
            ):
                print(lab.delete(kind.kind, ref.name, ref.namespace))  # in git, never applied (issue 17 item 1)
                continue
            obj = _one(lab, kind, ref.name, ref.namespace)
            print(lab.delete(obj["kind"], ref.name, namespace_of(obj)))
    return EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    refs = _refs(args)
    if _live(args):
        from kratix_lab.live import commands

        with _source(args) as source:
            _platform_line(args, source)
            for ref in refs:
                obj = commands.reconcile(source, ref.kind, ref.name, ref.namespace)
                print(
                    f"{obj['kind'].lower()}/{ref.name} labelled kratix.io/manual-reconciliation=true; "
                    "Kratix re-runs its workflows"
                )
        return EXIT_OK
    with _open(args) as lab:
        for ref in refs:
            kind = lv.resolve_kind(lab, ref.kind)
            obj = _one(lab, kind, ref.name, ref.namespace)
            lab.reconcile(obj["kind"], ref.name, namespace_of(obj))
            print(
                f"{obj['kind'].lower()}/{ref.name} labelled kratix.io/manual-reconciliation=true; "
                "Kratix re-runs its workflows"
            )
    return EXIT_OK


def _trace_ref(args: argparse.Namespace) -> tuple[str, str, str | None]:
    ref = ObjectRef.parse_one(args.refs, args.namespace, namespace_form=True)
    return ref.kind, ref.name, ref.namespace or args.namespace


def _known(source: Any, d: Any) -> Any:
    """``d`` unless its request is nowhere (a typo): then NotFound, exit 2, with the closest names."""
    from kratix_lab.diagnose import unknown_request

    message = unknown_request(source, d)
    if message is not None:
        raise NotFound(message)
    return d


def cmd_trace(args: argparse.Namespace) -> int:
    from kratix_lab.diagnose import diagnose
    from kratix_lab.views import trace_view as tv

    kind, name, namespace = _trace_ref(args)
    with _source(args) as source:
        _platform_line(args, source)

        first = _known(source, diagnose(source, kind, name, namespace))
        # --watch only reads: in the lab, time moves only when something steps it (issue 17 item 8)
        started = None if _live(args) or not args.watch else source.now()

        def render(d: Any = None) -> Any:
            d = d or diagnose(source, kind, name, namespace)
            if args.output == "json":
                return tv.to_json(tv.diagnosis_json(d))
            if args.output == "md":
                return tv.diagnosis_markdown(d)
            if args.output == "mermaid":
                return tv.trace_mermaid(d.trace)
            from rich.console import Group

            if args.output == "wide":  # every node of the road, whole messages
                parts = [Text(d.verdict, style="bold"), tv.trace_tree(d.trace, wide=True, now=d.now)]
            else:
                # the default: one line per resource, healthy delivery chains folded, cut to a terminal's width
                console = _console()
                width = console.width if console.is_terminal else None
                parts = [Text(d.verdict, style="bold"), tv.trace_compact(d.trace, now=d.now, width=width)]
            if started is not None and d.now == started:
                parts.append(Text(_clock_note(args, d.now), style="yellow"))
            return Group(*parts)

        if not args.watch:
            out = render(first)
            if isinstance(out, str):
                print(out, end="")
            else:
                _console().print(out)
            return EXIT_OK
        from rich.live import Live

        with Live(render(first), console=_console(), refresh_per_second=2) as live:
            try:
                for _ in range(args.watch_count or 10**9):
                    time.sleep(args.interval)
                    live.update(render())
            except KeyboardInterrupt:
                pass
    return EXIT_OK


def _clock_note(args: argparse.Namespace, now: int) -> str:
    """What ``trace --watch`` says while the lab's simulated clock stands still: watching steps nothing."""
    lab = f"--lab {args.lab} " if getattr(args, "lab", None) else ""
    return (
        f"the lab clock is not running (it has stood at {rfc3339(now)} since the watch began; watching steps "
        f"nothing): run it from another shell with `kratix-lab {lab}serve` (its clock runs), `kratix-lab {lab}tui` "
        f"(p plays), or step it: `kratix-lab {lab}settle`, `kratix-lab {lab}run-for 5m`"
    )


def cmd_diagnose(args: argparse.Namespace) -> int:
    from kratix_lab.diagnose import all_healthy, diagnose, fleet, fleet_summary, platform_findings
    from kratix_lab.views import trace_view as tv

    rows: list[Any] = []
    with _source(args) as source:
        _platform_line(args, source)
        if args.all:
            if args.refs:
                raise CLIError("give KIND/NAME or --all, not both")
            rows = fleet(source)
            results = [diagnose(source, "VClusterOrchestrator", r.name, r.namespace) for r in rows]
        else:
            if not args.refs:
                raise CLIError("give KIND/NAME (or KIND NAME), or --all")
            kind, name, namespace = _trace_ref(args)
            results = [_known(source, diagnose(source, kind, name, namespace))]
        # --all: the platform's own problems too (an Application that cannot read git stops every request in it)
        platform = platform_findings(source) if args.all else []
    if args.output == "json":
        data = [tv.diagnosis_json(d) for d in results] + [tv.finding_json(f) for f in platform]
        print(tv.to_json(data if args.all else tv.diagnosis_json(results[0])))
    elif args.output == "md":
        print("\n".join(tv.diagnosis_markdown(d) for d in results), end="")
        for f in platform:
            print(f"\n# {f.object}\n\n**{f.id}:** {f.message} → {f.fix}")
    else:
        for d in results:
            if args.all:
                print(f"== {d.ref}")
            print(tv.diagnosis_text(d), end="")
        for i, f in enumerate(platform, 1):
            if i == 1:
                print("== the platform's Argo CD applications")
            print(tv.finding_text(f, i))
        if args.all:  # the last line: the fleet by health (issue 17 item 3)
            extra = f"; {len(platform)} platform finding{'s' if len(platform) != 1 else ''}" if platform else ""
            print(fleet_summary(rows) + extra)
    if args.all:  # exit 1 when anything is not Healthy, so CI can gate on it
        return EXIT_OK if all_healthy(rows) and not platform else EXIT_FINDINGS
    return EXIT_OK if all(not d.findings for d in results) and not platform else EXIT_FINDINGS


def cmd_status(args: argparse.Namespace) -> int:
    """Every vCluster's row, then a one-line summary; exit 1 when any vCluster is not Healthy (issue 17 item 3)."""
    from kratix_lab.diagnose import all_healthy, fleet, fleet_summary

    with _source(args) as source:
        _platform_line(args, source)
        rows = fleet(source)
        now = source.now()
        if getattr(args, "watch", False):
            return _watch_status(args, source, rows, now)
    code = EXIT_OK if all_healthy(rows) else EXIT_FINDINGS
    if args.output == "json":
        print(json.dumps([_status_json(r) for r in rows], indent=2))
        return code
    if not rows:
        print("No vClusters found.", file=sys.stderr)
        return code
    _print_status(rows, now, _console(), args.output == "wide")
    print(fleet_summary(rows))
    return code


STATUS_COLUMNS = ["NAMESPACE", "NAME", "PRESET", "K8S", "STAGE", "HEALTH", "SINCE", "MESSAGE"]


def _status_json(r: Any) -> dict[str, Any]:
    return r.__dict__ | {"since": rfc3339(r.since) if r.since is not None else None}


def _print_status(
    rows: list[Any], now: int, console: Any, wide: bool, widths: list[int | None] | None = None
) -> list[int | None]:
    """The rows as ``status`` prints them (``widths`` given: no header, those widths — ``status -w``'s updates)."""
    from kratix_lab.trace import STAGE_TITLES

    cells = [
        [
            r.namespace,
            r.name,
            r.preset,
            r.k8s_version,
            STAGE_TITLES.get(r.stage, r.stage),
            r.health,
            ago(r.since, now),  # computed when shown, from the row's timestamp
            r.message if wide or console.is_terminal or len(r.message) <= 80 else r.message[:79] + "…",
        ]
        for r in rows
    ]
    header = widths is None
    if widths is None:
        widths = _status_widths(STATUS_COLUMNS, cells, console.width if console.is_terminal and not wide else None)
    table = Table(box=None, pad_edge=False, show_edge=False, show_header=header)
    # PRESET and K8S are the request kind's printer columns (diagnose.fleet_columns): headed by their names
    heads = dict(
        zip(("PRESET", "K8S"), (n.upper() for n in next((r.columns for r in rows if r.columns), ())), strict=False)
    )
    for c, w in zip(STATUS_COLUMNS, widths, strict=True):
        table.add_column(heads.get(c, c), overflow="fold" if wide else "ellipsis", no_wrap=not wide, width=w)
    for cell in cells:
        table.add_row(*cell)
    console.print(table)
    return widths


def _watch_status(args: argparse.Namespace, source: Any, rows: list[Any], now: int) -> int:
    """``status -w``, as ``kubectl get -w``: the table, then a row for each vCluster whose stage, health or
    message changes (``-o json``: one JSON object per line). The fleet is computed again when the platform
    changed — the lab's change token, or live a change the watch cache saw (``kratix_lab.live.cache``: one watch
    per kind, no polling of the API) — or a minute of lab time passed; Ctrl-C stops it (exit 0, or 1 when the
    last rows were not all Healthy)."""
    import signal
    import threading
    import time

    from kratix_lab.diagnose import all_healthy, fleet

    console, wide = _console(), args.output == "wide"

    def show(changed: list[Any], at: int, widths: list[int | None] | None) -> list[int | None] | None:
        if args.output == "json":
            for r in changed:
                print(json.dumps(_status_json(r)), flush=True)
            return widths
        if changed or widths is None:
            widths = _print_status(changed, at, console, wide, widths)
        return widths

    def shown(r: Any) -> tuple[str, str, str]:
        return (r.stage, r.health, r.message)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)  # as Ctrl-C (a parent that ignores SIGINT: a CI runner, xdist)
    last = {(r.namespace, r.name): shown(r) for r in rows}
    widths = show(rows, now, None)
    token, computed = source.change_token(), now
    try:
        while True:
            time.sleep(0.5)
            new_token, now = source.change_token(), source.now()
            if new_token == token and now - computed < 60:
                continue
            token, computed = new_token, now
            rows = fleet(source)
            seen = {(r.namespace, r.name): shown(r) for r in rows}
            widths = show([r for r in rows if last.get((r.namespace, r.name)) != shown(r)], now, widths)
            for ns, name in sorted(last.keys() - seen.keys()):
                print(
                    json.dumps({"namespace": ns, "name": name, "gone": True})
                    if args.output == "json"
                    else f"{ns}  {name}  (gone)",
                    flush=True,
                )
            last = seen
    except KeyboardInterrupt:
        return EXIT_OK if all_healthy(rows) else EXIT_FINDINGS


# ``status`` on a terminal: MESSAGE gives way first (down to MIN), then these columns (each to its minimum); NAME
# and HEALTH keep their width (issue 17 item 3; kubectl's wide columns are the ones that wrap, never NAME).
_STATUS_SHRINK = (("MESSAGE", 20), ("NAMESPACE", 6), ("STAGE", 6), ("K8S", 4), ("PRESET", 4), ("MESSAGE", 1))


def _status_widths(cols: list[str], cells: list[list[str]], width: int | None) -> list[int | None]:
    """Each column's width for ``status``: natural when piped (``width`` None) or when the table fits; else
    shrunk in ``_STATUS_SHRINK``'s order until it fits ``width`` (two spaces between columns)."""
    natural = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    if width is None:
        return [None] * len(cols)
    widths = list(natural)
    for name, least in _STATUS_SHRINK:
        excess = sum(widths) + 2 * (len(cols) - 1) - width
        if excess <= 0:
            break
        i = cols.index(name)
        widths[i] = max(least, widths[i] - excess)
    return list(widths)


def cmd_get(args: argparse.Namespace) -> int:
    refs = ObjectRef.parse_args(args.refs, args.namespace, all_namespaces=args.all_namespaces, require_name=False)
    named = any(r.name for r in refs)
    if named and args.selector:
        raise CLIError("a NAME cannot be given together with a label selector (-l)")
    try:
        selector = lv.parse_selector(args.selector) if args.selector else None
    except ValueError as e:
        raise CLIError(str(e)) from None
    with _lab_or_live(args) as lab:
        # KIND[,KIND…] lists; KIND NAME… or KIND/NAME… names (kubectl's builder rules, kratix_lab.kube.refs)
        wanted: dict[tuple[str, str | None], tuple[lv.Kind, list[str]]] = {}
        for ref in refs:
            for text in ref.kind.split(",") if not ref.name else [ref.kind]:
                kind = lv.resolve_kind(lab, text)
                wanted.setdefault((kind.kind, kind.group), (kind, []))[1].extend([ref.name] if ref.name else [])
        kinds = [k for k, _ in wanted.values()]
        found: list[tuple[lv.Kind, str | None, list[dict[str, Any]]]] = []
        missing: list[str] = []
        for kind, names in wanted.values():
            namespace = None if args.all_namespaces or not kind.namespaced else args.namespace
            if names:
                objs = []
                for name in names:
                    hits = _find(lab, kind, name, namespace)
                    objs.extend(hits)
                    if not hits:
                        missing.append(kind.not_found(name))
            else:
                objs = lab.store.list(kind.kind, namespace, selector, kind.group)
            found.append((kind, namespace, objs))
        every = [o for _, _, objs in found for o in objs]
        if missing and not every:
            raise NotFoundError("\n".join(missing))
        if missing:  # kubectl prints what it found, then an error per missing name, and exits 1
            code = _print_get(args, lab, found, every, kinds, named)
            print("\n".join(missing), file=sys.stderr)
            return code or EXIT_FINDINGS
        return _print_get(args, lab, found, every, kinds, named)


def _print_get(
    args: argparse.Namespace,
    lab: Lab,
    found: list[tuple[lv.Kind, str | None, list[dict[str, Any]]]],
    every: list[dict[str, Any]],
    kinds: list[lv.Kind],
    named: bool,
) -> int:
    if args.output in ("yaml", "json"):
        doc = every[0] if named and len(every) == 1 else lv.as_list(every)
        print(json.dumps(doc, indent=4) if args.output == "json" else dump(doc).rstrip("\n"))
        return EXIT_OK
    if args.output == "name":
        for o in every:
            print(lv.object_name(o))
        return EXIT_OK
    if not every:
        namespace = None if args.all_namespaces else args.namespace
        print(f"No resources found{f' in {namespace} namespace' if namespace else ''}.", file=sys.stderr)
        return EXIT_OK
    first = True
    for kind, namespace, objs in found:
        if not objs:
            continue
        if not first:
            print()
        first = False
        table = lv.get_table(
            lab,
            objs,
            show_namespace=kind.namespaced and namespace is None,
            wide=args.output == "wide",
            kind_prefix=len(kinds) > 1,
        )
        _show(table)
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    refs = _refs(args)
    with _lab_or_live(args) as lab:
        objs = [_one(lab, lv.resolve_kind(lab, ref.kind), ref.name, ref.namespace) for ref in refs]
        print("\n\n".join(lv.describe_text(lab, obj) for obj in objs), end="")
    return EXIT_OK


_WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet")


def _modelled(pod: dict[str, Any]) -> bool:
    """A pod the lab models (state and events, no process): ``kratix-lab.io/modelled`` (platform/cluster.py)."""
    return ((pod.get("metadata") or {}).get("annotations") or {}).get("kratix-lab.io/modelled") == "true"


def cmd_logs(args: argparse.Namespace) -> int:
    if args.tail is not None and args.tail < 0:
        raise CLIError("--tail must be 0 or more")
    if len(args.target) > 2:
        raise CLIError("expected POD or KIND/NAME, and at most one CONTAINER (kubectl logs POD [CONTAINER])")
    target = args.target[0]
    if len(args.target) == 2:
        if args.container and args.container != args.target[1]:
            raise CLIError(f"container given twice: {args.target[1]!r} and -c {args.container!r}")
        args.container = args.target[1]
    ref = ObjectRef.parse(target) if "/" in target else ObjectRef("pod", target)
    kind_text, name = ref.kind, ref.name
    if _live(args):
        from kratix_lab.live import commands

        with _source(args) as source:
            _platform_line(args, source)
            text = commands.logs(source, kind_text, name, args.namespace, args.container)
        if args.tail is not None:
            text = "".join(line + "\n" for line in text.splitlines()[len(text.splitlines()) - args.tail :])
        print(text, end="")
        return EXIT_OK
    with _open(args, reads_only=True) as lab:
        kind = lv.resolve_kind(lab, kind_text)
        obj = _one(lab, kind, name, args.namespace)
        ns = namespace_of(obj)
        silent: list[str] = []  # modelled pods: no container runs, so there are no logs (issue 17 item 8)
        if obj["kind"] in _WORKLOADS:
            match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            pods = lab.store.list("Pod", ns, match, "") if match else []
            logs = [(p, lab.logs("Pod", p["metadata"]["name"], ns, container=args.container)) for p in pods]
            silent = [p["metadata"]["name"] for p, log in logs if not log and _modelled(p)]
            shown = [(p, log) for p, log in logs if p["metadata"]["name"] not in silent]
            text = "".join((f"==> {p['metadata']['name']} <==\n" if len(shown) > 1 else "") + log for p, log in shown)
        elif obj["kind"] in ("Pod", "Job") or lab.crd_for(obj) is not None:
            text = lab.logs(obj["kind"], name, ns, container=args.container)
            if obj["kind"] == "Pod" and not text and _modelled(obj):
                silent = [name]
        else:
            raise CLIError(f"{kind.kind} has no logs (Pods, Jobs, Deployments/StatefulSets and Kratix requests do)")
    if silent:
        first = silent[0]
        print(
            f"{'pod ' + first + ' is' if len(silent) == 1 else 'pods ' + ', '.join(silent) + ' are'} modelled by "
            "kratix-lab: no container runs in the lab, so there are no logs; the pod's state is in "
            f"`kratix-lab describe pod {first} -n {ns}` and "
            f"`kratix-lab events --for pod/{first} -n {ns}`",
            file=sys.stderr,
        )
    if args.tail is not None:
        text = "".join(line + "\n" for line in text.splitlines()[len(text.splitlines()) - args.tail :])
    print(text, end="")
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    namespace = None if args.all_namespaces else args.namespace
    if _live(args):
        from kratix_lab.live import commands

        with _source(args) as source:
            _platform_line(args, source)
            ref = ObjectRef.parse(args.for_) if args.for_ else None
            events = commands.events(source, (ref.kind, ref.name) if ref else None, namespace)
            now = source.now()
        if not events:
            print(f"No events found{f' in {namespace} namespace' if namespace else ''}.", file=sys.stderr)
            return EXIT_OK
        _show(lv.events_table(events, now, show_namespace=namespace is None))
        return EXIT_OK
    with _open(args, reads_only=True) as lab:
        if args.for_:
            ref = ObjectRef.parse(args.for_)  # kubectl events --for takes KIND/NAME only
            kind = lv.resolve_kind(lab, ref.kind)
            events = lab.store.events(kind.kind, ref.name, (namespace or None) if kind.namespaced else "")
        else:
            events = lab.store.events(None, None, namespace)
        now = lab.store.now_seconds()
    if not events:
        print(f"No events found{f' in {namespace} namespace' if namespace else ''}.", file=sys.stderr)
        return EXIT_OK
    _show(lv.events_table(events, now, show_namespace=namespace is None))
    return EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise CLIError("N must be 1 or more")
    with _open(args) as lab:
        results = [lab.step() for _ in range(args.count)]
    _show(lv.steps_table(results))
    return EXIT_OK


def cmd_settle(args: argparse.Namespace) -> int:
    if args.max_steps < 1:
        raise CLIError("--max-steps must be 1 or more")
    with _open(args) as lab:
        r = lab.settle(max_steps=args.max_steps)
    state = "quiescent" if r.quiescent else "NOT quiescent (raise --max-steps, or look at `events` and `get`)"
    print(f"{plural(r.steps, 'step')}, {plural(r.writes, 'write')}; simulated time {r.time}; {state}")
    return EXIT_OK if r.quiescent else EXIT_FINDINGS


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> int:
    """``90s``, ``10m``, ``1h30m``, ``2d`` or plain seconds → seconds (more than zero)."""
    t = text.strip()
    if t.isdigit():
        seconds = int(t)
    else:
        m = _DURATION.fullmatch(t)
        if not t or m is None:
            raise CLIError(f"invalid duration {text!r} (examples: 90s, 10m, 1h30m, 2d)")
        d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    if seconds <= 0:
        raise CLIError(f"invalid duration {text!r}: must be more than zero")
    return seconds


def cmd_run_for(args: argparse.Namespace) -> int:
    seconds = parse_duration(args.duration)
    with _open(args) as lab:
        r = lab.run_for(seconds)
    print(
        f"ran {lv.human_duration(seconds)}: {plural(r.steps, 'step')}, {plural(r.writes, 'write')}; "
        f"simulated time {r.time}"
    )
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from kratix_lab import serve  # cryptography and http.server only for this command

    if args.address not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        raise CLIError(
            f"--address {args.address}: serving beyond this machine needs --allow-remote (the token is the only guard)"
        )
    path = _lab_path(args)
    if not (path / "lab.json").exists():
        raise CLIError(f"{path}: no lab here (create one with `kratix-lab lab init`)")
    if args.address not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving the lab on {args.address}: anyone who can reach it and has the token can change the lab",
            file=sys.stderr,
        )
    run = serve.start(
        path, address=args.address, port=args.port, kubeconfig=args.kubeconfig, speed=args.speed, paused=args.paused
    )
    clock = "paused (kratix-lab step/settle move it)" if args.paused else f"{args.speed:g} lab seconds per second"

    def announce() -> None:
        print(f"serving {path} at {run.url}; lab clock {clock}; Ctrl-C stops", file=sys.stderr)
        print(f"export KUBECONFIG={run.kubeconfig.resolve()}", flush=True)

    serve.serve_forever(run, announce)
    return EXIT_OK


def cmd_fault_list(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        available, active = lab.faults.available(), lab.faults.active()
    if args.output == "json":
        print(json.dumps(lv.faults_data(available, active), indent=2))
    else:
        _show(lv.faults_table(available, active))
    return EXIT_OK


def cmd_fault_inject(args: argparse.Namespace) -> int:
    params: dict[str, str] = {}
    for p in args.params:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise CLIError(f"{p!r}: expected key=value")
        params[key] = value
    with _open(args) as lab:
        full = lab.faults.inject(args.name, **params)
        symptom = next(f.symptom for f in lab.faults.available() if f.name == args.name)
    shown = ", ".join(f"{k}={v}" for k, v in full.items() if k != "restore")
    print(f"injected {args.name}" + (f" ({shown})" if shown else ""))
    print(f"expect: {symptom}; `kratix-lab settle` or `run-for` lets the platform act", file=sys.stderr)
    return EXIT_OK


def cmd_fault_clear(args: argparse.Namespace) -> int:
    if bool(args.name) == bool(args.all):
        raise CLIError("fault clear takes a fault NAME or --all (not both)")
    with _open(args) as lab:
        if args.all:
            names = list(lab.faults.active())
            lab.faults.clear_all()
            print(f"cleared {', '.join(names)}" if names else "no active faults")
        else:
            lab.faults.clear(args.name)
            print(f"cleared {args.name}")
    return EXIT_OK


def _repo(lab: Lab, args: argparse.Namespace) -> tuple[Any, str]:
    return (lab.gitops_repo, "gitops") if args.gitops else (lab.state_remote, "state")


def cmd_repo_log(args: argparse.Namespace) -> int:
    if args.max_count < 1:
        raise CLIError("-n must be 1 or more")
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        commits = repo.log(args.path.strip("/") if args.path else None, max_count=args.max_count)
    if not commits:
        print(f"no commits in the {which} repo" + (f" touch {args.path}" if args.path else ""), file=sys.stderr)
        return EXIT_OK
    if sys.stdout.isatty():
        _console().print(lv.repo_log_rich(commits))
    else:
        print(lv.repo_log_text(commits), end="")
    return EXIT_OK


@contextlib.contextmanager
def _revision(which: str, rev: str) -> Iterator[None]:
    """Any revision gitpython/gitdb cannot resolve (or whose objects are missing) → exit 2."""
    try:
        yield
    except (ODBError, ValueError) as e:
        raise CLIError(f"unknown revision {rev!r} in the {which} repo") from e


def cmd_repo_show(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        with _revision(which, args.rev):
            commit = repo.show(args.rev)
            text = lv.commit_text(commit)
    print(text, end="")
    return EXIT_OK


def cmd_repo_files(args: argparse.Namespace) -> int:
    path = (args.path or "").strip("/")
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        rev = args.rev or "main"
        if args.rev is None and repo.head() is None:
            print(f"the {which} repo has no commits yet", file=sys.stderr)
            return EXIT_OK
        with _revision(which, rev):
            if repo.head(rev) is None:
                raise ValueError(rev)
            tree = repo.tree_shas(path, rev)
            content = None if tree or not path else repo.read_files(path, rev).get(path)
    if tree:
        for rel in sorted(tree):
            print(f"{path}/{rel}" if path else rel)
        return EXIT_OK
    if content is None:
        raise NotFoundError(f'path "{path}" does not exist in the {which} repo at {rev}')
    try:
        sys.stdout.write(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise CLIError(f"{path}: binary file ({len(content)} bytes), not shown") from None
    return EXIT_OK


EPILOG = """\
exit codes:
  0  fine
  1  the platform said no: a request refused by the API server (admission; its message is
     printed), an object that does not exist (NotFound), a lab that did not settle, a failing
     pipeline (render), a write that lost a race (Conflict); diagnose's findings; status and
     diagnose --all when any vCluster is not Healthy
  2  the command could not run: bad arguments, an unreadable file, an unknown kind, fault,
     fault parameter or revision, no lab at --lab, a request trace/diagnose finds nowhere (with
     the closest names), or any other lab failure

The lab commands work on the lab directory given by --lab (default: $KRATIX_LAB_DIR, else
~/.local/share/kratix-lab/default); create it with `kratix-lab lab init`.
"""


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kratix-lab",
        description="Render, run and trace the Kratix request road: Promises, pipelines, state repo, Argo CD, Helm, pods.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--version", action="version", version=f"kratix-lab {__version__}")
    ap.add_argument(
        "--promise",
        action="append",
        metavar="PATH",
        help="extra Promise file or directory (searched for promise.yaml) besides the bundled catalogue",
    )
    ap.add_argument(
        "--lab",
        metavar="DIR",
        help="the lab directory (default: $KRATIX_LAB_DIR, else ~/.local/share/kratix-lab/default)",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("promises", help="list the catalogue: each Promise's kind, fields and pipelines")
    p.add_argument("-o", "--output", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_promises)

    p = sub.add_parser("explain", help="describe a request kind or field, like kubectl explain")
    p.add_argument("target", metavar="KIND[.field.path]", help="e.g. VClusterOrchestrator.spec.vcluster.preset")
    p.add_argument("--recursive", action="store_true", help="show every nested field")
    p.set_defaults(func=cmd_explain)

    for name, helptext, func in (
        (
            "validate",
            "admit a request as the API server would and print it with defaults applied",
            cmd_validate,
        ),
        (
            "render",
            "run a request's pipelines locally (recursively for sub-requests) and show what they write",
            cmd_render,
        ),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("file", help="the resource request YAML file")
        p.add_argument(
            "-n",
            "--namespace",
            default=DEFAULT_NAMESPACE,
            help=f"namespace for requests without one (default {DEFAULT_NAMESPACE})",
        )
        p.set_defaults(func=func)
        if name == "validate":
            p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")
        else:
            p.add_argument("-o", "--output", choices=["tree", "yaml", "json"], default="tree")
            p.add_argument(
                "--out",
                metavar="DIR",
                help="write every rendered object as a YAML file under DIR (new or empty)",
            )
            p.add_argument(
                "--executor",
                choices=["in-process", "subprocess", "container"],
                default="in-process",
                help="how pipeline containers run (default in-process; container needs docker or podman)",
            )

    _add_lab_commands(sub)
    return ap


def _add_front_ends(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Front ends (the Textual dashboard) add their own commands through the ``kratix_lab.commands``
    entry point group, so kratix_lab never imports them: ``register(subparsers, parents)`` — ``parents``:
    ``--lab``, then live mode's flags and its GitOps write flags (the same as the other live commands')."""
    for ep in sorted(entry_points(group="kratix_lab.commands"), key=lambda e: e.name):
        ep.load()(sub, parents)


def _add_lab_commands(sub: Any) -> None:
    # --lab is also accepted after the command; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lab", metavar="DIR", default=argparse.SUPPRESS, help="the lab directory")

    def add(parent: Any, name: str, helptext: str, func: Any, **kw: Any) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=helptext, description=helptext, parents=[common], **kw)
        p.set_defaults(func=func)
        return p

    def namespace(p: argparse.ArgumentParser, all_namespaces: bool = False) -> None:
        if all_namespaces:
            g = p.add_mutually_exclusive_group()
            g.add_argument("-n", "--namespace", help="only this namespace (default: all, with a NAMESPACE column)")
            g.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
        else:
            p.add_argument("-n", "--namespace", help="the object's namespace (needed only when the name is ambiguous)")

    def live(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("live mode (a cluster instead of the lab; read-only)")
        g.add_argument("--context", metavar="NAME", help="read this kubeconfig context's cluster (live mode)")
        g.add_argument("--kubeconfig", metavar="FILE", help="the kubeconfig (default $KUBECONFIG, ~/.kube/config)")
        g.add_argument("--in-cluster", action="store_true", help="use the pod's service account (live mode)")
        g.add_argument(
            "--repo",
            action="append",
            metavar="URL=PATH_OR_URL",
            help="clone the state repo URL from PATH_OR_URL instead (a mirror, or a served lab's state.git)",
        )
        g.add_argument("--cache-dir", metavar="DIR", help="where state-repo clones live (default ~/.cache/kratix-lab)")
        g.add_argument(
            "--request-timeout", type=float, default=30.0, metavar="SECONDS", help="per API request (default 30)"
        )

    def gitops_args(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("live mode writes (GitOps: commit and push to the gitops repo)")
        g.add_argument("--write", action="store_true", help="allow this write (live mode is read-only)")
        g.add_argument("--gitops-repo", metavar="URL", help="the repo Argo CD syncs the requests from")
        g.add_argument("--gitops-branch", default="main", metavar="BRANCH", help="default main")
        g.add_argument("--gitops-path", default="platform/vclusters", metavar="DIR", help="default platform/vclusters")

    def refs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "refs",
            metavar="KIND NAME [NAME…] | KIND/NAME [KIND/NAME…]",
            nargs="+",
            help="e.g. vco media, or vco/media pod/x (not mixed, as in kubectl)",
        )

    def parent(add_args: Any) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(add_help=False)
        add_args(p)
        return p

    _add_front_ends(sub, [common, parent(live), parent(gitops_args)])

    lab = sub.add_parser("lab", help="create, inspect or reset the embedded lab")
    labsub = lab.add_subparsers(dest="lab_command", required=True, metavar="ACTION")
    p = add(
        labsub,
        "init",
        "create the lab directory (Kratix, the state and gitops repos, Argo CD, the Promises)",
        cmd_lab_init,
    )
    p.add_argument("--force", action="store_true", help="re-create the lab if one is already there")
    p.add_argument(
        "--external-secrets-version",
        metavar="X.Y.Z",
        help="the External Secrets Operator the lab models (default 2.9.0: serves only external-secrets.io/v1; "
        "0.16.x serves v1 and v1beta1; before 0.16 only v1beta1)",
    )
    p = add(labsub, "status", "the lab at a glance: time, requests, Argo CD apps, faults, repo heads", cmd_lab_status)
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    p = add(labsub, "reset", "delete the lab (only a directory holding lab.json) and create it afresh", cmd_lab_reset)
    p.add_argument("--yes", action="store_true", help="confirm: everything in the lab is deleted")

    p = add(
        sub,
        "apply",
        "create or update objects directly in the lab's cluster (like kubectl apply, bypassing GitOps)",
        cmd_apply,
    )
    p.add_argument(
        "-f", "--filename", required=True, metavar="FILE", help="YAML file (several documents allowed; - for stdin)"
    )
    p = add(
        sub,
        "submit",
        "the GitOps road: admit a request, then commit it to the gitops repo (prints the SHA and path)",
        cmd_submit,
    )
    p.add_argument("file", help="one resource request (YAML)")
    p.add_argument(
        "--apply",
        action="store_true",
        help="apply the request to the cluster (live: server-side apply, field manager kratix-lab) instead of "
        "committing it to the gitops repo",
    )
    live(p)
    gitops_args(p)
    p = add(sub, "delete", "delete objects (through the gitops repo when Argo CD manages them)", cmd_delete)
    refs(p)
    namespace(p)
    live(p)
    gitops_args(p)

    p = add(
        sub,
        "trace",
        "follow a request along the road: pipelines, Works, state-repo commit, Argo CD, Helm, pods",
        cmd_trace,
    )
    p.add_argument("refs", metavar="KIND/NAME", nargs="+", help="e.g. vco/media or vco media (or KIND/NAMESPACE/NAME)")
    namespace(p)
    p.add_argument(
        "-o",
        "--output",
        choices=["tree", "wide", "json", "md", "mermaid"],
        default="tree",
        help="tree (default): one line per resource, a healthy Work → WorkPlacement → commit → Argo CD chain "
        "folded into one; wide: every node with its whole message and evidence",
    )
    p.add_argument("--watch", action="store_true", help="redraw as the lab changes (Ctrl-C to stop)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between redraws with --watch")
    p.add_argument("--watch-count", type=int, default=0, help=argparse.SUPPRESS)
    live(p)

    p = add(
        sub,
        "diagnose",
        "findings and the verdict: where a request is stuck, since when, why, and the fix (exit 1 on findings)",
        cmd_diagnose,
    )
    p.add_argument("refs", metavar="KIND/NAME", nargs="*", help="e.g. vco/media or vco media")
    p.add_argument("--all", action="store_true", help="every vCluster")
    namespace(p)
    p.add_argument("-o", "--output", choices=["text", "json", "md"], default="text")
    live(p)

    p = add(sub, "status", "every vCluster: preset, stage reached, health, since, verdict", cmd_status)
    p.add_argument("-o", "--output", choices=["table", "wide", "json"], default="table")
    p.add_argument(
        "-w", "--watch", action="store_true", help="keep printing the vClusters that change (live: a watch cache)"
    )
    live(p)
    p = add(
        sub,
        "doctor",
        "live mode's checks: connectivity, served kinds, RBAC, state repo; prints the read-only ClusterRole",
        cmd_doctor,
    )
    live(p)

    p = add(sub, "reconcile", "re-run a request's workflows (the kratix.io/manual-reconciliation label)", cmd_reconcile)
    refs(p)
    namespace(p)
    live(p)
    p.add_argument("--write", action="store_true", help="live mode: allow this write (live mode is read-only)")

    p = add(sub, "get", "list objects like kubectl get (Kratix printer columns for requests)", cmd_get)
    p.add_argument(
        "refs",
        metavar="KIND[,KIND…] [NAME…] | KIND/NAME…",
        nargs="+",
        help="kind, plural, singular or short name (pods, vco, apps, wp …), then names; or KIND/NAME forms",
    )
    namespace(p, all_namespaces=True)
    p.add_argument("-l", "--selector", metavar="key=value,...", help="label selector (=, ==, !=, key, !key)")
    p.add_argument("-o", "--output", choices=["wide", "yaml", "json", "name"])
    live(p)
    p = add(sub, "describe", "an object's metadata, spec, status, conditions and events", cmd_describe)
    refs(p)
    namespace(p)
    live(p)
    p = add(sub, "logs", "logs of a Pod, a Job, a Deployment/StatefulSet or a request's pipeline runs", cmd_logs)
    p.add_argument(
        "target",
        metavar="POD|KIND/NAME [CONTAINER]",
        nargs="+",
        help="NAME alone is a Pod; job/NAME, deploy/NAME or a request (its pipeline pods) as KIND/NAME",
    )
    namespace(p)
    p.add_argument("-c", "--container", metavar="CONTAINER", help="only this container's logs")
    p.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    live(p)
    p = add(sub, "events", "events like kubectl events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE", cmd_events)
    namespace(p, all_namespaces=True)
    p.add_argument("--for", dest="for_", metavar="KIND/NAME", help="only this object's events")
    live(p)

    p = add(
        sub, "step", "run N controller rounds (5 simulated seconds each); prints each controller's writes", cmd_step
    )
    p.add_argument("count", metavar="N", type=int, nargs="?", default=1)
    p = add(sub, "settle", "step until nothing changes (exit 1 when not quiescent within --max-steps)", cmd_settle)
    p.add_argument("--max-steps", type=int, default=1000, metavar="N")
    p = add(
        sub, "run-for", "let simulated time pass, recurring work included (CronJobs, restarts, retries)", cmd_run_for
    )
    p.add_argument("duration", metavar="DURATION", help="e.g. 90s, 10m, 1h30m")

    p = add(sub, "serve", "serve the lab as a Kubernetes API for kubectl and the kubernetes client", cmd_serve)
    p.add_argument("--address", default="127.0.0.1", help="the address to bind (default 127.0.0.1)")
    p.add_argument("--allow-remote", action="store_true", help="allow an --address other than loopback")
    p.add_argument("--port", type=int, default=0, help="the port (default 0: any free port)")
    p.add_argument("--kubeconfig", metavar="FILE", help="where to write the kubeconfig (default DIR/kubeconfig)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--speed", type=float, default=1.0, metavar="X", help="lab seconds per wall second (default 1)")
    g.add_argument("--paused", action="store_true", help="the clock moves only with kratix-lab step/settle")

    fault = sub.add_parser("fault", help="list, inject or clear the lab's faults")
    faultsub = fault.add_subparsers(dest="fault_command", required=True, metavar="ACTION")
    p = add(faultsub, "list", "every fault: summary, parameters with defaults, active or not", cmd_fault_list)
    p.add_argument("-o", "--output", choices=["table", "json"], default="table")
    p = add(faultsub, "inject", "inject a fault (unknown faults or parameters: exit 2)", cmd_fault_inject)
    p.add_argument("name", metavar="NAME")
    p.add_argument("params", metavar="key=value", nargs="*")
    p = add(faultsub, "clear", "clear an active fault, or all of them", cmd_fault_clear)
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("--all", action="store_true")

    repo = sub.add_parser("repo", help="the git history of the state repo (default) or the gitops repo")
    reposub = repo.add_subparsers(dest="repo_command", required=True, metavar="ACTION")
    p = add(
        reposub,
        "log",
        "commits: short SHA, date, author, subject, files",
        cmd_repo_log,
    )
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("path", metavar="PATH", nargs="?", help="only commits touching PATH")
    p.add_argument("-n", "--max-count", type=int, default=20, metavar="N")
    p = add(reposub, "show", "a commit's message and changed files", cmd_repo_show)
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("rev", metavar="REV")
    p = add(reposub, "files", "the files under PATH (a file's content when PATH is a file)", cmd_repo_files)
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("path", metavar="PATH", nargs="?")
    p.add_argument("--rev", metavar="REV", help="default: the head of main")


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code follows the error's class (``kratix_lab.errors``).

    0 ok; 1 refused or findings (admission, conflicts, kubectl's NotFound of a named object);
    2 usage, not found, invalid input, cannot run. Any other exception is a bug: its traceback is
    printed with a request to report it, and the exit code is 70 (EX_SOFTWARE).
    """
    skip_slow_optional_imports()
    args = build_parser().parse_args(argv)
    if getattr(args, "owns_terminal", False):  # the dashboard draws the screen itself
        return _run(args)
    # Everything else prints data from objects and repos: control characters in it are escaped, never sent to
    # the terminal (issue 18 item 11; views/literal.py).
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = LiteralStream(out), LiteralStream(err)
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except NotFoundError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    except KratixLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except OSError as e:  # a damaged, unwritable or full lab or output: one line naming the path
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(
            f"error: internal error ({type(e).__name__}: {e}); this is a kratix-lab bug: please report it "
            "with the command you ran and the traceback above",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
