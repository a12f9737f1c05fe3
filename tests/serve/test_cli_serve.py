"""``kratix-lab serve`` as a user starts it: the address guard, ``--paused`` (other shells move the clock)."""

from __future__ import annotations

import base64
import email.utils
import signal
import ssl
import subprocess
import sys
import urllib.request

import yaml

from kratix_lab.platform.lab import Lab

CLI = [sys.executable, "-c", "import sys; from kratix_lab.cli import main; sys.exit(main())"]


def _lab(tmp_path):
    Lab(tmp_path / "lab").close()
    return tmp_path / "lab"


def test_serving_beyond_this_machine_needs_allow_remote(tmp_path):
    lab = _lab(tmp_path)
    p = subprocess.run([*CLI, "--lab", str(lab), "serve", "--address", "0.0.0.0"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "--address 0.0.0.0: serving beyond this machine needs --allow-remote" in p.stderr
    assert not (lab / "kubeconfig").exists()


def test_a_missing_lab_is_one_line_and_exit_2(tmp_path):
    p = subprocess.run([*CLI, "--lab", str(tmp_path / "none"), "serve"], capture_output=True, text=True)
    assert p.returncode == 2 and "no lab here" in p.stderr and "Traceback" not in p.stderr


def _date(cfg_path) -> float:
    cfg = yaml.safe_load(cfg_path.read_text())
    cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
    ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    req = urllib.request.Request(cluster["server"] + "/api", headers={"Authorization": f"Bearer {user['token']}"})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp()


def test_paused_serve_moves_only_when_another_shell_steps_and_warns_on_a_remote_address(tmp_path):
    lab = _lab(tmp_path)
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen(
        [
            *CLI,
            "--lab",
            str(lab),
            "serve",
            "--paused",
            "--port",
            "0",
            "--kubeconfig",
            str(kubeconfig),
            "--address",
            "0.0.0.0",
            "--allow-remote",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as on a terminal: pytest-xdist's workers ignore SIGINT and a child inherits that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"export KUBECONFIG={kubeconfig.resolve()}"
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        first = _date(kubeconfig)
        again = _date(kubeconfig)
        assert again == first  # the lab clock stands still while paused (Date is the lab's clock)
        subprocess.run([*CLI, "--lab", str(lab), "step", "3"], check=True, capture_output=True)
        assert _date(kubeconfig) - first == 15  # three rounds of 5 lab seconds, from another process
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "warning: serving the lab on 0.0.0.0" in err and "paused" in err
    assert proc.returncode == 0 and "Traceback" not in err


def test_sigterm_stops_serve_cleanly_even_when_sigint_is_ignored(tmp_path):
    lab = _lab(tmp_path)
    proc = subprocess.Popen(
        [*CLI, "--lab", str(lab), "serve", "--port", "0", "--kubeconfig", str(tmp_path / "kc")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as under a parent that ignores it
    )
    try:
        assert proc.stdout.readline().startswith("export KUBECONFIG=")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err
