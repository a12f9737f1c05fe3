"""The Source seam: what trace, diagnose and the front ends may ask of a platform — and do to it.

Two implementations answer the same questions the same way: ``LabSource`` (the embedded lab) and
``LiveSource`` (the Kubernetes API plus a clone of the state repo). Every question is a label-selected
list or a get — never a scan of every object — so a trace costs a bounded number of API requests on a
real cluster.

What a front end may change goes through ``Actions`` (``LabActions``: the lab's own methods;
``LiveActions``: a merge patch and GitOps commits, as the CLI's live commands). Only the lab has a
``Clock`` (step, settle, its simulated time and faults). A ``Platform`` is the pair, opened by the
composition root ``kratix_lab.sources.factory.open_platform`` from picklable ``PlatformSettings`` — so
the dashboard and the create form never import ``kratix_lab.platform`` (import-linter enforces it).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from kratix_lab.kube.registry import KindRegistry
    from kratix_lab.schema import CRD

# Bytes of JSON from which an object is big: the state reconciler's Application at 1,000 vClusters is 5 MB, every row
# reads it; a vCluster's own objects are a few KB, each read by its row. The dashboard's fleet worker keeps only big
# bodies parsed, and its forked processes take only those from it (``kratix_lab.sources.lab``; issue 15).
BIG_BODY = 64 * 1024


def plain_text(needle: str) -> bool:
    """Whether ``needle`` is written as itself in any JSON text that holds it in a string: printable ASCII with no
    quote or backslash (the lab's store writes ``json.dumps``'s ASCII JSON: only those, control characters and
    non-ASCII characters are escaped)."""
    return bool(needle) and all(" " <= c <= "~" and c not in '"\\' for c in needle)


def list_containing(
    s: Any, kind: str, namespace: str | None, group: str | None, needles: tuple[str, ...]
) -> builtins.list[dict[str, Any]]:
    """The objects of ``kind`` (in ``namespace``, of ``group``) that may hold one of ``needles`` in a string — a
    filter for a caller that then looks at each object as ever: a source that keeps its objects as JSON text (the
    lab's: ``list_containing`` on the class) leaves out, unparsed, those whose text holds none of them; any other
    source, or a needle JSON may escape (``plain_text``), lists them all. Issue 15: the fleet's members and its
    values every row computes alike each parsed the thousand Applications of 1,000 vClusters (~0.3 s a read) for the
    one or two that list requests, sync the state repo or cannot compare."""
    containing = getattr(type(s), "list_containing", None)  # (a wrapper's ``__getattr__`` never hands it on)
    if containing is None or not needles or not all(plain_text(n) for n in needles):
        return s.list(kind, namespace, group=group)  # type: ignore[no-any-return]
    return containing(s, kind, namespace, group, needles)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PerObject:
    """A value derived from every object of a kind, for ``derived(key, compute)`` (a source that keeps such values:
    the fleet's snapshot and row engine): ``part(obj)`` for each object (None: it adds nothing), in (namespace, name)
    order. Called, it reads the kind whole; the fleet's row engine keeps the parts and after a change reads again
    only the objects that changed (``kratix_lab.fleet.deps``: issue 15, a thousand Applications walked after every
    sync of the state reconciler, each parsed again in a process that does not keep them)."""

    kind: str
    namespace: str | None
    group: str | None
    part: Callable[[dict[str, Any]], Any]
    # an object adds nothing unless its JSON holds one of these strings (``list_containing``: the lab's sources parse
    # only those that do); empty: every object is looked at
    needles: tuple[str, ...] = ()

    def parts(self, s: Any) -> dict[tuple[str, str], Any]:
        return self.parts_together(s, [self])[0]

    @staticmethod
    def parts_together(s: Any, values: list[PerObject]) -> list[dict[tuple[str, str], Any]]:
        """The parts of each of ``values`` — of one kind, namespace and group (``alike``) — from one read of the kind:
        each object is parsed once for all of them where it is not kept parsed (the fleet's worker)."""
        first = values[0]
        if not all(v.alike(first) for v in values):
            raise ValueError("PerObject.parts_together: values of other kinds, namespaces or groups")
        outs: list[dict[tuple[str, str], Any]] = [{} for _ in values]
        # (a value without needles looks at every object: then none are left out)
        needles = tuple(dict.fromkeys(n for v in values for n in v.needles)) if all(v.needles for v in values) else ()
        for obj in list_containing(s, first.kind, first.namespace, first.group, needles):
            meta = obj.get("metadata") or {}
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            for out, value in zip(outs, values, strict=True):
                part = value.part(obj)
                if part is not None:
                    out[key] = part
        return outs

    def alike(self, other: PerObject) -> bool:
        """Whether ``other`` reads the same objects (kind, namespace and group)."""
        return (self.kind, self.namespace, self.group) == (other.kind, other.namespace, other.group)

    def part_of(self, s: Any, namespace: str, name: str, group: str | None) -> Any:
        """The part of one object as ``s`` has it now (None: gone, or it adds nothing)."""
        obj = s.get(self.kind, name, namespace or None, group)
        return None if obj is None else self.part(obj)

    @staticmethod
    def value(parts: dict[tuple[str, str], Any]) -> tuple[Any, ...]:
        return tuple(parts[key] for key in sorted(parts))

    def __call__(self, s: Any) -> tuple[Any, ...]:
        return self.value(self.parts(s))


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    message: str
    author: str
    date: str
    files: tuple[str, ...]
    parents: tuple[str, ...] = ()


class Source(Protocol):
    """Read access to a platform (and, where allowed, actions)."""

    name: str
    read_only: bool

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None: ...

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]: ...

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]: ...

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        """The pod's log (every container's, in order, or only ``container``'s); the last ``tail`` lines."""
        ...

    def kinds(self) -> KindRegistry:
        """The kinds the platform serves (``kratix_lab.kube.registry``): the one resolver of what users type."""
        ...

    def change_token(self) -> Any:
        """A value that changes whenever the platform does (never with the clock alone): a front end
        that polls redoes its work only when it differs from the last one."""
        ...

    def now(self) -> int:
        """Seconds on the platform's clock (the lab's simulated one, or the wall clock)."""
        ...

    def timestamp(self, text: str | None) -> int | None:
        """An RFC 3339 timestamp as seconds on the same clock as ``now()``."""
        ...

    def promises(self) -> builtins.list[Any]: ...

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]: ...

    def state_head(self) -> str | None: ...

    def state_commit(self, sha: str) -> CommitInfo | None: ...

    def is_ancestor(self, ancestor: str, descendant: str) -> bool: ...


