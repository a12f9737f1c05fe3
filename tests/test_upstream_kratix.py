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


# ---- issue 12 item 3: status ------------------------------------------------------------------


def _cond(obj, ctype):
    from kratix_lab.model import get_condition

    return get_condition(obj, ctype) or {}


def _core(lab):
    return lab.get("VClusterCore", "sandbox", "platform-requests")


def test_workflows_succeeded_counts_this_runs_pipelines_and_resets_on_a_manual_retry(lab):
    """lib/workflow/reconciler.go:297-333: ``workflowsSucceeded`` is the number of pipelines completed in
    the current run (:277-290, :318-319), and a manual retry resets ``workflowsFailed`` to 0 and the
    pipelines to Pending (:309-310, :328-333); a failure sets ``workflowsFailed`` to 1, not +1
    (:433-434); a completed workflow shows workflowsSucceeded = workflows
    (dynamic_resource_request_controller.go:1181-1201)."""
    core = _core(lab)
    n = core["status"]["workflows"]
    assert n >= 1 and core["status"]["workflowsSucceeded"] == n and core["status"]["workflowsFailed"] == 0
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    assert _core(lab)["status"]["workflowsSucceeded"] == n, "a second run does not add to the count"
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    for _ in range(2):
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        lab.settle()
        st = _core(lab)["status"]
        assert (st["workflowsSucceeded"], st["workflowsFailed"]) == (0, 1)
    lab.faults.clear("pipeline-fails")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.step()  # the run has started: counters reset
    st = _core(lab)["status"]
    assert (st["workflowsSucceeded"], st["workflowsFailed"]) == (0, 0)
    assert st["kratix"]["workflows"]["pipelines"][0]["phase"] in ("Running", "Succeeded")
    lab.settle()
    st = _core(lab)["status"]
    assert (st["workflowsSucceeded"], st["workflowsFailed"]) == (n, 0)


def test_message_is_pending_at_each_start_and_a_failure_sets_conditions_only(lab):
    """lib/workflow/reconciler.go:719-731: each run sets ``status.message`` to ``Pending`` whatever it was;
    a failed pipeline sets ``ConfigureWorkflowCompleted=False ConfigureWorkflowFailed`` ("A Configure
    Pipeline has failed: <pipeline>") and ``Reconciled=False`` ("Failing") and leaves the message
    (reconciler.go:428-445; lib/resourceutil/util.go:63-72, 134-142); on success the work-creator turns
    ``Pending`` into ``Resource requested`` (work-creator/lib/status_updater.go:36-49)."""
    core = _core(lab)
    core["status"]["message"] = "set by an earlier pipeline"
    lab.store.update_status(core)
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.step()
    assert _core(lab)["status"]["message"] == "Pending"
    lab.settle()
    core = _core(lab)
    pipeline = core["status"]["kratix"]["workflows"]["pipelines"][0]["name"]
    assert core["status"]["message"] == "Pending"
    assert _cond(core, "ConfigureWorkflowCompleted") | {"lastTransitionTime": None} == {
        "type": "ConfigureWorkflowCompleted",
        "status": "False",
        "reason": "ConfigureWorkflowFailed",
        "message": f"A Configure Pipeline has failed: {pipeline}",
        "lastTransitionTime": None,
    }
    assert (_cond(core, "Reconciled")["status"], _cond(core, "Reconciled")["message"]) == ("False", "Failing")
    lab.faults.clear("pipeline-fails")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    assert _core(lab)["status"]["message"] != "Pending"  # the pipeline's own, else "Resource requested"


