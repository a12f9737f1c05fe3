"""The ``kratix-lab`` command: the platform engineer's front end (thin: logic lives in the package)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kratix_lab import __version__
from kratix_lab.catalogue import Catalogue, UnknownKind
from kratix_lab.fsutil import OutputDirError, atomic_dir
from kratix_lab.model import dump, dump_all
from kratix_lab.pipeline.executors import ExecutorError, make_executor
from kratix_lab.promise import Promise, PromiseError
from kratix_lab.promises import load_catalogue
from kratix_lab.render import DEFAULT_NAMESPACE, RequestError, admit, read_request, render, write_tree
from kratix_lab.schema import CRDError, explain
from kratix_lab.views.explain_view import explain_text
from kratix_lab.views.render_view import render_summary, render_tree

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class CLIError(Exception):
    """Reported as ``error: <message>`` with exit code 2."""


class NotFoundError(Exception):
    """An object the command names does not exist: printed as is (kubectl's wording), exit code 1."""


def _console() -> Console:
    tty = sys.stdout.isatty()
    return Console(highlight=False, soft_wrap=not tty, width=None if tty else 200)


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
    node = explain(promise.crd, promise.crd.storage_version, path)
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
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kratix-lab",
        description="Render, run and trace the Kratix request road: Promises, pipelines, state repo, Argo CD, Helm, pods.",
    )
    ap.add_argument("--version", action="version", version=f"kratix-lab {__version__}")
    ap.add_argument(
        "--promise",
        action="append",
        metavar="PATH",
        help="extra Promise file or directory (searched for promise.yaml) besides the bundled catalogue",
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
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (
        CLIError,
        RequestError,
        PromiseError,
        CRDError,
        UnknownKind,
        ExecutorError,
        OutputDirError,
        LookupError,
    ) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
