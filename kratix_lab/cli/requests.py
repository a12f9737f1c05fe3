"""The writes: ``apply``, ``submit`` (the GitOps road), ``delete``, ``reconcile`` — in the lab, or live
through the gitops repo."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kratix_lab.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CLIError,
    _live,
    _one,
    _open,
    _platform_line,
    _refs,
    _source,
    add,
    add_gitops,
    add_live,
    add_namespace,
    add_refs,
)
from kratix_lab.model import load_documents, load_file, namespace_of
from kratix_lab.platform.lab import AdmissionError
from kratix_lab.platform.store import Conflict
from kratix_lab.views import lab_view as lv


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


def register(sub: Any) -> None:
    """``apply``, ``submit``, ``delete``."""
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
    add_live(p)
    add_gitops(p)
    p = add(sub, "delete", "delete objects (through the gitops repo when Argo CD manages them)", cmd_delete)
    add_refs(p)
    add_namespace(p)
    add_live(p)
    add_gitops(p)


def register_reconcile(sub: Any) -> None:
    """``reconcile``."""
    p = add(sub, "reconcile", "re-run a request's workflows (the kratix.io/manual-reconciliation label)", cmd_reconcile)
    add_refs(p)
    add_namespace(p)
    add_live(p)
    p.add_argument("--write", action="store_true", help="live mode: allow this write (live mode is read-only)")
