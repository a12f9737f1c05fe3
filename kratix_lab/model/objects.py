"""Kubernetes objects as plain dicts: identity, labels, the label-selector matcher, conditions."""

from __future__ import annotations

import array
import functools
import hashlib
import json
import operator
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kratix_lab.kube.registry import BUILTIN_KINDS

T = TypeVar("T")

# Kinds the lab knows to be cluster-scoped (everything else is namespaced unless a CRD says so): the kind
# registry's built-in kinds that are not namespaced — one list of scopes (issue 10 item 2).
CLUSTER_SCOPED_KINDS = frozenset(k.kind for k in BUILTIN_KINDS if not k.namespaced)


@dataclass(frozen=True, order=True)
class GVK:
    group: str
    version: str
    kind: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> GVK:
        return _gvk(cls, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@functools.lru_cache(maxsize=4096)  # GVKs are immutable and few; building one is the cost of GVK.of
def _gvk(cls: type[GVK], api_version: str, kind: str) -> GVK:
    group, _, version = api_version.rpartition("/")
    return cls(group, version, kind)


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))
try:
    import msgspec

    _decode_json: Any = msgspec.json.Decoder().decode
    _Refused: type[Exception] = msgspec.DecodeError
except ImportError:  # the pipeline image (promises/Dockerfile) holds only what pipelines import: they read no store
    _decode_json, _Refused = json.loads, ValueError


def parse_json(text: str | bytes) -> Any:
    """A JSON text as ``json.loads`` reads it (the one loader of the lab store's bodies).

    msgspec's decoder parses it (C, about 1.5× the standard library on Kubernetes objects: a cold ``status`` of a
    thousand vClusters parses a few hundred megabytes of them) and gives json's values for every text it accepts —
    integers of any size exactly (orjson makes a float of one beyond 64 bits), doubles rounded alike, the last of
    duplicate keys; the texts it refuses are ``json.loads``'s to read or refuse: NaN and Infinity, a number beyond
    a double (json: inf), a lone surrogate (json keeps it), invalid JSON (json's error)."""
    try:
        return _decode_json(text)
    except _Refused:
        return json.loads(text)


