"""What the screens ask of the platform, as jobs for a worker (``job(source, actions)``, see tui.lab_workers).

No Textual here, and no platform logic either: each job asks kratix_lab (fleet, diagnose, trace, the
views over a ``Source``, the platform's ``Actions``) and packs the answer for a screen. The same jobs
serve the lab and a live cluster; none holds a ``Lab``. Jobs are module-level functions, bound to their
arguments with ``functools.partial``, so they can run in another process. Refreshes are cheap when
nothing changed: a list screen passes the platform's last change token and gets no table back while it is
the same (``Source.change_token``); the dashboard's fleet is kept incrementally in its worker, and each read
answers with the rows that changed only (``read_fleet``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from kratix_lab.deletion import DeletePlan, delete_plan
from kratix_lab.diagnose import Diagnosis, VClusterStatus, diagnose
from kratix_lab.errors import NotFound
from kratix_lab.fleet.parallel import one_shot_workers
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.live import commands as live_commands
from kratix_lab.model import dump
from kratix_lab.sources import Actions, Platform, Source
from kratix_lab.sources.shape import SourceShape
from kratix_lab.trace import TraceNode, resolve, trace
from kratix_lab.views import lab_view as lv
from kratix_lab.views import node_view as nv

if TYPE_CHECKING:  # imported where used: the forms cost every worker process 60 ms to import (the first row waits)
    from kratix_lab import forms

# A minute of lab time makes an object list stale even when nothing changed: it quotes AGE as text (the dashboard's
# fleet rows keep timestamps, their SINCE is computed when shown, issue 17 item 5: no such limit there).
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


def _unchanged(source: Source, token: Any, at: int | None) -> tuple[Any, int, bool]:
    """(the lab's change token, the lab time now, whether the caller's last answer still holds)."""
    new, now = source.change_token(), source.now()
    return new, now, token is not None and at is not None and new == token and now - at < STALE_AFTER


# ---- the dashboard ----------------------------------------------------------------------------
#
# The fleet's worker keeps one ``kratix_lab.fleet.rows.FleetRows`` per source, alive between jobs (module state: in a
# worker process the process's, with a thread worker the app process's): each read asks the source's change feed what
# changed (the lab store's writes, a watch cache's events; without a feed, the source's change token), computes only
# the rows it reaches — at most ``limit`` of them: the first paint streams — and answers with what changed since the
# reader's last answer, never every row (pickling a thousand rows per refresh costs). Rows hold ``since``: the
# durations are computed when shown, from the answer's ``now``, so the lab's clock alone changes no row.


@dataclass
class FleetSnapshot:
    """One answer of ``read_fleet``. ``rows`` is every row computed so far when the reader starts afresh (its first
    read, a token from another worker, an answer it never took); otherwise None, and ``changed``/``gone`` say what
    differs from the reader's last answer. ``pending``: rows due and not computed yet (the next read computes them);
    ``total``: the fleet's members; ``computed``: rows this read computed (changed or not)."""

    now: int
    rows: list[VClusterStatus] | None
    token: Any  # the worker's rows as of this answer: passed back, the next answer is what changed after it
    computed_at: int
    changed: list[VClusterStatus] = field(default_factory=list)  # rows that differ, or are new
    gone: list[str] = field(default_factory=list)  # keys (``namespace/name``) of the rows no longer in the fleet
    pending: int = 0
    total: int | None = None
    computed: int = 0
    seconds: float = 0.0  # the worker's time on this read (``FleetReader`` sizes the next batch from it)

    @property
    def recomputed(self) -> bool:
        """True when this read computed rows (or started the reader afresh)."""
        return self.rows is not None or self.computed > 0

    @property
    def complete(self) -> bool:
        return self.pending == 0

    @property
    def done(self) -> int:
        """Rows on screen after this answer (of ``total``)."""
        return (self.total or 0) - self.pending


def _plain_row(row: VClusterStatus) -> VClusterStatus:
    """The row with plain values only: a value the engine followed (``kratix_lab.fleet.proxies``'s ``TStr``/``TInt``,
    a subclass of str/int) taken whole into a field does not unpickle in the app's process (its ``__new__`` takes the
    facts it records into), and one row that cannot travel back would break the fleet's worker process."""
    odd = {
        f.name: (str.__str__(v) if isinstance(v, str) else int(v) if isinstance(v, int) else v)
        for f in fields(row)
        if type(v := getattr(row, f.name)) not in (str, int, type(None), tuple)
    }
    return replace(row, **odd) if odd else row


