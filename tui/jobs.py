"""What the screens ask of the lab, as jobs for a worker (``job(lab, source)``, see tui.lab_workers).

No Textual here, and no platform logic either: each job asks kratix_lab (fleet, diagnose, trace,
the views, the Lab's actions) and packs the answer for a screen. Jobs are module-level functions,
bound to their arguments with ``functools.partial``, so they can run in another process.
Refreshes are cheap when nothing changed: the screen passes the lab's last change token and gets
no rows back while it is the same (``LabSource.change_token``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kratix_lab import Lab
from kratix_lab.deletion import DeletePlan, delete_plan
from kratix_lab.diagnose import Diagnosis, VClusterStatus, diagnose, fleet
from kratix_lab.model import dump
from kratix_lab.platform.lab import StepResult
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import TraceNode, resolve, trace
from kratix_lab.views import lab_view as lv
from kratix_lab.views import node_view as nv

# A minute of lab time makes rows stale even when nothing changed: object lists quote AGE as text (fleet rows keep
# timestamps, their SINCE is computed when shown, issue 17 item 5).
STALE_AFTER = 60


@dataclass(frozen=True)
class ObjectRef:
    """An object as the screens name it (what describe, YAML, logs, reconcile and delete act on)."""

    kind: str
    name: str
    namespace: str | None = None

    @property
    def title(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


def _unchanged(source: LabSource, token: Any, at: int | None) -> tuple[Any, int, bool]:
    """(the lab's change token, the lab time now, whether the caller's last answer still holds)."""
    new, now = source.change_token(), source.now()
    return new, now, token is not None and at is not None and new == token and now - at < STALE_AFTER


# ---- the dashboard ----------------------------------------------------------------------------


@dataclass
class FleetSnapshot:
    now: int
    rows: list[VClusterStatus] | None  # None: unchanged since the token the reader passed
    token: Any
    computed_at: int

    @property
    def recomputed(self) -> bool:
        return self.rows is not None


def read_fleet(token: Any, computed_at: int | None, lab: Lab, source: LabSource) -> FleetSnapshot:
    new, now, same = _unchanged(source, token, computed_at)
    rows = None if same else fleet(source)
    return FleetSnapshot(now, rows, new, computed_at if same else now)


class FleetReader:
    """The dashboard's side of ``read_fleet``: asks with the last token, keeps the last rows."""

    def __init__(self) -> None:
        self.rows: list[VClusterStatus] | None = None
        self.token: Any = None
        self.computed_at: int | None = None

    def job(self):
        return partial(read_fleet, self.token if self.rows is not None else None, self.computed_at)

    def take(self, snap: FleetSnapshot) -> list[VClusterStatus]:
        """The rows to show after ``snap`` (the kept ones when the lab had not changed)."""
        if snap.rows is not None:
            self.rows = snap.rows
        self.token, self.computed_at = snap.token, snap.computed_at
        return list(self.rows or [])


# ---- a request's detail -----------------------------------------------------------------------


@dataclass
class TraceSnapshot:
    now: int
    diagnosis: Diagnosis


def _read_trace(ref: ObjectRef, lab: Lab, source: LabSource) -> TraceSnapshot:
    return TraceSnapshot(source.now(), diagnose(source, ref.kind, ref.name, ref.namespace))


def read_trace(ref: ObjectRef):
    return partial(_read_trace, ref)


@dataclass
class NodeDetail:
    """The side pane's tabs for one trace node."""

    yaml: str
    status: str
    logs: str
    repo: str
    findings: str
    has_findings: bool = False


def _read_node_detail(
    diagnosis: Diagnosis, node: TraceNode, ancestors: list[TraceNode], lab: Lab, source: LabSource
) -> NodeDetail:
    is_root = not ancestors
    return NodeDetail(
        yaml=nv.node_yaml(source, node),
        status=nv.node_status_text(source, node, source.now()),
        logs=nv.node_logs(source, node),
        repo=nv.node_repo_text(source, node, ancestors),
        findings=nv.node_findings_text(diagnosis, node, is_root=is_root),
        has_findings=bool(nv.node_findings(diagnosis, node, is_root=is_root)),
    )


def read_node_detail(diagnosis: Diagnosis, node: TraceNode, ancestors: list[TraceNode]):
    return partial(_read_node_detail, diagnosis, node, ancestors)


