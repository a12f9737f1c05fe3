"""Stopping a served lab ends every connection it serves (``ApiServer.close_connections``): a client that keeps its
connection alive between requests (kubectl, the kubernetes client's pool) held one of the server's threads waiting
for its next request for as long as the client lived — after the server had stopped, in a process that goes on."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from kratix_lab import serve
from kratix_lab.platform.lab import Lab


def _serving() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_stopping_ends_the_connections_kept_alive_and_their_threads(tmp_path):
    Lab(tmp_path / "lab").close()
    run = serve.start(tmp_path / "lab", paused=True, kubeconfig=tmp_path / "kubeconfig")
    before = set(_serving())
    url = urlsplit(run.url)
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    clients = []
    try:
        for _ in range(3):  # three clients, each leaving its connection open after a request
            client = ctx.wrap_socket(socket.create_connection((url.hostname, url.port), timeout=30))
            client.sendall(f"GET /version HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer {run.token}\r\n\r\n".encode())
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
            clients.append(client)
        deadline = time.monotonic() + 10
        while len(set(_serving()) - before) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        waiting = set(_serving()) - before
        assert len(waiting) == 3  # a thread each, waiting for the next request
    finally:
        run.stop()
    for thread in waiting:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in waiting)  # ended with the server, the clients still open
    for client in clients:
        assert client.recv(65536) == b""  # the end of the stream: the client knows
        client.close()