def fleet_key(s: VClusterStatus) -> str:
    """A row's key, as the dashboard's table names it."""
    return f"{s.namespace}/{s.name}"


class _Fleet:
    """What the fleet's worker keeps for one source: its rows and the last answer's token."""

    serial = 0

    def __init__(self, source: Source) -> None:
        _Fleet.serial += 1
        self.source = source
        # a big batch of rows (the first paint, every CronJob firing) streams in from forked processes: the
        # worker's memory stays its own and both cores work (kratix_lab.fleet.parallel._Stream; never from a thread)
        self.rows = FleetRows(source, workers=one_shot_workers())
        self.id, self.generation = _Fleet.serial, 0

    @property
    def token(self) -> tuple[int, int]:
        return self.id, self.generation

    def close(self) -> None:
        close = getattr(self.rows.feed, "close", None)
        if close is not None:
            close()


_FLEETS: dict[int, _Fleet] = {}  # id(source) -> its rows (the entry holds the source: the id stays its own)
_FLEETS_KEPT = 4  # a thread worker's process opens a source per app (the tests open many): the oldest go


def fleet_of(source: Source) -> _Fleet:
    """The rows this worker keeps for ``source`` (started on first use)."""
    fleet = _FLEETS.get(id(source))
    if fleet is None or fleet.source is not source:
        fleet = _FLEETS[id(source)] = _Fleet(source)
        while len(_FLEETS) > _FLEETS_KEPT:
            _FLEETS.pop(next(iter(_FLEETS))).close()
    return fleet


def warm_fleet(source: Source, actions: Actions) -> None:
    """Open the platform and start keeping the fleet's rows (its change feed indexes every object of the lab) before
    the dashboard asks: the app submits this as it starts, so the worker's start and the lab's opening overlap the
    app's own start instead of delaying the first row — as do the members its first refresh reads (``warm``)."""
    fleet_of(source).rows.warm()


def forget_fleet(source: Source) -> None:
    """Drop the rows kept for ``source`` (it is being closed)."""
    fleet = _FLEETS.pop(id(source), None)
    if fleet is not None:
        fleet.close()


def read_fleet(token: Any, limit: int | None, source: Source, actions: Actions) -> FleetSnapshot:
    """The fleet's rows that changed since the answer ``token`` names (every row computed so far when it is not this
    worker's last answer), after computing at most ``limit`` of the rows due (None: all of them)."""
    fleet = fleet_of(source)
    rows = fleet.rows
    delta = token is not None and token == fleet.token
    before = {k: e.row for k, e in rows.entries.items()} if delta else {}
    fleet.generation += 1  # from here, an answer lost (an error, a reader that never takes it) makes the next whole
    start = time.perf_counter()
    rows.refresh(limit)
    now = source.now()
    snap = FleetSnapshot(now, None, fleet.token, now, pending=rows.pending, total=rows.total)
    snap.computed, snap.seconds = rows.recomputed, time.perf_counter() - start
    if not delta:
        snap.rows = [_plain_row(rows.entries[k].row) for k in sorted(rows.entries)]
        return snap
    for key in rows.changed:
        row = rows.entries[key].row
        if before.get(key) != row:
            snap.changed.append(_plain_row(row))
    snap.gone = [f"{ns}/{name}" for ns, name in rows.gone]
    return snap