class SharedTrees:
    """Equal parts of JSON-shaped objects kept once in memory (hash-consing): ``share(obj)`` returns an object equal
    to ``obj`` whose maps, lists, strings and integers are the very objects of any equal part shared before.

    A lab's objects repeat themselves: every Pod of a Job template has the same containers, volumes, labels and
    tolerations; every Work of a Promise the same workflow. Decoded separately, a lab of 300 vClusters holds its
    25,000 objects in ~320 MB; shared, in ~95 MB (plus this table's ~20 MB). What is shared must never be changed
    in place — the contract of the store's ``readonly=True`` objects already (``clone()`` gives a private copy).

    Equal means of the same types: two maps are one only when their keys are equal and each value is the same
    object (children are shared first, scalars interned), so ``1`` never stands for ``True`` nor ``1.0`` for
    ``1``. The table holds what it has seen; when it outgrows ``limit`` entries, the parts nothing but the table
    holds any more are forgotten (``sweep``) and the limit becomes twice what is left: a long run with churn (a
    CronJob's Pods come and go) stays within twice what is alive.
    """

    def __init__(self, limit: int = 1 << 16):
        self.limit = limit
        # The table: a compact hash table of our own rather than a dict keyed by the parts' hashes, whose int keys
        # (32 bytes each) and entries sized for growth cost ~65 MB at 1,000 vClusters (~730,000 parts); this one
        # ~25 MB. The parts in the order they came (``_parts``, their hashes in ``_hashes``), and ``_index``: open
        # addressing (linear probing, at most half full) from a hash to the position of its part, -1 for none.
        self._parts: list[Any] = []
        self._hashes = array.array("q")
        self._index = array.array("i", [-1]) * _FIRST_INDEX
        self._ints: dict[int, int] = {}
        # one sharer at a time: a live watch cache shares from one thread per kind (``live.cache.Informer``), and
        # the table's probing and sweeping are many steps each
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._parts)

    def share(self, obj: Any) -> Any:
        with self._lock:
            self._make_room()
            return self._share(obj)

    def share_object(self, obj: Any) -> Any:
        """``share`` for a stored Kubernetes object: its root map and its ``metadata``, which hold its uid and
        resourceVersion and so are equal to no other object's, are its own — built of shared parts but not entered
        in the table, where they would only cost an entry each (two of an object's ~11 maps: at 1,000 vClusters
        170,000 of the table's ~900,000 entries)."""
        if type(obj) is not dict:
            return self.share(obj)
        out = {}
        with self._lock:
            self._make_room()
            for k, v in obj.items():
                key = sys.intern(k) if type(k) is str else k
                if k == "metadata" and type(v) is dict:
                    out[key] = {sys.intern(mk) if type(mk) is str else mk: self._share(x) for mk, x in v.items()}
                else:
                    out[key] = self._share(v)
        return out

    def _make_room(self) -> None:
        if len(self._parts) > self.limit:
            self._sweep()
            self.limit = max(self.limit, 2 * len(self._parts))

    def sweep(self) -> None:
        """Forget the parts only this table holds. Newest first: a part is added after its children, so a dead
        map's children are free by the time they are looked at."""
        with self._lock:
            self._sweep()

    def _sweep(self) -> None:
        parts, hashes = self._parts, self._hashes
        for i in range(len(parts) - 1, -1, -1):
            if sys.getrefcount(parts[i]) <= _ONLY_TABLE:
                parts[i] = None
        alive = 0  # compacted in place: no list of the survivors beside the table (a million parts at 1,000)
        for i, part in enumerate(parts):
            if part is not None:
                parts[alive], hashes[alive] = part, hashes[i]
                alive += 1
        del parts[alive:], hashes[alive:]
        self._reindex()
        self._ints.clear()

    def _reindex(self) -> None:
        """The index built again for the parts, at most half full."""
        size = _FIRST_INDEX
        while size < 2 * len(self._parts) + 2:
            size *= 2
        index = array.array("i", [-1]) * size
        mask = size - 1
        for position, h in enumerate(self._hashes):
            i = h & mask
            while index[i] != -1:
                i = (i + 1) & mask
            index[i] = position
        self._index = index

    def _add(self, h: int, part: Any) -> Any:
        """Enter ``part`` (not in the table) under hash ``h``; the part."""
        index, mask = self._index, len(self._index) - 1
        i = h & mask
        while index[i] != -1:
            i = (i + 1) & mask
        index[i] = len(self._parts)
        self._parts.append(part)
        self._hashes.append(h)
        if 2 * len(self._parts) > len(index):
            self._reindex()
        return part

    def _kept_or_added(self, h: int, part: Any, keys: tuple[Any, ...] | None) -> Any:
        """The part in the table under hash ``h`` that is the same as ``part`` (a map with ``keys``, in order, or a
        list: ``keys`` None) — each child the very same object — else ``part``, entered."""
        index, parts, hashes = self._index, self._parts, self._hashes
        mask = len(index) - 1
        i = h & mask
        kind = type(part)
        while (at := index[i]) != -1:
            if hashes[at] == h:
                hit = parts[at]
                if type(hit) is kind and len(hit) == len(part):
                    if keys is None:
                        if all(map(_is, hit, part)):
                            return hit
                    elif all(map(_is, hit.values(), part.values())) and tuple(hit) == keys:
                        return hit
            i = (i + 1) & mask
        return self._add(h, part)

    def _share(self, v: Any) -> Any:
        """``v`` with its equal parts shared. A part's hash is of its keys and its children's identities (children
        are shared first: equal strings are interned, equal ints one object, bools and None singletons), and a part
        found under that hash is the same when each child is the very same object and its keys, in order, equal —
        so a float (not shared) keeps its map or list to itself. No comparing function is made or called per part
        (the lab's clock shares ~10 million parts in its first round at 1,000 vClusters)."""
        t = type(v)
        if t is str:
            return sys.intern(v)
        if t is dict:
            share, intern, ints = self._share, sys.intern, self._ints
            d = {}
            for k, x in v.items():
                tx = type(x)
                if tx is str:
                    x = intern(x)
                elif tx is dict or tx is list:
                    x = share(x)
                elif tx is int:
                    x = ints.setdefault(x, x)
                d[intern(k) if type(k) is str else k] = x
            keys = tuple(d)
            return self._kept_or_added(hash((0, keys, tuple(map(id, d.values())))), d, keys)
        if t is list:
            items = [self._share(x) for x in v]
            return self._kept_or_added(hash((1, tuple(map(id, items)))), items, None)
        if t is int:
            return self._ints.setdefault(v, v)
        return v  # bool, None (singletons), float (rare: kept as is)


_is = operator.is_
_FIRST_INDEX = 1 << 10
_ONLY_TABLE = 2  # sys.getrefcount of a part only SharedTrees holds: the table's reference and the call's argument
_kept_trees: SharedTrees | None = None  # see keep_parts_once


