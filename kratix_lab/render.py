"""Render a request locally: admission (API-server rules), its pipelines, and the requests they emit.

``render`` follows the road as far as a laptop can without a cluster: a request whose outputs are
themselves requests of catalogue Promises (the orchestrator) has those rendered recursively.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratix_lab.catalogue import Catalogue, UnknownKind
from kratix_lab.errors import Invalid
from kratix_lab.model import (
    Document,
    YamlError,
    dump,
    dump_all,
    load_documents,
    load_file,
    name_of,
    namespace_of,
    ref,
)
from kratix_lab.pipeline.executors import Executor
from kratix_lab.pipeline.runner import WorkflowResult, run_workflow
from kratix_lab.promise import Promise
from kratix_lab.schema import Admission

DEFAULT_NAMESPACE = "platform-requests"  # where the platform's Argo CD app syncs requests to


class RequestError(Invalid):
    """A request file cannot be admitted; the message names the file, line or field."""


@dataclass
class OutputObject:
    filepath: str
    obj: dict[str, Any]


@dataclass
class RenderNode:
    request: dict[str, Any]
    promise: Promise
    admission: Admission
    result: WorkflowResult | None = None
    outputs: list[OutputObject] = field(default_factory=list)
    children: list[RenderNode] = field(default_factory=list)
    error: str | None = None

    @property
    def ref(self) -> str:
        return ref(self.request)

    @property
    def ok(self) -> bool:
        return self.error is None and all(c.ok for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def all_objects(self) -> list[dict[str, Any]]:
        """Every object of the tree: each request and every output that is not itself a rendered request."""
        objs: list[dict[str, Any]] = []
        for node in self.walk():
            objs.append(node.request)
            child_refs = {c.ref for c in node.children}
            objs.extend(o.obj for o in node.outputs if ref(o.obj) not in child_refs)
        return objs

    def errors(self) -> list[str]:
        return [f"{n.ref}: {n.error}" for n in self.walk() if n.error]


def read_request(path: str | Path) -> dict[str, Any]:
    """Exactly one request object from a file, with a clear error for anything else."""
    try:
        docs = load_file(path)
    except YamlError as e:
        raise RequestError(str(e)) from None
    return _one_request(docs, str(path))


def _one_request(docs: list[Document], source: str) -> dict[str, Any]:
    if not docs:
        raise RequestError(f"{source}: empty: no YAML document found (expected one resource request)")
    if len(docs) > 1:
        lines = ", ".join(str(d.line) for d in docs)
        raise RequestError(
            f"{source}: {len(docs)} YAML documents (starting at lines {lines}); expected exactly one resource request"
        )
    obj = docs[0].data
    if not isinstance(obj, dict):
        raise RequestError(
            f"{source}:{docs[0].line}: expected a mapping (a Kubernetes object), got {type(obj).__name__}"
        )
    return obj


def admit(catalogue: Catalogue, obj: dict[str, Any], namespace: str = DEFAULT_NAMESPACE) -> tuple[Promise, Admission]:
    """Find the request's Promise and admit it as the API server would (defaults, pruning, validation)."""
    try:
        promise = catalogue.for_object(obj)
    except UnknownKind as e:
        raise RequestError(str(e)) from None
    if promise.crd is None:
        raise RequestError(f"Promise {promise.name} has no API (it only installs dependencies)")
    obj = copy.deepcopy(obj)
    if promise.crd.scope == "Namespaced" and isinstance(obj.get("metadata"), dict) and not namespace_of(obj):
        obj["metadata"]["namespace"] = namespace
    return promise, promise.crd.admit(obj)


def render(
    catalogue: Catalogue,
    obj: dict[str, Any],
    *,
    executor: Executor | None = None,
    namespace: str = DEFAULT_NAMESPACE,
    max_depth: int = 4,
) -> RenderNode:
    """Admit ``obj``, run its configure pipelines and recurse into outputs that are catalogue requests."""
    promise, admission = admit(catalogue, obj, namespace)
    node = RenderNode(admission.object, promise, admission)
    if not admission.ok:
        node.error = "rejected at admission: " + "; ".join(str(e) for e in admission.errors)
        return node
    node.result = run_workflow(promise, admission.object, "configure", executor=executor)
    failed = node.result.failed
    if failed is not None:
        tail = [line for line in failed.logs.splitlines() if line.strip()][-3:]
        node.error = f"pipeline {failed.name} failed (exit {failed.exit_code}): {failed.error}" + "".join(
            f"\n  | {line}" for line in tail
        )
        return node
    for w in node.result.workloads:
        try:
            docs = load_documents(w.content.decode("utf-8"), f"/kratix/output/{w.filepath}")
        except (YamlError, UnicodeDecodeError) as e:
            node.error = f"output {w.filepath} is not YAML: {e}"
            return node
        node.outputs.extend(OutputObject(w.filepath, d.data) for d in docs if isinstance(d.data, dict))
    if max_depth <= 0:
        return node
    for out in node.outputs:
        try:
            catalogue.for_object(out.obj)
        except UnknownKind:
            continue
        try:
            node.children.append(
                render(catalogue, out.obj, executor=executor, namespace=namespace, max_depth=max_depth - 1)
            )
        except RequestError as e:
            node.error = f"sub-request {ref(out.obj)}: {e}"
    return node


def write_tree(node: RenderNode, out_dir: Path) -> list[Path]:
    """Write every object of a render as YAML under ``out_dir``; returns the paths written.

    Layout: ``<promise>/<namespace>/<request>/request.yaml`` and, beside it, ``outputs/`` with the
    files its pipelines wrote, under the names the pipelines gave them. The caller makes the
    write atomic (see ``kratix_lab.fsutil.atomic_dir``).
    """
    written: list[Path] = []
    for n in node.walk():
        base = out_dir / n.promise.name / (namespace_of(n.request) or "_cluster") / name_of(n.request)
        base.mkdir(parents=True, exist_ok=True)
        p = base / "request.yaml"
        p.write_text(dump(n.request), encoding="utf-8")
        written.append(p)
        child_refs = {c.ref for c in n.children}
        by_file: dict[str, list[dict[str, Any]]] = {}
        for o in n.outputs:
            if ref(o.obj) not in child_refs:
                by_file.setdefault(o.filepath, []).append(o.obj)
        for filepath, objs in by_file.items():
            target = base / "outputs" / filepath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump_all(objs), encoding="utf-8")
            written.append(target)
    return written
