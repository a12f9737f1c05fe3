"""One Kubernetes API client for live mode: config, raw JSON requests, discovery, rate limit, timeouts.

Built on the official client (``kubernetes`` 35.x): ``new_client_from_config`` / ``load_incluster_config``
for the kubeconfig (exec plugins and token refresh work as in kubectl), ``ApiClient.call_api`` with
``_preload_content=False`` for every request (raw JSON, no typed models: any kind, and fast). What the
Python client does not do, done here:

- a client-side rate limiter like client-go's (``rest/config.go`` QPS/Burst; k9s' defaults 50/100,
  ``derailed/k9s internal/client/config.go``), and ``429 Too Many Requests`` honoured with its
  ``Retry-After`` (API Priority and Fairness), within the request's deadline;
- one timeout per request (connect, read) and no urllib3 retries, so an unreachable or hanging server
  fails once, within the timeout, with a one-line error naming the cause;
- aggregated discovery (``/api`` and ``/apis`` with ``Accept: …as=APIGroupDiscoveryList``: two requests,
  ``client-go discovery/discovery_client.go``), falling back to the legacy documents;
- pagination (``limit``/``continue``).

Errors are ``kratix_lab.errors`` classes: ``Unavailable`` (cannot reach or read the API, bad kubeconfig,
rejected credentials), ``AccessDenied`` (403), ``NotServed`` (the kind is not served).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kratix_lab.errors import Forbidden, Unavailable, UnknownKind
from kratix_lab.kube.registry import BUILTIN_KINDS, KindInfo, KindRegistry, kind_from_crd
from kratix_lab.kube.times import EPOCH

DEFAULT_QPS, DEFAULT_BURST = 50.0, 100
DEFAULT_TIMEOUT = 30.0
PAGE = 500
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


class LiveError(Unavailable):
    """The cluster cannot be used (config, connection, credentials, timeout); the message says why."""


class AccessDenied(Forbidden):
    """403: the identity may not do ``verb`` on ``resource`` (the message names the rule to grant)."""

    def __init__(self, message: str, verb: str = "", resource: str = "", namespace: str | None = None):
        super().__init__(message)
        self.verb, self.resource, self.namespace = verb, resource, namespace


class NotServed(UnknownKind):
    """The cluster does not serve this kind (no CRD, or not this group)."""


class ApiStatusError(Unavailable):
    """Any other non-2xx answer; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class TokenBucket:
    """client-go's ``flowcontrol.NewTokenBucketRateLimiter(qps, burst)``: ``acquire`` waits for a token."""

    def __init__(
        self, qps: float = DEFAULT_QPS, burst: int = DEFAULT_BURST, clock: Callable[[], float] = time.monotonic
    ):
        if qps <= 0 or burst < 1:
            raise ValueError(f"rate limit: qps must be > 0 and burst >= 1 (got {qps}, {burst})")
        self.qps, self.burst, self.clock = qps, burst, clock
        self.tokens = float(burst)
        self.last = clock()
        self.lock = threading.Lock()
        self.waited = 0.0

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> float:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.qps)
            self.last = now
            self.tokens -= 1
            wait = -self.tokens / self.qps if self.tokens < 0 else 0.0
        if wait > 0:
            self.waited += wait
            sleep(wait)
        return wait


@dataclass(frozen=True)
class Target:
    """Where the client points: the context (or "in-cluster"), the server URL, the kubeconfig read."""

    context: str
    server: str
    kubeconfig: str | None

    def describe(self) -> str:
        return f"context {self.context} ({self.server})"


