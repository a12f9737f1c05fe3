"""``promises``, ``explain``, ``validate``, ``render``: the catalogue and a request, no lab needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kratix_lab.catalogue import Catalogue
from kratix_lab.cli.common import EXIT_FINDINGS, EXIT_OK, CLIError, _catalogue, _console
from kratix_lab.fsutil import atomic_dir
from kratix_lab.model import dump, dump_all
from kratix_lab.pipeline.executors import make_executor
from kratix_lab.render import DEFAULT_NAMESPACE, admit, read_request, render, write_tree
from kratix_lab.schema import explain
from kratix_lab.schema.crd import CRDError
from kratix_lab.views.explain_view import explain_text
from kratix_lab.views.render_view import render_summary, render_tree
from kratix_lab.words import plural


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
    from rich.table import Table

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


def register(sub: Any) -> None:
    """``promises``, ``explain``, ``validate``, ``render``."""
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
