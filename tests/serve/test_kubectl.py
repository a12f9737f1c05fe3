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
    # the Pipeline's containers are init containers (kratix pipeline_factory.go:350-362): kubectl's default
    # container is status-writer, so the pipeline's own log is asked for by name or with --all-containers
    assert "wrote" not in kubectl("logs", "-l", "kratix.io/promise-name=vcluster-core", *NS).stdout
    logs = kubectl("logs", "-l", "kratix.io/promise-name=vcluster-core", *NS, "--all-containers").stdout
    assert "wrote" in logs
    one = kubectl("logs", pods[0], *NS, "-c", "render", "--tail=1").stdout
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


# the other files of sample_requests/invalid/ never reach the server: kubectl refuses them itself, in its words
# (``validate``'s are about one request per file, which is no rule of kubectl's); several-documents.yaml holds two
# valid requests, and kubectl applies both
KUBECTL_REFUSES = {
    "empty": "error: no objects passed to apply",
    "yaml-syntax-error": "error converting YAML to JSON: yaml: line 7: did not find expected ',' or '}'",
    # from discovery, after a client-side validation that reads /openapi/v2 (see serve/openapi.py: empty_v2)
    "unknown-kind": 'no matches for kind "VClusterOrchestra" in version "platform.integratn.tech/v1alpha1"',
}


def test_every_invalid_sample_is_either_refused_by_the_server_or_by_kubectl_itself():
    others = {p.stem for p in (SAMPLES / "invalid").glob("*.yaml")} - {p.stem for p in INVALID}
    assert others == {*KUBECTL_REFUSES, "several-documents"}


@pytest.mark.parametrize("stem", sorted(KUBECTL_REFUSES))
def test_apply_of_an_invalid_file_kubectl_refuses_itself(kubectl, stem):
    p = kubectl("apply", "-f", str(SAMPLES / "invalid" / f"{stem}.yaml"), *NS, check=False)
    assert p.returncode == 1 and KUBECTL_REFUSES[stem] in p.stderr
    assert "failed to download openapi" not in p.stderr


def test_apply_of_several_documents_applies_each(kubectl):
    out = kubectl("apply", "-f", str(SAMPLES / "invalid" / "several-documents.yaml"), *NS).stdout.split("\n")
    assert out[:2] == [
        "vclusterorchestrator.platform.integratn.tech/one created",
        "vclusterorchestrator.platform.integratn.tech/two created",
    ]
    kubectl("delete", "vco", "one", "two", *NS, "--wait=false")


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
    field = kubectl("explain", "vco.spec.vcluster.preset").stdout
    assert "FIELD: preset <string>\nENUM:\n    dev\n    prod\n" in field  # kubectl prints enums, never defaults


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
    p = kubectl("auth", "can-i", "get", "pods", check=False)
    assert p.returncode != 0 and "selfsubjectaccessreviews" in p.stderr and "Traceback" not in p.stderr
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shell", "namespace": "default"},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }
    kubectl("create", "-f", "-", stdin=json.dumps(pod))
    p = kubectl("exec", "-n", "default", "shell", "--", "ls", check=False, timeout=60)
    assert p.returncode != 0 and "not modelled" in p.stderr, p.stderr


CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: default
data:
{}
"""


def test_server_side_apply_owns_fields_conflicts_and_removes(kubectl):
    kubectl("apply", "--server-side", "-f", "-", stdin=CM.format('  a: "1"\n  b: "1"'))
    kubectl("patch", "configmap", "owned", "--type", "merge", "-p", '{"data":{"a":"2"}}')
    clash = kubectl("apply", "--server-side", "-f", "-", stdin=CM.format('  a: "1"\n  b: "1"'), check=False)
    assert clash.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl-patch"' in clash.stderr and ".data.a" in clash.stderr
    kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=CM.format('  a: "1"'))
    obj = json.loads(kubectl("get", "configmap", "owned", "-o", "json", "--show-managed-fields").stdout)
    assert obj["data"] == {"a": "1"}  # b left the applied configuration: removed
    managers = {(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]}
    assert managers == {("kubectl", "Apply")}  # the forced apply took .data.a from kubectl-patch


def test_a_strategic_merge_patch_of_a_custom_resource_is_refused_as_the_api_server_does(kubectl):
    kubectl("apply", "-f", str(SAMPLES / "dev.yaml"))
    p = kubectl("patch", "vco", "sandbox", *NS, "-p", '{"metadata":{"labels":{"x":"y"}}}', check=False)
    assert p.returncode != 0 and "application/strategic-merge-patch+json is not supported" in p.stderr
    assert "accepted media types include" in p.stderr


def _family(kubectl, name: str, *, child_finalizer: bool = False) -> None:
    """A ConfigMap ``name`` and its dependent ``name-child`` (an ownerReference to it)."""
    # (`kubectl create configmap` sends protobuf, which serve does not model: a manifest instead)
    kubectl(
        "create",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}),
    )
    uid = kubectl("get", "configmap", name, "-n", "default", "-o", "jsonpath={.metadata.uid}").stdout
    child = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{name}-child",
            "namespace": "default",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": name, "uid": uid}],
            **({"finalizers": ["example.com/hold"]} if child_finalizer else {}),
        },
    }
    kubectl("create", "-f", "-", stdin=json.dumps(child))


def _exists(kubectl, name: str) -> bool:
    return kubectl("get", "configmap", name, "-n", "default", check=False).returncode == 0


def test_delete_propagation_policies(kubectl):
    _family(kubectl, "bg")
    kubectl("delete", "configmap", "bg", "-n", "default")
    assert not _exists(kubectl, "bg") and not _exists(kubectl, "bg-child")  # garbage-collected

    _family(kubectl, "orph")
    kubectl("delete", "configmap", "orph", "-n", "default", "--cascade=orphan")
    child = json.loads(kubectl("get", "configmap", "orph-child", "-n", "default", "-o", "json").stdout)
    assert not _exists(kubectl, "orph") and "ownerReferences" not in child["metadata"]

    _family(kubectl, "fg", child_finalizer=True)
    kubectl("delete", "configmap", "fg", "-n", "default", "--cascade=foreground", "--wait=false")
    owner = json.loads(kubectl("get", "configmap", "fg", "-n", "default", "-o", "json").stdout)
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"] and owner["metadata"]["deletionTimestamp"]
    assert json.loads(kubectl("get", "configmap", "fg-child", "-n", "default", "-o", "json").stdout)["metadata"][
        "deletionTimestamp"
    ]
    kubectl(
        "patch",
        "configmap",
        "fg-child",
        "-n",
        "default",
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    assert not _exists(kubectl, "fg-child") and not _exists(kubectl, "fg")  # the owner went with its last dependent


def test_tables_carry_each_kinds_columns(kubectl):
    kubectl("apply", "-f", str(SAMPLES / "dev.yaml"))
    _reconciled(kubectl, "sandbox")  # pipeline pods, the request's Applications
    apps = kubectl("get", "applications", "-n", "argocd").stdout.splitlines()
    assert apps[0].split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"]  # Argo CD's printer columns
    assert any(line.split()[1:3] == ["Synced", "Healthy"] for line in apps[1:])
    pods = kubectl("get", "pods", "-A").stdout.splitlines()
    assert pods[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(pods) > 1
    wide = kubectl("get", "pods", "-A", "-o", "wide").stdout.splitlines()[0].split()
    assert "NODE" in wide and "IP" in wide
    works = kubectl("get", "workplacements", "-A", "-o", "wide").stdout.splitlines()[0]
    assert works.startswith("NAMESPACE")


def test_get_events_prints_the_api_servers_event_columns(kubectl):
    kubectl("apply", "-f", str(SAMPLES / "dev.yaml"))
    _reconciled(kubectl, "sandbox")
    lines = kubectl("get", "events", *NS).stdout.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    started = [line.split() for line in lines[1:] if "PipelineStarted" in line]
    assert started and started[0][1:4] == ["Normal", "PipelineStarted", "vclusterorchestrator/sandbox"]
    wide = kubectl("get", "events", *NS, "-o", "wide").stdout.splitlines()[0]
    assert "SOURCE" in wide and "FIRST SEEN" in wide and "COUNT" in wide


def test_a_value_of_the_wrong_type_is_the_servers_400(kubectl):
    """A number in a ConfigMap's data (a Helm chart's unquoted port): the API server cannot decode it — a 400
    BadRequest in its words (apiserver handlers/rest.go:245-256 transformDecodeError; kratix_lab/schema/builtin.py),
    not a 422 Invalid; nothing is created."""
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unquoted\n  namespace: default\ndata:\n  port: 8080\n"
    p = kubectl("apply", "-f", "-", stdin=doc, check=False)
    assert p.returncode == 1, p.stdout
    assert "Error from server (BadRequest)" in p.stderr, p.stderr
    assert (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct '
        "field ConfigMap.data of type string"
    ) in p.stderr
    assert kubectl("get", "configmap", "unquoted", "-n", "default", check=False).returncode == 1