def test_work_is_ready_once_scheduled_and_fails_only_when_a_placement_write_fails(lab):
    """internal/controller/scheduler.go:134-148: every group placed → the Work is ``Ready=True``
    ``AllWorkplacementsScheduled`` ("Ready"), ScheduleSucceeded "All workplacements scheduled
    successfully", whether or not the placements are written yet; work_controller.go:161-201: only a
    placement with ``WriteSucceeded=False`` makes it ``Ready=False WorkplacementsFailing`` ("Failing",
    ScheduleSucceeded "Workplacements failed to write: [<placements>]")."""
    (work,) = lab.list(
        "Work", "platform-requests", {"kratix.io/resource-name": "sandbox", "kratix.io/promise-name": "vcluster-core"}
    )
    assert (_cond(work, "Ready")["reason"], _cond(work, "Ready")["message"]) == ("AllWorkplacementsScheduled", "Ready")
    assert _cond(work, "ScheduleSucceeded")["message"] == "All workplacements scheduled successfully"
    # a placement not written yet (no WriteSucceeded) does not make the Work pending
    (wp,) = lab.list("WorkPlacement", "platform-requests", {"kratix.io/work": work["metadata"]["name"]})
    wp["status"]["conditions"] = [c for c in wp["status"]["conditions"] if c["type"] == "ScheduleSucceeded"]
    lab.store.update_status(wp)
    lab.step()
    work = lab.get("Work", work["metadata"]["name"], "platform-requests")
    assert _cond(work, "Ready")["status"] == "True"
    # a failed write does
    wp = lab.get("WorkPlacement", wp["metadata"]["name"], "platform-requests")
    wp["status"]["conditions"].append(
        {
            "type": "WriteSucceeded",
            "status": "False",
            "reason": "WorkloadsFailedWrite",
            "message": "boom",
            "lastTransitionTime": lab.now(),
        }
    )
    lab.store.update_status(wp)
    lab.step()
    work = lab.get("Work", work["metadata"]["name"], "platform-requests")
    assert (_cond(work, "Ready")["reason"], _cond(work, "Ready")["message"]) == ("WorkplacementsFailing", "Failing")
    assert _cond(work, "ScheduleSucceeded")["message"] == f"Workplacements failed to write: [{wp['metadata']['name']}]"


def test_workplacement_conditions_use_upstream_reasons(lab):
    """api/v1alpha1/workplacement_types.go:105-155 and scheduler.go:459-466: written →
    ``WriteSucceeded=True WorkloadsWrittenToStateStore`` ("Workloads written to State Store"),
    ``Ready=True WorkloadsWrittenToTargetDestination`` ("Ready"), ``ScheduleSucceeded=True
    ScheduledToDestination`` ("Scheduled to correct Destination"); a failed write →
    ``WriteSucceeded=False WorkloadsFailedWrite`` (the error) and ``Ready=False WorkloadsFailedWrite``
    ("Failing")."""
    from tests.test_faults import second_vcluster

    wp = lab.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": "sandbox"})[0]
    got = {c["type"]: (c["status"], c["reason"], c["message"]) for c in wp["status"]["conditions"]}
    assert got == {
        "WriteSucceeded": ("True", "WorkloadsWrittenToStateStore", "Workloads written to State Store"),
        "Ready": ("True", "WorkloadsWrittenToTargetDestination", "Ready"),
        "ScheduleSucceeded": ("True", "ScheduledToDestination", "Scheduled to correct Destination"),
    }
    lab.faults.inject("statestore-push-rejected")
    second_vcluster(lab)
    lab.settle()
    (wp,) = lab.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": "extra"})
    assert _cond(wp, "WriteSucceeded")["reason"] == "WorkloadsFailedWrite"
    assert "remote rejected" in _cond(wp, "WriteSucceeded")["message"]
    assert (_cond(wp, "Ready")["status"], _cond(wp, "Ready")["reason"], _cond(wp, "Ready")["message"]) == (
        "False",
        "WorkloadsFailedWrite",
        "Failing",
    )


def test_unscheduled_work_lists_its_group_ids(lab):
    """internal/controller/scheduler.go:100-115: ``ScheduleSucceeded=False UnscheduledWorkloads`` "No
    matching destination found for workloadGroups: [<ids>]", ``Ready=False`` "Pending"; the Work counts
    its groups and the placements created (:89-96)."""
    from tests.test_faults import second_vcluster

    lab.faults.inject("destination-unlabelled")
    second_vcluster(lab)
    lab.settle()
    (work,) = lab.list("Work", "platform-requests", {"kratix.io/resource-name": "extra"})
    ids = [g["id"] for g in work["spec"]["workloadGroups"]]
    assert (
        _cond(work, "ScheduleSucceeded")["message"]
        == f"No matching destination found for workloadGroups: [{','.join(ids)}]"
    )
    assert (_cond(work, "Ready")["reason"], _cond(work, "Ready")["message"]) == ("UnscheduledWorkloads", "Pending")
    assert (work["status"]["workPlacements"], work["status"]["workPlacementsCreated"]) == (len(ids), 0)