def text_digest(text: str) -> bytes:
    """A text's digest (BLAKE2b, 16 bytes): the key of a cache that must not keep the texts it is asked about."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def cached_by_digest(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """A cache of a function of one text, keyed by the text's digest (BLAKE2b, 16 bytes) rather than by the text, as
    ``functools.lru_cache`` would: for big texts asked again and again (pod templates, vCluster configs) the cache
    would otherwise hold each text for the process's life (the lab's clock at 1,000 vClusters: ~23 MB). The oldest
    entry goes first once ``maxsize`` are kept; ``cache_clear()`` empties it."""

    def wrap(fn: Callable[[str], T]) -> Callable[[str], T]:
        kept: dict[bytes, T] = {}

        @functools.wraps(fn)
        def call(text: str) -> T:
            key = text_digest(text)
            try:
                return kept[key]
            except KeyError:
                pass
            value = fn(text)
            if len(kept) >= maxsize:
                del kept[next(iter(kept))]
            kept[key] = value
            return value

        call.cache_clear = kept.clear  # type: ignore[attr-defined]
        return call

    return wrap


def keep_parts_once() -> SharedTrees:
    """From now on, objects this process keeps for long (``kept``: the store's parsed objects, the caches of
    rendered charts, parsed state-repo blobs and last-applied configurations) share their equal parts, one table
    for all of them: a process that holds a whole lab (the dashboard's clock) holds each repeated part once."""
    global _kept_trees
    if _kept_trees is None:
        _kept_trees = SharedTrees()
    return _kept_trees


def kept(obj: Any) -> Any:
    """``obj`` as a read-only cache keeps it: with its equal parts shared with everything else kept once
    ``keep_parts_once()`` was called in this process (a new object equal to ``obj``), else ``obj`` itself."""
    return obj if _kept_trees is None else _kept_trees.share(obj)


def kept_object(obj: Any) -> Any:
    """``kept`` for a stored Kubernetes object (``SharedTrees.share_object``: its root and metadata its own)."""
    return obj if _kept_trees is None else _kept_trees.share_object(obj)


def clone(obj: Any) -> Any:
    """A deep copy of JSON-shaped data (Kubernetes objects): what a JSON round trip gives.

    Maps with string keys, lists and JSON scalars are copied directly (about twice as fast as the
    round trip, many times faster than deepcopy); anything else (tuples, non-string keys, other
    types) goes through the round trip itself, so the result is the round trip's in every case.
    """
    t = type(obj)
    if t is dict:
        out = {k: v if type(v) in _JSON_SCALARS else clone(v) for k, v in obj.items()}
        for k in out:
            if type(k) is not str:
                return json.loads(json.dumps(obj))
        return out
    if t is list:
        return [v if type(v) in _JSON_SCALARS else clone(v) for v in obj]
    if t in _JSON_SCALARS:
        return obj
    return json.loads(json.dumps(obj))


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Mapping[str, Any]) -> str | None:
    ns = meta(obj).get("namespace")
    return str(ns) if ns else None


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return dict(labels) if isinstance(labels, dict) else {}


# What the lab models rather than runs (pods with no process, chart objects it renders itself, the kubeconfig sync's
# runs): annotated ``kratix-lab.io/modelled: "true"`` by every lab controller that makes one, read by the front ends
# (``logs`` says why a modelled pod prints nothing). The one spelling of the key (issue 10 item 5).
MODELLED_ANNOTATION = "kratix-lab.io/modelled"


def is_modelled(obj: Mapping[str, Any]) -> bool:
    """Whether the lab models ``obj`` (annotation ``kratix-lab.io/modelled: "true"``) instead of running it."""
    annotations = meta(obj).get("annotations")
    return isinstance(annotations, dict) and annotations.get(MODELLED_ANNOTATION) == "true"


def ref(obj: Mapping[str, Any]) -> str:
    """`Kind/name` or `Kind/namespace/name`: how objects are named in messages."""
    ns = namespace_of(obj)
    kind = obj.get("kind", "?")
    return f"{kind}/{ns}/{name_of(obj)}" if ns else f"{kind}/{name_of(obj)}"


def matches_labels(labels: Mapping[str, str], match_labels: Mapping[str, str]) -> bool:
    """The label-selector matcher (matchLabels semantics: every pair must be present)."""
    return all(labels.get(k) == v for k, v in match_labels.items())


def matches_selector(labels: Mapping[str, str], selector: Mapping[str, Any] | None) -> bool:
    """A full LabelSelector: matchLabels plus matchExpressions (In, NotIn, Exists, DoesNotExist)."""
    if not selector:
        return True
    if not matches_labels(labels, selector.get("matchLabels") or {}):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def get_condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    """The condition of type ``ctype`` in ``obj.status.conditions`` (the one condition helper)."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def merge_conditions(current: list[dict[str, Any]], updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conditions merged by ``type``: an update replaces the same type, new types are appended."""
    by_type = {c.get("type"): dict(c) for c in current}
    order = [c.get("type") for c in current]
    for u in updates:
        t = u.get("type")
        if t not in by_type:
            order.append(t)
        by_type[t] = dict(u)
    return [by_type[t] for t in order]


def set_condition(obj: dict[str, Any], ctype: str, status: str, reason: str, message: str, now: str) -> bool:
    """Set a condition; ``lastTransitionTime`` changes only when the status does. Returns changed."""
    st = obj.setdefault("status", {})
    conds = st.setdefault("conditions", [])
    for c in conds:
        if c.get("type") == ctype:
            changed = (c.get("status"), c.get("reason"), c.get("message")) != (status, reason, message)
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c.update(status=status, reason=reason, message=message)
            return changed
    conds.append({"type": ctype, "status": status, "reason": reason, "message": message, "lastTransitionTime": now})
    return True