class FleetReader:
    """The dashboard's side of ``read_fleet``: asks with the token of its last answer, keeps the rows by key.

    ``FIRST_BATCH`` rows are computed by the first read (the first row on screen soon), then batches while rows are
    pending (the dashboard asks again at once: streaming first paint); every read computes at most a batch, so a
    refresh never holds the fleet's worker for long and a change reaches the screen between two batches. A batch is
    ``BATCH`` rows, or with ``BATCH_SECONDS`` as many rows as the last read computed in that time (a row costs ~25 ms
    at 100 vClusters and several times that at 1,000); the tests set ``BATCH_SECONDS`` to None (sizes they choose)."""

    FIRST_BATCH = 1
    BATCH = 20
    BATCH_SECONDS: float | None = 0.3
    BATCH_MAX = 500

    def __init__(self) -> None:
        self.rows: dict[str, VClusterStatus] | None = None
        self.token: Any = None
        self.computed_at: int | None = None
        self.pending = 0
        self.total: int | None = None
        self.batch = self.BATCH

    def job(self):
        if self.rows is None:
            return partial(read_fleet, None, self.FIRST_BATCH)
        return partial(read_fleet, self.token, self.batch)

    def _size(self, snap: FleetSnapshot) -> None:
        """The next batch: sized from this read's time per row computed (when ``BATCH_SECONDS`` is set)."""
        if self.BATCH_SECONDS is None:
            self.batch = self.BATCH
        elif snap.computed and snap.seconds > 0:
            per_row = snap.seconds / snap.computed
            self.batch = max(1, min(self.BATCH_MAX, int(self.BATCH_SECONDS / per_row)))

    def take(self, snap: FleetSnapshot) -> list[VClusterStatus]:
        """The rows to show after ``snap``: its rows, or the kept ones with its changes applied."""
        if snap.rows is not None or self.rows is None:
            self.rows = {fleet_key(s): s for s in snap.rows or []}
        else:
            for key in snap.gone:
                self.rows.pop(key, None)
            for s in snap.changed:
                self.rows[fleet_key(s)] = s
        self.token, self.computed_at = snap.token, snap.computed_at
        self.pending, self.total = snap.pending, snap.total
        self._size(snap)
        return list(self.rows.values())


# ---- a request's detail -----------------------------------------------------------------------


@dataclass
class TraceSnapshot:
    now: int
    diagnosis: Diagnosis


def _read_trace(ref: ObjectRef, source: Source, actions: Actions) -> TraceSnapshot:
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
    diagnosis: Diagnosis, node: TraceNode, ancestors: list[TraceNode], source: Source, actions: Actions
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


def _object(source: Source, ref: ObjectRef) -> dict[str, Any]:
    """The object a screen names (its namespace may be left out when the name is unique, as ``Lab.get``)."""
    info = source.kinds().resolve(ref.kind)
    ns = ref.namespace if info.namespaced else None
    obj = source.get(info.kind, ref.name, ns, info.group) if ns or not info.namespaced else None
    if obj is None and info.namespaced and not ns:
        same = [o for o in source.list(info.kind, None, None, info.group) if o["metadata"]["name"] == ref.name]
        obj = same[0] if len(same) == 1 else None
    if obj is None:
        raise NotFound(f"{ref.title} is not in the cluster (deleted, or not created yet)")
    return obj


def _describe(ref: ObjectRef, source: Source, actions: Actions) -> str:
    return lv.describe_text(SourceShape(source), _object(source, ref))


def _yaml(ref: ObjectRef, source: Source, actions: Actions) -> str:
    return dump(_object(source, ref))


def _logs(ref: ObjectRef, source: Source, actions: Actions) -> str:
    obj = _object(source, ref)
    return live_commands.logs(source, ref.kind, ref.name, obj["metadata"].get("namespace"), None)  # type: ignore[arg-type]


def _node_logs(node: TraceNode, source: Source, actions: Actions) -> str:
    return nv.node_logs(source, node)


def _node_text(node: TraceNode, source: Source, actions: Actions) -> str:
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


def read_kinds(source: Source, actions: Actions) -> list[str]:
    """Every kind the platform serves (its kind registry: built-in kinds and every CRD, request kinds too)."""
    return sorted({k.kind for k in source.kinds()}, key=str.lower)


def _resolve_kind(text: str, source: Source, actions: Actions) -> lv.Kind:
    return lv.resolve_kind(SourceShape(source), text)


def read_resolve_kind(text: str):
    return partial(_resolve_kind, text)


@dataclass
class ObjectListing:
    now: int
    table: lv.TableData | None  # None: unchanged since the token the screen passed
    refs: list[ObjectRef] = field(default_factory=list)
    token: Any = None
    computed_at: int = 0


def read_objects(kind: lv.Kind, token: Any, computed_at: int | None, source: Source, actions: Actions) -> ObjectListing:
    """``kubectl get KIND -A`` as a table (lab_view.get_table); no table when nothing changed."""
    new, now, same = _unchanged(source, token, computed_at)
    if same:
        return ObjectListing(now, None, [], new, computed_at or now)
    objs = source.list(kind.kind, None, None, kind.group)
    table = lv.get_table(SourceShape(source), objs, show_namespace=kind.namespaced)
    refs = [ObjectRef(kind.kind, o["metadata"]["name"], o["metadata"].get("namespace")) for o in objs]
    return ObjectListing(now, table, refs, new, now)