def test_a_request_of_an_unavailable_promise_shows_promise_available_false(lab):
    """dynamic_resource_request_controller.go:189-198 and 1505-1529, lib/resourceutil/util.go:32-36,
    496-520: the request gets ``PromiseAvailable=False PromiseRequirementsNotInstalled`` ("Promise
    Requirements are not installed") and message ``Pending``, before finalizers or workflows; once the
    Promise is Available, ``PromiseAvailable=True`` (reason ``PromiseAvailable``) and the workflow runs."""
    promise = lab.get("Promise", "argocd-project")
    promise["spec"]["requiredPromises"] = [{"name": "cert-manager", "version": "v1.0.0"}]
    lab.store.update(promise)
    lab.apply(
        {
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "ArgocdProject",
            "metadata": {"name": "waiting", "namespace": "platform-requests"},
            "spec": {"name": "waiting", "destinations": [{"namespace": "*"}]},
        }
    )
    lab.settle()
    req = lab.get("ArgocdProject", "waiting", "platform-requests")
    c = _cond(req, "PromiseAvailable")
    assert (c["status"], c["reason"], c["message"]) == (
        "False",
        "PromiseRequirementsNotInstalled",
        "Promise Requirements are not installed",
    )
    assert req["status"]["message"] == "Pending"
    assert not req["metadata"].get("finalizers")
    promise = lab.get("Promise", "argocd-project")
    promise["spec"].pop("requiredPromises")
    lab.store.update(promise)
    lab.settle()
    req = lab.get("ArgocdProject", "waiting", "platform-requests")
    assert (_cond(req, "PromiseAvailable")["status"], _cond(req, "PromiseAvailable")["reason"]) == (
        "True",
        "PromiseAvailable",
    )
    assert _cond(req, "Reconciled")["status"] == "True"


def test_canary_commit_message_is_upstreams(lab):
    """internal/controller/destination_controller.go:47, 231-233 (``UpdateFiles("", "kratix-canary", …)``)
    and lib/writers/git.go:188-193, 292: the canary commit is ``Update from: kratix-canary``."""
    import subprocess

    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=lab.state_remote_path, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "Update from: kratix-canary" in log
    assert not [m for m in log if "(canary)" in m]


def test_request_and_work_finalizers_are_upstreams(lab):
    """dynamic_resource_request_controller.go:63-64, 1793-1795 and shared.go:28-29: every request carries
    ``kratix.io/work-cleanup``, ``kratix.io/workflows-cleanup``, ``kratix.io/delete-workflows`` and
    ``kratix.io/resource-binding-cleanup`` (with or without a delete workflow); a Work carries
    ``kratix.io/work-cleanup`` (work_controller.go:50, 116-125). Deleting the request removes them all."""
    four = [
        "kratix.io/work-cleanup",
        "kratix.io/workflows-cleanup",
        "kratix.io/delete-workflows",
        "kratix.io/resource-binding-cleanup",
    ]
    for kind in ("VClusterOrchestrator", "VClusterCore", "ArgocdApplication"):
        for req in lab.list(kind, "platform-requests"):
            assert req["metadata"]["finalizers"] == four, (kind, req["metadata"]["finalizers"])
    for work in lab.list("Work", "platform-requests"):
        assert work["metadata"]["finalizers"] == ["kratix.io/work-cleanup"]
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    assert lab.get("VClusterOrchestrator", "sandbox", "platform-requests") is None
    assert lab.get("VClusterCore", "sandbox", "platform-requests") is None


