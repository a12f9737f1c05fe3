"""A watch cache behind the seam (issue 15): list each kind once, then watch it, as client-go's reflector
and informer do (k8s.io/client-go tools/cache/reflector.go ``ListAndWatch``), so a fleet of any size costs
one watch connection per kind rather than one request per question.

``Informer`` keeps one kind: a paginated LIST (its ``resourceVersion`` is where the watch starts), then a
WATCH with ``allowWatchBookmarks`` resumed from the last resourceVersion seen (an event's or a
bookmark's) whenever the connection ends — the server's ``timeoutSeconds``, a dropped connection, a
server restart (retried with a capped backoff). A ``410 Gone`` (the server no longer has that
resourceVersion: reflector.go ``isExpiredError``) is answered by a fresh LIST, compared with what was
kept so that every object added, changed or removed meanwhile is reported once — nothing lost, nothing
reported twice. ``metadata.managedFields`` and the last-applied-configuration annotation are dropped from what is
kept (nothing here reads them; on a real cluster they are a large share of every object), and so are the files' contents of a WorkPlacement whose Destination's
state repo can be read (``trim_payloads``: a trace reads them only when the repo cannot be). Label-selected lists
are answered from indexes (every label pair and namespace → its objects), not by scanning a kind. What is kept
keeps its equal parts once (``model.objects.keep_parts_once``, as the lab's clock does: every Pod of a StatefulSet
has the same containers, every Work of a Promise the same workflow): the lists of a served fleet of 1,000
vClusters (55,000 objects) grew the process by 966 MB decoded separately, by 466 MB shared, and took 25.0 s against
23.2 (bench/bench_live_fleet.py, session 13; sharing costs about one more decoding of each object's CPU).

``CachedSource`` is a ``LiveSource`` whose ``get``/``list`` of the watched kinds are answered from the
informers (label-selected lists through the one matcher, ``model.matches_labels``); other kinds, events,
logs and the state repo go to the API as in direct mode. ``change_token()`` moves only when a watched
object changed, so a poller (``status -w``, the dashboard) recomputes only then.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from kratix_lab.kube.applied import LAST_APPLIED
from kratix_lab.kube.registry import KindInfo
from kratix_lab.live.kube import AccessDenied, ApiStatusError, Kube, LiveError, NotServed, _denied, _message, _typed
from kratix_lab.live.repos import StateRepos
from kratix_lab.live.source import KRATIX, LiveSource
from kratix_lab.model import matches_labels
from kratix_lab.model.objects import keep_parts_once, kept_object

WATCH_SECONDS = 300  # the server closes a watch after this; the informer resumes it from its last resourceVersion
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 5.0  # reflector.go's backoff manager: 800 ms doubling to 30 s; shorter here
# The kinds trace and diagnose read, besides the request kinds of the installed Promises (see ``CachedSource``).
WATCHED = (
    (KRATIX, "Promise"),
    (KRATIX, "Work"),
    (KRATIX, "WorkPlacement"),
    (KRATIX, "Destination"),
    (KRATIX, "GitStateStore"),
    ("argoproj.io", "Application"),
    ("batch", "Job"),
    ("", "Pod"),
    ("", "Service"),  # diagnose host-dns-unresolved: the Services of a vCluster's namespace, per row
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
)

Change = Callable[[str, "dict[str, Any] | None", "dict[str, Any] | None"], None]  # (type, old, new)


class Expired(Exception):
    """410 Gone: the resourceVersion to resume from is older than the server keeps."""


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _trim(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without ``metadata.managedFields`` and the ``kubectl.kubernetes.io/last-applied-configuration``
    annotation (a second copy of the object as last applied: kubectl ``apply.go``; in the served fleet a tenth of a
    StatefulSet's or Service's bytes): nothing here reads either."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    annotations = meta.get("annotations")
    applied = isinstance(annotations, dict) and LAST_APPLIED in annotations
    if "managedFields" in meta or applied:
        meta = {k: v for k, v in meta.items() if k != "managedFields"}
        if applied:
            meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}  # type: ignore[union-attr]
        obj = {**obj, "metadata": meta}
    return obj


def trim_payloads(obj: dict[str, Any]) -> dict[str, Any]:
    """A WorkPlacement without its files' contents (``spec.workloads[].content``, gzip+base64: kratix
    ``api/v1alpha1/work_types.go`` Workload): the paths stay. The contents are read only when the state repo
    cannot be (``trace.gitops``, "read from the WorkPlacement's spec.workloads instead"); on a fleet they are
    most of a WorkPlacement's bytes."""
    spec = obj.get("spec")
    workloads = spec.get("workloads") if isinstance(spec, dict) else None
    if not isinstance(workloads, list) or not any(isinstance(w, dict) and "content" in w for w in workloads):
        return obj
    kept = [{k: v for k, v in w.items() if k != "content"} if isinstance(w, dict) else w for w in workloads]
    return {**obj, "spec": {**spec, "workloads": kept}}  # type: ignore[dict-item]


