"""Rules over what the pipelines wrote and what landed: a commit's files (plain Secrets, missing labels and
namespaces, a request labelled with another Promise) and the live objects (written twice, missing)."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

from kratix_lab.diagnose.model import Finding, fix_for
from kratix_lab.diagnose.rules.registry import rule
from kratix_lab.kube.health import MISSING
from kratix_lab.model import GVK, Document, YamlError, load_documents
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode

REQUIRED_LABELS = ("kratix.io/promise-name", "kratix.io/resource-name", "app.kubernetes.io/managed-by")


@rule("output-secret", stages=("object",))
def _secret(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "object" and n.kind == "Secret":
        yield Finding(
            "output-secret",
            "error",
            "commit",
            n.ref,
            f"a pipeline wrote a plain Secret to the state repo ({n.evidence.get('file')}): credentials in git",
            "render an ExternalSecret instead (the platform forbids kind: Secret in pipeline outputs); "
            "check the Promise's pipeline image is the current release",
            n.since,
            depth,
        )


@rule("output-labels", stages=("commit",))
def _labels(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "commit":
        return
    requests = _RequestKinds(s)
    for fpath, docs in _commit_documents(s, n):
        for d in docs:
            obj = d.data if isinstance(d.data, dict) else {}
            meta = obj.get("metadata") or {}
            missing = [k for k in REQUIRED_LABELS if k not in (meta.get("labels") or {})]
            if obj.get("kind") and missing and requests.promise_of(obj) is None:
                yield Finding(
                    "output-missing-labels",
                    "warning",
                    "commit",
                    f"{obj.get('kind')}/{meta.get('name')}",
                    f"{fpath} lacks the required labels {', '.join(missing)}",
                    "add kratix.io/promise-name, kratix.io/resource-name and app.kubernetes.io/managed-by: kratix in the pipeline",
                    n.since,
                    depth,
                )
            if (
                obj.get("kind")
                and not meta.get("namespace")
                and s.kinds().namespaced(str(obj["kind"]), GVK.of(obj).group)
            ):
                yield Finding(
                    "output-missing-namespace",
                    "warning",
                    "commit",
                    f"{obj.get('kind')}/{meta.get('name')}",
                    f"{fpath} has no namespace: it lands in whatever namespace Argo CD defaults to",
                    "set an explicit metadata.namespace in the pipeline",
                    n.since,
                    depth,
                )


def _commit_documents(s: Source, n: TraceNode) -> Iterator[tuple[str, list[Document]]]:
    """Each file of a commit node with its YAML documents: as the trace parsed them (``n.manifests``), else read
    from the state repo. Files that are not YAML are left out (the trace reports them itself)."""
    for fpath in n.evidence.get("files", []):
        if n.manifests is not None and fpath in n.manifests:
            try:
                yield fpath, n.manifests.documents(fpath)
            except (YamlError, UnicodeDecodeError):
                continue
            continue
        content = s.state_files(fpath, n.evidence.get("sha")).get(fpath, b"")
        try:
            docs = load_documents(content.decode("utf-8"), fpath)
        except Exception:  # unreadable files are reported by the trace itself
            continue
        yield fpath, docs


_made: tuple[list[Any], dict[tuple[Any, str], str]] | None = None  # the last Promises mapped, and their map


def _by_crd(promises: list[Any]) -> dict[tuple[Any, str], str]:
    """Each Promise's name by its CRD's kind and group (the first Promise of each), made again only for other Promise
    objects than the last ones (a snapshot answers its one list of Promises for every node of every row)."""
    global _made
    made = _made
    if made is not None and len(made[0]) == len(promises) and all(map(operator.is_, made[0], promises)):
        return made[1]
    kinds: dict[tuple[Any, str], str] = {}
    for p in promises:
        if p.crd:
            kinds.setdefault((p.crd.kind, p.crd.group), p.name)
    _made = (list(promises), kinds)  # (the objects held: their ids stay theirs while compared)
    return kinds


class _RequestKinds:
    """Which installed Promise an object is a request of (its kind and group those of the Promise's CRD; the first such
    Promise), the Promises read from the source at the first ask and kept for one node's files: a commit's files hold
    dozens of objects, and two rules ask of each (a fleet's rows: 24,000 asks, each once a walk of every Promise)."""

    def __init__(self, s: Source) -> None:
        self._s = s
        self._kinds: dict[tuple[Any, str], str] | None = None

    def promise_of(self, obj: dict[str, Any]) -> str | None:
        if self._kinds is None:
            self._kinds = _by_crd(self._s.promises())
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        try:
            return self._kinds.get((obj.get("kind"), group))
        except TypeError:  # a kind YAML made a list or a map of: no CRD's kind (a string) equals it
            return None


@rule("promise-label-flap", stages=("commit",))
def _promise_label_flap(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """A committed request labelled ``kratix.io/promise-name`` with another Promise's name. Kratix sets that
    label to the request's own Promise on every reconcile (syntasso/kratix
    internal/controller/dynamic_resource_request_controller.go:159-165, setPromiseLabels :1783-1791);
    Argo CD's self-heal puts git's value back: the two flap for ever."""
    if n.stage != "commit":
        return
    requests = _RequestKinds(s)
    for fpath, docs in _commit_documents(s, n):
        for d in docs:
            obj = d.data if isinstance(d.data, dict) else {}
            own = requests.promise_of(obj)
            label = ((obj.get("metadata") or {}).get("labels") or {}).get("kratix.io/promise-name")
            if own is None or label in (None, own):
                continue
            meta = obj.get("metadata") or {}
            yield Finding(
                "promise-label-flap",
                "error",
                "commit",
                f"{obj.get('kind')}/{meta.get('name')}",
                f"{fpath} labels this {obj.get('kind')} request kratix.io/promise-name={label}, but Kratix labels "
                f"every request with its own Promise ({own}): Kratix and Argo CD's self-heal overwrite each other",
                "in the pipeline that renders it, record the parent under keys Kratix does not own "
                "(integratn.tech/parent-promise, integratn.tech/parent-resource) and drop kratix.io/promise-name; "
                "if an old pipeline image is running, roll out the current one",
                n.since,
                depth,
            )


@rule("object-written-twice", stages=("sync",))
def _twice(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "sync":
        return
    # The warnings are the whole Application's: only a request whose own files or objects they name is a writer.
    # Shared names "Kind/name is part of …"; Repeated names the resource key "group/Kind/namespace/name appeared …"
    objects = [c for c in n.children if c.stage == "object"]
    mine = [
        *(n.evidence.get("files") or []),
        *(f"{c.kind}/{c.name} " for c in objects),
        *(f"/{c.kind}/{ns}/{c.name} appeared " for c in objects for ns in {c.namespace or "", ""}),
    ]
    for c in n.evidence.get("conditions", []):
        if c.get("type") in ("RepeatedResourceWarning", "SharedResourceWarning") and any(
            m in c.get("message", "") + " " for m in mine
        ):
            yield Finding(
                "object-written-twice",
                "warning",
                "sync",
                n.ref,
                f"{c['type']}: {c['message']} — one of the writers loses its content",
                "give each request its own object (named after the request) instead of sharing one; where the "
                "consumer reads only the one shared object (k3s's CoreDNS reads kube-system/coredns-custom and no "
                "other), have a single writer own it or avoid the shared object (docs/upstream.md: CoreDNS on a "
                "k3s host)",
                s.timestamp(c.get("lastTransitionTime")),
                depth,
            )


@rule("object-missing", stages=("object",))
def _object_missing(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "object" and n.health == MISSING:
        yield Finding(
            "object-missing",
            "warning",
            "object",
            n.ref,
            f"{n.ref} is in git ({n.evidence.get('file')}) but not in the cluster",
            "check the Argo CD Application's sync result "
            + fix_for(
                s,
                lab="(`kratix-lab describe application/kratix-state-reconciler -n argocd`)",
                live="(`kubectl describe application/kratix-state-reconciler -n argocd`)",
            ),
            n.since,
            depth,
        )