class Clock(Protocol):
    """The lab's simulated clock (a live cluster has none: its controllers run by themselves)."""

    def step(self) -> Any:
        """One controller round (the clock moves on)."""
        ...

    def settle(self) -> Any:
        """Step until nothing changes."""
        ...

    def time(self) -> str:
        """The platform's time as RFC 3339 (what the dashboard's header shows)."""
        ...

    def faults(self) -> tuple[str, ...]:
        """The names of the faults injected now (sorted)."""
        ...


class Actions(Protocol):
    """What a front end may change on a platform, and the reads its writes depend on (where the gitops
    repo keeps a request). Every write raises a ``kratix_lab.errors.KratixLabError`` naming why it was
    refused (``Forbidden`` when the platform was opened read-only); nothing is half-written."""

    read_only: bool
    where: str  # how messages name the platform: "the lab", or "context NAME (SERVER)"

    @property
    def clock(self) -> Clock | None:
        """The lab's clock; None for a live cluster."""
        ...

    def admit(self, obj: dict[str, Any]) -> None:
        """The platform's own admission of a request (served kind and version, namespace, schema): raises
        an error with the API server's message when it would be refused; writes nothing."""
        ...

    def gitops_path(self, kind: str, name: str, crd: CRD) -> str:
        """Where a create commits the request ``kind``/``name`` in the gitops repo."""
        ...

    def gitops_file(self, path: str, kind: str | None = None) -> bytes | None:
        """The file at ``path`` in the gitops repo that holds requests of ``kind`` (None: no such file)."""
        ...

    def submit(self, request: dict[str, Any]) -> str | None:
        """Create a request through GitOps (admit, then commit it to the gitops repo): the commit's SHA
        (None: the repo already holds exactly this request)."""
        ...

    def submit_text(self, text: str, message: str) -> str | None:
        """Commit an edited request's file (its comments kept) with ``message``: the commit's SHA."""
        ...

    def reconcile(self, kind: str, name: str, namespace: str | None) -> str:
        """Ask Kratix to run the request's workflows again; returns what was done, in a sentence."""
        ...

    def delete_route(self, kind: str, name: str, namespace: str | None) -> str:
        """How ``delete`` would remove the object, in a sentence (for a confirmation); writes nothing."""
        ...

    def delete(self, kind: str, name: str, namespace: str | None) -> str:
        """Delete (through the gitops repo for a request that came from it); returns what was done."""
        ...

    def close(self) -> None: ...


class Platform(NamedTuple):
    """A platform as front ends hold it: what they read (``source``) and what they do (``actions``)."""

    source: Source
    actions: Actions

    def close(self) -> None:
        self.actions.close()