class Informer:
    """One kind's objects, kept up to date from a LIST and a resumed WATCH (see the module docstring)."""

    def __init__(
        self,
        kube: Kube,
        kind: KindInfo,
        on_change: Change | None = None,
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.kube, self.kind, self.on_change = kube, kind, on_change
        self.transform = transform  # applied to every object kept, after managedFields is dropped
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        # indexes for the label-selected lists trace and diagnose ask (kratix.io/promise-name, resource-name,
        # work, Argo CD's tracking labels…): every label pair and namespace → the keys of the objects holding it,
        # and each key's place in the order the objects came (a list answers in that order, as before)
        self._by_label: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._by_ns: dict[str, set[tuple[str, str]]] = {}
        self._order: dict[tuple[str, str], int] = {}
        self._next = 0
        self.rv = ""
        self.synced = threading.Event()
        self.error: Exception | None = None  # the last error that stopped a list or watch (retried)
        self.lists = 0  # full LISTs made: 1, plus one per 410
        self.watches = 0  # WATCH connections opened
        self.progress = time.monotonic()  # when the informer started, or its list last got a page
        self.events = 0  # changes applied (ADDED/MODIFIED/DELETED, and the ones a relist found)
        self._stop = threading.Event()
        self._resp: Any = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"informer-{kind.plural}", daemon=True)

    # ---- the loop ----------------------------------------------------------------------------

    def start(self) -> Informer:
        self.progress = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        resp = self._resp
        if resp is not None:  # wake a blocked read
            with contextlib.suppress(Exception):
                resp.shutdown() if hasattr(resp, "shutdown") else resp.close()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        need_list, backoff = True, BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                if need_list:
                    self._relist()
                    need_list = False
                self._watch()
                backoff = BACKOFF_FIRST  # a watch that ran and ended (timeout, bookmark) is no failure
            except Expired:
                need_list = True
            except AccessDenied as e:  # may not list/watch this kind: say so and stop (no retry storm)
                self.error = e
                self.synced.set()
                return
            except (LiveError, ApiStatusError, OSError, ValueError) as e:
                if self._stop.is_set():
                    return
                self.error = e
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            except Exception as e:  # a dropped stream surfaces as urllib3/http.client errors
                if self._stop.is_set():
                    return
                self.error = e
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _relist(self) -> None:
        """A full LIST; after a 410, every difference with what was kept is reported as an event."""
        fresh: dict[tuple[str, str], dict[str, Any]] = {}
        token: str | None = None
        rv = ""
        while True:
            query = {"limit": 500, "continue": token}
            status, body = self.kube.request("GET", self.kube.path(self.kind, None), query)
            if status == 403:
                raise _denied("list", self.kind, None, AccessDenied(_message(body)))
            if status == 410:  # a continue token expired mid-list: start the list again
                fresh, token, rv = {}, None, ""
                continue
            if not 200 <= status < 300:
                raise ApiStatusError(f"LIST {self.kind.plural}: {status} {_message(body)}".rstrip(), status)
            doc = json.loads(body)
            for item in doc.get("items") or []:
                obj = self._keep(item)
                fresh[_key(obj)] = obj
            rv = (doc.get("metadata") or {}).get("resourceVersion") or rv
            token = (doc.get("metadata") or {}).get("continue") or None
            self.progress = time.monotonic()
            if not token:
                break
        with self._lock:
            old, self.objects, self.rv = self.objects, {}, rv
            self._by_label, self._by_ns, self._order = {}, {}, {}
            for key, obj in fresh.items():
                self._put(key, obj)
            self.lists += 1
        if self.synced.is_set():  # a relist after 410: report what changed meanwhile, once each
            for key, obj in fresh.items():
                before = old.get(key)
                if before is None:
                    self._changed("ADDED", None, obj)
                elif _rv(before) != _rv(obj):
                    self._changed("MODIFIED", before, obj)
            for key, before in old.items():
                if key not in fresh:
                    self._changed("DELETED", before, None)
        self.error = None
        self.synced.set()

    def _watch(self) -> None:
        query = {
            "watch": "1",
            "resourceVersion": self.rv,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_SECONDS),
        }
        try:
            resp = self.kube.open_stream(self.kube.path(self.kind, None), query, read_timeout=WATCH_SECONDS + 30)
        except ApiStatusError as e:
            if e.status == 410:
                raise Expired(str(e)) from None
            raise
        self._resp = resp
        self.watches += 1
        try:
            for line in _lines(resp):
                if self._stop.is_set():
                    return
                if not line.strip():
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise Expired(obj.get("message", "410 Gone"))
                    raise ApiStatusError(f"WATCH {self.kind.plural}: {obj.get('message', obj)}", obj.get("code", 500))
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if kind == "BOOKMARK":
                    if rv:
                        self.rv = rv
                    continue
                obj = self._keep(obj)
                key = _key(obj)
                with self._lock:
                    before = self.objects.get(key)
                    if kind == "DELETED":
                        self._drop(key)
                    else:
                        self._put(key, obj)
                    if rv:
                        self.rv = rv
                if kind == "DELETED":
                    self._changed("DELETED", before, None)
                elif before is None or _rv(before) != _rv(obj):
                    self._changed("ADDED" if before is None else "MODIFIED", before, obj)
        finally:
            self._resp = None
            resp.release_conn()

    def _keep(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = _trim(_typed(self.kind, obj))
        # its equal parts shared with everything kept before, once the process keeps parts once (CachedSource)
        kept: dict[str, Any] = kept_object(self.transform(obj) if self.transform is not None else obj)
        return kept

    def _changed(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        self.events += 1
        if self.on_change is not None:
            self.on_change(kind, old, new)

    # ---- reading -----------------------------------------------------------------------------

    def get(self, name: str, namespace: str | None) -> dict[str, Any] | None:
        with self._lock:
            return self.objects.get((namespace or "", name))

    def list(self, namespace: str | None, labels: dict[str, str] | None) -> builtins.list[dict[str, Any]]:
        """The objects in ``namespace`` (None: all) whose labels match ``labels``, in the order they came: the
        smallest index set among the selector's label pairs and the namespace is filtered through the one matcher."""
        with self._lock:
            if not labels and namespace is None:
                return list(self.objects.values())
            sets: builtins.list[set[tuple[str, str]]] = [
                self._by_label.get(pair, set()) for pair in (labels or {}).items()
            ]
            if namespace is not None:
                sets.append(self._by_ns.get(namespace, set()))
            smallest = sets[0]
            for candidate in sets[1:]:
                if len(candidate) < len(smallest):
                    smallest = candidate
            keys = sorted(smallest, key=self._order.__getitem__)
            objs = [self.objects[k] for k in keys]
        return [
            o
            for o in objs
            if (namespace is None or (o.get("metadata") or {}).get("namespace") == namespace)
            and (not labels or matches_labels((o.get("metadata") or {}).get("labels") or {}, labels))
        ]

    def _put(self, key: tuple[str, str], obj: dict[str, Any]) -> None:
        """Keep ``obj`` under ``key`` and index it (the caller holds the lock)."""
        before = self.objects.get(key)
        if before is not None:
            self._unindex(key, before)
        else:
            self._order[key] = self._next
            self._next += 1
        self.objects[key] = obj
        self._by_ns.setdefault(key[0], set()).add(key)
        for pair in _labels(obj).items():
            self._by_label.setdefault(pair, set()).add(key)

    def _drop(self, key: tuple[str, str]) -> None:
        before = self.objects.pop(key, None)
        if before is not None:
            self._unindex(key, before)
            del self._order[key]

    def _unindex(self, key: tuple[str, str], obj: dict[str, Any]) -> None:
        ns_keys = self._by_ns.get(key[0])
        if ns_keys is not None:
            ns_keys.discard(key)
            if not ns_keys:
                del self._by_ns[key[0]]
        for pair in _labels(obj).items():
            keys = self._by_label.get(pair)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_label[pair]


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _rv(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _lines(resp: Any) -> Iterator[str]:
    from kubernetes.watch.watch import iter_resp_lines

    yield from iter_resp_lines(resp)


class CachedSource(LiveSource):
    """A ``LiveSource`` answering the watched kinds from informers (see the module docstring).

    ``start()`` lists every watched kind the cluster serves (the ``WATCHED`` kinds and the request kind of
    every installed Promise) and starts its watch; a Promise installed later gets its informer at the next
    ``start()`` (``refresh_kinds``). Objects are shared and read-only, as the lab's are."""

    def __init__(self, kube: Kube, repos: StateRepos | None = None, *, read_only: bool = True) -> None:
        super().__init__(kube, repos, read_only=read_only)
        keep_parts_once()  # a process holding a whole fleet: what the informers keep shares its equal parts
        # one connection per watch plus the direct reads: urllib3 keeps 10 per host by default
        pool = getattr(getattr(kube.api, "rest_client", None), "pool_manager", None)
        if pool is not None and hasattr(pool, "connection_pool_kw"):
            pool.connection_pool_kw["maxsize"] = max(pool.connection_pool_kw.get("maxsize") or 0, 4 + 2 * len(WATCHED))
            pool.clear()
        self.informers: dict[tuple[str, str], Informer] = {}
        self._token = 0
        self._token_lock = threading.Lock()
        self._woken = threading.Event()  # set at every change (``wait_change``)
        self.listeners: builtins.list[Change] = []
        self.trimmed_destinations: frozenset[str] = frozenset()  # WorkPlacements to these are kept without payloads
        self._logs: dict[tuple[str, str, str, int | None, str | None], str] = {}  # the logs of pods that ended
        self._logs_lock = threading.Lock()

    def start(self, timeout: float = 60.0) -> CachedSource:
        """Start an informer per watched kind the cluster serves and wait for their first lists."""
        if not self.informers:
            self.trimmed_destinations = self._readable_destinations()
        self.refresh_kinds()
        for inf in self.informers.values():
            # a big fleet's lists take a while (and a server may answer them one after another): give up only when
            # no list got a page for ``timeout`` seconds
            while not inf.synced.wait(1.0):
                if time.monotonic() - max(i.progress for i in self.informers.values()) > timeout:
                    raise LiveError(
                        f"the watch cache did not fill: {inf.kind.plural}: no answer within {timeout:g}s"
                        + (f" ({inf.error})" if inf.error else "")
                    )
        return self

    def refresh_kinds(self) -> None:
        wanted = list(WATCHED) + [(p.crd.group, p.crd.kind) for p in super().promises() if p.crd is not None]
        reg = self.kinds()
        for group, kind in wanted:
            k = reg.get(group, kind)
            if k is None or (group, kind) in self.informers:
                continue
            transform = self._trim_placement if (group, kind) == (KRATIX, "WorkPlacement") else None
            self.informers[(group, kind)] = Informer(self.kube, k, self._on_change, transform).start()

    def _readable_destinations(self) -> frozenset[str]:
        """The Destinations whose files a trace reads from the state repo, never from their WorkPlacements: the
        ones whose ``stateStoreRef`` names a GitStateStore whose repo can be read now (``trace.base.state_store_url``
        finds the store by that name). Read directly, once, before the informers start."""
        try:
            stores = {
                s["metadata"]["name"]: (s.get("spec") or {}).get("url")
                for s in LiveSource.list(self, "GitStateStore", group=KRATIX)
            }
            dests = LiveSource.list(self, "Destination", group=KRATIX)
        except (LiveError, ApiStatusError, AccessDenied, NotServed):  # not readable, not served: keep every payload
            return frozenset()
        readable = {url for url in set(stores.values()) if url and self.state_repo_error(url) is None}
        return frozenset(
            d["metadata"]["name"]
            for d in dests
            if stores.get(((d.get("spec") or {}).get("stateStoreRef") or {}).get("name", "")) in readable
        )

    def _trim_placement(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A WorkPlacement to a Destination whose files are read from the state repo is kept without its files'
        contents (``trim_payloads``); one to any other Destination keeps them (a trace reads them there)."""
        if (obj.get("spec") or {}).get("targetDestinationName") in self.trimmed_destinations:
            return trim_payloads(obj)
        return obj

    def stop(self) -> None:
        for inf in self.informers.values():
            inf.stop()

    def __enter__(self) -> CachedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_change(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        with self._token_lock:
            self._token += 1
        self._woken.set()
        if (new or old or {}).get("kind") == "Promise":
            self._promises = None
        self._forget_logs(kind, old, new)
        for listener in list(self.listeners):
            listener(kind, old, new)

    def _informer(self, kind: str, group: str | None) -> Informer | None:
        if group is not None:
            inf = self.informers.get((group, kind))
        else:
            inf = next((i for (g, k), i in self.informers.items() if k == kind), None)
        if inf is None or not inf.synced.is_set() or isinstance(inf.error, AccessDenied):
            return None  # not watched (or not allowed): ask the API, which says why
        return inf

    # ---- the Source protocol over the cache --------------------------------------------------------

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        inf = self._informer(kind, group)
        if inf is None:
            return super().get(kind, name, namespace, group)
        if not name or inf.kind.namespaced != bool(namespace):
            return None
        return inf.get(name, namespace)

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        inf = self._informer(kind, group)
        if inf is None:
            return super().list(kind, namespace, labels, group)
        if not inf.kind.namespaced and namespace:
            return []
        return inf.list(namespace, labels)

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        """A pod's log; kept once the pod has ended (phase ``Succeeded``/``Failed``: no container runs again, so its
        log is final — a pipeline's pods, read by every trace of its request) for as long as the watch cache holds
        that pod (same uid). A running pod's log is read from the API every time."""
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        cached = self.get("Pod", name, ns or None, "") if self._informer("Pod", "") is not None else None
        phase = ((cached or {}).get("status") or {}).get("phase")
        uid = (cached or {}).get("metadata", {}).get("uid")
        if phase not in ("Succeeded", "Failed") or not uid or uid != meta.get("uid", uid):
            return super().logs(pod, tail, container)
        key = (ns, name, str(uid), tail, container)
        with self._logs_lock:
            text = self._logs.get(key)
        if text is None:
            text = super().logs(pod, tail, container)
            with self._logs_lock:
                self._logs[key] = text
        return text

    def _forget_logs(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if kind == "DELETED" and old is not None and old.get("kind") == "Pod" and self._logs:
            meta = old.get("metadata") or {}
            gone = (meta.get("namespace") or "", meta.get("name") or "")
            with self._logs_lock:
                for key in [k for k in self._logs if k[:2] == gone]:
                    del self._logs[key]

    def promises(self) -> builtins.list[Any]:
        inf = self._informer("Promise", KRATIX)
        if inf is None:
            return super().promises()
        from kratix_lab.promise import Promise

        if self._promises is None:
            objs = sorted(inf.list(None, None), key=lambda o: o["metadata"]["name"])
            self._promises = (
                time.monotonic(),
                [Promise.from_dict(o, f"Promise/{o['metadata']['name']}") for o in objs],
            )
        return list(self._promises[1])

    def wait_change(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a watched object to change (True when one did): a poller of
        ``change_token()`` (``status -w``) wakes at the change instead of at its next tick. The token stays the
        truth: a change that lands between two waits has moved it."""
        fired = self._woken.wait(timeout)
        self._woken.clear()
        return fired

    def change_token(self) -> int:
        """Moves only when a watched object changed (direct mode's moves at every call)."""
        with self._token_lock:
            return self._token

    def watch_connections(self) -> int:
        return sum(1 for i in self.informers.values() if i._resp is not None)


__all__ = ["LAST_APPLIED", "WATCHED", "CachedSource", "Expired", "Informer", "trim_payloads"]
