"""The real kubectl (1.32 on this project's machines) against ``kratix-lab serve`` (issue 13's test list)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.serve.conftest import KUBECTL, SAMPLES, needs_kubectl

pytestmark = needs_kubectl
NS = ("-n", "platform-requests")


def _reconciled(kubectl, name: str) -> None:
    kubectl("wait", "--for=condition=Reconciled", f"vco/{name}", *NS, "--timeout=180s", timeout=200)


def test_api_resources_lists_the_catalogue_kinds_with_short_names(kubectl):
    out = kubectl("api-resources").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "vco" in rows["vclusterorchestrators"].split()
    assert "platform.integratn.tech/v1alpha1" in rows["vclusterorchestrators"]
    assert "workplacements" in rows and "pods" in rows and "applications" in rows


def test_apply_wait_get_describe_logs(kubectl):
    assert "created" in kubectl("apply", "-f", str(SAMPLES / "dev.yaml")).stdout
    _reconciled(kubectl, "sandbox")
    table = kubectl("get", "vco", *NS).stdout.splitlines()
    assert table[0].split()[:3] == ["NAME", "MESSAGE", "STATUS"]
    assert table[1].startswith("sandbox") and "Reconciled" in table[1]
    wide = kubectl("get", "vco", *NS, "-o", "wide").stdout.splitlines()[0]
    assert "PROMISE" in wide and "PROMISE" not in table[0]
    every = kubectl("get", "vco", "-A").stdout.splitlines()
    assert every[0].split()[0] == "NAMESPACE" and every[1].startswith("platform-requests")
    obj = json.loads(kubectl("get", "vco", "sandbox", *NS, "-o", "json").stdout)
    assert obj["kind"] == "VClusterOrchestrator" and obj["spec"]["name"] == "sandbox"
    assert yaml.safe_load(kubectl("get", "vco/sandbox", *NS, "-o", "yaml").stdout)["metadata"]["name"] == "sandbox"
    path = kubectl("get", "vco", *NS, "-o", "jsonpath={.items[*].metadata.name}").stdout
    assert path.split() == ["sandbox"]
    pods = kubectl("get", "pods", *NS, "-l", "kratix.io/promise-name=vcluster-core", "-o", "name").stdout.split()
    assert pods and all(p.startswith("pod/kratix-vcluster-core-sandbox") for p in pods)
    assert kubectl("get", "pods", *NS, "-l", "kratix.io/promise-name=nothing-such").stdout == ""
    in_set = kubectl("get", "pods", *NS, "-l", "kratix.io/promise-name in (vcluster-core,nothing-such)", "-o", "name")
    assert in_set.stdout.split() == pods
    bad = kubectl("get", "pods", *NS, "-l", "a in (x", check=False)
    assert bad.returncode != 0
    described = kubectl("describe", "vco", "sandbox", *NS).stdout
    assert "Events:" in described and "PipelineStarted" in described
    logs = kubectl("logs", "-l", "kratix.io/promise-name=vcluster-core", *NS).stdout
    assert "wrote" in logs
    one = kubectl("logs", pods[0], *NS, "--tail=1").stdout
    assert len(one.splitlines()) == 1
    works = kubectl("get", "works,workplacements", *NS).stdout
    assert "work.platform.kratix.io/" in works and "workplacement.platform.kratix.io/" in works


def _validate(path) -> str:
    """What ``kratix-lab validate FILE`` prints on stderr."""
    code = "import sys; from kratix_lab.cli import main; sys.exit(main(['validate', sys.argv[1]]))"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False).stderr


INVALID = [p for p in sorted((SAMPLES / "invalid").glob("*.yaml")) if "is invalid" in _validate(p)]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_apply_is_refused_with_the_words_validate_prints(kubectl, path):
    errors = [line.strip() for line in _validate(path).splitlines() if line.startswith("  ")]
    assert errors
    p = kubectl("apply", "-f", str(path), "-n", "platform-requests", check=False)
    assert p.returncode != 0
    assert "is invalid" in p.stderr
    for e in errors:
        assert e in p.stderr


def test_server_side_apply_label_annotate_patch_diff(kubectl):
    kubectl("apply", "-f", str(SAMPLES / "dev.yaml"))
    assert "serverside-applied" in kubectl("apply", "--server-side", "-f", str(SAMPLES / "dev.yaml")).stdout
    kubectl("label", "vco", "sandbox", *NS, "team=blue")
    kubectl("annotate", "vco", "sandbox", *NS, "note=hello")
    kubectl("patch", "vco", "sandbox", *NS, "--type", "merge", "-p", '{"spec":{"vcluster":{"replicas":2}}}')
    kubectl(
        "patch", "vco", "sandbox", *NS, "--type", "json", "-p", '[{"op":"add","path":"/metadata/labels/x","value":"y"}]'
    )
    obj = json.loads(kubectl("get", "vco", "sandbox", *NS, "-o", "json").stdout)
    assert obj["metadata"]["labels"]["team"] == "blue" and obj["metadata"]["labels"]["x"] == "y"
    assert obj["metadata"]["annotations"]["note"] == "hello"
    assert obj["spec"]["vcluster"]["replicas"] == 2
    bad = kubectl(
        "patch", "vco", "sandbox", *NS, "--type", "merge", "-p", '{"spec":{"vcluster":{"replicas":99}}}', check=False
    )
    assert bad.returncode != 0 and "spec.vcluster.replicas" in bad.stderr
    changed = (SAMPLES / "dev.yaml").read_text().replace("spec:\n", "spec:\n  vcluster:\n    preset: prod\n", 1)
    diff = kubectl("diff", "-f", "-", stdin=changed, check=False)
    assert diff.returncode == 1, diff.stderr
    assert "+    preset: prod" in diff.stdout and "-status:" not in diff.stdout
    again = json.loads(kubectl("get", "vco", "sandbox", *NS, "-o", "json").stdout)
    assert again["spec"]["vcluster"].get("preset") != "prod"  # diff is a dry run


def test_get_watch_shows_a_new_request_reconciling(kubectl):
    watch = subprocess.Popen(
        [KUBECTL, "get", "vco", *NS, "-w"], env=kubectl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        kubectl("apply", "-f", str(SAMPLES / "media.yaml"), *NS)
        _reconciled(kubectl, "media")
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=30)
    media = [line for line in out.splitlines() if line.startswith("media ")]
    assert media and "Reconciled" in media[-1]
    assert any("Reconciled" not in line for line in media)  # seen before it reconciled


def test_explain_reads_the_crd_schema(kubectl):
    out = kubectl("explain", "vclusterorchestrator.spec.vcluster").stdout
    assert "KIND:       VClusterOrchestrator" in out
    assert "DESCRIPTION:\n    Sizing and behaviour of the virtual cluster." in out
    assert "  preset\t<string>\n  enum: dev, prod\n    Sizing preset: dev" in out  # the CRD's enum and description
    assert "  replicas\t<integer>\n    Control-plane replicas" in out


def test_delete_shows_terminating_then_waits_for_the_delete_pipeline(kubectl, served):
    kubectl("apply", "-f", str(SAMPLES / "dev.yaml"))
    _reconciled(kubectl, "sandbox")
    with served.hold():  # the lab clock stands still: the delete pipeline cannot run yet
        kubectl("delete", "vco", "sandbox", *NS, "--wait=false")
        obj = json.loads(kubectl("get", "vco", "sandbox", *NS, "-o", "json").stdout)
        # terminating behind Kratix's finalizers while the delete pipeline runs
        assert obj["metadata"]["deletionTimestamp"] and obj["metadata"]["finalizers"]
        # still listed while it terminates (other tests of this module may have left their own requests)
        assert (
            "vclusterorchestrator.platform.integratn.tech/sandbox"
            in kubectl("get", "vco", *NS, "-o", "name").stdout.split()
        )
    kubectl("wait", "--for=delete", "vco/sandbox", *NS, "--timeout=180s", timeout=200)
    gone = kubectl("get", "vco", "sandbox", *NS, check=False)
    assert gone.returncode == 1 and "NotFound" in gone.stderr


def test_unsupported_verbs_answer_a_status(kubectl):
    p = kubectl("get", "nosuchthings", check=False)
    assert p.returncode == 1 and "doesn't have a resource type" in p.stderr
    p = kubectl("get", "--raw", "/nothing/here", check=False)
    assert p.returncode == 1 and "NotFound" in p.stderr
