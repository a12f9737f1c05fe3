"""The served API answers without Nagle's delay: each accepted connection has TCP_NODELAY set, so a response's
body (written after its headers) leaves at once instead of waiting for the client's delayed ACK."""

from __future__ import annotations

import socket

from kubernetes import config

from kratix_lab.serve import server


def test_every_served_connection_has_tcp_nodelay(served, monkeypatch):
    seen: list[int] = []
    setup = server.Handler.setup

    def recorded(self):
        setup(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(server.Handler, "setup", recorded)
    api = config.new_client_from_config(config_file=str(served.kubeconfig))
    try:
        api.call_api("/version", "GET", auth_settings=["BearerToken"], response_type="object")
    finally:
        api.close()
    assert seen and all(seen), seen
