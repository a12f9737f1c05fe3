"""The lab's Kratix model against upstream (syntasso/kratix main ae170e2); each test names its source."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from kratix_lab import Lab
from kratix_lab.platform.kratix import generate_object_name
from tests.helpers import SAMPLES


@pytest.mark.parametrize(
    ("name", "expected_base"),
    [
        ("short", "short"),
        ("a" * 57, "a" * 57),  # exactly maxNameLength: kept whole
        ("a" * 58, "a" * 56),  # longer: cut to maxNameLength-1
        ("b" * 55 + "-xyz", "b" * 55),  # the cut leaves "bbb…b-": the trailing '-' is dropped
        ("c" * 54 + "..", "c" * 54),  # trailing non-alphanumerics are dropped even when not cut
    ],
)
def test_generate_object_name_follows_upstream(name, expected_base):
    """lib/objectutil/name.go:11-19 and 38-47: ``maxNameLength = 63 - 1 - 5``; a longer name becomes
    ``name[0:maxNameLength-1]`` (56 characters), trailing non-alphanumerics are removed, then ``-`` and a
    5-character id are appended. The result is never longer than 63 characters."""
    got = generate_object_name(name, "abcde")
    assert got == f"{expected_base}-abcde"
    assert len(got) <= 63


def test_generate_object_name_refuses_a_suffix_that_is_not_five_characters():
    """lib/objectutil/name.go:18: the id is ``id[0:5]``, always five characters."""
    with pytest.raises(ValueError, match="must be 5 characters"):
        generate_object_name("x", "abc")


@pytest.fixture(scope="module")
def media_lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("media") / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    return lab


def test_job_work_and_workplacement_names_are_upstream_shaped(media_lab):
    """Job: api/v1alpha1/pipeline_factory.go:436-446 (``kratix-<promise>-<request>-<pipeline>`` through
    GenerateObjectName); Work: work-creator/lib/work_creator.go:40-48 and 211
    (``<promise>-<request>-<pipeline>`` through GenerateObjectName); WorkPlacement:
    internal/controller/scheduler.go:371 and shared.go:153-155 (``<work>.<destination>-<groupID[0:5]>``)."""
    lab = media_lab
    jobs = lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-orchestrator"})
    assert jobs
    for job in jobs:
        name = job["metadata"]["name"]
        assert len(name) <= 63, name
        assert re.fullmatch(r"kratix-vcluster-orchestrator-media-.*-[a-z0-9]{5}", name), name
    works = lab.list("Work")
    assert works
    for work in works:
        name = work["metadata"]["name"]
        assert len(name) <= 63, name
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]-[a-z0-9]{5}", name), name
    placements = lab.list("WorkPlacement")
    assert placements
    work_names = {w["metadata"]["name"] for w in works}
    for wp in placements:
        work_name, _, rest = wp["metadata"]["name"].partition(".")
        assert work_name in work_names
        dest = wp["spec"]["targetDestinationName"]
        assert rest == f"{dest}-{wp['spec']['id'][:5]}"


def test_kratix_labels_every_request_with_its_own_promise(media_lab):
    """internal/controller/dynamic_resource_request_controller.go:159-165 and :1783-1791: on reconcile,
    a request whose ``kratix.io/promise-name`` is not its Promise's name is relabelled (setPromiseLabels).
    The orchestrator's sub-requests therefore carry their own Promise's name there, and their parent
    under keys Kratix does not own."""
    core = media_lab.get("VClusterCore", "media", "platform-requests")
    labels = core["metadata"]["labels"]
    assert labels["kratix.io/promise-name"] == "vcluster-core"
    assert labels["integratn.tech/parent-promise"] == "vcluster-orchestrator"
    assert labels["integratn.tech/parent-resource"] == "media"
    top = media_lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert top["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator"


def test_a_request_labelled_with_another_promise_is_relabelled(tmp_path):
    """dynamic_resource_request_controller.go:160-161: any other value is overwritten with the Promise's
    name, before finalizers or workflows (the reconcile returns right after the update, :164). Here the
    live object is edited (git does not carry the label, so Argo CD has nothing to put back)."""
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/promise-name"] = "someone-else"
    lab.store.update(top)
    assert lab.settle().quiescent
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert top["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator"


def test_a_sub_request_labelled_with_the_parent_promise_flaps_and_diagnose_says_so(tmp_path):
    """The seed's old orchestrator labelled sub-requests ``kratix.io/promise-name: vcluster-orchestrator``.
    Kratix relabels them (dynamic_resource_request_controller.go:159-165), Argo CD's self-heal re-applies
    git's value: the lab never settles, and ``diagnose`` reports ``promise-label-flap`` with the fix."""
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    assert not [
        f
        for f in diagnose(LabSource(lab), "VClusterOrchestrator", "media", "platform-requests").findings
        if f.id == "promise-label-flap"
    ]
    lab.faults.inject("pipeline-image-stale", promise="vcluster-orchestrator")
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/manual-reconciliation"] = "true"
    lab.store.update(top)
    result = lab.settle(max_steps=120)
    assert not result.quiescent
    versions = []
    for _ in range(3):
        lab.settle(max_steps=20)
        versions.append(lab.get("VClusterCore", "media", "platform-requests")["metadata"]["resourceVersion"])
    assert len(set(versions)) == 3  # still being rewritten
    findings = diagnose(LabSource(lab), "VClusterOrchestrator", "media", "platform-requests").findings
    flaps = [f for f in findings if f.id == "promise-label-flap"]
    assert flaps, [f.id for f in findings]
    assert "kratix.io/promise-name=vcluster-orchestrator" in flaps[0].message
    assert "integratn.tech/parent-promise" in flaps[0].fix
    lab.faults.clear("pipeline-image-stale")
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/manual-reconciliation"] = "true"
    lab.store.update(top)
    assert lab.settle().quiescent