# ---- actions (on the writer's worker — in the lab, the clock's: never racing a step) ------------------


def step(source: Source, actions: Actions) -> Any:
    if actions.clock is None:
        raise NotFound(f"{actions.where} has no clock to step: its controllers run by themselves")
    return actions.clock.step()


def _reconcile(ref: ObjectRef, source: Source, actions: Actions) -> str:
    return actions.reconcile(ref.kind, ref.name, ref.namespace)


def reconcile(ref: ObjectRef):
    return partial(_reconcile, ref)


def _delete(ref: ObjectRef, source: Source, actions: Actions) -> str:
    return actions.delete(ref.kind, ref.name, ref.namespace)


def delete(ref: ObjectRef):
    return partial(_delete, ref)


def _delete_plan(ref: ObjectRef, source: Source, actions: Actions) -> DeletePlan:
    how = actions.delete_route(ref.kind, ref.name, ref.namespace)
    rk = resolve(source, ref.kind)  # a TraceError for a kind no Promise serves
    obj = source.get(rk.kind, ref.name, ref.namespace, rk.group)
    return delete_plan(trace(source, ref.kind, ref.name, ref.namespace), how, obj)


def read_delete_plan(ref: ObjectRef):
    return partial(_delete_plan, ref)


# ---- the create form (validation and submit run here, never on the UI thread) -----------------------


@dataclass
class FormStart:
    """What the create screen starts from: the form's model (None: refused, ``refusal`` says why), the
    values of the request being edited, and the Promises to preview with."""

    model: forms.FormModel | None
    refusal: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    catalogue: Any = None


def _form_start(promise: str, edit: str | None, source: Source, actions: Actions) -> FormStart:
    from kratix_lab import forms

    found = next((p for p in source.promises() if p.name == promise), None)
    if found is None:
        where = "The lab" if actions.where == "the lab" else actions.where[:1].upper() + actions.where[1:]
        return FormStart(None, f"{where} has no Promise named {promise!r}: there is nothing to request.")
    try:
        model = forms.form_for(found)
        values = forms.edit_values(model, Platform(source, actions), edit) if edit is not None else {}
    except forms.FormError as e:
        return FormStart(None, f"{e}.")
    return FormStart(model, None, values, forms.catalogue_of(source))


def read_form_start(promise: str, edit: str | None):
    return partial(_form_start, promise, edit)


def _validate_form(
    model: forms.FormModel, values: dict[str, str | None], editing: str | None, source: Source, actions: Actions
) -> forms.FormResult:
    from kratix_lab import forms

    return forms.validate(model, values, Platform(source, actions), editing=editing)


def validate_form(model: forms.FormModel, values: dict[str, str | None], editing: str | None):
    """``forms.validate`` against the platform (names in use, its admission): on the reader, per change."""
    return partial(_validate_form, model, values, editing)


def _edit_diff(model: forms.FormModel, result: forms.FormResult, name: str, source: Source, actions: Actions) -> str:
    from kratix_lab import forms

    return forms.edit_diff(model, Platform(source, actions), result, name)


def read_edit_diff(model: forms.FormModel, result: forms.FormResult, name: str):
    return partial(_edit_diff, model, result, name)


def _submit_form(
    model: forms.FormModel, values: dict[str, str | None], editing: str | None, source: Source, actions: Actions
) -> forms.Submitted:
    from kratix_lab import forms

    return forms.submit(model, values, Platform(source, actions), editing=editing)


def submit_form(model: forms.FormModel, values: dict[str, str | None], editing: str | None):
    """``forms.submit`` (validate again, then the GitOps commit): on the writer."""
    return partial(_submit_form, model, values, editing)


def _request_promise(kind: str, source: Source, actions: Actions) -> str | None:
    return next((p.name for p in source.promises() if p.crd is not None and p.crd.kind == kind), None)


def read_request_promise(kind: str):
    """The name of the Promise serving request kind ``kind`` (None: not a request kind)."""
    return partial(_request_promise, kind)


# ---- the header's platform line ----------------------------------------------------------------------


def read_platform_name(source: Source, actions: Actions) -> str:
    """What the header names: ``lab DIR`` or ``context NAME (SERVER)``."""
    return source.name