def node_ref(node: TraceNode) -> ObjectRef | None:
    """The object a trace node stands for (None for commits, Helm sources and missing objects)."""
    return ObjectRef(node.kind, node.name, node.namespace) if nv.stands_for_object(node) else None


# ---- pages about one object ---------------------------------------------------------------------


def _object(lab: Lab, ref: ObjectRef) -> dict[str, Any]:
    obj = lab.get(ref.kind, ref.name, ref.namespace)
    if obj is None:
        raise LookupError(f"{ref.title} is not in the cluster (deleted, or not created yet)")
    return obj


def _describe(ref: ObjectRef, lab: Lab, source: LabSource) -> str:
    return lv.describe_text(lab, _object(lab, ref))


def _yaml(ref: ObjectRef, lab: Lab, source: LabSource) -> str:
    return dump(_object(lab, ref))


def _logs(ref: ObjectRef, lab: Lab, source: LabSource) -> str:
    _object(lab, ref)
    return lab.logs(ref.kind, ref.name, ref.namespace)


def _node_logs(node: TraceNode, lab: Lab, source: LabSource) -> str:
    return nv.node_logs(source, node)


def _node_text(node: TraceNode, lab: Lab, source: LabSource) -> str:
    return nv.node_status_text(source, node, source.now()) + "\n" + nv.node_yaml(source, node)


def read_describe(ref: ObjectRef):
    return partial(_describe, ref)


def read_yaml(ref: ObjectRef):
    return partial(_yaml, ref)


def read_logs(ref: ObjectRef):
    return partial(_logs, ref)


def read_node_logs(node: TraceNode):
    return partial(_node_logs, node)


def read_node_text(node: TraceNode):
    """Describe for a trace node without an object (a commit, a Helm source): what the trace knows."""
    return partial(_node_text, node)


# ---- `:` jump to a kind --------------------------------------------------------------------------


def read_kinds(lab: Lab, source: LabSource) -> list[str]:
    """Every kind the lab holds objects of, and every request kind (even with no requests yet)."""
    kinds = set(lab.store.kinds()) | {p.crd.kind for p in lab.promises() if p.crd is not None}
    return sorted(kinds, key=str.lower)


def _resolve_kind(text: str, lab: Lab, source: LabSource) -> lv.Kind:
    return lv.resolve_kind(lab, text)


def read_resolve_kind(text: str):
    return partial(_resolve_kind, text)


@dataclass
class ObjectListing:
    now: int
    table: lv.TableData | None  # None: unchanged since the token the screen passed
    refs: list[ObjectRef] = field(default_factory=list)
    token: Any = None
    computed_at: int = 0


def read_objects(kind: lv.Kind, token: Any, computed_at: int | None, lab: Lab, source: LabSource) -> ObjectListing:
    """``kubectl get KIND -A`` as a table (lab_view.get_table); no table when nothing changed."""
    new, now, same = _unchanged(source, token, computed_at)
    if same:
        return ObjectListing(now, None, [], new, computed_at or now)
    objs = lab.store.list(kind.kind, None, None, kind.group)
    table = lv.get_table(lab, objs, show_namespace=kind.namespaced)
    refs = [ObjectRef(kind.kind, o["metadata"]["name"], o["metadata"].get("namespace")) for o in objs]
    return ObjectListing(now, table, refs, new, now)


# ---- actions (on the clock's worker, never racing a step) -----------------------------------------------


def step(lab: Lab, source: LabSource) -> StepResult:
    return lab.step()


def _reconcile(ref: ObjectRef, lab: Lab, source: LabSource) -> None:
    lab.reconcile(ref.kind, ref.name, ref.namespace)


def reconcile(ref: ObjectRef):
    return partial(_reconcile, ref)


def _delete(ref: ObjectRef, lab: Lab, source: LabSource) -> str:
    return lab.delete(ref.kind, ref.name, ref.namespace)


def delete(ref: ObjectRef):
    return partial(_delete, ref)


def _delete_plan(ref: ObjectRef, lab: Lab, source: LabSource) -> DeletePlan:
    how = lab.delete_route(ref.kind, ref.name, ref.namespace)
    rk = resolve(source, ref.kind)  # a TraceError for a kind no Promise serves
    obj = source.get(rk.kind, ref.name, ref.namespace, rk.group)
    return delete_plan(trace(source, ref.kind, ref.name, ref.namespace), how, obj)


def read_delete_plan(ref: ObjectRef):
    return partial(_delete_plan, ref)
