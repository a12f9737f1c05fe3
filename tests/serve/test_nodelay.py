"""The served API writes each response in one send, and with ``TCP_NODELAY`` (``kratix_lab/serve/server.py``,
``_Gathered``): a response whose headers and body went out as two writes had its body held back by Nagle's
algorithm until the client's delayed ACK (~40 ms a request on a keep-alive connection). Checked at the socket:
over TLS one send of a small response is one TLS record, and one ``recv`` returns one record, so a response
written in two sends arrives in two ``recv``s. A watch's headers arrive before any event (the API server flushes
them: ``k8s.io/apiserver/pkg/endpoints/handlers/watch.go``, ``ServeHTTP``) and each wake-up's events come as one
whole chunk. Nothing here is timed (the socket timeout only bounds a wait)."""

from __future__ import annotations

import json
import socket
import ssl
from urllib.parse import urlsplit

from kratix_lab.serve import server


def _connect(served) -> ssl.SSLSocket:
    url = urlsplit(served.url)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((url.hostname, url.port), timeout=30)
    return ctx.wrap_socket(raw)


def _request(served, method: str, path: str, body: bytes = b"", ctype: str = "application/json") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer {served.token}\r\n"
    if body:
        head += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _whole(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one response that must be complete in ``data`` (nothing more, nothing less)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"the headers are not complete in the first read: {data!r}"
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert int(headers["content-length"]) == len(body), f"the body is not whole in the first read: {data!r}"
    return int(lines[0].split()[1]), headers, body


def test_every_served_connection_has_tcp_nodelay(served, monkeypatch):
    seen: list[int] = []
    setup = server.Handler.setup

    def recorded(self):
        setup(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(server.Handler, "setup", recorded)
    with _connect(served) as s:
        s.sendall(_request(served, "GET", "/version"))
        _whole(s.recv(1 << 16))
    assert seen and all(seen), seen


def test_each_response_on_a_keep_alive_connection_arrives_whole_in_one_read(served):
    with _connect(served) as s:
        for path, code in [
            ("/version", 200),
            ("/api/v1/namespaces/default/configmaps", 200),  # a list
            ("/api/v1/namespaces/default/configmaps/no-such-map", 404),  # an error Status
            ("/healthz", 200),
            ("/version", 200),  # the second of its kind on the same connection: where Nagle held the body back
        ]:
            s.sendall(_request(served, "GET", path))
            status, headers, body = _whole(s.recv(1 << 16))
            assert status == code, (path, body)
            if headers["content-type"].startswith("application/json"):
                json.loads(body)
        s.sendall(_request(served, "HEAD", "/version"))
        head = s.recv(1 << 16)
        assert head.endswith(b"\r\n\r\n") and head.startswith(b"HTTP/1.1 200"), head  # HEAD: headers only, whole


def test_a_rejected_request_s_answer_arrives_whole(served):
    with _connect(served) as s:
        s.sendall(b"GET /version HTTP/1.1\r\nHost: lab\r\n\r\n")  # no token
        status, _, body = _whole(s.recv(1 << 16))
        assert status == 401 and json.loads(body)["reason"] == "Unauthorized"


def _chunk(data: bytes) -> bytes:
    """The payload of the one whole chunk ``data`` must be."""
    size, sep, rest = data.partition(b"\r\n")
    assert sep, data
    n = int(size, 16)
    assert len(rest) == n + 2 and rest.endswith(b"\r\n"), f"not one whole chunk: {data!r}"
    return rest[:n]


def test_a_watch_sends_its_headers_at_once_and_each_event_as_one_whole_chunk(served):
    with _connect(served) as s:
        s.sendall(_request(served, "GET", "/api/v1/namespaces/default/configmaps"))
        _, _, body = _whole(s.recv(1 << 16))
        rv = json.loads(body)["metadata"]["resourceVersion"]
    with _connect(served) as w:
        w.sendall(
            _request(
                served,
                "GET",
                f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}"
                "&fieldSelector=metadata.name%3Dnodelay-probe",
            )
        )
        head = w.recv(1 << 16)
        assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n"), head  # before any event
        assert b"transfer-encoding: chunked" in head.lower()
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nodelay-probe"}, "data": {"a": "1"}}
        with _connect(served) as s:
            s.sendall(_request(served, "POST", "/api/v1/namespaces/default/configmaps", json.dumps(cm).encode()))
            status, _, body = _whole(s.recv(1 << 16))
            assert status == 201, body
        lines = _chunk(w.recv(1 << 16)).splitlines()
        events = [json.loads(line) for line in lines]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "nodelay-probe")]
