"""The embedded lab as a Source."""

from __future__ import annotations

import builtins
import contextlib
import functools
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from kratix_lab.kube.registry import KindRegistry, promise_crds
from kratix_lab.kube.times import timestamp
from kratix_lab.model import clone, doccache, namespace_of, parse_json
from kratix_lab.model.objects import kept
from kratix_lab.platform.lab import Lab
from kratix_lab.platform.store import Store, holds_any
from kratix_lab.sources import BIG_BODY, CommitInfo, PerObject, Platform

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_KRATIX = "platform.kratix.io"
_FILES_KEPT = 8192  # (path, commit) entries: a 100-vCluster lab's trace of every request reads ~1,000


class LabSource:
    mode = "lab"  # fixes name kratix-lab commands (kratix_lab.diagnose.fix_for)

    def __init__(self, lab: Lab, read_only: bool = False):
        self.lab = lab
        self.read_only = read_only
        self.name = f"lab {lab.path}"
        self._lineage = Lineage()  # what is_ancestor has learnt of the state repo's history
        self._history: tuple[str, Callable[[], builtins.list[str] | None]] | None = None  # prefetch_history's walk
        self._files: dict[tuple[str, str], dict[str, bytes]] = {}  # what a commit holds never changes
        self._parts: dict[str, dict[tuple[str, str, str], tuple[int, Any]]] = {}  # ``derived``'s, by resourceVersion

    def derived(self, key: str, compute: Callable[[Any], Any]) -> Any:
        """``compute(self)``; a ``PerObject``'s parts kept by resourceVersion, so that only the objects written since
        the last call are read again (the store's index of resourceVersions says which): a trace looks for the
        Application that syncs its commit among the state repo's Applications (``trace.gitops.apps_of_repo``)
        without listing — and parsing, and keeping — a thousand of them each time (issue 15: the dashboard's reader
        held every Application after its first trace)."""
        if not isinstance(compute, PerObject):
            return compute(self)
        held, now = self._parts.get(key, {}), {}
        for (group, ns, name), rv in self.lab.store.rvs_of(compute.kind).items():
            if (compute.group is not None and group != compute.group) or (
                compute.namespace is not None and ns != compute.namespace
            ):
                continue
            was = held.get((group, ns, name))
            if was is not None and was[0] == rv:
                now[(group, ns, name)] = was
                continue
            now[(group, ns, name)] = (rv, compute.part_of(self, ns, name, group))
        self._parts[key] = now
        return compute.value({(ns, name): part for (_, ns, name), (_, part) in now.items() if part is not None})

    def prefetch_history(self) -> None:
        """Start git walking the state repo's history from its head now, on another core (``is_ancestor``'s first
        answer: a fleet's history is thousands of commits, a tenth of a second of git at 1,000 vClusters, which the
        first row of a dashboard would otherwise wait for)."""
        head = self.lab.state_remote.head()
        if head and not self._lineage.depth and not self._lineage.knows(head):
            self._history = (head, self.lab.state_remote.first_parent_chain_started(head))

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self.lab.store.get(kind, name, namespace, group, readonly=True)  # trace never changes objects

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        return self.lab.store.list(kind, namespace, labels or None, group, readonly=True)

    def list_containing(
        self, kind: str, namespace: str | None, group: str | None, needles: tuple[str, ...]
    ) -> builtins.list[dict[str, Any]]:
        """``list``, less the objects not parsed yet whose JSON text holds none of ``needles`` (left unparsed):
        ``kratix_lab.sources.list_containing``."""
        return self.lab.store.list(kind, namespace, None, group, readonly=True, containing=needles)

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return self.lab.store.events(obj.get("kind"), (obj.get("metadata") or {}).get("name"), namespace_of(obj))

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        return _tail(self.lab.store.logs(namespace_of(pod) or "", pod["metadata"]["name"], container), tail)

    @property
    def reopen(self) -> Callable[[], LabSource]:
        """How another process opens this lab for reading (read-only, its own connections): a one-shot fleet's
        worker processes (``kratix_lab.fleet.parallel``)."""
        return functools.partial(open_for_reading, str(self.lab.path))

    def snapshot(self) -> LabSnapshot:
        """The lab read in bulk for a one-shot fleet (``LabSnapshot``): what ``FleetRows(track=False)`` reads."""
        return LabSnapshot(self)

    def now(self) -> int:
        return self.lab.store.now_seconds()

    def timestamp(self, text: str | None) -> int | None:
        return timestamp(text)

    def promises(self) -> builtins.list[Any]:
        return self.lab.promises()

    def kinds(self) -> KindRegistry:
        return self.lab.kinds()

    def change_token(self) -> tuple[Any, ...]:
        """Changes whenever the lab does (objects, the state repo, faults), never with the clock alone:
        a front end that polls redoes its work only when this differs from the last value."""
        return (*self.lab.store.version(), self.lab.state_remote.head(), self.lab.store.get_meta("faults"))

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        if rev is None or not _FULL_SHA.fullmatch(rev):
            return self.lab.state_remote.read_files(path, rev or "main")  # a branch moves: never kept
        key = (path, rev)
        files = self._files.get(key)
        if files is None:
            files = self.lab.state_remote.read_files(path, rev)
            if len(self._files) >= _FILES_KEPT:
                self._files.pop(next(iter(self._files)))
            self._files[key] = files
        return dict(files)

    def state_head(self) -> str | None:
        return self.lab.state_remote.head()

    def state_commit(self, sha: str) -> CommitInfo | None:
        """The commit's message, author and date, read from the object (no diff: files come from trees); an
        unknown or unreadable commit is "not found" to a trace."""
        return self.lab.state_remote.commit_info(sha)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Kratix's state history is linear: ``ancestor`` is on ``descendant``'s first-parent chain (``Lineage``:
        each commit's place on the line of history known so far, learnt once for the source's life)."""
        if ancestor == descendant:
            return True
        lineage = self._lineage
        if not lineage.knows(descendant):
            started = self._history

            def listed() -> builtins.list[str] | None:  # the whole chain at once: one git run
                if started is not None and started[0] == descendant:
                    return started[1]()
                return self.lab.state_remote.first_parent_chain(descendant)

            lineage.learn(descendant, self.lab.state_remote.first_parent, listed)
        return lineage.holds(ancestor, descendant)


WALKED_AT_MOST = 256  # commits read one by one from a new head back to the line known, before git lists them all
BRANCHES_KEPT = 16


class Lineage:
    """What ``LabSource.is_ancestor`` knows of the state repo's first-parent history, kept for the source's life.

    Kratix writes its state repo as one line of commits (upstream's git writer commits onto the branch it cloned and
    pushes without force — kratix lib/writers/git.go, ``commitAndPush`` and ``push``: a fast-forward or nothing —,
    and the lab's ``GitRepo.push`` refuses a push that is not one), and a commit's first parent never changes. The
    line known so far is kept once: each commit's depth (``depth``, the root 0) and its newest commit (``tip``);
    ``ancestor`` is on ``descendant``'s chain exactly when both are on the line and ``ancestor`` is no deeper. The
    first chain is listed by git (``git rev-list --first-parent``, thousands of commits at 1,000 vClusters); a later
    head is walked back commit by commit to the line (the few commits of a lab's step: no git run) and the line grows
    by them when the walk meets its tip. A head whose chain joins the line below its tip (history rewritten), never
    joins it, or cannot be listed by git keeps its own commits apart, with the depth where it joins (the newest
    ``BRANCHES_KEPT`` such heads).

    Before, each head asked kept a set of its whole chain (~0.3 MB a head at 1,000 vClusters, for the process's
    life: a dashboard's reader and fleet worker asked one per step of the clock) and ran git over the whole history
    each time (its process mapping the pack's index: 8 MB)."""

    def __init__(self) -> None:
        self.depth: dict[str, int] = {}
        self.tip: str | None = None
        self.branches: dict[str, tuple[frozenset[str], int]] = {}  # head -> (its commits off the line, join depth)

    def knows(self, sha: str) -> bool:
        return sha in self.depth or sha in self.branches

    def holds(self, ancestor: str, descendant: str) -> bool:
        """Whether ``ancestor`` is on the chain of ``descendant`` (one ``learn``t or on the line)."""
        if ancestor == descendant:
            return True
        top = self.depth.get(descendant)
        if top is None:
            own, top = self.branches[descendant]
            if ancestor in own:
                return True
        at = self.depth.get(ancestor)
        return at is not None and at <= top

    def learn(
        self,
        descendant: str,
        first_parent: Callable[[str], str | None],
        listed: Callable[[], builtins.list[str] | None],
    ) -> None:
        """Learn ``descendant``'s chain: walked back to the line (``first_parent``, at most ``WALKED_AT_MOST``
        commits), else the whole chain from git (``listed``: ``descendant`` first, None when git cannot say), else
        walked to its root commit by commit."""
        walked: list[str] = []

        def walk(sha: str | None, most: float) -> str | None:  # back to the line: where it was met, else None
            while sha and sha not in self.depth and len(walked) < most:
                walked.append(sha)
                sha = first_parent(sha)
            return sha

        sha = walk(descendant, WALKED_AT_MOST if self.depth else 0)
        from_git = False
        if sha and sha not in self.depth:
            chain = listed()
            if chain and chain[0] == descendant:
                from_git, walked, sha = True, [], None
                for c in chain:
                    if c in self.depth:
                        sha = c
                        break
                    walked.append(c)
            else:  # git cannot say (not a commit there, or not flushed yet): read it commit by commit
                sha = walk(sha, float("inf"))
        if sha is None and not self.depth and from_git:  # the first chain git listed, down to the root: the line
            self.depth = {c: len(walked) - 1 - i for i, c in enumerate(walked)}
            self.tip = descendant
        elif sha is not None and sha == self.tip:  # a newer head of the line
            base = self.depth[sha] + len(walked)
            self.depth.update((c, base - i) for i, c in enumerate(walked))
            self.tip = descendant
        else:
            self.branches[descendant] = (frozenset(walked), -1 if sha is None else self.depth[sha])
            while len(self.branches) > BRANCHES_KEPT:
                del self.branches[next(iter(self.branches))]


def _tail(text: str, tail: int | None) -> str:
    """The last ``tail`` lines of a log (all of it for None)."""
    if tail is not None:
        lines = text.splitlines()[-tail:] if tail > 0 else []
        text = "".join(line + "\n" for line in lines)
    return text


class _Meta(msgspec.Struct):
    labels: Any = None


class _Head(msgspec.Struct):
    metadata: _Meta | None = None


_decode_head = msgspec.json.Decoder(_Head).decode  # an object's metadata.labels alone (its other fields skipped)


class _PlacementMeta(msgspec.Struct, omit_defaults=True):
    name: Any = msgspec.UNSET
    namespace: Any = msgspec.UNSET
    labels: Any = msgspec.UNSET


class _PlacementSpec(msgspec.Struct, omit_defaults=True):
    targetDestinationName: Any = msgspec.UNSET  # the fields as the API names them
    promiseName: Any = msgspec.UNSET
    resourceName: Any = msgspec.UNSET
    id: Any = msgspec.UNSET


class _PlacementStatus(msgspec.Struct, omit_defaults=True):
    versionID: Any = msgspec.UNSET


class _PlacementHead(msgspec.Struct, omit_defaults=True):
    """A WorkPlacement's fields ``_placement_specs`` reads (another shape of them: ``ValidationError``)."""

    metadata: _PlacementMeta | None = msgspec.UNSET  # type: ignore[assignment]
    spec: _PlacementSpec | None = msgspec.UNSET  # type: ignore[assignment]
    status: _PlacementStatus | None = msgspec.UNSET  # type: ignore[assignment]


_decode_placement = msgspec.json.Decoder(_PlacementHead).decode  # a WorkPlacement without its files (``_Obj.head``)


class _Obj:
    """One object of a snapshot: its key, and its body parsed the first time it is asked for (its text then
    dropped). A snapshot that forgets (``LabSnapshot.forget_parsed``) drops texts and parsed bodies (``body`` and
    ``value`` None): such a body asked for is read from the store then — the object as it is then — and one asked
    for after it was parsed once (``seen``: several rows read it) is kept from then on."""

    __slots__ = ("body", "group", "home", "name", "namespace", "seen", "value")

    def __init__(self, row: tuple[str, str, str, str], home: _Kind | None = None) -> None:
        group, namespace, self.name = row[:3]
        # (a kind's thousands of objects share a few groups and namespaces: each string once)
        self.group, self.namespace = sys.intern(group), sys.intern(namespace)
        self.body: str | None = row[3]  # None: parsed, or dropped (forget_parsed)
        self.home = home
        self.value: dict[str, Any] | None = None
        self.seen = False

    def _text(self) -> str:
        """Its JSON text: as read, or read again from the store when it was dropped (``forget_parsed``)."""
        if self.body is not None:
            return self.body
        assert self.home is not None  # only a snapshot's objects are dropped
        return self.home.text_again(self)

    def obj(self) -> dict[str, Any]:
        if self.value is None:
            self.value, self.body = kept(parse_json(self._text())), None  # the text is not needed again
            fresh = self.home.snapshot._fresh if self.home is not None else None
            if fresh is not None and not self.seen:
                fresh.append(self)
            self.seen = True
        return self.value

    def head(self) -> dict[str, Any]:
        """What ``_placement_specs`` reads of a WorkPlacement (its metadata's name, namespace and labels; its spec's
        destination, promise, request and id; its status's versionID) as its parsed body holds them, the rest of the
        body (its files) skipped and left unparsed; the parsed body when msgspec will not read it so (or has)."""
        if self.value is None:
            try:  # (a body dropped is read again for it, not kept: the row that reads the placement parses it)
                return msgspec.to_builtins(_decode_placement(self._text()))  # type: ignore[no-any-return]
            except (msgspec.DecodeError, msgspec.ValidationError):
                pass
        return self.obj()

    def labels(self) -> Any:
        """Its ``metadata.labels`` (None without), the body left unparsed when it still is (``labels_of_text``)."""
        if self.value is None and self.body is not None:
            return labels_of_text(self.body)
        meta = self.obj().get("metadata")
        return meta.get("labels") if isinstance(meta, dict) else None


def labels_of_text(text: str) -> Any:
    """The ``metadata.labels`` of an object's JSON text (None without) as ``parse_json`` would give them: msgspec reads
    that one field and skips the rest; a body msgspec will not read so is parsed."""
    try:
        meta = _decode_head(text).metadata
        labels = None if meta is None else meta.labels
        if type(labels) is dict:  # kept for every object of a kind selected on: each key and value once in memory
            intern = sys.intern  # (the values repeat across kinds: a request's Works, placements, Jobs and Pods)
            return {intern(k): intern(v) if type(v) is str else v for k, v in labels.items()}
        return labels
    except msgspec.DecodeError:  # metadata not an object, NaN, …: parse_json says what it holds
        meta = parse_json(text).get("metadata")
        return meta.get("labels") if isinstance(meta, dict) else None


INHERITED_FROM = BIG_BODY  # bytes of JSON: a body a forgetting snapshot's process takes from its parent's memory


HELD_AT_MOST = 128 << 10  # bytes of JSON: one namespace of a kind a snapshot that forgets reads with its texts


class _Held:
    """What a snapshot that forgets (``LabSnapshot._read``) reads of each object of a kind in one namespace: its
    text (labels None: read from it if a list selects on them) while the texts come to at most ``budget`` bytes,
    then its labels and no text (``budget`` -1 from then on: every object's labels are read).

    A forked process streaming the dashboard's first rows reads each kind in a vCluster's namespace for the row at
    hand (tens of KB): its texts were dropped as read, the labels of each object decoded, and each body the row then
    asked for read again, one query each (issue 15: ~20 queries of a row's ~70 at 1,000 vClusters). The namespace
    every request shares (``platform-requests``: 8,000 Jobs, 44 MB) keeps no more than ``budget`` of it."""

    __slots__ = ("budget",)

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def __call__(self, text: str) -> tuple[Any, int, str | None]:
        size = len(text)
        if size <= self.budget:
            self.budget -= size
            return None, size, text
        self.budget = -1
        return labels_of_text(text), size, None


class _Kind:
    """One kind as a snapshot read it: its objects (sorted as the store lists them) and indexes on them."""

    def __init__(
        self,
        kind: str,
        rows: builtins.list[tuple[str, str, str, Any]],
        snapshot: LabSnapshot,
        labels: builtins.list[Any] | None = None,
    ) -> None:
        """``rows``: ``Store.read_kind``'s; ``labels``: each object's labels when they were read with the rows (the
        rows' bodies None then: each is read from the store when asked for)."""
        self.kind, self.snapshot = kind, snapshot
        self.rows = [_Obj(r, self) for r in rows]
        self.by_name: dict[tuple[str, str], builtins.list[_Obj]] = {}
        self.by_namespace: dict[str, builtins.list[_Obj]] = {}
        by_name, by_namespace = self.by_name, self.by_namespace
        for o in self.rows:  # (a kind of a thousand vClusters' fleet is tens of thousands of objects)
            key = (o.namespace, o.name)
            same = by_name.get(key)
            if same is None:
                by_name[key] = [o]
            else:
                same.append(o)  # the same name in another group
            inside = by_namespace.get(o.namespace)
            if inside is None:
                by_namespace[o.namespace] = [o]
            else:
                inside.append(o)
        self._labels: dict[tuple[str, ...], dict[tuple[Any, ...], builtins.list[_Obj]]] = {}
        self._have: builtins.list[Any] | None = labels  # each object's labels, read at the first label-selected list

    def text_again(self, o: _Obj) -> str:
        """A body dropped (``forget_parsed``): its text, read from the store."""
        text = self.snapshot._store.body(self.kind, o.name, o.namespace or None, o.group)
        if text is None:  # what the snapshot had is nowhere now: whoever reads it reads the lab itself instead
            raise LookupError(f"{self.kind} {o.namespace}/{o.name}: deleted since the snapshot read it")
        return text

    def with_labels(self, labels: dict[str, Any], parse: Callable[[], bool] | None = None) -> builtins.list[_Obj]:
        """The objects with every label of ``labels`` (an index of each set of label keys asked for, built once from
        the labels alone: no body is parsed for it — except while ``parse()`` says so: a one-shot's rows parse every
        body of the kinds they select on, and while git reads for it the other core is busy, so a body parsed then,
        its labels read from it, is not decoded twice nor parsed later by each forked process)."""
        keys = tuple(sorted(labels))
        index = self._labels.get(keys)
        if index is None:
            if self._have is None:
                have, now = [], parse is not None and parse()
                for i, o in enumerate(self.rows):
                    if now and i % 64 == 0:
                        now = parse is not None and parse()
                    if now:
                        o.obj()
                    have.append(o.labels())
                self._have = have
            index = self._labels[keys] = {}
            for o, have in zip(self.rows, self._have, strict=True):
                if not isinstance(have, dict):  # no labels (None): it has none of the keys
                    continue
                values = tuple(map(have.get, keys))
                for v in values:
                    if not isinstance(v, _LABEL_VALUE):
                        break
                else:
                    same = index.get(values)
                    if same is None:
                        index[values] = [o]
                    else:
                        same.append(o)
        wanted = tuple(map(labels.__getitem__, keys))
        for v in wanted:  # (a loop, not all(…): every row's every list asks)
            if not isinstance(v, _LABEL_VALUE):
                return []
        return index.get(wanted, [])


_LABEL_VALUE = (str, int, float, bool)  # a label value an index keeps (a selector's value compared as it is)

# the labels a snapshot told its rows (``LabSnapshot.expect``) reads a namespace's objects by, some at a time
# (``LabSnapshot._chosen``): a request's name (Kratix labels its Jobs and Works with it) and a Work's name (its
# WorkPlacements': ``kratix_lab.platform.scheduler``'s ``_ensure_placement``, Kratix's scheduler.go) — both indexed
# by the store (``INDEXED_LABELS``)
_CHOSEN_BY = ("kratix.io/resource-name", "kratix.io/work")


def _always() -> bool:
    """``_Kind.with_labels``' ``parse``: every body parsed as the index is built."""
    return True


def _preload(files: Iterable[dict[str, bytes]]) -> None:
    """What the rows will parse of these placements' files, read from the document cache in bulk (when one is open:
    ``kratix_lab.model.doccache``) rather than one look-up a file."""
    doccache.preload([data for each in files for data in each.values()])


class _Batch:
    """The files of the placements' commits (``LabSnapshot.prefetch``), read by a thread in pieces in the order the
    rows ask for them — ``BATCH_FIRST`` placements, then twice as many each time — each piece's files and commit
    headers given to the rows as soon as it is read (``wait``).

    A cold ``status``'s process asked for its first row's files and waited for the whole batch of its share: at
    1,000 vClusters 1.2-1.4 s of ``git cat-file`` (3,500 placements, four runs of git on two cores) before its
    second row (issue 15)."""

    def __init__(self, specs: builtins.list[tuple[str, str]]) -> None:
        self.specs = specs
        self.wanted = set(specs)
        self.commits = {rev for _, rev in specs}
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}  # read so far
        self.read_commits: set[str] = set()  # the commits of the pieces read so far
        self.fresh: builtins.list[dict[str, bytes]] = []  # files read, not preloaded from the document cache yet
        self.over = False  # every piece read, or the reading failed
        self.failed = False
        self._changed = threading.Condition()

    def read(self, repo: Any) -> None:
        """Every piece, in order (the batch's thread); a piece that fails ends it (the batch is read again, and
        fails, where files are asked for after: ``LabSnapshot.state_files``)."""
        try:
            at, size = 0, BATCH_FIRST
            while at < len(self.specs):
                piece = self.specs[at : at + size]
                got = repo.read_files_many(piece)
                with self._changed:
                    self.files.update(got)
                    self.fresh += got.values()
                    self.read_commits.update(rev for _, rev in piece)
                    self._changed.notify_all()
                at, size = at + size, size * 2
        except Exception:  # (read again, and raised, where the files are asked for)
            self.failed = True
        finally:
            with self._changed:
                self.over = True
                self._changed.notify_all()

    def wait(self, spec: tuple[str, str] | None, commit: str | None) -> bool:
        """Whether ``spec``'s files (``commit``'s header) are read, waiting for its piece; False when it is not in
        the batch, or the reading ended without it."""
        if (spec is not None and spec not in self.wanted) or (commit is not None and commit not in self.commits):
            return False
        with self._changed:
            while not self.over and (spec not in self.files if spec is not None else commit not in self.read_commits):
                self._changed.wait()
            return spec in self.files if spec is not None else commit in self.read_commits


BATCH_FIRST = 32  # placements in the batch's first piece (``_Batch``): the first rows' and a few more


class LabSnapshot:
    """The lab read in bulk for a one-shot fleet (issue 15: ``status`` and ``diagnose --all`` cold): a Source that
    answers as ``source`` (a ``LabSource``) does, from memory.

    - Each kind is read in one query the first time it is asked for (``Store.read_kind``: each body parsed when first asked for)
      and indexed by namespace and name, and by the value of each label a list selects on (``kratix.io/promise-name``,
      ``kratix.io/resource-name``, ``kratix.io/work``, ``job-name``…): a get or a list is a dictionary look-up, never a
      query or a scan of the kind (a fleet's rows list every Argo CD Application, a thousand of them, per trace).
      A get or list in one namespace (``""``: cluster-scoped) of a kind not read whole reads that namespace of the kind
      alone, in one query (``_in``): a vCluster's own objects are read by the process that computes its row (each
      row reads ten kinds in its own namespace: issue 15, a thousand vClusters' Pods, Services, ConfigMaps… were all
      read before the first fork), and a namespace no row asks for is never read (the pipelines' 8,000 Pods, 55 MB,
      which a row reads only when a pipeline run failed).
    - The state repo's files of every WorkPlacement's commit are read at the first ask, in one batch
      (``GitRepo.read_files_many``); any other ``(path, rev)`` is the source's.
    - The installed Promises and kinds are read once; ``derived(key, compute)`` keeps a value computed from the
      snapshot's answers (diagnose's Applications that cannot compare), which the snapshot never changes under it.

    A kind read later sees the writes made before that (as the source's own reads would): a snapshot is for a read
    that ends (a ``status``), not one that watches; events, logs, time and the state head are the source's."""

    mode = "lab"

    def __init__(self, source: LabSource) -> None:
        self.source = source
        self.read_only = source.read_only
        self.name = source.name
        self._store = source.lab.store
        self._kinds: dict[str, _Kind] = {}  # the kinds read whole
        self._parts: dict[tuple[str, str], _Kind] = {}  # one namespace of a kind not read whole (``_in``)
        self._promises: builtins.list[Any] | None = None
        self._registry: KindRegistry | None = None
        self._placements: dict[tuple[str, str], dict[str, bytes]] | None = None
        self._derived: dict[str, Any] = {}
        self._lists: dict[tuple[str, str | None, str | None], builtins.list[dict[str, Any]]] = {}  # unselected lists
        self._logs: dict[tuple[str, str], builtins.list[tuple[str, str]]] | None = None
        self._reading: tuple[threading.Thread, _Batch] | None = None  # the placements' files (``prefetch``)
        self._fresh: builtins.list[_Obj] | None = None  # bodies parsed since the last forget_parsed
        self._held: builtins.list[_Kind] = []  # namespaces read with their texts since the last forget_parsed
        self._inherited: Store | None = None  # a forked process's: its parent's store (``reopened``)
        self._inherited_places: set[tuple[str, str]] | None = None  # where it parsed something (``_take_inherited``)
        self._expected: set[tuple[str, str]] | None = None  # the requests of the rows at hand (``expect``)
        self._expected_namespaces: set[str] = set()  # their namespaces
        # objects read by a label's value (``_chosen``): (kind, namespace, label) -> value -> those objects
        self._chosen_by: dict[tuple[str, str, str], dict[str, _Kind]] = {}
        self._part_kinds: dict[str, int] = {}  # kinds read in one namespace (``_in``): in how many namespaces
        self._namespaces_read: set[str] = set()  # namespaces some kind was read in (``_read_namespace``)
        # bodies parsed while git reads the placements' files (``parse_while_reading``): only where a core is left
        # over. Git reads them in two runs at once (``GitRepo._cat_batch``); on two cores, a body parsed meanwhile
        # takes a core from git, which the fork waits for, and is then shared copy-on-write (its pages copied in
        # both processes): issue 15, at 1,000 vClusters the fork came 0.6-0.8 s later for it
        self.parse_meanwhile = (os.cpu_count() or 1) > 2

    def prefetch(self) -> None:
        """Start reading the files of every WorkPlacement's commit (``state_files``' one batch) on a thread now, while
        the caller reads the rest: ``git cat-file`` works on another core (a second at 1,000 vClusters). The batch is
        read in pieces, in the order the rows will ask (``_Batch``): a row asks for its placements' files and commits
        as soon as their piece is read, not after the whole batch. Whatever else touches the state repo
        (``state_head``, ``is_ancestor`` of a chain not walked yet, ``change_token``, ``ready``, the files and
        commits outside the batch) waits for the whole batch first, so the repo is never read by two threads at
        once (the batch's thread keeps to ``git cat-file`` and the repo's cache of commit headers)."""
        if self._placements is not None or self._reading is not None:
            return
        specs = self._placement_specs()
        repo = self.source.lab.state_remote
        self.source.prefetch_history()  # is_ancestor's first answer: git walks the history meanwhile too (its process)
        batch = _Batch(specs)
        thread = threading.Thread(target=batch.read, args=(repo,), name="kratix-lab-placements", daemon=True)
        self._reading = (thread, batch)
        thread.start()

    def _batched(self, spec: tuple[str, str] | None = None, commit: str | None = None) -> _Batch | None:
        """The batch under way (``prefetch``) once it has read ``spec``'s files (``commit``'s header), waiting for
        its piece; None when it is not in the batch (or no batch is under way, or it failed there)."""
        if self._reading is None:
            return None
        batch = self._reading[1]
        done = batch.wait(spec, commit)
        fresh, batch.fresh = batch.fresh, []
        _preload(fresh)
        return batch if done else None

    def prefetch_history(self) -> None:
        """``LabSource.prefetch_history``: git walks the state repo's history meanwhile (``prefetch`` without the
        placements' files: a one-shot whose processes each read their own rows', ``kratix_lab.fleet.parallel``)."""
        self.source.prefetch_history()

    def _git_reading(self) -> bool:
        """Whether a body is parsed now, while git reads (``parse_meanwhile``)."""
        return self.parse_meanwhile and self._reading is not None and self._reading[0].is_alive()

    def parse_while_reading(self) -> None:
        """While ``prefetch``'s thread still reads the state repo, parse the bodies of the kinds read so far (what a
        one-shot's rows parse one by one later; here once for every process forked after: ``fleet.parallel``): time this
        process would otherwise spend waiting for git, before a fork — where a core is left over (``parse_meanwhile``)."""
        if self._reading is None or not self.parse_meanwhile:
            return
        thread = self._reading[0]
        for kind in [*self._kinds.values(), *self._parts.values()]:
            for i, o in enumerate(kind.rows):
                if i % 64 == 0 and not thread.is_alive():
                    return
                with contextlib.suppress(Exception):  # a body that is not JSON: said by the row that reads it
                    o.obj()

    def ready(self) -> None:
        """Wait for ``prefetch``'s thread (before a fork: a forked process has no threads), parsing the bodies read
        so far meanwhile (``parse_while_reading``): a one-shot's first row asks for the placements' files a second
        or more before git has read them (issue 15: at 1,000 vClusters this process waited 1.5 s there, idle)."""
        if self._reading is not None:
            self.parse_while_reading()
            thread, batch = self._reading
            thread.join()
            self._reading = None
            if not batch.failed:  # (else read again, and raised, where the files are asked for)
                self._placements = batch.files
                _preload(batch.fresh)

    def reopened(self) -> LabSnapshot:
        """This snapshot in a process forked from the one that read it (a one-shot fleet's worker,
        ``kratix_lab.fleet.parallel``): what it has read is kept (shared copy-on-write: each kind, its indexes, the
        placements' files, the Promises), and whatever it reads from now on is read through the lab opened again
        (``LabSource.reopen``: a SQLite connection and git processes of its own; a process must never use its
        parent's). The chains, files and headers of commits already read are kept too (a commit never changes)."""
        self.ready()
        source = self.source.reopen()
        source._lineage, source._files = self.source._lineage, self.source._files
        source.lab.state_remote.keep_commits_read_by(self.source.lab.state_remote)
        self._inherited = self._store  # what its parent parsed: taken, not parsed again (``_read``)
        self._inherited_places = None
        self.source, self._store = source, source.lab.store
        return self

    def forget_parsed(self) -> None:
        """Drop the bodies parsed since the last call (the first call: the texts not parsed yet, and start
        counting), so that a process computing rows a few at a time (a forked process streaming the dashboard's
        first rows: ``kratix_lab.fleet.parallel``) holds the bodies of the rows at hand, not every body of the kinds it
        read (its share of the rows reads half of them) nor of every row it computed: at 300 vClusters ~40 MB of
        texts and ~10,000 parsed objects, most read by one row. A body dropped is read from the store when asked for
        (an object as it is then), and one parsed before (several rows read it) is kept from then on; what a list
        made once keeps (``_lists``: every Application) and the label indexes stay."""
        fresh, self._fresh = self._fresh, []
        held, self._held = self._held, []
        if fresh is None:  # from now on a kind is read without its texts (``_read``): those read before, dropped
            held = [*self._kinds.values(), *self._parts.values()]
        for k in held:
            for o in k.rows:
                o.body = None
        for o in fresh or ():
            o.value = None

    def _kind(self, kind: str) -> _Kind:
        """The kind, read whole."""
        known = self._kinds.get(kind)
        if known is None:
            known = self._kinds[kind] = self._read(kind, None)
        return known

    def _in(self, kind: str, namespace: str | None) -> _Kind:
        """What answers for ``kind`` in ``namespace`` (None: every namespace): the kind read whole once it has been,
        else that namespace of it alone, read the first time it is asked for."""
        whole = self._kinds.get(kind)
        if whole is not None or namespace is None:
            return whole if whole is not None else self._kind(kind)
        part = self._parts.get((kind, namespace))
        if part is None and namespace not in self._namespaces_read:
            self._read_namespace(namespace)
            part = self._parts.get((kind, namespace))
        if part is None:
            part = self._parts[(kind, namespace)] = self._read(kind, namespace)
            self._part_kinds[kind] = self._part_kinds.get(kind, 0) + 1
        return part

    def _read_namespace(self, namespace: str) -> None:
        """The first read in a vCluster's namespace by a snapshot told its rows (``expect``: a cold ``status``'s
        process): every kind the rows before read in theirs (``_part_kinds``), read at once (``Store.read_kinds_in``:
        one query, where each row made ten). Not in its requests' namespace (every request's Jobs, Works, Pods…:
        ``_chosen``'s), nor for cluster-scoped objects, nor by a snapshot that forgets (it reads as it goes)."""
        self._namespaces_read.add(namespace)
        if self._expected is None or self._fresh is not None or namespace == "":
            return
        if namespace in self._expected_namespaces:
            return
        kinds = [k for k in self._part_kinds if k not in self._kinds and (k, namespace) not in self._parts]
        if len(kinds) < 2:
            return
        for kind, rows in self._store.read_kinds_in(namespace, kinds).items():
            known = self._parts[(kind, namespace)] = _Kind(kind, rows, self)
            self._part_kinds[kind] += 1
            if self._inherited is not None:
                self._take_inherited(known, namespace, None)

    def _read(self, kind: str, namespace: str | None) -> _Kind:
        big: builtins.list[bool] | None = None
        if self._fresh is not None:  # it forgets (forget_parsed): no text kept, the labels read as rows go by …
            held = _Held(HELD_AT_MOST if namespace is not None else -1)
            rows = self._store.read_kind(kind, held, namespace)
            heads = [(g, ns, name, text) for g, ns, name, (_, _, text) in rows]
            big = [size >= INHERITED_FROM for *_, (_, size, _) in rows]
            if held.budget >= 0:  # … but a small namespace's texts until the next forget_parsed, labels read if asked
                known = _Kind(kind, heads, self)
                self._held.append(known)
            else:
                labels = [labels_of_text(text) if text is not None else lab for *_, (lab, _, text) in rows]
                known = _Kind(kind, heads, self, labels)
                if any(text is not None for *_, text in heads):
                    self._held.append(known)
        else:
            known = _Kind(kind, self._store.read_kind(kind, None, namespace), self)
        if self._inherited is not None:
            self._take_inherited(known, namespace, big)
        return known

    def _take_inherited(self, known: _Kind, namespace: str | None, big: builtins.list[bool] | None) -> None:
        """The objects of ``known`` its parent process had parsed, at the version read here, taken from the parent's
        store (``Store.parsed_at``: its memory, shared copy-on-write) instead of parsed again here: each of the
        dashboard's forked processes parsed the state reconciler's Application (every row reads it; 5 MB of JSON at
        1,000 vClusters) that the fleet's worker had parsed already. Taken ones are kept (``seen``): dropping them
        would free nothing of this process's own.

        A snapshot that forgets (``forget_parsed``: the dashboard's first rows) takes only the big ones (``big``: a
        body of ``INHERITED_FROM`` bytes or more): a small one is read by the row it belongs to, and parsed here it
        is dropped with that row, where taken its pages are copied for good as the row touches it — and the parent's
        objects share pages, so touching one copies its neighbours too (issue 15: at 1,000 vClusters each process
        copied 30-37 MB of the 55 MB of the parent's Applications, most of them a vCluster's own).

        Nothing is looked up where the parent parsed nothing (``Store.parsed_places``): a one-shot's process reads
        the vClusters' namespaces its parent never read (issue 15: the kind's resourceVersions read for nothing,
        8 % of a cold ``status``'s forked process at 1,000 vClusters)."""
        inherited, kind = self._inherited, known.kind
        assert inherited is not None
        if big is not None and not any(big):
            return  # (nor the kind's resourceVersions read: at 1,000 vClusters 15 MB of an index for every kind read)
        if self._inherited_places is None:
            self._inherited_places = inherited.parsed_places()
        places = self._inherited_places
        if (kind, namespace) not in places if namespace is not None else all(k != kind for k, _ in places):
            return
        rvs = self._store.rvs_of(kind)  # (once: ``rv`` would ask SQLite for each object)
        for i, o in enumerate(known.rows):
            if big is not None and not big[i]:
                continue
            value = inherited.parsed_at(
                o.group, kind, o.namespace, o.name, rvs.get((o.group, o.namespace or "", o.name))
            )
            if value is not None:
                o.value, o.body, o.seen = value, None, True

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        for o in self._in(kind, namespace or "").by_name.get((namespace or "", name), ()):
            if group is None or o.group == group:
                return o.obj()
        return None

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        if labels and ("matchLabels" in labels or "matchExpressions" in labels):
            return self.source.list(kind, namespace, labels, group)  # the store reads such a map as a LabelSelector
        # (a snapshot that forgets keeps the lists of a whole kind only: one namespace's is one row's)
        whole = (kind, namespace, group) if not labels and (namespace is None or self._fresh is None) else None
        if whole is not None and whole in self._lists:
            return builtins.list(self._lists[whole])  # every row lists every Application: the list made once
        out = [o.obj() for o in self._listed(kind, namespace, labels, group)]
        if whole is not None:
            self._lists[whole] = builtins.list(out)
        return out

    def _listed(
        self, kind: str, namespace: str | None, labels: dict[str, str] | None, group: str | None
    ) -> builtins.list[_Obj]:
        """The objects ``list`` answers with, as read (parsed or not)."""
        chosen = self._chosen(kind, namespace, labels) if labels and namespace is not None else None
        if chosen is not None:
            rows = chosen
        else:
            k = self._in(kind, namespace)
            everything = k.rows if namespace is None else k.by_namespace.get(namespace, [])
            # (the index holds exactly the objects whose labels match: each object's labels as its parsed body holds
            # them, compared as matches_labels compares them — every key present, each value equal)
            rows = k.with_labels(labels, self._git_reading) if labels else everything
        return [
            o for o in rows if (group is None or o.group == group) and (namespace is None or o.namespace == namespace)
        ]

    def _chosen(self, kind: str, namespace: str, labels: dict[str, Any]) -> builtins.list[_Obj] | None:
        """The objects of ``kind`` in ``namespace`` with every label of ``labels``, when a snapshot told its rows
        (``expect``) reads them by a label's value (``_CHOSEN_BY``) rather than the namespace whole; None: read so
        (a snapshot not told, or one that forgets; a kind read whole there already; a selector without such a label).

        A cold ``status``'s processes (``kratix_lab.fleet.parallel``) each compute their share of the rows: each read
        the whole namespace every request shares (at 1,000 vClusters 8,000 Jobs, 8,000 Works and 7,000 WorkPlacements:
        87 MB and 23,000 labels decoded, before the first row), where its rows ask for their own requests' (issue
        15). The first ask of a label reads, in one query through the store's index on that label
        (``Store.read_labelled``), the objects of every value the rows may ask (``_wanted``: its requests' names;
        the names of the Works read so) and the value asked; a value asked after that is read then, alone. The
        answer is the objects whose labels match as ``_Kind.with_labels`` matches them."""
        if self._expected is None or self._fresh is not None or kind in self._kinds or (kind, namespace) in self._parts:
            return None
        key = next((k for k in _CHOSEN_BY if k in labels), None)
        if key is None or type(value := labels[key]) is not str:
            return None
        by = self._chosen_by.setdefault((kind, namespace, key), {})
        if value not in by:
            wanted = {value, *self._wanted(namespace, key)} - by.keys()
            try:
                rows = self._store.read_labelled(kind, namespace, key, wanted)
            except sqlite3.Error:  # (no such index: a store no writer opened since) read the namespace whole
                return None
            of_value: dict[str, builtins.list[Any]] = {v: [] for v in wanted}
            for row in rows:
                of_value[row[4]].append(row[:4])
            for v, read in of_value.items():
                known = by[v] = _Kind(kind, read, self)
                if self._inherited is not None:
                    self._take_inherited(known, namespace, None)
        # (each is one of the rows' own, listed by one of them: parsed as its labels are indexed, not decoded twice)
        return by[value].with_labels(labels, _always)

    def _wanted(self, namespace: str, key: str) -> set[str]:
        """The values of ``key`` the rows told (``expect``) may ask for in ``namespace``: their requests' names (the
        seed's sub-requests are named after the request that made them), or the names of the Works read for them."""
        if key == "kratix.io/resource-name":
            return {name for ns, name in self._expected or () if ns == namespace}
        works = self._chosen_by.get(("Work", namespace, "kratix.io/resource-name"), {})
        return {o.name for read in works.values() for o in read.rows}

    def list_containing(
        self, kind: str, namespace: str | None, group: str | None, needles: tuple[str, ...]
    ) -> builtins.list[dict[str, Any]]:
        """``list``, less the objects not parsed yet whose JSON text holds none of ``needles`` (left unparsed):
        ``kratix_lab.sources.list_containing``."""
        whole = (kind, namespace, group)
        if whole in self._lists:
            return builtins.list(self._lists[whole])
        listed = self._listed(kind, namespace, None, group)
        return [o.obj() for o in listed if o.value is not None or holds_any(o._text(), needles)]

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return self.source.events(obj)

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        """A pod's log as ``Store.logs`` reads it, from every pod's logs read in one query at the first ask."""
        if self._logs is None:
            self._logs = self._store.read_logs()
        lines = self._logs.get((namespace_of(pod) or "", pod["metadata"]["name"]), ())
        return _tail("".join(text for c, text in lines if not container or c == container), tail)

    def now(self) -> int:
        return self.source.now()

    def timestamp(self, text: str | None) -> int | None:
        return timestamp(text)

    def promises(self) -> builtins.list[Any]:
        """The installed Promises as ``Lab.promises`` makes them (cluster-scoped Promise objects of Kratix's group,
        by name, each ``Promise.from_dict`` of its own copy), from the snapshot's read of the kind: the lab's own
        list first reads every object's version, tens of thousands in a fleet."""
        if self._promises is None:
            from kratix_lab.promise import Promise

            self._promises = [
                Promise.from_dict(clone(o.obj()), f"Promise/{o.name}")
                for o in self._kind("Promise").rows
                if o.group == _KRATIX and o.namespace == ""
            ]
        return builtins.list(self._promises)

    def kinds(self) -> KindRegistry:
        """The kind registry as ``Lab.kinds`` builds it, over the snapshot's Promises."""
        if self._registry is None:
            self._registry = KindRegistry.from_crds(promise_crds(p.doc for p in self.promises()))
        return self._registry

    def change_token(self) -> tuple[Any, ...]:
        self.ready()
        return self.source.change_token()

    def expect(self, requests: Iterable[tuple[str, str]]) -> None:
        """The rows this snapshot answers for are those of ``requests`` (namespace, name): the WorkPlacements whose
        files are read in one batch (``_placement_specs``) are theirs only — those in a request's namespace labelled
        with its name (``kratix.io/resource-name``, as Kratix labels a request's Works and WorkPlacements; the seed's
        sub-requests are named after the request that made them). A row's placement not among them has its files
        read when the row asks (``LabSource.state_files``). For a forked process streaming half of the dashboard's
        first rows (``kratix_lab.fleet.parallel``): each read every placement's files (issue 15: at 1,000
        vClusters, seventeen thousand files, two seconds of each process's start).

        A snapshot that does not forget reads the Jobs, Works and WorkPlacements its rows list by label in their
        requests' namespace only for those requests (``_chosen``): a cold ``status``'s process. Told again (its share
        of the rows, after the first row was computed before the fork), the next batch reads the files of the
        placements it is told of now."""
        self.ready()
        self._expected = set(requests)
        self._expected_namespaces = {ns for ns, _ in self._expected}
        self._placements = None

    def read_ahead(self, requests: Iterable[tuple[str, str]]) -> None:
        """The files of ``requests``' placements, read now in one batch and kept with the batch's (after it: the repo
        is read by one thread at a time): rows a process takes from another's share (``kratix_lab.fleet.parallel``),
        whose placements are not in its batch — read one at a time through the source, such a row cost seven
        times another at 1,000 vClusters (issue 15)."""
        self.ready()
        if self._placements is None:
            return  # (no batch yet: the first ask reads one)
        specs = [spec for spec in self._placement_specs(requests) if spec not in self._placements]
        if specs:
            got = self.source.lab.state_remote.read_files_many(specs)
            self._placements.update(got)
            _preload(got.values())

    def derived(self, key: str, compute: Callable[[Any], Any]) -> Any:
        """``compute(self)``, once per snapshot: a value made only of the snapshot's answers."""
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        batch = self._batched(spec=(path, rev or ""))
        if batch is not None:
            return dict(batch.files[(path, rev or "")])
        self.ready()
        if rev is not None and _FULL_SHA.fullmatch(rev):
            placements = self._placements
            if placements is None:
                placements = self._read_placements(
                    self.source.lab.state_remote.read_files_many(self._placement_specs())
                )
            files = placements.get((path, rev))
            if files is not None:
                return dict(files)
        return self.source.state_files(path, rev)

    def _read_placements(
        self, placements: dict[tuple[str, str], dict[str, bytes]]
    ) -> dict[tuple[str, str], dict[str, bytes]]:
        """The files of every placement's commit, read; what the rows will parse of them is read from the document
        cache in bulk (when one is open: ``kratix_lab.model.doccache``)."""
        self._placements = placements
        _preload(placements.values())
        return placements

    def _placement_specs(self, requests: Iterable[tuple[str, str]] | None = None) -> builtins.list[tuple[str, str]]:
        """``(directory, commit)`` of every WorkPlacement's files (where a trace reads them), for one batch: those of
        the requests told (``expect``), of ``requests`` when given.

        Only a forecast of what the rows will ask (one they ask for and is not here is read then; one never asked
        for costs a read): each WorkPlacement's fields it needs are decoded from its body (``_PlacementHead``) without
        the files it carries, left for the row that reads the WorkPlacement to parse — a thousand vClusters'
        seven thousand placements, before the batch can start."""
        from kratix_lab.pipeline.contract import placement_dir, state_store_base

        stores = {g["metadata"]["name"]: g for g in self.list("GitStateStore", group=_KRATIX)}
        specs = []
        told = self._expected if requests is None else set(requests)
        if told is None:
            rows = self._kind("WorkPlacement").rows
        elif self._fresh is None:  # the placements of its requests' Works, as its rows will list them (``_chosen``)
            rows = [
                o
                for ns, name in sorted(told)
                for work in self._listed("Work", ns, {"kratix.io/resource-name": name}, _KRATIX)
                for o in self._listed("WorkPlacement", ns, {"kratix.io/work": work.name}, None)
            ]
        else:  # (the label index: no body read to pick them)
            placements = self._kind("WorkPlacement")
            rows = [
                o
                for ns, name in sorted(told)
                for o in placements.with_labels({"kratix.io/resource-name": name})
                if o.namespace == ns
            ]
        for o in rows:
            if o.group != _KRATIX:
                continue
            wp = o.head()
            try:
                version = (wp.get("status") or {}).get("versionID")
                dest = self.get("Destination", wp["spec"].get("targetDestinationName", ""), group=_KRATIX)
                gss = stores.get(((dest or {}).get("spec") or {}).get("stateStoreRef", {}).get("name", ""))
                if not version or dest is None or gss is None:
                    continue
                base = state_store_base((gss.get("spec") or {}).get("path", ""), dest["spec"].get("path", ""))
                specs.append((placement_dir(base, wp), version))
            except (KeyError, TypeError, AttributeError):
                continue  # a malformed placement: the trace reads (and judges) it through the source
        return specs

    def state_head(self) -> str | None:
        self.ready()
        return self.source.state_head()

    def state_commit(self, sha: str) -> CommitInfo | None:
        if self._batched(commit=sha) is None or not self.source.lab.state_remote.holds_header(sha):
            self.ready()  # (not read by the batch: the repo is read here, alone)
        return self.source.state_commit(sha)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor != descendant and not self.source._lineage.knows(descendant):
            self.ready()  # (a chain not walked yet: git reads it here, alone)
        return self.source.is_ancestor(ancestor, descendant)


def open_for_reading(path: str) -> LabSource:
    """A read-only ``LabSource`` of the lab at ``path`` (``LabSource.reopen``)."""
    return LabSource(Lab(path, create=False, read_only=True), read_only=True)


class LabClock:
    """The lab's simulated clock: ``Lab.step``/``settle``, its time and active faults (a read-only lab's
    clock is read, never stepped)."""

    def __init__(self, lab: Lab, read_only: bool = False) -> None:
        self.lab = lab
        self.read_only = read_only

    def _writable(self) -> None:
        if self.read_only:
            from kratix_lab.errors import Forbidden

            raise Forbidden("read-only: the lab's clock is not stepped here")

    def step(self) -> Any:
        self._writable()
        return self.lab.step()

    def settle(self) -> Any:
        self._writable()
        return self.lab.settle()

    def time(self) -> str:
        return self.lab.now()

    def faults(self) -> tuple[str, ...]:
        return tuple(sorted(self.lab.faults.active()))


class LabActions:
    """The ``Actions`` of the embedded lab: its own methods (``Lab.submit``, ``reconcile``, ``delete`` …),
    the ones ``kratix-lab submit``/``reconcile``/``delete`` call. Read-only: every write is refused."""

    where = "the lab"

    def __init__(self, lab: Lab, read_only: bool = False) -> None:
        self.lab = lab
        self.read_only = read_only
        self.clock = LabClock(lab, read_only)

    def _writable(self, what: str) -> None:
        if self.read_only:
            from kratix_lab.errors import Forbidden

            raise Forbidden(f"read-only: this dashboard does not change the lab ({what} refused)")

    def admit(self, obj: dict[str, Any]) -> None:
        from kratix_lab.model import GVK, clone
        from kratix_lab.platform.lab import LabError

        served = self.lab.crd_for(obj) is not None
        not_served = LabError(
            f"{obj.get('kind')} ({obj.get('apiVersion')}) is not served by the lab: its Promise is not installed"
        )
        if not served and not GVK.of(obj).group.endswith("platform.integratn.tech"):
            raise not_served  # a request kind of no platform group: said before the API server's generic refusal
        self.lab.admit(clone(obj))  # the platform's groups: the API server's own "is its Promise installed?"
        if not served:
            raise not_served

    def gitops_path(self, kind: str, name: str, crd: Any) -> str:
        return Lab.gitops_path(kind, name, crd)

    def gitops_file(self, path: str, kind: str | None = None) -> bytes | None:
        return self.lab.gitops_repo.read_files(path).get(path)

    def submit(self, request: dict[str, Any]) -> str | None:
        self._writable("submit")
        return self.lab.submit(request)

    def submit_text(self, text: str, message: str) -> str | None:
        """``Lab.submit`` of a request's text (its comments kept): the same admission, path and commit as a file."""
        import tempfile
        from pathlib import Path

        self._writable("submit")
        with tempfile.TemporaryDirectory(prefix="kratix-lab-edit-") as tmp:
            path = Path(tmp) / "request.yaml"
            path.write_text(text)
            return self.lab.submit(path, message)

    def reconcile(self, kind: str, name: str, namespace: str | None) -> str:
        self._writable("reconcile")
        self.lab.reconcile(kind, name, namespace)
        title = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
        return f"reconcile requested: Kratix runs {title}'s workflows again on the next step"

    def delete_route(self, kind: str, name: str, namespace: str | None) -> str:
        return self.lab.delete_route(kind, name, namespace)

    def delete(self, kind: str, name: str, namespace: str | None) -> str:
        self._writable("delete")
        return self.lab.delete(kind, name, namespace)

    def close(self) -> None:
        self.lab.close()


def lab_platform(lab: Lab, *, read_only: bool = False) -> Platform:
    """An open ``Lab`` as a ``Platform`` (its source and actions); closing it closes the lab."""
    return Platform(LabSource(lab, read_only=read_only), LabActions(lab, read_only=read_only))
