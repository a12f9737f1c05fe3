"""The HTTPS server: routing, bearer-token auth, content negotiation, chunked watch and log streams.

Everything that is not modelled answers with a ``Status`` (404/405/415) saying so — never a hang, a 500
page or a traceback. Endpoints and the request sequences kubectl 1.32 sends: ``docs/live.md`` §5.2.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import json
import socket
import ssl
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from kratix_lab.kube.registry import KindInfo
from kratix_lab.kube.times import EPOCH
from kratix_lab.serve import discovery, fields, openapi
from kratix_lab.serve.api import LabApi, parse_body
from kratix_lab.serve.status import ApiError, bad_request, not_modelled, success
from kratix_lab.serve.tables import table
from kratix_lab.serve.tls import Credentials
from kratix_lab.serve.watch import Event, parse_bool

MAX_BODY = 3 * 1024 * 1024  # the API server's default request body limit (apiserver MaxRequestBodyBytes)
BOOKMARK_SECONDS = 10.0
DRAIN_LIMIT = 8 * MAX_BODY  # an oversized body is read and dropped up to this much, then the connection closes
UNSUPPORTED_SUBRESOURCES = {"exec", "attach", "portforward", "proxy", "eviction", "binding", "ephemeral-containers"}


class _Gathered:
    """A connection's writer that sends what was written since the last ``flush`` in one ``sendall``: a response's
    status line, headers and body leave together (one TLS record when it fits, one segment on loopback), and so does
    each chunk of a stream (``Handler._chunk`` flushes). ``BaseHTTPRequestHandler`` writes the headers and the body
    separately and flushes after each request (``handle_one_request``); with the socketserver's unbuffered writer
    that was two sends, the second held back by Nagle's algorithm until the client's delayed ACK of the first
    (~40 ms a request on a keep-alive connection). With whole responses in one send, ``TCP_NODELAY`` costs no
    extra segments."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._parts: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        if self._parts:
            data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
            self._parts.clear()
            self._sock.sendall(data)

    def close(self) -> None:
        self._parts.clear()
        self.closed = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on each connection (socketserver.StreamRequestHandler.setup): every response and every stream
    # chunk is written in one send (``_Gathered``), so nothing waits for an ACK — as the API server (Go's net/http
    # sets TCP_NODELAY on every TCP connection — net/tcpsock.go, newTCPConn — and buffers a response's headers with its
    # first body write).
    disable_nagle_algorithm = True
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        self.wfile = _Gathered(self.connection)  # type: ignore[assignment]

    def handle_expect_100(self) -> bool:
        ok = super().handle_expect_100()
        self.wfile.flush()  # "100 Continue" goes now: the client waits for it before sending the body
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header on the lab's clock: a client measures ages on the server's clock (live mode's
        ``Kube.now``), and here that clock is the lab's simulated one."""
        if timestamp is None:
            with self.server.api.lock:
                timestamp = EPOCH.timestamp() + self.server.api.lab.store.now_seconds()
        return super().date_time_string(timestamp)

    # ---- plumbing ----------------------------------------------------------------------

    def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, obj: Any, ctype: str = "application/json", warnings: list[str] = ()) -> None:  # type: ignore[assignment]
        headers = {}
        if warnings:
            # RFC 7234 warn-text is a quoted-string: \ and " escaped (apiserver pkg/warning, net/http headers)
            headers["Warning"] = ", ".join(
                '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings
            )
        self._send(code, json.dumps(obj, separators=(",", ":")).encode(), ctype, headers)

    def _error(self, e: ApiError) -> None:
        self._json(e.code, e.status())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _start_stream(self, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()  # the client has the headers before the first event (the API server flushes them too)

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ApiError(
                411, "LengthRequired", "a request body needs a Content-Length (chunked bodies are not modelled)"
            )
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise bad_request("invalid Content-Length") from None
        if length > MAX_BODY:
            self.close_connection = True
            left = min(length, DRAIN_LIMIT)  # read what the client sends so it sees the answer, up to a cap
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
            raise ApiError(
                413, "RequestEntityTooLarge", f"the request body is {length} bytes; the limit is {MAX_BODY} bytes"
            )
        return self.rfile.read(length) if length else b""

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip() in self.server.limited:
            return True
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.server.token.encode())

    def _check_limited(self, k: KindInfo, ns: str | None, name: str | None) -> None:
        """A token from ``ApiServer.limited`` may use only its listed resources (``plural.group``, or
        ``plural`` for the core group): a minimal RBAC for live mode's permission tests. The 403 reads as
        the API server's (``k8s.io/apiserver`` ``responsewriters.ForbiddenStatusError``)."""
        token = self.headers.get("Authorization", "").partition(" ")[2].strip()
        allowed = self.server.limited.get(token)
        resource = f"{k.plural}.{k.group}" if k.group else k.plural
        if allowed is None or resource in allowed:
            return
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update", "PATCH": "patch"}.get(
            self.command, self.command.lower()
        )
        where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
        raise ApiError(
            403,
            "Forbidden",
            f'{resource} is forbidden: User "limited" cannot {verb} resource "{k.plural}" in API group "{k.group}"{where}',
        )

    # ---- dispatch ----------------------------------------------------------------------

    def _handle(self) -> None:
        body = b""
        try:
            if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                body = self._body()
            if not self._authorized():
                raise ApiError(
                    401,
                    "Unauthorized",
                    "Unauthorized: a bearer token from the kubeconfig kratix-lab serve wrote is required",
                )
            if self.headers.get("Upgrade"):
                raise not_modelled(f"protocol upgrade to {self.headers['Upgrade']!r} (exec, attach, port-forward)")
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            segs = [unquote(s) for s in url.path.split("/") if s]
            self._route(segs, params, body)
            if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                # the write's watch event is recorded before its answer leaves (``_Gathered`` sends at the flush after
                # this): a client's writes each get their event, as the API server's do, however fast they come —
                # the hub's poller alone could fold a create and a delete 20 ms apart into nothing
                self.server.api.hub.poll()
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:
            if self.server.verbose:
                traceback.print_exc()
            try:
                self._error(ApiError(500, "InternalError", f"kratix-lab serve: {type(e).__name__}: {e}"))
            except OSError:
                self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _route(self, segs: list[str], params: dict[str, str], body: bytes) -> None:
        api = self.server.api
        method = self.command
        accept = self.headers.get("Accept", "")
        if segs in (["version"], ["version", ""]):
            return self._json(200, discovery.SERVER_VERSION)
        if segs in (["healthz"], ["livez"], ["readyz"]):
            return self._send(200, b"ok", "text/plain")
        if segs == ["metrics"] and method == "GET":
            return self._send(200, self.server.metrics().encode(), "text/plain; version=0.0.4")
        if method not in ("GET", "HEAD") and (not segs or segs[0] not in ("api", "apis")):
            raise not_modelled(f"{method} {self.path}")
        if segs[:1] == ["openapi"]:
            if segs == ["openapi", "v2"]:
                return self._send(200, *openapi.empty_v2(accept))
            if segs == ["openapi", "v3"]:
                return self._json(200, openapi.index(api.registry()))
            if len(segs) >= 3 and segs[1] == "v3":
                rest = segs[2:]
                group, version = (
                    ("", rest[1])
                    if rest[0] == "api" and len(rest) == 2
                    else (rest[1], rest[2])
                    if rest[0] == "apis" and len(rest) == 3
                    else ("", "")
                )
                doc = openapi.document(api.registry(), group, version) if version else None
                if doc is not None:
                    return self._json(200, doc)
            raise ApiError(
                404, "NotFound", f"{self.path}: no OpenAPI document here (the lab's schemas are in /openapi/v3)"
            )
        if segs == ["api"]:
            if "as=APIGroupDiscoveryList" in accept:
                return self._json(200, discovery.aggregated(api.registry(), core=True), discovery.AGGREGATED)
            return self._json(200, discovery.api_versions())
        if segs == ["apis"]:
            if "as=APIGroupDiscoveryList" in accept:
                return self._json(200, discovery.aggregated(api.registry(), core=False), discovery.AGGREGATED)
            return self._json(200, discovery.group_list(api.registry()))
        if segs[:1] == ["api"] and len(segs) >= 2:
            group, version, rest = "", segs[1], segs[2:]
        elif segs[:1] == ["apis"] and len(segs) >= 2:
            if len(segs) == 2:
                g = discovery.group(api.registry(), segs[1])
                if g is None:
                    raise ApiError(
                        404, "NotFound", f"the server could not find the requested resource (group {segs[1]})"
                    )
                return self._json(200, g)
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise ApiError(
                404,
                "NotFound",
                f"the server could not find the requested resource ({self.path}); kratix-lab serve models /api, /apis, /openapi/v3 and /version",
            )
        if not rest:
            doc = discovery.resource_list(api.registry(), group, version)
            if doc is None:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({group}/{version})")
            return self._json(200, doc)
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        if len(rest) > 3:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({self.path})")
        k = api.kind(group, version, plural)
        self._check_limited(k, ns, name)
        self.server.count(_verb(method, name, sub, params), k, sub)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if body and "protobuf" in ctype:
            raise not_modelled("a protobuf request body (send JSON)", 415)
        if sub is not None:
            return self._subresource(k, ns, name or "", sub, params, body, ctype)
        if name is None:
            if method == "GET":
                if parse_bool(params.get("watch")):
                    return self._watch(k, ns, params, accept)
                items, rv, nxt = api.list(k, ns, params)
                if "as=Table" in accept:
                    return self._json(200, self._table(items, params, rv, nxt))
                meta: dict[str, Any] = {"resourceVersion": rv}
                if nxt:
                    meta["continue"] = nxt
                head = {"apiVersion": k.api_version, "kind": f"{k.kind}List", "metadata": meta}
                body = json.dumps(head, separators=(",", ":")).encode()[:-1] + b',"items":['
                body += b",".join(api.encoded(o) for o in items) + b"]}"
                return self._send(200, body, "application/json")
            if method == "POST":
                obj, warnings = api.create(k, ns, parse_body(body), params, self._manager(params, ctype))
                return self._json(201, obj, warnings=warnings)
            raise not_modelled(f"{method} on a collection (deletecollection)")
        if method == "GET":
            obj = api.get(k, ns, name)
            if "as=Table" in accept:
                return self._json(200, self._table([obj], params, obj["metadata"].get("resourceVersion", ""), None))
            return self._json(200, obj)
        if method == "PUT":
            obj, warnings = api.update(k, ns, name, parse_body(body), params, self._manager(params, ctype))
            return self._json(200, obj, warnings=warnings)
        if method == "PATCH":
            obj, warnings, created = api.patch(k, ns, name, ctype, body, params, self._manager(params, ctype))
            return self._json(201 if created else 200, obj, warnings=warnings)
        if method == "DELETE":
            left = api.delete(k, ns, name, params, parse_body(body) if body.strip() else None)
            if left is not None:
                return self._json(200, left)
            return self._json(200, success({"name": name, "group": k.group, "kind": k.plural}))
        raise not_modelled(f"{method} on {k.plural}")

    def _manager(self, params: dict[str, str], ctype: str) -> str:
        return fields.manager_of(
            params, self.headers.get("User-Agent", ""), apply=ctype == "application/apply-patch+yaml"
        )

    def _table(self, items: list[dict[str, Any]], params: dict[str, str], rv: str, nxt: str | None) -> dict[str, Any]:
        api = self.server.api
        with api.lock:
            t = table(api.lab, items, include_object=params.get("includeObject") == "Object", rv=rv)
        if nxt:
            t["metadata"]["continue"] = nxt
        return t

    def _subresource(
        self, k: KindInfo, ns: str | None, name: str, sub: str, params: dict[str, str], body: bytes, ctype: str
    ) -> None:
        api = self.server.api
        if sub == "log" and k.group == "" and k.kind == "Pod" and self.command == "GET":
            return self._log(ns or "default", name, params)
        if sub == "status":
            if self.command == "GET":
                return self._json(200, api.get(k, ns, name))
            if self.command == "PUT":
                obj, _ = api.update(k, ns, name, parse_body(body), params, self._manager(params, ctype), status=True)
                return self._json(200, obj)
            if self.command == "PATCH":
                obj, _, _ = api.patch(k, ns, name, ctype, body, params, self._manager(params, ctype), status=True)
                return self._json(200, obj)
        if sub in UNSUPPORTED_SUBRESOURCES:
            raise not_modelled(f"{k.plural}/{sub}")
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({k.plural}/{sub})")

    # ---- streams -----------------------------------------------------------------------

    def _log(self, ns: str, pod: str, params: dict[str, str]) -> None:
        api = self.server.api
        whole = {**params, "tailLines": ""}
        with api.lock:  # the tail and the length followed from come from one snapshot of the log
            text = api.logs(ns, pod, params)
            sent = len(api.logs(ns, pod, whole))
        if not parse_bool(params.get("follow")):
            return self._send(200, text.encode(), "text/plain")
        self._start_stream("text/plain")
        if text:
            self._chunk(text.encode())
        while not self.server.stopping.is_set():
            api.hub.wait(1.0)
            try:
                full = api.logs(ns, pod, whole)
            except ApiError:
                break  # the pod is gone
            if len(full) > sent:
                self._chunk(full[sent:].encode())
                sent = len(full)
        self._end_stream()

    def _watch(self, k: KindInfo, ns: str | None, params: dict[str, str], accept: str) -> None:
        from kratix_lab.serve.selectors import field_selector, label_selector, matches

        api = self.server.api
        as_table = "as=Table" in accept
        labels = label_selector(params.get("labelSelector"))
        fields = field_selector(params.get("fieldSelector"))
        bookmarks = parse_bool(params.get("allowWatchBookmarks"))
        timeout = min(float(params.get("timeoutSeconds") or 1800), 3600.0)
        raw_rv = params.get("resourceVersion", "")
        api.hub.poll()
        initial: list[dict[str, Any]] = []
        if raw_rv in ("", "0"):
            items, rv_text, _ = api.list(
                k, ns, {kk: v for kk, v in params.items() if kk in ("labelSelector", "fieldSelector")}
            )
            initial, last = items, int(rv_text)
        else:
            try:
                last = int(raw_rv)
            except ValueError:
                raise bad_request(f"invalid resourceVersion {raw_rv!r}") from None
        self._start_stream("application/json")
        self.server.watching(k, +1)
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + self.server.bookmark_seconds

        out: list[bytes] = []  # the events of one wake-up, written as one chunk (one TLS write per watcher)

        def flush() -> None:
            if out:
                self._chunk(b"".join(out))
                out.clear()

        def send(kind: str, obj: dict[str, Any]) -> None:
            if as_table:
                with api.lock:
                    obj = table(
                        api.lab,
                        [obj],
                        include_object=params.get("includeObject") == "Object",
                        rv=obj["metadata"].get("resourceVersion", ""),
                    )
                out.append(json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n")
                return
            # encoded once per object version, whatever the number of watchers
            out.append(b'{"type":"' + kind.encode() + b'","object":' + api.encoded(obj) + b"}\n")

        try:
            for obj in initial:
                send("ADDED", obj)
            flush()
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                events = api.hub.since(last)
                if events is None:
                    expired = ApiError(410, "Expired", f"too old resource version: {last} ({api.hub.floor})")
                    self._chunk(json.dumps({"type": "ERROR", "object": expired.status()}).encode() + b"\n")
                    break
                for e in events:
                    last = max(last, e.rv)
                    if self._wanted(k, ns, e) and matches(_with_kind(k, e.obj), labels, fields):
                        send(e.type, _with_kind(k, e.obj))
                flush()
                if bookmarks and time.monotonic() >= next_bookmark:
                    self._chunk(
                        json.dumps(
                            {
                                "type": "BOOKMARK",
                                "object": {
                                    "kind": k.kind,
                                    "apiVersion": k.api_version,
                                    "metadata": {"resourceVersion": str(max(last, api.hub.rv))},
                                },
                            }
                        ).encode()
                        + b"\n"
                    )
                    next_bookmark = time.monotonic() + self.server.bookmark_seconds
                api.hub.wait(min(1.0, max(0.0, deadline - time.monotonic())), after=last)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
            return
        finally:
            self.server.watching(k, -1)
        self._end_stream()

    @staticmethod
    def _wanted(k: KindInfo, ns: str | None, e: Event) -> bool:
        return e.kind == k.kind and e.group == k.group and (ns is None or not k.namespaced or e.namespace == ns)


def _verb(method: str, name: str | None, sub: str | None, params: dict[str, str]) -> str:
    """The API server's request verb (``k8s.io/apiserver/pkg/endpoints/request/requestinfo.go``): GET of a
    collection is LIST, or WATCH with ``watch=true``."""
    if method == "GET" and name is None:
        try:
            return "WATCH" if parse_bool(params.get("watch")) else "LIST"
        except ValueError:
            return "LIST"
    return {"PUT": "UPDATE", "POST": "CREATE"}.get(method, method)


def _resource(k: KindInfo) -> str:
    return f"{k.plural}.{k.group}" if k.group else k.plural


def _with_kind(k: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
    if "apiVersion" in obj and "kind" in obj:
        return obj
    return {"apiVersion": k.api_version, "kind": k.kind, **obj}


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LabApi, creds: Credentials, *, verbose: bool = False) -> None:
        super().__init__(address, Handler)
        self.api = api
        self.token = creds.token
        self.limited: dict[str, frozenset[str]] = {}  # extra bearer tokens → the resources they may use
        self.verbose = verbose
        self.bookmark_seconds = BOOKMARK_SECONDS  # how often a watch that allows bookmarks gets one
        self.stopping = threading.Event()
        # the connections being served (``get_request`` to ``shutdown_request``): ended by ``close_connections``
        self._open: set[Any] = set()
        self._open_lock = threading.Lock()
        # what ``/metrics`` shows: requests by (verb, resource), watches open by resource
        self._counts_lock = threading.Lock()
        self.requests: collections.Counter[tuple[str, str]] = collections.Counter()
        self.watches: collections.Counter[str] = collections.Counter()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            cert.write_bytes(creds.cert_pem + creds.ca_pem)
            key.write_bytes(creds.key_pem)
            key.chmod(0o600)
            ctx.load_cert_chain(cert, key)
        self._ctx = ctx

    # ---- counts: the API server's request metrics, for a client's budget (watches held, re-lists) -------------

    def count(self, verb: str, k: KindInfo, sub: str | None = None) -> None:
        with self._counts_lock:
            self.requests[(verb, _resource(k) + (f"/{sub}" if sub else ""))] += 1

    def watching(self, k: KindInfo, delta: int) -> None:
        with self._counts_lock:
            self.watches[_resource(k)] += delta

    def open_watches(self) -> int:
        """Watch connections being served now (every client, every kind)."""
        with self._counts_lock:
            return sum(self.watches.values())

    def lists(self) -> int:
        """LIST requests served so far (every client, every kind)."""
        with self._counts_lock:
            return sum(n for (verb, _), n in self.requests.items() if verb == "LIST")

    def metrics(self) -> str:
        """``/metrics`` in Prometheus' text format, with the API server's names for the two counts a client's
        budget is checked against (``k8s.io/apiserver/pkg/endpoints/metrics/metrics.go``):
        ``apiserver_request_total`` (a counter by verb and resource) and ``apiserver_longrunning_requests``
        (a gauge: the watches open now, by resource)."""
        with self._counts_lock:
            requests, watches = dict(self.requests), dict(self.watches)
        out = ["# TYPE apiserver_request_total counter"]
        for (verb, resource), n in sorted(requests.items()):
            out.append(f'apiserver_request_total{{verb="{verb}",resource="{resource}"}} {n}')
        out.append("# TYPE apiserver_longrunning_requests gauge")
        for resource, n in sorted(watches.items()):
            out.append(f'apiserver_longrunning_requests{{verb="WATCH",resource="{resource}"}} {n}')
        return "\n".join(out) + "\n"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        wrapped = self._ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(wrapped)
        return wrapped, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self, wait: float = 5.0) -> bool:
        """End every connection still open once the server stopped accepting (``Running.stop``): a client that keeps
        its connections alive between requests (kubectl, the kubernetes client's pool) held a thread of this server
        waiting for its next request for as long as the client lived — after the server had stopped, in a process
        that goes on (the tests: a fleet's rows stream in from forked processes only where no other thread runs).
        Each connection's socket is shut down, so the thread reading it gets the end of its stream and finishes the
        request it serves; True when every connection's thread let go of it within ``wait`` seconds."""
        with self._open_lock:
            open_ = list(self._open)
        for request in open_:
            with contextlib.suppress(OSError):  # (the socket's own shutdown: its TLS state is the reading thread's)
                socket.socket.shutdown(request, socket.SHUT_RDWR)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with self._open_lock:
                if not self._open:
                    return True
            time.sleep(0.01)
        return False

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(30)
            request.do_handshake()
            request.settimeout(None)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)