def test_a_promise_change_marks_requests_run_from_start_not_manual(lab):
    """internal/controller/promise_controller.go:683 and 1163-1185 (reconcileAllRRs): a changed Promise
    labels each of its requests ``internal.workflows.kratix.io/run-from-start=true``, not the user's
    ``kratix.io/manual-reconciliation``; the workflow removes it when it starts the run
    (lib/workflow/reconciler.go:681-685)."""
    jobs_before = len(lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-core"}))
    written = []  # the labels of every write of the request: the label lives within one round
    update = lab.store.update

    def recording(obj, **kw):
        if obj.get("kind") == "VClusterCore":
            written.append(dict((obj.get("metadata") or {}).get("labels") or {}))
        return update(obj, **kw)

    lab.store.update = recording
    promise = lab.get("Promise", "vcluster-core")
    promise["spec"]["workflows"]["resource"]["configure"][0]["metadata"].setdefault("labels", {})["lab/rev"] = "2"
    lab.store.update(promise)
    lab.settle()
    lab.store.update = update
    assert any(w.get("internal.workflows.kratix.io/run-from-start") == "true" for w in written), written
    assert not any("kratix.io/manual-reconciliation" in w for w in written)
    labels = _core(lab)["metadata"].get("labels") or {}
    assert "internal.workflows.kratix.io/run-from-start" not in labels
    assert len(lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-core"})) > jobs_before


# ---- issue 12 item 4: failure paths -----------------------------------------------------------


def _configure_jobs(lab, promise="vcluster-core", name="sandbox"):
    return lab.list(
        "Job",
        "platform-requests",
        {"kratix.io/promise-name": promise, "kratix.io/resource-name": name, "kratix.io/workflow-action": "configure"},
    )


def test_a_failed_configure_workflow_is_retried_after_the_reconciliation_interval(lab):
    """dynamic_resource_request_controller.go:221-230, 1472-1500, 1775-1781 with shared.go:35 and
    cmd/main.go:639-644: the workflow re-runs (Kratix sets the manual-reconciliation label) once the
    ConfigureWorkflowCompleted condition is older than the reconciliation interval (10 h by default),
    when it is True and, with ``reconcileAfterFailure`` (default on), when it failed."""
    from kratix_lab.platform.kratix import RECONCILIATION_INTERVAL

    assert RECONCILIATION_INTERVAL == 10 * 3600
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    assert _cond(_core(lab), "ConfigureWorkflowCompleted")["reason"] == "ConfigureWorkflowFailed"
    lab.faults.clear("pipeline-fails")
    jobs = len(_configure_jobs(lab))
    lab.run_for(RECONCILIATION_INTERVAL - 60)
    assert len(_configure_jobs(lab)) == jobs, "not before the interval"
    assert _cond(_core(lab), "Reconciled")["status"] == "False"
    lab.run_for(120)
    assert len(_configure_jobs(lab)) == jobs + 1
    core = _core(lab)
    assert _cond(core, "Reconciled")["status"] == "True"
    assert "kratix.io/manual-reconciliation" not in (core["metadata"].get("labels") or {})
    # a successful workflow runs again after the interval too
    lab.run_for(RECONCILIATION_INTERVAL + 60)
    assert len(_configure_jobs(lab)) == jobs + 2


class _WorkflowControl:
    """Runs the real pipeline, then writes ``workflow-control.yaml`` for one Promise's pipeline."""

    name = "in-process"

    def __init__(self, inner, promise, text, extra_output=None):
        self.inner, self.promise, self.text, self.extra_output = inner, promise, text, extra_output

    def run(self, container, dirs, env):
        res = self.inner.run(container, dirs, env)
        if env.get("KRATIX_PROMISE_NAME") == self.promise and env.get("KRATIX_WORKFLOW_ACTION") == "configure":
            if self.text:
                (dirs.metadata / "workflow-control.yaml").write_text(self.text)
            if self.extra_output:
                (dirs.output / "extra-configmap.yaml").write_text(self.extra_output)
        return res


def test_retry_after_skips_the_work_suspends_the_workflow_and_retries_it(tmp_path):
    """work-creator/lib/work_creator.go:102-112: with ``retryAfter`` (or ``suspend``) no Work is created or
    updated; work-creator/cmd/update_status.go:119-153 and lib/status_updater.go:72-126: the request is
    labelled ``kratix.io/workflow-suspended=true``, the pipeline is ``Suspended`` with the message,
    ``nextRetryAt`` = now + retryAfter and ``attempts``; Reconciled is ``Unknown WorkflowSuspended``
    (lib/resourceutil/util.go:164-172). When nextRetryAt passes the label goes and the suspended pipeline
    runs again (dynamic_resource_request_controller.go:796-812, lib/workflow/reconciler.go:243-283)."""
    from kratix_lab.kube.times import parse_time
    from tests.test_faults import second_vcluster

    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    inner = lab.executor
    lab.executor = _WorkflowControl(inner, "vcluster-core", "retryAfter: 10m\nmessage: waiting for the database\n")
    second_vcluster(lab)
    lab.settle()
    core = lab.get("VClusterCore", "extra", "platform-requests")
    assert core["metadata"]["labels"]["kratix.io/workflow-suspended"] == "true"
    p = core["status"]["kratix"]["workflows"]["pipelines"][0]
    assert (p["phase"], p["message"], p["attempts"]) == ("Suspended", "waiting for the database", 1)
    suspended_at = parse_time(p["lastTransitionTime"])
    assert parse_time(p["nextRetryAt"]) == suspended_at + 600
    assert (_cond(core, "Reconciled")["reason"], _cond(core, "Reconciled")["message"]) == (
        "WorkflowSuspended",
        "Suspended",
    )
    assert (
        lab.list(
            "Work", "platform-requests", {"kratix.io/resource-name": "extra", "kratix.io/promise-name": "vcluster-core"}
        )
        == []
    )
    lab.run_for(700)  # retried once: still asks to wait
    p = lab.get("VClusterCore", "extra", "platform-requests")["status"]["kratix"]["workflows"]["pipelines"][0]
    assert (p["phase"], p["attempts"]) == ("Suspended", 2)
    lab.executor = inner
    lab.run_for(700)
    core = lab.get("VClusterCore", "extra", "platform-requests")
    assert "kratix.io/workflow-suspended" not in core["metadata"]["labels"]
    assert core["status"]["kratix"]["workflows"]["pipelines"][0]["phase"] == "Succeeded"
    assert lab.list(
        "Work", "platform-requests", {"kratix.io/resource-name": "extra", "kratix.io/promise-name": "vcluster-core"}
    )
    assert _cond(core, "Reconciled")["status"] == "True"
    lab.close()


def test_suspend_waits_until_the_label_is_removed(lab):
    """work-creator/cmd/update_status.go:128-153: ``suspend: true`` without ``retryAfter`` suspends with no
    ``nextRetryAt``; Kratix only re-runs the suspended pipeline once the ``kratix.io/workflow-suspended``
    label is removed (lib/workflow/reconciler.go:247-248, 398-407); the Work is not updated meanwhile
    (work_creator.go:102-112)."""
    (work,) = lab.list(
        "Work", "platform-requests", {"kratix.io/resource-name": "sandbox", "kratix.io/promise-name": "vcluster-core"}
    )
    inner = lab.executor
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: default\ndata: {a: b}\n"
    lab.executor = _WorkflowControl(inner, "vcluster-core", "suspend: true\n", extra_output=cm)
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    lab.run_for(3600)
    core = _core(lab)
    p = core["status"]["kratix"]["workflows"]["pipelines"][0]
    assert p["phase"] == "Suspended" and "nextRetryAt" not in p and "attempts" not in p
    assert lab.get("Work", work["metadata"]["name"], "platform-requests")["spec"] == work["spec"], "no Work update"
    lab.executor = _WorkflowControl(inner, "vcluster-core", "", extra_output=cm)
    core["metadata"]["labels"].pop("kratix.io/workflow-suspended")
    lab.store.update(core)
    lab.settle()
    work = lab.get("Work", work["metadata"]["name"], "platform-requests")
    files = [w["filepath"] for g in work["spec"]["workloadGroups"] for w in g["workloads"]]
    assert "extra-configmap.yaml" in files
    assert _core(lab)["status"]["kratix"]["workflows"]["pipelines"][0]["phase"] == "Succeeded"


def test_a_misplaced_workplacement_keeps_its_label_and_receives_updates(lab):
    """internal/controller/scheduler.go:116-133 and 283-327: when a placement's Destination stops matching,
    the Work shows ``ScheduleSucceeded=False DestinationSelectorMismatch`` ("Target destination no longer
    matches destinationSelectors for workloadGroups: [<ids>]") and ``Ready=False Misplaced``; the
    placement is labelled ``kratix.io/misplaced``, not moved, and keeps receiving the group's workloads
    (updateWorkPlacement sets spec.workloads either way); the label is never removed."""
    lab.faults.inject("destination-unlabelled")
    lab.settle()
    (work,) = lab.list(
        "Work", "platform-requests", {"kratix.io/resource-name": "sandbox", "kratix.io/promise-name": "vcluster-core"}
    )
    ids = [g["id"] for g in work["spec"]["workloadGroups"]]
    sched = _cond(work, "ScheduleSucceeded")
    assert (sched["status"], sched["reason"]) == ("False", "DestinationSelectorMismatch")
    assert (
        sched["message"]
        == f"Target destination no longer matches destinationSelectors for workloadGroups: [{','.join(ids)}]"
    )
    assert (_cond(work, "Ready")["reason"], _cond(work, "Ready")["message"]) == ("Misplaced", "Misplaced")
    (wp,) = lab.list("WorkPlacement", "platform-requests", {"kratix.io/work": work["metadata"]["name"]})
    assert wp["metadata"]["labels"]["kratix.io/misplaced"] == "true"
    assert _cond(wp, "ScheduleSucceeded")["reason"] == "DestinationSelectorMismatch"
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: default\ndata: {a: b}\n"
    lab.executor = _WorkflowControl(lab.executor, "vcluster-core", "", extra_output=cm)
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    wp = lab.get("WorkPlacement", wp["metadata"]["name"], "platform-requests")
    assert "extra-configmap.yaml" in [w["filepath"] for w in wp["spec"]["workloads"]], "still receives updates"
    assert wp["spec"]["targetDestinationName"] == "the-cluster"
    assert _cond(wp, "WriteSucceeded")["status"] == "True"
    core = _core(lab)
    assert (_cond(core, "WorksSucceeded")["reason"], _cond(core, "Reconciled")["reason"]) == (
        "WorksMisplaced",
        "WorksFailing",
    )
