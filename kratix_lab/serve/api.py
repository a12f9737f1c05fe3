"""The resource verbs over a lab: get, list, watch, create, update, patch, delete, status, logs, events.

Writes go through the lab's admission (``Lab.admit``: the CRD schema engine, with the API server's words,
the same ones ``kratix-lab validate`` prints) straight into the store, never through git; the lab's
controllers see them on their next round, like a real API server's watchers.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

from kratix_lab.errors import Conflict as StoreConflict
from kratix_lab.errors import NotFound as StoreNotFound
from kratix_lab.kube.registry import KindInfo, KindRegistry, promise_crds
from kratix_lab.model import YamlError, load_one
from kratix_lab.model.objects import clone
from kratix_lab.platform.kratix import KRATIX_GROUP
from kratix_lab.platform.lab import AdmissionError, Lab, Undecodable
from kratix_lab.serve import fields
from kratix_lab.serve import patch as patches
from kratix_lab.serve.selectors import field_selector, label_selector, matches
from kratix_lab.serve.status import ApiError, bad_request, not_found
from kratix_lab.serve.watch import WatchHub, parse_bool

_CAUSE_REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
}


Items = list[dict[str, Any]]
PAGES, PAGE_SECONDS = 64, 300.0  # paginated lists kept for their next page: how many, and for how long


def _limit(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        raise bad_request(f"invalid limit {text!r}") from None


class LabApi:
    """One lab behind one lock (the store's SQLite connection is shared by the server's threads)."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.lock = threading.RLock()
        self._registry: tuple[Any, KindRegistry] | None = None
        self.hub = WatchHub(lab.store, self.lock)
        self._json: dict[tuple[str, str, str, str], tuple[str, bytes]] = {}  # see encoded
        # paginated lists being read: token key -> (when last read, resourceVersion, every item); see list
        self._pages: dict[str, tuple[float, str, Items]] = {}
        self._pages_lock = threading.Lock()
        self._page_seq = 0

    def encoded(self, obj: dict[str, Any]) -> bytes:
        """An object as compact JSON, encoded once per resourceVersion: a list of every Pod of a 100-vCluster
        lab is 4 MB, and ``json.dumps`` of it all took 70-90 ms of the 100 ms budget at every list."""
        meta = obj.get("metadata") or {}
        key = (obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))
        rv = meta.get("resourceVersion", "")
        hit = self._json.get(key)
        if hit is not None and hit[0] == rv and rv:
            return hit[1]
        text = json.dumps(obj, separators=(",", ":")).encode()
        if rv:
            if len(self._json) > 200_000:
                self._json.clear()
            self._json[key] = (rv, text)
        return text

    # ---- kinds --------------------------------------------------------------------------

    def registry(self) -> KindRegistry:
        with self.lock:
            key = tuple(self.lab.store.versions("Promise", KRATIX_GROUP))
            if self._registry is None or self._registry[0] != key:
                reg = KindRegistry.from_crds(promise_crds(p.doc for p in self.lab.promises()))
                self._registry = (key, reg)
            return self._registry[1]

    def kind(self, group: str, version: str, plural: str) -> KindInfo:
        for k in self.registry().for_api(group, version):
            if k.plural == plural:
                return k
        gv = f"{group}/{version}" if group else version
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({plural} in {gv})")

    # ---- reads --------------------------------------------------------------------------

    def rv(self) -> str:
        return str(self.lab.store.version()[0])

    def get(self, k: KindInfo, ns: str | None, name: str) -> dict[str, Any]:
        with self.lock:
            obj = self.lab.store.get(k.kind, name, ns if k.namespaced else None, k.group, readonly=True)
        if obj is None:
            raise not_found(k.plural, name, k.group)
        return _typed(k, obj)

    def list(self, k: KindInfo, ns: str | None, params: dict[str, str]) -> tuple[list[dict[str, Any]], str, str | None]:
        """(items, resourceVersion, continue token).

        A paginated list is served from one snapshot, as the API server serves every page at the first page's
        resourceVersion (``k8s.io/apiserver/pkg/storage/etcd3/store.go`` ``GetList``: the continue token carries it):
        the items are kept under the token, so the pages of a 4,500-Pod list read the store once, not once per
        page. A token whose snapshot is gone (``PAGES`` newer lists, or ``PAGE_SECONDS``) is
        ``410 Gone`` with reason ``Expired``, as an API server answers a compacted one; the client lists again."""
        labels = label_selector(params.get("labelSelector"))
        fields = field_selector(params.get("fieldSelector"))
        limit = _limit(params.get("limit"))
        token = params.get("continue")
        if token:
            return self._next_page(token, limit)
        with self.lock:
            self.hub.poll()
            rv = self.rv()
            if k.group == "" and k.kind == "Event":
                items = self._events(ns)
            else:
                items = [
                    _typed(k, o)
                    for o in self.lab.store.list(k.kind, ns if k.namespaced else None, None, k.group, readonly=True)
                ]
        items = [o for o in items if matches(o, labels, fields)]
        return self._page(items, rv, limit)

    def _page(self, items: Items, rv: str, limit: int, key: str = "", start: int = 0) -> tuple[Items, str, str | None]:
        """Items ``start``… of a snapshot, at most ``limit``; the continue token names the snapshot (kept under
        ``key``, a new one for a first page) and where the next page starts, and may be used again."""
        end = len(items) if limit <= 0 else start + limit
        if end >= len(items):
            return items[start:], rv, None
        with self._pages_lock:
            if not key:
                self._page_seq += 1
                key = str(self._page_seq)
            self._pages.pop(key, None)
            self._pages[key] = (time.monotonic(), rv, items)  # the newest last: the oldest is forgotten first
            while len(self._pages) > PAGES:
                del self._pages[next(iter(self._pages))]
        return items[start:end], rv, base64.urlsafe_b64encode(f"{key}:{end}:{rv}".encode()).decode()

    def _next_page(self, token: str, limit: int) -> tuple[Items, str, str | None]:
        try:
            key, start_text, rv = base64.urlsafe_b64decode(token.encode()).decode().split(":")
            start = int(start_text)
        except (ValueError, UnicodeDecodeError):
            raise bad_request(f"invalid continue token {token!r}") from None
        if not key.isdigit() or start < 0 or not rv:
            raise bad_request(f"invalid continue token {token!r}")
        with self._pages_lock:
            kept = self._pages.get(key)
        if kept is None or time.monotonic() - kept[0] > PAGE_SECONDS or kept[1] != rv:
            raise ApiError(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new "
                "list without the continue parameter.",
            )
        return self._page(kept[2], kept[1], limit, key, start)

    def _events(self, ns: str | None) -> list[dict[str, Any]]:
        """core/v1 Events from the store's event table (with the involved object's uid, which
        ``kubectl describe`` selects on: ``kubectl:pkg/describe/describe.go``, ``searchEvents``)."""
        from kratix_lab.platform.store import rfc3339

        sql = "SELECT seq, ts, last_ts, kind, namespace, name, uid, type, reason, message, source, count FROM events"
        args: list[Any] = []
        if ns is not None:
            sql += " WHERE namespace = ?"
            args.append(ns)
        out = []
        rv = self.rv()
        for (
            seq,
            ts,
            last,
            kind,
            obj_ns,
            name,
            uid,
            type_,
            reason,
            message,
            source,
            count,
        ) in self.lab.store._conn.execute(sql + " ORDER BY seq", args):
            involved = {"kind": kind, "name": name}
            if obj_ns:
                involved["namespace"] = obj_ns
            if uid:
                involved["uid"] = uid
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {
                        "name": f"{name}.{seq:016x}",
                        "namespace": obj_ns or "default",
                        "resourceVersion": rv,
                        "creationTimestamp": rfc3339(ts),
                    },
                    "involvedObject": involved,
                    "reason": reason,
                    "message": message,
                    "type": type_,
                    "count": count,
                    "firstTimestamp": rfc3339(ts),
                    "lastTimestamp": rfc3339(last),
                    "source": {"component": source},
                    "reportingComponent": source,
                }
            )
        return out

    # ---- writes -------------------------------------------------------------------------

    def _admit(self, k: KindInfo, obj: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        """The lab's admission; returns the object to store and warnings (pruned unknown fields)."""
        warnings: list[str] = []
        crd = self.lab.crd_for(obj)
        if crd is not None:
            name = (obj.get("metadata") or {}).get("name", "")
            ns = obj["metadata"].get("namespace") if k.namespaced else None
            stored = self.lab.store.get(k.kind, name, ns or None, k.group, readonly=True)
            admission = crd.admit(clone(obj), old=stored)  # the stored object on an update: CEL oldSelf
            if not admission.ok:
                causes = [
                    {
                        "reason": _CAUSE_REASONS.get(e.type, "FieldValueInvalid"),
                        "message": str(e)[len(e.path) + 2 :] if e.path else str(e),
                        "field": e.path,
                    }
                    for e in admission.errors
                ]
                raise ApiError(
                    422,
                    "Invalid",
                    admission.message,
                    details={"name": name, "group": k.group, "kind": k.kind, "causes": causes},
                )
            warnings = admission.warnings
            mode = params.get("fieldValidation", "")
            if warnings and mode == "Strict":
                raise bad_request("strict decoding error: " + ", ".join(warnings))
            if mode == "Ignore":
                warnings = []
        try:
            admitted = self.lab.admit(obj)
        except Undecodable as e:
            raise bad_request(str(e)) from None
        except AdmissionError as e:
            msg = str(e)
            if msg.startswith('namespaces "') and msg.endswith("not found"):
                raise ApiError(
                    404, "NotFound", msg, details={"name": msg.split('"')[1], "kind": "namespaces"}
                ) from None
            raise ApiError(422, "Invalid", msg, details={"kind": k.kind, "group": k.group}) from None
        return admitted, warnings

    def _shape(self, k: KindInfo, obj: Any, ns: str | None, name: str | None = None) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise bad_request(f"the body must be a {k.kind} object, got {type(obj).__name__}")
        obj.setdefault("apiVersion", k.api_version)
        obj.setdefault("kind", k.kind)
        if obj.get("kind") != k.kind:
            raise bad_request(f"the body is a {obj.get('kind')}, but the URL is for {k.plural}")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if k.namespaced and ns:
            if meta.get("namespace") not in (None, "", ns):
                raise bad_request(
                    f"the namespace of the provided object ({meta['namespace']}) does not match the namespace "
                    f"sent on the request ({ns})"
                )
            meta["namespace"] = ns
        if name is not None and meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        if name is not None:
            meta["name"] = name
        return obj

    def create(
        self,
        k: KindInfo,
        ns: str | None,
        body: Any,
        params: dict[str, str],
        manager: str = "unknown",
        *,
        applied: bool = False,
    ) -> tuple[dict[str, Any], list[str]]:
        """``applied``: the body is a server-side apply's result and already carries its managedFields."""
        obj = self._shape(k, body, ns)
        with self.lock:
            admitted, warnings = self._admit(k, obj, params)
            if not applied:
                admitted["metadata"].pop("managedFields", None)
                fields.record_update(None, admitted, manager, k.api_version, self.lab.store.now())
            name = admitted["metadata"]["name"]
            if self.lab.store.get(k.kind, name, ns if k.namespaced else None, k.group, readonly=True) is not None:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{k.resource} "{name}" already exists',
                    details={"name": name, "group": k.group, "kind": k.plural},
                )
            if _dry(params):
                return admitted, warnings
            try:
                return _typed(k, self.lab.store.create(admitted)), warnings
            except StoreConflict as e:
                raise ApiError(409, "AlreadyExists", str(e)) from None

    def update(
        self,
        k: KindInfo,
        ns: str | None,
        name: str,
        body: Any,
        params: dict[str, str],
        manager: str = "unknown",
        *,
        status: bool = False,
        applied: bool = False,
    ) -> tuple[dict[str, Any], list[str]]:
        """``applied``: the body is a server-side apply's result and already carries its managedFields."""
        obj = self._shape(k, body, ns, name)
        with self.lock:
            live = self.get(k, ns, name)
            want_rv = obj["metadata"].get("resourceVersion")
            if want_rv not in (None, "", live["metadata"]["resourceVersion"]):
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {k.resource} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    details={"name": name, "group": k.group, "kind": k.plural},
                )
            if status:
                new = clone(live)
                new["status"] = obj.get("status", {})
                if applied:
                    new["metadata"]["managedFields"] = obj["metadata"].get("managedFields", [])
                else:
                    fields.record_update(live, new, manager, k.api_version, self.lab.store.now(), "status")
                if _dry(params):
                    return new, []
                return _typed(k, self.lab.store.update_status(new)), []
            admitted, warnings = self._admit(k, obj, params)
            if applied:
                admitted["metadata"]["managedFields"] = obj["metadata"].get("managedFields", [])
            else:
                admitted["metadata"]["managedFields"] = live["metadata"].get("managedFields", [])
                fields.record_update(live, admitted, manager, k.api_version, self.lab.store.now())
            if _dry(params):
                preview = clone(admitted)
                for f in ("uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion"):
                    if f in live["metadata"]:
                        preview["metadata"][f] = live["metadata"][f]
                if "status" in live:
                    preview["status"] = clone(live["status"])
                return _typed(k, preview), warnings
            try:
                return _typed(k, self.lab.store.update(admitted)), warnings
            except StoreConflict as e:
                raise ApiError(409, "Conflict", str(e)) from None
            except StoreNotFound:
                raise not_found(k.plural, name, k.group) from None

    def patch(
        self,
        k: KindInfo,
        ns: str | None,
        name: str,
        ctype: str,
        raw: bytes,
        params: dict[str, str],
        manager: str = "unknown",
        *,
        status: bool = False,
    ) -> tuple[dict[str, Any], list[str], bool]:
        """Returns (object, warnings, created)."""
        # custom resources have no patch strategies (apiextensions-apiserver customresource_handler.go)
        accepted = PATCH_TYPES if native(k) else tuple(t for t in PATCH_TYPES if "strategic" not in t)
        if ctype not in accepted:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}",
            )
        apply = ctype == "application/apply-patch+yaml"
        force = _force(params, apply)
        body = parse_body(raw)
        if apply and not isinstance(body, dict):
            raise bad_request("an apply patch must be an object")
        sub = "status" if status else ""
        with self.lock:
            now = self.lab.store.now()
            try:
                live = self.get(k, ns, name)
            except ApiError:
                if not apply:
                    raise
                shaped = self._shape(k, clone(body), ns, name)
                created = fields.apply({}, shaped, manager, k.api_version, now, force=force, subresource=sub)
                obj, warnings = self.create(k, ns, created, params, manager, applied=True)
                return obj, warnings, True
            base = clone(live)
            if ctype == "application/merge-patch+json":
                new = patches.merge_patch(base, body)
            elif ctype == "application/json-patch+json":
                new = patches.json_patch(base, body)
            elif ctype == "application/strategic-merge-patch+json":
                new = patches.strategic_merge(base, body)
            else:
                new = fields.apply(base, body, manager, k.api_version, now, force=force, subresource=sub)
                new["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            if not isinstance(new, dict):
                raise bad_request("the patched object is not an object")
            obj, warnings = self.update(k, ns, name, new, params, manager, status=status, applied=apply)
            return obj, warnings, False

    def delete(
        self, k: KindInfo, ns: str | None, name: str, params: dict[str, str], body: Any
    ) -> dict[str, Any] | None:
        """The object still terminating (finalizers), or None when it is gone."""
        policy = (body or {}).get("propagationPolicy") if isinstance(body, dict) else None
        policy = params.get("propagationPolicy", policy)
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise bad_request(f"propagationPolicy {policy!r} is not one of Background, Foreground, Orphan")
        with self.lock:
            live = self.get(k, ns, name)
            if _dry(params):
                return live
            left = self.lab.store.delete(
                k.kind, name, ns if k.namespaced else None, k.group, propagation=policy or "Background"
            )
        return None if left is None else _typed(k, left)

    def logs(self, ns: str, pod: str, params: dict[str, str]) -> str:
        with self.lock:
            obj = self.lab.store.get("Pod", pod, ns, "", readonly=True)
            if obj is None:
                raise not_found("pods", pod)
            container = params.get("container") or None
            if container:
                names = {c.get("name") for c in (obj.get("spec") or {}).get("containers") or []}
                names |= {c.get("name") for c in (obj.get("spec") or {}).get("initContainers") or []}
                if container not in names:
                    raise bad_request(f"container {container} is not valid for pod {pod}")
            text = self.lab.store.logs(ns, pod, container)
        tail = params.get("tailLines")
        if tail:
            try:
                n = int(tail)
            except ValueError:
                raise bad_request(f"tailLines must be an integer, got {tail!r}") from None
            text = "".join(line + "\n" for line in text.splitlines()[-n:]) if n > 0 else ""
        return text


PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)


