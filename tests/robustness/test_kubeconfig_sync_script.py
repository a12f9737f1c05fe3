"""The kubeconfig-sync CronJob's script, run for real by /bin/sh with fake ``kubectl`` and ``op`` on PATH
(issue 18 item 3): it never wipes the stored kubeconfig, never puts it on a command line, keeps its
files private and removes them, and never reads an item title as an option."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from kratix_lab.promises.vcluster_kubeconfig_sync.pipeline import SYNC_SCRIPT

KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: Q0EtREFUQQ==\n"
    '  name: c\nusers:\n- name: u\n  user:\n    token: "s3cr\\et-TOKEN"\n\tx: y\n'
    "    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n"
)

FAKE_KUBECTL = """#!/bin/sh
echo "$*" >> "$FAKE_LOG/kubectl.argv"
if [ -n "${FAKE_KUBECTL_FAIL:-}" ]; then echo "Error from server (Forbidden)" >&2; exit 1; fi
printf '%s' "$FAKE_SECRET_B64"
"""

# Records each call's argv (one JSON list a line), and for --template the file's content and mode.
FAKE_OP = """#!/usr/bin/env python3
import json, os, stat, sys
log = os.environ["FAKE_LOG"]
with open(os.path.join(log, "op.argv"), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
for a in sys.argv[1:]:
    if a.startswith("--template="):
        path = a.split("=", 1)[1]
        with open(os.path.join(log, "op.template"), "w") as f:
            json.dump({"path": path, "mode": stat.S_IMODE(os.stat(path).st_mode), "body": open(path).read()}, f)
if sys.argv[1:3] == ["item", "get"]:
    sys.exit(0 if os.environ.get("FAKE_ITEM_EXISTS") else 1)
"""


@pytest.fixture
def fakes(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("kubectl", FAKE_KUBECTL), ("op", FAKE_OP)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    log.mkdir()
    return bin_dir, log


def run(fakes, tmp_path, *, title="vcluster-media-kubeconfig", exists=True, fail=False, secret=KUBECONFIG):
    bin_dir, log = fakes
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "TMPDIR": str(tmp_path / "tmp"),
        "FAKE_LOG": str(log),
        "FAKE_SECRET_B64": base64.b64encode(secret.encode()).decode(),
        "VCLUSTER_NAME": "media",
        "VCLUSTER_NAMESPACE": "vcluster-media",
        "OP_VAULT": "homelab",
        "OP_ITEM_TITLE": title,
        **({"FAKE_ITEM_EXISTS": "1"} if exists else {}),
        **({"FAKE_KUBECTL_FAIL": "1"} if fail else {}),
    }
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.run(["/bin/sh", "-c", SYNC_SCRIPT], env=env, capture_output=True, text=True, timeout=30)
    calls = (
        [json.loads(line) for line in (log / "op.argv").read_text().splitlines()] if (log / "op.argv").exists() else []
    )
    template = json.loads((log / "op.template").read_text()) if (log / "op.template").exists() else None
    return proc, calls, template


def test_failed_kubectl_stops_before_op_edit_and_says_so(fakes, tmp_path):
    proc, calls, _ = run(fakes, tmp_path, fail=True)
    assert proc.returncode != 0
    assert "updated" not in proc.stdout and "created" not in proc.stdout
    assert not [c for c in calls if c[:2] in (["item", "edit"], ["item", "create"])]


def test_empty_secret_never_overwrites_the_item(fakes, tmp_path):
    proc, calls, _ = run(fakes, tmp_path, secret="")
    assert proc.returncode == 1
    assert "has no kubeconfig" in proc.stderr
    assert not [c for c in calls if c[:2] in (["item", "edit"], ["item", "create"])]


@pytest.mark.parametrize("exists", [True, False], ids=["edit", "create"])
def test_kubeconfig_goes_in_a_private_template_never_on_argv(fakes, tmp_path, exists):
    proc, calls, template = run(fakes, tmp_path, exists=exists)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{'updated' if exists else 'created'} homelab/vcluster-media-kubeconfig\n"
    assert all("TOKEN" not in arg for call in calls for arg in call)
    assert template["mode"] == 0o600
    item = json.loads(template["body"])
    assert item["title"] == "vcluster-media-kubeconfig"
    assert item["fields"][0]["value"] == KUBECONFIG.rstrip("\n")  # byte for byte, escapes included
    assert not Path(template["path"]).exists()  # removed on exit
    assert os.listdir(tmp_path / "tmp") == []


def test_the_item_holds_exactly_the_fields_the_cluster_registration_reads(fakes, tmp_path):
    """Issue 12 item 9: the item's field labels are the properties the registration's ExternalSecret asks for
    (ESO's 1Password provider matches ``remoteRef.property`` against field labels, external-secrets
    providers/v1/onepassword/onepassword.go:563-584), and ca/cert/key are the kubeconfig's base64 data."""
    from kratix_lab.promises._external_secrets import KUBECONFIG_ITEM_FIELDS

    proc, _, template = run(fakes, tmp_path, exists=False)
    assert proc.returncode == 0, proc.stderr
    fields = {f["label"]: f["value"] for f in json.loads(template["body"])["fields"]}
    assert tuple(fields) == KUBECONFIG_ITEM_FIELDS
    assert (fields["ca"], fields["cert"], fields["key"]) == ("Q0EtREFUQQ==", "Q0VSVA==", "S0VZ")


def test_a_kubeconfig_without_client_certificates_leaves_the_item_unchanged(fakes, tmp_path):
    proc, calls, _ = run(
        fakes, tmp_path, secret="apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n"
    )
    assert proc.returncode == 1
    assert "no certificate-authority-data" in proc.stderr
    assert not [c for c in calls if c[:2] in (["item", "edit"], ["item", "create"])]


def test_title_starting_with_dashes_is_not_an_option(fakes, tmp_path):
    proc, calls, template = run(fakes, tmp_path, title="--help")
    assert proc.returncode == 0, proc.stderr
    get, edit = calls
    assert get[:2] == ["item", "get"] and get[-2:] == ["--", "--help"]
    assert edit[:2] == ["item", "edit"] and edit[-2:] == ["--", "--help"]
    assert json.loads(template["body"])["title"] == "--help"