def load(
    *, kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None, in_cluster: bool = False
) -> tuple[Any, Target]:
    """The ``ApiClient`` and its ``Target`` for a kubeconfig context (the current one when None), or the
    in-cluster config. Raises ``LiveError`` naming the file, the context or the missing piece."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    if in_cluster:
        cfg = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=cfg)
        except ConfigException as e:
            raise LiveError(f"in-cluster config: {e}") from None
        return _client(cfg), Target("in-cluster", cfg.host, None)
    path = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    for p in path.split(os.pathsep):
        if p and not Path(p).expanduser().is_file():
            raise LiveError(f"kubeconfig {p}: no such file (give --kubeconfig FILE, or set KUBECONFIG)")
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except ConfigException as e:
        raise LiveError(f"kubeconfig {path}: {_one_line(e)}") from None
    except Exception as e:  # YAML errors and the like: not a kubeconfig
        raise LiveError(f"kubeconfig {path}: not a valid kubeconfig ({type(e).__name__}: {_one_line(e)})") from None
    names = [c.get("name") for c in contexts or []]
    if context is not None and context not in names:
        raise LiveError(
            f"context {context!r} is not in kubeconfig {path} (contexts: {', '.join(map(str, names)) or 'none'})"
        )
    name = context or (current or {}).get("name")
    if not name:
        raise LiveError(f"kubeconfig {path}: no current context (give --context NAME)")
    cfg = client.Configuration()
    try:
        config.load_kube_config(config_file=path, context=name, client_configuration=cfg, persist_config=False)
    except ConfigException as e:
        raise LiveError(f"kubeconfig {path}, context {name}: {_one_line(e)}") from None
    except Exception as e:
        raise LiveError(f"kubeconfig {path}, context {name}: {type(e).__name__}: {_one_line(e)}") from None
    return _client(cfg), Target(name, cfg.host, path)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _client(cfg: Any) -> Any:
    from kubernetes import client
    from urllib3.util.retry import Retry

    cfg.retries = Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0, raise_on_status=False)
    return client.ApiClient(cfg)


class Kube:
    """Raw JSON requests to one API server, rate-limited, each within ``timeout`` seconds.

    ``requests`` counts every HTTP request sent (retries of a 429 included), ``log`` keeps
    ``(method, path)`` of each: the request-budget tests read them.
    """

    def __init__(
        self,
        api_client: Any,
        target: Target,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        qps: float = DEFAULT_QPS,
        burst: int = DEFAULT_BURST,
        max_retries: int = 5,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"--request-timeout must be a positive number of seconds, got {timeout}")
        self.api = api_client
        self.target = target
        self.timeout = timeout
        self.bucket = TokenBucket(qps, burst)
        self.max_retries = max_retries
        self.requests = 0
        self.log: list[tuple[str, str]] = []
        self.server_time: float | None = None  # the last response's Date header (seconds since the Unix epoch)
        self._registry: KindRegistry | None = None
        self._lock = threading.Lock()

    # ---- requests ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        accept: str = "application/json",
        body: Any = None,
        content_type: str | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of one request; raises ``LiveError`` for transport failures and 401, retries 429
        after its Retry-After while the deadline allows. Other statuses are returned to the caller."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ProtocolError, TimeoutError

        deadline = time.monotonic() + self.timeout
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        for attempt in range(self.max_retries + 1):
            self.bucket.acquire()
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._timed_out()
            with self._lock:
                self.requests += 1
                self.log.append((method, path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")))
            try:
                resp = self.api.call_api(
                    path,
                    method,
                    query_params=params,
                    header_params={"Accept": accept, **({"Content-Type": content_type} if content_type else {})},
                    body=body,
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                    _request_timeout=(min(left, self.timeout), left),
                )[0]
                status, body, headers = resp.status, resp.data, resp.headers
            except ApiException as e:
                status, body, headers = e.status, (e.body or b""), (e.headers or {})
                if isinstance(body, str):
                    body = body.encode()
            except MaxRetryError as e:
                raise self._transport(e.reason or e) from None
            except (TimeoutError, NewConnectionError, ProtocolError, HTTPError, OSError) as e:
                raise self._transport(e) from None
            self._note_date(headers)
            if status == 429 and attempt < self.max_retries:
                wait = _retry_after(headers)
                if time.monotonic() + wait >= deadline:
                    raise LiveError(
                        f"the API server at {self.target.server} is throttling (429 Too Many Requests, "
                        f"Retry-After {wait:g}s) beyond the {self.timeout:g}s timeout"
                    )
                time.sleep(wait)
                continue
            if status == 401:
                raise LiveError(
                    f"the API server at {self.target.server} rejected the credentials of {self.target.describe()} "
                    f"(401 Unauthorized): the token is invalid or expired; log in again"
                )
            return status, body
        raise LiveError(f"the API server at {self.target.server} kept answering 429 Too Many Requests")

    def open_stream(self, path: str, query: dict[str, Any], *, read_timeout: float) -> Any:
        """A ``GET`` whose body is read as it comes (a watch): the open urllib3 response, its status 2xx.
        Raises ``AccessDenied`` (403), ``ApiStatusError`` (other statuses; ``status`` 410 for an expired
        resourceVersion) or ``LiveError`` (transport). The caller reads it line by line and releases it."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        self.bucket.acquire()
        params = [(k, v) for k, v in query.items() if v is not None]
        with self._lock:
            self.requests += 1
            self.log.append(("GET", path + "?" + "&".join(f"{k}={v}" for k, v in params)))
        try:
            resp = self.api.call_api(
                path,
                "GET",
                query_params=params,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=(self.timeout, read_timeout),
            )[0]
        except ApiException as e:
            body = e.body.encode() if isinstance(e.body, str) else (e.body or b"")
            if e.status == 403:
                raise AccessDenied(_message(body) or f"forbidden: GET {path}") from None
            raise ApiStatusError(f"WATCH {path}: {e.status} {_message(body)}".rstrip(), e.status or 0) from None
        except (HTTPError, OSError) as e:
            raise self._transport(e) from None
        if not 200 <= resp.status < 300:
            body = resp.data or b""
            resp.release_conn()
            if resp.status == 403:
                raise AccessDenied(_message(body) or f"forbidden: GET {path}")
            raise ApiStatusError(f"WATCH {path}: {resp.status} {_message(body)}".rstrip(), resp.status)
        return resp

    def _timed_out(self) -> LiveError:
        return LiveError(f"the API server at {self.target.server} did not answer within {self.timeout:g}s (timeout)")

    def _transport(self, e: BaseException) -> LiveError:
        from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError, SSLError

        # NewConnectionError is a ConnectTimeoutError in urllib3 2: test it first
        if isinstance(e, NewConnectionError | ConnectionError) and "timed out" not in str(e).lower():
            return LiveError(f"cannot reach the API server at {self.target.server}: connection refused or no route")
        if isinstance(e, ReadTimeoutError | ConnectTimeoutError) or "timed out" in str(e).lower():
            return self._timed_out()
        if isinstance(e, SSLError):
            return LiveError(f"TLS error talking to {self.target.server}: {_one_line(e)}")
        return LiveError(f"cannot reach the API server at {self.target.server}: {type(e).__name__}: {e}")

    def _note_date(self, headers: Any) -> None:
        date = headers.get("Date") if headers else None
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = email.utils.parsedate_to_datetime(date).astimezone(UTC).timestamp()

    def get_json(self, path: str, query: dict[str, Any] | None = None, accept: str = "application/json") -> Any:
        """The decoded body of a 2xx answer; ``None`` for 404; raises for 403 and other errors."""
        status, body = self.request("GET", path, query, accept)
        if status == 404:
            return None
        if status == 403:
            raise AccessDenied(_message(body) or f"forbidden: GET {path}")
        if not 200 <= status < 300:
            raise ApiStatusError(f"GET {path}: {status} {_message(body)}".rstrip(), status)
        try:
            return json.loads(body)
        except ValueError:
            raise LiveError(f"GET {path}: the answer is not JSON") from None

    def get_text(self, path: str, query: dict[str, Any] | None = None) -> tuple[int, str]:
        status, body = self.request("GET", path, query, "text/plain, application/json")
        return status, body.decode("utf-8", "replace")

    def now(self) -> int:
        """The API server's clock (its last ``Date`` header) in seconds from ``kratix_lab.kube.times.EPOCH``:
        ages are measured on the clock that stamped the objects, whatever this machine's clock says."""
        if self.server_time is None:
            self.request("GET", "/version")
        stamp = self.server_time if self.server_time is not None else time.time()
        return int(stamp - EPOCH.timestamp())

    def merge_patch(self, k: KindInfo, name: str, namespace: str | None, patch: dict[str, Any]) -> dict[str, Any]:
        """``PATCH`` with ``application/merge-patch+json`` (what ``kubectl label`` sends for a custom
        resource): the patched object; raises ``AccessDenied`` (403) or ``ApiStatusError``."""
        path = self.path(k, namespace, name)
        status, body = self.request(
            "PATCH", path, {"fieldManager": "kratix-lab"}, body=patch, content_type="application/merge-patch+json"
        )
        if status == 403:
            raise _denied("patch", k, namespace, AccessDenied(_message(body)))
        if not 200 <= status < 300:
            raise ApiStatusError(f"PATCH {path}: {status} {_message(body)}".rstrip(), status)
        return _typed(k, json.loads(body))

    def apply_patch(
        self, k: KindInfo, name: str, namespace: str | None, obj: dict[str, Any], manager: str = "kratix-lab"
    ) -> dict[str, Any]:
        """Server-side apply: ``PATCH`` with ``application/apply-patch+yaml`` and ``fieldManager`` (what
        ``kubectl apply --server-side`` sends; JSON is YAML), never ``force``: a field another manager owns is a
        409 whose message names it (apimachinery managedfields/internal/conflict.go). Creates the object when it
        does not exist. Raises ``AccessDenied`` (403), ``Conflict`` (409), ``Invalid`` (422) or ``ApiStatusError``."""
        from kratix_lab.errors import Conflict, Invalid

        path = self.path(k, namespace, name)
        status, body = self.request(
            "PATCH", path, {"fieldManager": manager}, body=obj, content_type="application/apply-patch+yaml"
        )
        if status == 403:
            raise _denied("patch", k, namespace, AccessDenied(_message(body)))
        if status == 409:
            raise Conflict(_message(body) or f"PATCH {path}: 409 Conflict")
        if status == 422:
            raise Invalid(_message(body) or f"PATCH {path}: 422 Invalid")
        if not 200 <= status < 300:
            raise ApiStatusError(f"PATCH {path}: {status} {_message(body)}".rstrip(), status)
        return _typed(k, json.loads(body))

    # ---- discovery -----------------------------------------------------------------------

    def registry(self, crds: list[dict[str, Any]] | None = None) -> KindRegistry:
        """The served kinds (aggregated discovery), the built-in descriptions (printer columns) and the
        given CRDs' schemas laid over them; kinds the cluster does not serve are left out."""
        if self._registry is not None and crds is None:
            return self._registry
        discovered = self._discover()
        builtin = {(k.group, k.kind): k for k in BUILTIN_KINDS}
        from_crds: dict[tuple[str, str], KindInfo] = {}
        for c in crds or []:
            try:
                k = kind_from_crd(c)
            except Exception:
                continue
            from_crds[(k.group, k.kind)] = k
        kinds: list[KindInfo] = []
        served = {(k.group, k.kind): k for k in discovered}
        for key, k in builtin.items():
            if key in served:
                kinds.append(_merge(k, served[key]))
        for key, k in served.items():
            if key not in builtin:
                kinds.append(_merge(from_crds[key], k) if key in from_crds else k)
        self._registry = KindRegistry(kinds)
        return self._registry

    def _discover(self) -> list[KindInfo]:
        out: list[KindInfo] = []
        for path in ("/api", "/apis"):
            doc = self.get_json(path, accept=AGGREGATED)
            if doc is None:
                raise LiveError(f"the API server at {self.target.server} has no {path} (not a Kubernetes API?)")
            if doc.get("kind") == "APIGroupDiscoveryList":
                out += _from_aggregated(doc)
            else:
                out += self._legacy(path, doc)
        return out

    def _legacy(self, path: str, doc: dict[str, Any]) -> list[KindInfo]:
        gvs = (
            [("", v) for v in doc.get("versions") or []]
            if path == "/api"
            else [
                (g["name"], (g.get("preferredVersion") or g["versions"][0])["version"]) for g in doc.get("groups") or []
            ]
        )
        out = []
        for group, version in gvs:
            rl = self.get_json(f"/api/{version}" if not group else f"/apis/{group}/{version}") or {}
            for r in rl.get("resources") or []:
                if "/" in r.get("name", ""):
                    continue
                out.append(
                    KindInfo(
                        kind=r["kind"],
                        group=group,
                        version=version,
                        plural=r["name"],
                        singular=r.get("singularName") or r["kind"].lower(),
                        namespaced=bool(r.get("namespaced")),
                        short_names=tuple(r.get("shortNames") or ()),
                        categories=tuple(r.get("categories") or ()),
                        versions=(version,),
                        verbs=tuple(r.get("verbs") or ()),
                    )
                )
        return out

    # ---- objects -------------------------------------------------------------------------

    def path(self, k: KindInfo, namespace: str | None, name: str | None = None) -> str:
        base = f"/api/{k.version}" if not k.group else f"/apis/{k.group}/{k.version}"
        if k.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{k.plural}"
        return base + (f"/{quote(name, safe='')}" if name else "")

    def get(self, k: KindInfo, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            obj = self.get_json(self.path(k, namespace, name))
        except AccessDenied as e:
            raise _denied("get", k, namespace, e) from None
        return _typed(k, obj) if obj is not None else None

    def list(
        self, k: KindInfo, namespace: str | None, label_selector: str | None = None, field_selector: str | None = None
    ) -> list[dict[str, Any]]:
        return list(self.iter_list(k, namespace, label_selector, field_selector))

    def iter_list(
        self, k: KindInfo, namespace: str | None, label_selector: str | None = None, field_selector: str | None = None
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            query = {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": PAGE, "continue": token}
            try:
                doc = self.get_json(self.path(k, namespace), query)
            except AccessDenied as e:
                raise _denied("list", k, namespace, e) from None
            if doc is None:
                raise NotServed(f"{k.plural}.{k.group or 'core'}/{k.version} is not served by {self.target.server}")
            for item in doc.get("items") or []:
                yield _typed(k, item)
            token = (doc.get("metadata") or {}).get("continue") or None
            if not token:
                return


def _denied(verb: str, k: KindInfo, namespace: str | None, e: AccessDenied) -> AccessDenied:
    resource = f"{k.plural}.{k.group}" if k.group else k.plural
    where = f" in namespace {namespace}" if namespace and k.namespaced else " at the cluster scope"
    return AccessDenied(
        f"forbidden: cannot {verb} {resource}{where}; grant {verb} on {resource} (group {k.group or 'core'!r})",
        verb,
        resource,
        namespace,
    )


def _typed(k: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """List items carry no apiVersion/kind on a real API server; the lab's objects always do."""
    if "apiVersion" not in obj or "kind" not in obj:
        obj = {"apiVersion": k.api_version, "kind": k.kind, **obj}
    return obj


def _merge(described: KindInfo, served: KindInfo) -> KindInfo:
    """The description (columns, schema) with what the cluster actually serves (version, names, scope)."""
    from dataclasses import replace

    return replace(
        described,
        version=served.version,
        versions=served.versions,
        plural=served.plural,
        namespaced=served.namespaced,
        short_names=served.short_names or described.short_names,
        categories=served.categories or described.categories,
        verbs=served.verbs or described.verbs,
    )


def _from_aggregated(doc: dict[str, Any]) -> list[KindInfo]:
    out: dict[tuple[str, str], KindInfo] = {}
    for g in doc.get("items") or []:
        group = (g.get("metadata") or {}).get("name") or ""
        versions = [v.get("version") for v in g.get("versions") or []]
        for v in g.get("versions") or []:
            for r in v.get("resources") or []:
                rk = r.get("responseKind") or {}
                kind = rk.get("kind")
                if not kind or (group, kind) in out:  # the first (preferred) version wins
                    continue
                out[(group, kind)] = KindInfo(
                    kind=kind,
                    group=group,
                    version=v["version"],
                    plural=r["resource"],
                    singular=r.get("singularResource") or kind.lower(),
                    namespaced=r.get("scope") == "Namespaced",
                    short_names=tuple(r.get("shortNames") or ()),
                    categories=tuple(r.get("categories") or ()),
                    versions=(v["version"], *(x for x in versions if x != v["version"])),
                    verbs=tuple(r.get("verbs") or ()),
                )
    return list(out.values())


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float((headers or {}).get("Retry-After", "1")))
    except (TypeError, ValueError):
        return 1.0


def _message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""


__all__ = [
    "AccessDenied",
    "ApiStatusError",
    "Kube",
    "LiveError",
    "NotServed",
    "Target",
    "TokenBucket",
    "load",
]