def native(k: KindInfo) -> bool:
    """A kind of Kubernetes itself (its groups have no dot or end in ``.k8s.io``), not a custom resource."""
    return "." not in k.group or k.group.endswith(".k8s.io")


def _force(params: dict[str, str], apply: bool) -> bool:
    try:
        force = parse_bool(params.get("force"))
    except ValueError as e:
        raise bad_request(f"force: {e}") from None
    if force and not apply:
        raise bad_request("force: Forbidden: may not be specified for non-apply patch")
    return force


def _dry(params: dict[str, str]) -> bool:
    value = params.get("dryRun")
    if value not in (None, "", "All"):
        raise bad_request(f"dryRun must be All, got {value!r}")
    return value == "All"


def _typed(k: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
    if "apiVersion" in obj and "kind" in obj:
        return obj
    return {"apiVersion": k.api_version, "kind": k.kind, **obj}


def parse_body(raw: bytes) -> Any:
    """A request body through the project's one loader (JSON is YAML); a malformed body is a 400."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the request body is not UTF-8 text (protobuf bodies are not modelled)") from None
    if not text.strip():
        raise bad_request("the request body is empty")
    try:
        return load_one(text, "<request body>")
    except (YamlError, ValueError) as e:
        raise bad_request(f"the request body is not valid JSON or YAML: {e}") from None
