"""``get``, ``describe``, ``logs``, ``events``: the kubectl-like reads, of the lab or (live) a cluster."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kratix_lab.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CLIError,
    NotFoundError,
    _find,
    _lab_or_live,
    _live,
    _one,
    _open,
    _platform_line,
    _refs,
    _show,
    _source,
    add,
    add_live,
    add_namespace,
    add_refs,
)
from kratix_lab.kube.refs import ObjectRef
from kratix_lab.model import dump, is_modelled, namespace_of
from kratix_lab.platform.lab import Lab
from kratix_lab.views import lab_view as lv


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
    """A pod the lab models (state and events, no process): annotation ``model.MODELLED_ANNOTATION``."""
    return is_modelled(pod)


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
            f"`kratix-lab describe pod/{first} -n {ns}` and "
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


def register(sub: Any) -> None:
    """``get``, ``describe``, ``logs``, ``events``."""
    p = add(sub, "get", "list objects like kubectl get (Kratix printer columns for requests)", cmd_get)
    p.add_argument(
        "refs",
        metavar="KIND[,KIND…] [NAME…] | KIND/NAME…",
        nargs="+",
        help="kind, plural, singular or short name (pods, vco, apps, wp …), then names; or KIND/NAME forms",
    )
    add_namespace(p, all_namespaces=True)
    p.add_argument("-l", "--selector", metavar="key=value,...", help="label selector (=, ==, !=, key, !key)")
    p.add_argument("-o", "--output", choices=["wide", "yaml", "json", "name"])
    add_live(p)
    p = add(sub, "describe", "an object's metadata, spec, status, conditions and events", cmd_describe)
    add_refs(p)
    add_namespace(p)
    add_live(p)
    p = add(sub, "logs", "logs of a Pod, a Job, a Deployment/StatefulSet or a request's pipeline runs", cmd_logs)
    p.add_argument(
        "target",
        metavar="POD|KIND/NAME [CONTAINER]",
        nargs="+",
        help="NAME alone is a Pod; job/NAME, deploy/NAME or a request (its pipeline pods) as KIND/NAME",
    )
    add_namespace(p)
    p.add_argument("-c", "--container", metavar="CONTAINER", help="only this container's logs")
    p.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    add_live(p)
    p = add(sub, "events", "events like kubectl events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE", cmd_events)
    add_namespace(p, all_namespaces=True)
    p.add_argument("--for", dest="for_", metavar="KIND/NAME", help="only this object's events")
    add_live(p)