# ---- issue 12 item 5: the pipeline pod ----------------------------------------------------------


def _pipeline_pods(lab, promise, action="configure"):
    return lab.list(
        "Pod", "platform-requests", {"kratix.io/promise-name": promise, "kratix.io/workflow-action": action}
    )


def test_pipeline_pod_runs_user_containers_as_init_containers_between_reader_and_work_writer(media_lab):
    """api/v1alpha1/pipeline_factory.go:350-362: init containers ``reader``, the Pipeline's containers,
    then ``work-writer`` (configure only); the one container is ``status-writer`` (:418-433). The reader,
    work-writer and status-writer run Kratix's pipeline-adapter (:199-271); restartPolicy defaults to
    ``OnFailure`` and the backoffLimit to the cluster's (pipeline_types.go:96-99, factory :340-348)."""
    from kratix_lab.pipeline.pod import PIPELINE_ADAPTER_IMG

    core = media_lab.get("Promise", "vcluster-core")
    user = [c["name"] for c in core["spec"]["workflows"]["resource"]["configure"][0]["spec"]["containers"]]
    (pod,) = _pipeline_pods(media_lab, "vcluster-core")
    spec = pod["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["reader", *user, "work-writer"]
    assert [c["name"] for c in spec["containers"]] == ["status-writer"]
    assert spec["restartPolicy"] == "OnFailure"
    assert {c["image"] for c in [spec["initContainers"][0], spec["initContainers"][-1], *spec["containers"]]} == {
        PIPELINE_ADAPTER_IMG
    }
    assert spec["initContainers"][-1]["args"][:1] == ["work-creator"]
    job = media_lab.get("Job", pod["metadata"]["labels"]["job-name"], "platform-requests")
    assert "backoffLimit" not in job["spec"]
    assert job["metadata"]["annotations"]["kratix.io/job-resource-name"] == "media"
    assert job["metadata"]["annotations"]["kratix.io/job-resource-kind"] == "VClusterCore"
    # every container ran and completed, in order
    st = pod["status"]
    assert [c["name"] for c in st["initContainerStatuses"]] == ["reader", *user, "work-writer"]
    assert all(c["state"]["terminated"]["exitCode"] == 0 for c in st["initContainerStatuses"] + st["containerStatuses"])


def test_delete_pipeline_pod_has_no_work_writer(tmp_path):
    """api/v1alpha1/pipeline_factory.go:359-361: a delete workflow's init containers are ``reader`` and the
    Pipeline's containers; ``status-writer`` is the container; no ``work-writer``; the ServiceAccount is
    the delete one (pipeline_types.go:296)."""
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    lab.delete("VClusterOrchestrator", "media", "platform-requests")
    pods = []
    for _ in range(60):  # the request's Jobs and pods go with it: look while the delete pipeline has run
        lab.step()
        pods = _pipeline_pods(lab, "argocd-application", "delete")
        if pods:
            break
    assert pods
    spec = pods[0]["spec"]
    assert spec["initContainers"][0]["name"] == "reader"
    assert "work-writer" not in [c["name"] for c in spec["initContainers"]]
    assert [c["name"] for c in spec["containers"]] == ["status-writer"]
    pipeline = pods[0]["metadata"]["labels"]["kratix.io/pipeline-name"]
    assert spec["serviceAccountName"] == f"argocd-application-resource-delete-{pipeline}"


def test_pipeline_service_account_is_promise_resource_action_pipeline(media_lab):
    """api/v1alpha1/pipeline_types.go:296 (``ID: <promise>-resource-<action>-<pipeline>``) and
    pipeline_factory.go:88-104 (the ServiceAccount is named by the ID unless the Pipeline sets
    ``rbac.serviceAccount``; it carries the promise-name label and Kratix creates it)."""
    for pod in media_lab.list("Pod", "platform-requests", {"app.kubernetes.io/managed-by": "Kratix"}):
        labels = pod["metadata"]["labels"]
        expected = (
            f"{labels['kratix.io/promise-name']}-resource-{labels['kratix.io/workflow-action']}-"
            f"{labels['kratix.io/pipeline-name']}"
        )
        assert pod["spec"]["serviceAccountName"] == expected
        sa = media_lab.get("ServiceAccount", expected, "platform-requests")
        assert sa is not None, expected
        assert sa["metadata"]["labels"] == {"kratix.io/promise-name": labels["kratix.io/promise-name"]}


def test_go_json_marshals_as_encoding_json():
    """lib/hash/hasher.go:11-17 marshals ``.spec`` with Go's ``json.Marshal``: keys sorted, compact, and
    ``<``, ``>``, ``&`` escaped as \\u003c, \\u003e, \\u0026."""
    from kratix_lab.pipeline.pod import go_json, spec_hash

    assert go_json({"b": 1, "a": "<x> & y", "c": [True, None], "d": "é"}) == (
        '{"a":"\\u003cx\\u003e \\u0026 y","b":1,"c":[true,null],"d":"é"}'
    )
    assert spec_hash(None) == hashlib.md5(b"null").hexdigest()


def test_kratix_hash_is_md5_of_promise_and_request_spec_hashes(media_lab):
    """api/v1alpha1/pipeline_factory.go:482-510 and lib/hash/hasher.go:11-21: ``kratix.io/hash`` is
    ``md5("<md5(promise .spec JSON)>-<md5(request .spec JSON)>")`` on the Job and its pod."""
    core = media_lab.get("VClusterCore", "media", "platform-requests")
    promise = media_lab.get("Promise", "vcluster-core")

    def md5_json(v):
        return hashlib.md5(json.dumps(v, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    expected = hashlib.md5(f"{md5_json(promise['spec'])}-{md5_json(core['spec'])}".encode()).hexdigest()
    (pod,) = _pipeline_pods(media_lab, "vcluster-core")
    assert pod["metadata"]["labels"]["kratix.io/hash"] == expected
    job = media_lab.get("Job", pod["metadata"]["labels"]["job-name"], "platform-requests")
    assert job["metadata"]["labels"]["kratix.io/hash"] == expected


def test_every_pipeline_container_carries_the_kratix_env(media_lab):
    """api/v1alpha1/pipeline_factory.go:166-197 (``defaultEnvVars``): reader (:205), each Pipeline
    container (:281, :304, before its own env) and status-writer (:424) get the KRATIX_* variables."""
    (pod,) = _pipeline_pods(media_lab, "vcluster-core")
    spec = pod["spec"]
    want = {
        "KRATIX_WORKFLOW_ACTION": "configure",
        "KRATIX_WORKFLOW_TYPE": "resource",
        "KRATIX_PROMISE_NAME": "vcluster-core",
        "KRATIX_PIPELINE_NAME": pod["metadata"]["labels"]["kratix.io/pipeline-name"],
        "KRATIX_OBJECT_KIND": "VClusterCore",
        "KRATIX_OBJECT_GROUP": "platform.integratn.tech",
        "KRATIX_OBJECT_VERSION": "v1alpha1",
        "KRATIX_OBJECT_NAME": "media",
        "KRATIX_OBJECT_NAMESPACE": "platform-requests",
        "KRATIX_CRD_PLURAL": "vclustercores",
        "KRATIX_CLUSTER_SCOPED": "false",
    }
    for c in [*spec["initContainers"], *spec["containers"]]:
        if c["name"] == "work-writer":
            continue  # :234-251: only the trace variables
        env = {e["name"]: e["value"] for e in c["env"]}
        assert {k: env.get(k) for k in want} == want, c["name"]


def test_a_failing_pipeline_container_is_an_init_container_that_logs_and_trace_name(tmp_path):
    """api/v1alpha1/pipeline_factory.go:350-362: the Pipeline's container that fails is an init container;
    later init containers and status-writer never start (waiting PodInitializing) and ``kubectl get pod``
    shows ``Init:Error`` (kubernetes printers.go printPod). ``trace`` records the failing container by name
    and reads its log; ``diagnose`` gives the ``logs -c <container>`` command."""
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource
    from kratix_lab.views.kube_view import pod_status

    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "media", "platform-requests")
    lab.settle()
    pods = sorted(_pipeline_pods(lab, "vcluster-core"), key=lambda p: p["metadata"]["creationTimestamp"])
    pod = pods[-1]
    user = [c["name"] for c in pod["spec"]["initContainers"][1:-1]]
    st = pod["status"]
    assert st["phase"] == "Failed"
    states = {c["name"]: c["state"] for c in st["initContainerStatuses"]}
    assert states["reader"]["terminated"]["exitCode"] == 0
    assert states[user[0]]["terminated"] == {**states[user[0]]["terminated"], "exitCode": 1, "reason": "Error"}
    assert states["work-writer"] == {"waiting": {"reason": "PodInitializing"}}
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert pod_status(pod) == "Init:Error"
    assert "render failed" in lab.logs("Pod", pod["metadata"]["name"], "platform-requests", container=user[0])
    with pytest.raises(Exception, match="container nope is not valid"):
        lab.logs("Pod", pod["metadata"]["name"], "platform-requests", container="nope")
    d = diagnose(LabSource(lab), "VClusterCore", "media", "platform-requests")
    failed = [f for f in d.findings if f.id == "pipeline-failed"]
    assert failed
    assert failed[0].evidence["logTail"] and "render failed" in failed[0].evidence["logTail"][-1]
    assert f"kratix-lab logs vclustercore/media -n platform-requests -c {user[0]}" in failed[0].fix
    from kratix_lab.trace import trace

    t = trace(LabSource(lab), "VClusterCore", "media", "platform-requests")
    runs = [n for n, _ in t.walk() if n.stage == "pipeline" and n.evidence.get("phase") == "Failed"]
    assert runs and runs[0].evidence["container"] == user[0]
    assert runs[0].evidence["images"] == [c["image"] for c in pod["spec"]["initContainers"][1:-1]]
