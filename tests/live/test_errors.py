"""Live mode's failures: each a one-line error naming the cause, exit 2, never a hang or a traceback."""

from __future__ import annotations

import socket
import threading

import pytest
import yaml

from kratix_lab.cli import main
from tests.live.conftest import served


def run(capsys, argv: list[str]) -> tuple[int, str]:
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(main(argv)), daemon=True)
    t.start()
    t.join(120)  # a bound against a hang, not a speed assertion
    assert result, f"kratix-lab {' '.join(argv)} did not return"
    lines = capsys.readouterr().err.strip().splitlines()
    if lines and lines[0].startswith("platform: "):  # live mode names the platform first, then the error
        lines = lines[1:]
    assert len(lines) == 1, lines
    return result[0], lines[0]


def kubeconfig_for(path, server: str, token: str = "t0ken") -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_missing_kubeconfig(tmp_path, capsys):
    code, err = run(capsys, ["trace", "vco/media", "--kubeconfig", str(tmp_path / "nope")])
    assert (
        code == 2
        and err == f"error: kubeconfig {tmp_path / 'nope'}: no such file (give --kubeconfig FILE, or set KUBECONFIG)"
    )


def test_bad_kubeconfig(tmp_path, capsys):
    bad = tmp_path / "kc"
    bad.write_text("clusters: [unclosed\n")
    code, err = run(capsys, ["diagnose", "vco/media", "--kubeconfig", str(bad)])
    assert code == 2 and err.startswith(f"error: kubeconfig {bad}: ") and "\n" not in err


def test_unknown_context(tmp_path, capsys):
    kc = kubeconfig_for(tmp_path / "kc", "https://127.0.0.1:1")
    code, err = run(capsys, ["status", "--kubeconfig", kc, "--context", "prod"])
    assert (code, err) == (2, f"error: context 'prod' is not in kubeconfig {kc} (contexts: ctx)")


def test_lab_and_context_together_is_refused(tmp_path, capsys):
    kc = kubeconfig_for(tmp_path / "kc", "https://127.0.0.1:1")
    code, err = run(capsys, ["--lab", str(tmp_path), "trace", "vco/media", "--kubeconfig", kc])
    assert code == 2 and "not both" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server(tmp_path, capsys):
    port = free_port()  # nothing listens there
    kc = kubeconfig_for(tmp_path / "kc", f"https://127.0.0.1:{port}")
    code, err = run(capsys, ["trace", "vco/media", "--kubeconfig", kc, "--request-timeout", "5"])
    assert code == 2
    assert err == f"error: cannot reach the API server at https://127.0.0.1:{port}: connection refused or no route"


def test_hanging_server_times_out(tmp_path, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections (the kernel does) and never answers
    port = listener.getsockname()[1]
    try:
        kc = kubeconfig_for(tmp_path / "kc", f"https://127.0.0.1:{port}")
        code, err = run(capsys, ["diagnose", "vco/media", "--kubeconfig", kc, "--request-timeout", "1.5"])
    finally:
        listener.close()
    assert (code, err) == (2, f"error: the API server at https://127.0.0.1:{port} did not answer within 1.5s (timeout)")


def test_bad_request_timeout(tmp_path, capsys):
    kc = kubeconfig_for(tmp_path / "kc", "https://127.0.0.1:1")
    code, err = run(capsys, ["status", "--kubeconfig", kc, "--request-timeout", "0"])
    assert (code, err) == (2, "error: --request-timeout must be a positive number of seconds, got 0.0")


@pytest.fixture(scope="module")
def empty_served(tmp_path_factory):
    from kratix_lab.platform.lab import Lab

    base = tmp_path_factory.mktemp("live-errors")
    Lab(base / "lab").close()
    with served(base / "lab", base / "kubeconfig") as r:
        yield r


def test_expired_token(empty_served, tmp_path, capsys):
    doc = yaml.safe_load(empty_served.kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = "expired"
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump(doc))
    code, err = run(capsys, ["trace", "vco/media", "--kubeconfig", str(kc)])
    assert code == 2
    assert err == (
        f"error: the API server at {empty_served.url} rejected the credentials of context "
        f"{doc['current-context']} ({empty_served.url}) (401 Unauthorized): the token is invalid or expired; log in again"
    )


def test_header_names_the_platform(empty_served, tmp_path, capsys):
    code = main(["status", "--kubeconfig", str(empty_served.kubeconfig), "--cache-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 0
    assert err.splitlines()[0] == f"platform: context kratix-lab ({empty_served.url}) (live, read-only)"
