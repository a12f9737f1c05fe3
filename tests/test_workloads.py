"""The workloads controller: Deployments, StatefulSets, Jobs and CronJobs make Pods that become Ready.

Every test drives the controller the way the lab does: reconcile rounds, and the clock jumps to
``next_due`` when a round makes no writes. Times are simulated seconds since the lab's epoch.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from kratix_lab.kube.times import EPOCH, rfc3339
from kratix_lab.model import dump_all, get_condition
from kratix_lab.platform.controller import Context
from kratix_lab.platform.store import Store
from kratix_lab.platform.workloads import CronSchedule, WorkloadsController, template_hash
from tests.helpers import needs_shared, run_validator

NS = "default"
UNIX_MINUTE0 = int(EPOCH.timestamp()) // 60


# ---- helpers ---------------------------------------------------------------------------------


def any_due(ctl, ctx):
    """The next timer of any sort: convergence (next_due) or recurring (next_periodic)."""
    times = [t for t in (ctl.next_due(ctx), ctl.next_periodic(ctx)) if t is not None]
    return min(times) if times else None


def make_ctx(tmp_path: Path, name: str = "s.db", **faults: dict[str, Any]) -> Context:
    return Context(store=Store(tmp_path / name), lab_dir=tmp_path, faults=dict(faults))


def settle(ctx: Context, ctl: WorkloadsController, until: int | None = None, max_rounds: int = 2000) -> None:
    """Rounds until quiescent, jumping the clock to next_due; with ``until``, stop at that second."""
    store = ctx.store
    for _ in range(max_rounds):
        if ctl.reconcile(ctx):
            continue
        now = store.now_seconds()
        due = any_due(ctl, ctx)
        if due is not None:
            assert due > now, f"next_due {due} is not in the future at {now}: the round left due work undone"
        if until is None:
            if due is None:
                return
            store.advance(due - now)
        elif due is not None and due <= until:
            store.advance(due - now)
        elif now < until:
            store.advance(until - now)
        else:
            return
    raise AssertionError("the controller did not settle")


def container(name: str = "app", image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def deployment(name: str, replicas: int = 2, image: str = "nginx:1.27", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container(image=image)]}},
            **spec,
        },
    }


def statefulset(name: str, replicas: int = 3, policy: str = "OrderedReady", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "serviceName": f"{name}-headless",
            "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container("etcd", "registry.k8s.io/etcd:3.5.21-0")]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
                }
            ],
            **spec,
        },
    }


def job_template(restart: str = "Never", **spec: Any) -> dict[str, Any]:
    return {
        "spec": {
            "template": {"spec": {"restartPolicy": restart, "containers": [container("sync", "busybox:1.36")]}},
            **spec,
        }
    }


def job(name: str, restart: str = "Never", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS},
        **job_template(restart, **spec),
    }


def cronjob(name: str, schedule: str, template: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"schedule": schedule, "jobTemplate": template or job_template(), **spec},
    }


def pods(store: Store, prefix: str = "") -> list[dict[str, Any]]:
    return [p for p in store.list("Pod", NS) if p["metadata"]["name"].startswith(prefix)]


def cond(obj: dict[str, Any], ctype: str) -> str | None:
    c = get_condition(obj, ctype)
    return c["status"] if c else None


def owner_uid(obj: dict[str, Any]) -> str:
    (ref,) = obj["metadata"]["ownerReferences"]
    assert ref["controller"] is True and ref["blockOwnerDeletion"] is True
    return ref["uid"]


def cstatus(pod: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return pod["status"]["containerStatuses"][index]


def _finished(j: dict[str, Any]) -> str | None:
    return next((t for t in ("Complete", "Failed") if cond(j, t) == "True"), None)


def events(store: Store, name: str, reason: str | None = None) -> list[dict[str, Any]]:
    return [e for e in store.events(name=name) if reason is None or e["reason"] == reason]


# ---- Deployment ------------------------------------------------------------------------------


def test_deployment_makes_a_replicaset_and_pods_that_become_ready_over_the_delays(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    d = store.create(deployment("web"))

    assert ctl.reconcile(ctx) > 0
    (rs,) = store.list("ReplicaSet", NS)
    h = template_hash(d["spec"]["template"])
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{10}", h)
    assert rs["metadata"]["name"] == f"web-{h}"
    assert owner_uid(rs) == d["metadata"]["uid"]
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["annotations"]["kratix-lab.io/modelled"] == "true"
    ps = pods(store)
    assert len(ps) == 2
    for p in ps:
        assert re.fullmatch(rf"web-{h}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", p["metadata"]["name"])
        assert owner_uid(p) == rs["metadata"]["uid"]
        assert p["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
        assert p["metadata"]["annotations"]["kratix-lab.io/modelled"] == "true"
        assert p["spec"]["nodeName"] == "kratix-lab-node"
        assert p["status"]["phase"] == "Pending"
        assert cond(p, "PodScheduled") == "True" and cond(p, "Ready") == "False"
        assert cstatus(p)["state"] == {"waiting": {"reason": "ContainerCreating"}}
        assert p["status"]["startTime"] == rfc3339(0)
        assert "podIP" not in p["status"]

    settle(ctx, ctl, until=5)
    for p in pods(store):
        assert p["status"]["phase"] == "Running"
        assert cstatus(p)["state"] == {"running": {"startedAt": rfc3339(5)}}
        assert cstatus(p)["started"] is True and cstatus(p)["ready"] is False
        assert cond(p, "Ready") == "False"
        assert re.fullmatch(r"10\.244\.\d+\.\d+", p["status"]["podIP"])
    assert "readyReplicas" not in store.get("Deployment", "web", NS)["status"]  # zero counters are omitted

    settle(ctx, ctl, until=14)
    assert all(cond(p, "Ready") == "False" for p in pods(store))
    settle(ctx, ctl, until=15)
    ps = pods(store)
    assert all(cond(p, "Ready") == "True" and cond(p, "ContainersReady") == "True" for p in ps)
    assert all(get_condition(p, "Ready")["lastTransitionTime"] == rfc3339(15) for p in ps)
    assert len({p["status"]["podIP"] for p in ps}) == 2

    d = store.get("Deployment", "web", NS)
    st = d["status"]
    assert {
        k: st[k] for k in ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "observedGeneration")
    } == {
        "replicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "updatedReplicas": 2,
        "observedGeneration": 1,
    }
    assert "unavailableReplicas" not in st
    assert (get_condition(d, "Available")["status"], get_condition(d, "Available")["reason"]) == (
        "True",
        "MinimumReplicasAvailable",
    )
    progressing = get_condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "NewReplicaSetAvailable")
    assert progressing["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    rs = store.get("ReplicaSet", f"web-{h}", NS)
    assert rs["status"] == {
        "replicas": 2,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 1,
    }

    name = ps[0]["metadata"]["name"]
    assert [(e["reason"], e["source"]) for e in events(store, name)] == [
        ("Scheduled", "default-scheduler"),
        ("Pulled", "kubelet"),
        ("Created", "kubelet"),
        ("Started", "kubelet"),
    ]
    assert events(store, "web", "ScalingReplicaSet")[0]["message"] == f"Scaled up replica set web-{h} from 0 to 2"

    # quiescent: nothing left to do, nothing due
    assert ctl.reconcile(ctx) == 0
    assert any_due(ctl, ctx) is None


def test_template_change_rolls_to_a_new_replicaset_within_surge_and_availability(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web"))
    settle(ctx, ctl)
    old_rs = store.list("ReplicaSet", NS)[0]["metadata"]["name"]

    d = store.get("Deployment", "web", NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    d = store.update(d)
    assert d["metadata"]["generation"] == 2
    new_rs = f"web-{template_hash(d['spec']['template'])}"
    assert new_rs != old_rs

    # RollingUpdate defaults for 2 replicas: maxSurge 1, maxUnavailable 0
    worst_total, worst_available = 0, 99
    for _ in range(200):
        wrote = ctl.reconcile(ctx)
        active = [p for p in pods(store) if p["status"]["phase"] in ("Pending", "Running")]
        worst_total = max(worst_total, len(active))
        worst_available = min(worst_available, sum(cond(p, "Ready") == "True" for p in active))
        if wrote:
            continue
        due = any_due(ctl, ctx)
        if due is None:
            break
        store.advance(due - store.now_seconds())
    assert worst_total == 3
    assert worst_available == 2

    rss = {rs["metadata"]["name"]: rs for rs in store.list("ReplicaSet", NS)}
    assert set(rss) == {old_rs, new_rs}
    assert rss[old_rs]["spec"]["replicas"] == 0 and rss[old_rs]["status"] == {"replicas": 0, "observedGeneration": 3}
    assert rss[new_rs]["spec"]["replicas"] == 2
    assert rss[new_rs]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    ps = pods(store)
    assert len(ps) == 2 and all(p["metadata"]["name"].startswith(new_rs + "-") for p in ps)
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in ps)
    d = store.get("Deployment", "web", NS)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["observedGeneration"] == 2 and d["status"]["updatedReplicas"] == 2
    assert get_condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    messages = [e["message"] for e in events(store, "web", "ScalingReplicaSet")]
    assert f"Scaled up replica set {new_rs} from 0 to 1" in messages
    assert f"Scaled down replica set {old_rs} from 2 to 1" in messages
    assert messages[-1] in (
        f"Scaled down replica set {old_rs} from 1 to 0",
        f"Scaled up replica set {new_rs} from 1 to 2",
    )


def test_rolling_back_reuses_the_old_replicaset_and_history_is_limited(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web", image="nginx:1", revisionHistoryLimit=1))
    settle(ctx, ctl)

    def roll(image: str) -> str:
        d = store.get("Deployment", "web", NS)
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        d = store.update(d)
        settle(ctx, ctl)
        return f"web-{template_hash(d['spec']['template'])}"

    first = store.list("ReplicaSet", NS)[0]["metadata"]["name"]
    second = roll("nginx:2")
    assert roll("nginx:1") == first  # the rollback finds the first ReplicaSet again
    rss = {rs["metadata"]["name"]: rs for rs in store.list("ReplicaSet", NS)}
    assert rss[first]["spec"]["replicas"] == 2 and rss[second]["spec"]["replicas"] == 0
    assert rss[first]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    d = store.get("Deployment", "web", NS)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    third = roll("nginx:3")
    assert sorted(rs["metadata"]["name"] for rs in store.list("ReplicaSet", NS)) == sorted([first, third])
    assert {p["spec"]["containers"][0]["image"] for p in pods(store)} == {"nginx:3"}


def test_recreate_strategy_removes_old_pods_before_new_ones(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web", strategy={"type": "Recreate"}))
    settle(ctx, ctl)
    d = store.get("Deployment", "web", NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    store.update(d)
    for _ in range(50):
        if ctl.reconcile(ctx) == 0:
            break
        images = {p["spec"]["containers"][0]["image"] for p in pods(store)}
        assert len(images) <= 1, "Recreate never runs old and new pods together"
    settle(ctx, ctl)
    assert {p["spec"]["containers"][0]["image"] for p in pods(store)} == {"nginx:1.28"}


def test_deleting_a_deployment_removes_its_replicasets_and_pods(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web"))
    store.create(deployment("api", replicas=1))
    settle(ctx, ctl)
    assert len(pods(store)) == 3
    store.delete("Deployment", "web", NS)
    assert [rs["metadata"]["name"] for rs in store.list("ReplicaSet", NS)] == [
        f"api-{template_hash(store.get('Deployment', 'api', NS)['spec']['template'])}"
    ]
    assert [p["metadata"]["name"].split("-")[0] for p in pods(store)] == ["api"]
    assert ctl.reconcile(ctx) == 0
    assert any_due(ctl, ctx) is None


def test_scaling_a_deployment_down_deletes_pods_and_up_creates_them(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web", replicas=3))
    settle(ctx, ctl)
    d = store.get("Deployment", "web", NS)
    d["spec"]["replicas"] = 1
    store.update(d)
    settle(ctx, ctl)
    assert len(pods(store)) == 1
    rs = store.list("ReplicaSet", NS)[0]
    assert [e["reason"] for e in events(store, rs["metadata"]["name"])].count("SuccessfulDelete") == 2
    assert store.get("Deployment", "web", NS)["status"]["readyReplicas"] == 1


# ---- StatefulSet -----------------------------------------------------------------------------


def test_statefulset_parallel_makes_ordinal_pods_and_claims_and_scales_down_from_the_top(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    sts = store.create(statefulset("etcd", policy="Parallel"))
    ctl.reconcile(ctx)
    ps = pods(store)
    assert [p["metadata"]["name"] for p in ps] == ["etcd-0", "etcd-1", "etcd-2"]
    revision = f"etcd-{template_hash(sts['spec']['template'])}"
    for i, p in enumerate(ps):
        assert owner_uid(p) == sts["metadata"]["uid"]
        assert p["metadata"]["labels"] == {
            "app": "etcd",
            "controller-revision-hash": revision,
            "statefulset.kubernetes.io/pod-name": f"etcd-{i}",
            "apps.kubernetes.io/pod-index": str(i),
        }
        assert p["spec"]["hostname"] == f"etcd-{i}" and p["spec"]["subdomain"] == "etcd-headless"
        assert p["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-etcd-{i}"}}]
    claims = store.list("PersistentVolumeClaim", NS)
    assert [c["metadata"]["name"] for c in claims] == ["data-etcd-0", "data-etcd-1", "data-etcd-2"]
    for c in claims:
        assert c["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"}}
        assert c["spec"]["volumeName"] == f"pvc-{c['metadata']['uid']}"
        assert c["metadata"]["labels"] == {"app": "etcd"}
        assert c["metadata"]["annotations"]["kratix-lab.io/modelled"] == "true"
        assert "ownerReferences" not in c["metadata"]  # whenDeleted: Retain (the default)
    st = store.get("StatefulSet", "etcd", NS)["status"]
    assert "readyReplicas" not in st and st["availableReplicas"] == 0  # omitempty, as the API serves it

    settle(ctx, ctl)
    st = store.get("StatefulSet", "etcd", NS)["status"]
    assert st == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
        "availableReplicas": 3,
    }
    assert [e["message"] for e in events(store, "etcd")][:2] == [
        "create Claim data-etcd-0 Pod etcd-0 in StatefulSet etcd success",
        "create Pod etcd-0 in StatefulSet etcd successful",
    ]

    s = store.get("StatefulSet", "etcd", NS)
    s["spec"]["replicas"] = 1
    store.update(s)
    settle(ctx, ctl)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0"]
    assert len(store.list("PersistentVolumeClaim", NS)) == 3  # whenScaled: Retain keeps the claims
    st = store.get("StatefulSet", "etcd", NS)["status"]
    assert (st["replicas"], st["readyReplicas"], st["observedGeneration"]) == (1, 1, 2)

    store.delete("StatefulSet", "etcd", NS)
    assert pods(store) == []
    assert len(store.list("PersistentVolumeClaim", NS)) == 3


def test_statefulset_claim_retention_policy_delete(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    retention = {"whenDeleted": "Delete", "whenScaled": "Delete"}
    store.create(statefulset("etcd", policy="Parallel", persistentVolumeClaimRetentionPolicy=retention))
    settle(ctx, ctl)
    s = store.get("StatefulSet", "etcd", NS)
    s["spec"]["replicas"] = 2
    store.update(s)
    settle(ctx, ctl)
    assert [c["metadata"]["name"] for c in store.list("PersistentVolumeClaim", NS)] == ["data-etcd-0", "data-etcd-1"]
    store.delete("StatefulSet", "etcd", NS)
    assert store.list("PersistentVolumeClaim", NS) == []


def test_statefulset_ordered_ready_creates_each_pod_after_the_previous_is_ready(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(statefulset("etcd"))
    settle(ctx, ctl, until=14)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0"]
    settle(ctx, ctl)
    created = {p["metadata"]["name"]: p["metadata"]["creationTimestamp"] for p in pods(store)}
    assert created == {"etcd-0": rfc3339(0), "etcd-1": rfc3339(15), "etcd-2": rfc3339(30)}
    assert store.now_seconds() == 45
    assert store.get("StatefulSet", "etcd", NS)["status"]["readyReplicas"] == 3

    # scale down: one pod at a time, highest ordinal first
    s = store.get("StatefulSet", "etcd", NS)
    s["spec"]["replicas"] = 1
    store.update(s)
    ctl.reconcile(ctx)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0", "etcd-1"]
    settle(ctx, ctl)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0"]
    deletes = [e["message"] for e in events(store, "etcd", "SuccessfulDelete")]
    assert deletes == [
        "delete Pod etcd-2 in StatefulSet etcd successful",
        "delete Pod etcd-1 in StatefulSet etcd successful",
    ]


def test_statefulset_ordered_ready_waits_behind_a_crashing_pod(tmp_path):
    ctx, ctl = make_ctx(tmp_path, **{"workload-crashloop": {"name": "etcd-0"}}), WorkloadsController()
    store = ctx.store
    store.create(statefulset("etcd"))
    settle(ctx, ctl, until=400)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0"]
    ctx.faults.clear()
    settle(ctx, ctl, until=1000)
    assert [p["metadata"]["name"] for p in pods(store)] == ["etcd-0", "etcd-1", "etcd-2"]


def test_statefulset_rolling_update_replaces_pods_from_the_highest_ordinal(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(statefulset("etcd", policy="Parallel"))
    settle(ctx, ctl)
    s = store.get("StatefulSet", "etcd", NS)
    old_revision = s["status"]["currentRevision"]
    s["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.k8s.io/etcd:3.6.0-0"
    s = store.update(s)
    new_revision = f"etcd-{template_hash(s['spec']['template'])}"
    settle(ctx, ctl)
    deletes = [e["message"].split()[2] for e in events(store, "etcd", "SuccessfulDelete")]
    assert deletes == ["etcd-2", "etcd-1", "etcd-0"]
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods(store)} == {new_revision}
    st = store.get("StatefulSet", "etcd", NS)["status"]
    assert old_revision != new_revision
    assert (st["currentRevision"], st["updateRevision"], st["updatedReplicas"]) == (new_revision, new_revision, 3)


# ---- Job and CronJob -------------------------------------------------------------------------


def test_job_runs_one_pod_to_completion(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    j = store.create(job("sync", restart="OnFailure"))
    ctl.reconcile(ctx)
    (p,) = pods(store)
    assert re.fullmatch(r"sync-[bcdfghjklmnpqrstvwxz2456789]{5}", p["metadata"]["name"])
    assert owner_uid(p) == j["metadata"]["uid"]
    assert p["spec"]["restartPolicy"] == "OnFailure"
    assert p["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": j["metadata"]["uid"],
        "batch.kubernetes.io/job-name": "sync",
        "controller-uid": j["metadata"]["uid"],
        "job-name": "sync",
    }
    st = store.get("Job", "sync", NS)["status"]
    assert st == {"startTime": rfc3339(0), "active": 1, "terminating": 0, "uncountedTerminatedPods": {}, "ready": 0}

    settle(ctx, ctl, until=14)
    assert store.get("Job", "sync", NS)["status"]["ready"] == 1
    settle(ctx, ctl)
    assert store.now_seconds() == 15  # starts at 5, runs 10 s
    (p,) = pods(store)
    assert p["status"]["phase"] == "Succeeded"
    assert cstatus(p)["state"]["terminated"] == {
        "exitCode": 0,
        "reason": "Completed",
        "startedAt": rfc3339(5),
        "finishedAt": rfc3339(15),
        "containerID": cstatus(p)["containerID"],
    }
    assert get_condition(p, "Ready")["reason"] == "PodCompleted"
    j = store.get("Job", "sync", NS)
    assert j["status"]["succeeded"] == 1 and j["status"]["completionTime"] == rfc3339(15)
    assert "active" not in j["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in j["status"]["conditions"]] == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    assert [e["reason"] for e in events(store, "sync")] == ["SuccessfulCreate", "Completed"]
    assert ctl.reconcile(ctx) == 0 and any_due(ctl, ctx) is None


def test_job_duration_is_configurable_and_ttl_deletes_the_finished_job(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController(job_duration=30)
    store = ctx.store
    store.create(job("sync", ttlSecondsAfterFinished=60))
    quick = job("quick")
    quick["metadata"]["annotations"] = {"kratix-lab.io/run-seconds": "2"}
    store.create(quick)
    settle(ctx, ctl, until=35)
    assert store.get("Job", "sync", NS)["status"]["completionTime"] == rfc3339(35)
    assert store.get("Job", "quick", NS)["status"]["completionTime"] == rfc3339(7)
    settle(ctx, ctl)
    assert store.now_seconds() == 95
    assert store.get("Job", "sync", NS) is None and pods(store, "sync") == []
    assert store.get("Job", "quick", NS) is not None


def test_job_with_never_restart_policy_fails_after_the_backoff_limit(tmp_path):
    ctx, ctl = make_ctx(tmp_path, **{"workload-crashloop": {"name": "sync"}}), WorkloadsController()
    store = ctx.store
    store.create(job("sync", backoffLimit=2))
    settle(ctx, ctl, until=1000)
    ps = pods(store)
    # pod 1 fails at 5; replacements after 10 s and 20 s of back-off, each failing 5 s after creation
    assert sorted(p["metadata"]["creationTimestamp"] for p in ps) == [rfc3339(0), rfc3339(15), rfc3339(40)]
    assert all(p["status"]["phase"] == "Failed" for p in ps)
    assert all(cstatus(p)["state"]["terminated"]["exitCode"] == 1 for p in ps)
    assert all(cstatus(p)["restartCount"] == 0 for p in ps)
    j = store.get("Job", "sync", NS)
    assert j["status"]["failed"] == 3 and "completionTime" not in j["status"]
    assert [(c["type"], c["reason"]) for c in j["status"]["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded"),
        ("Failed", "BackoffLimitExceeded"),
    ]
    assert events(store, "sync", "BackoffLimitExceeded")[0]["type"] == "Warning"
    assert any_due(ctl, ctx) is None


def test_job_with_on_failure_restarts_in_place_until_the_backoff_limit(tmp_path):
    ctx, ctl = make_ctx(tmp_path, **{"workload-crashloop": {}}), WorkloadsController()
    store = ctx.store
    store.create(job("sync", restart="OnFailure", backoffLimit=3))
    settle(ctx, ctl, until=1000)
    assert pods(store) == []  # the failed Job's running pod is deleted
    j = store.get("Job", "sync", NS)
    assert j["status"]["failed"] == 1
    assert get_condition(j, "Failed")["lastTransitionTime"] == rfc3339(35)  # restarts 1 @5, 2 @15, 3 @35


def test_cronjob_creates_jobs_at_schedule_boundaries_and_keeps_history(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    cj = store.create(cronjob("sync", "*/5 * * * *"))
    assert any_due(ctl, ctx) == 300
    settle(ctx, ctl, until=299)
    assert store.list("Job", NS) == []
    settle(ctx, ctl, until=300)
    (j,) = store.list("Job", NS)
    assert j["metadata"]["name"] == f"sync-{UNIX_MINUTE0 + 5}"
    assert j["metadata"]["creationTimestamp"] == rfc3339(300)
    assert owner_uid(j) == cj["metadata"]["uid"]
    assert j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == rfc3339(300)
    st = store.get("CronJob", "sync", NS)["status"]
    assert st["lastScheduleTime"] == rfc3339(300)
    assert [a["name"] for a in st["active"]] == [j["metadata"]["name"]]

    settle(ctx, ctl, until=1810)  # six schedules: 300 … 1800
    jobs = store.list("Job", NS)
    # three finished Jobs kept (successfulJobsHistoryLimit 3) plus the running one
    assert [x["metadata"]["name"] for x in jobs] == [f"sync-{UNIX_MINUTE0 + m}" for m in (15, 20, 25, 30)]
    assert [x["metadata"]["creationTimestamp"] for x in jobs] == [rfc3339(s) for s in (900, 1200, 1500, 1800)]
    assert [_finished(x) for x in jobs] == ["Complete", "Complete", "Complete", None]
    assert {p["metadata"]["labels"]["job-name"] for p in pods(store)} == {x["metadata"]["name"] for x in jobs}
    st = store.get("CronJob", "sync", NS)["status"]
    assert st["lastScheduleTime"] == rfc3339(1800)
    assert st["lastSuccessfulTime"] == rfc3339(1515)
    assert [a["name"] for a in st["active"]] == [f"sync-{UNIX_MINUTE0 + 30}"]
    deleted = [e["message"] for e in events(store, "sync", "SuccessfulDelete")]
    assert deleted == [f"Deleted job sync-{UNIX_MINUTE0 + m}" for m in (5, 10)]
    assert any_due(ctl, ctx) == 1815  # the running Job's pod finishes
    settle(ctx, ctl, until=1815)
    assert any_due(ctl, ctx) == 2100  # then only the next schedule


def test_cronjob_failed_jobs_history_limit(tmp_path):
    ctx, ctl = make_ctx(tmp_path, **{"workload-crashloop": {"namespace": NS, "name": "sync"}}), WorkloadsController()
    store = ctx.store
    store.create(cronjob("sync", "*/5 * * * *", job_template(backoffLimit=0), successfulJobsHistoryLimit=1))
    settle(ctx, ctl, until=1210)
    (j,) = store.list("Job", NS)
    assert j["metadata"]["name"] == f"sync-{UNIX_MINUTE0 + 20}"
    assert get_condition(j, "Failed")["reason"] == "BackoffLimitExceeded"
    assert "lastSuccessfulTime" not in store.get("CronJob", "sync", NS)["status"]


def test_cronjob_forbid_skips_while_a_job_runs_then_starts_the_missed_schedule(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    template = job_template()
    template["metadata"] = {"annotations": {"kratix-lab.io/run-seconds": "150"}, "labels": {"team": "platform"}}
    store.create(cronjob("sync", "* * * * *", template, concurrencyPolicy="Forbid"))
    settle(ctx, ctl, until=400)
    jobs = store.list("Job", NS)
    # 60: starts, runs 65..215; 120 and 180 are skipped; at 215 the missed 180 starts (runs 220..370); at 370 the missed 360
    assert [x["metadata"]["name"] for x in jobs] == [f"sync-{UNIX_MINUTE0 + m}" for m in (1, 3, 6)]
    assert [x["metadata"]["creationTimestamp"] for x in jobs] == [rfc3339(s) for s in (60, 215, 370)]
    assert jobs[0]["metadata"]["labels"] == {"team": "platform"}
    skipped = events(store, "sync", "JobAlreadyActive")
    assert skipped and skipped[0]["message"] == (
        "Not starting job because prior execution is running and concurrency policy is Forbid"
    )
    assert [a["name"] for a in store.get("CronJob", "sync", NS)["status"]["active"]] == [f"sync-{UNIX_MINUTE0 + 6}"]


def test_cronjob_replace_deletes_the_running_job(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    template = job_template()
    template["metadata"] = {"annotations": {"kratix-lab.io/run-seconds": "1000"}}
    store.create(cronjob("sync", "*/2 * * * *", template, concurrencyPolicy="Replace"))
    settle(ctx, ctl, until=400)
    assert [x["metadata"]["name"] for x in store.list("Job", NS)] == [f"sync-{UNIX_MINUTE0 + 6}"]
    assert len(pods(store)) == 1


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("*/5 * * *", "expected exactly 5 fields, found 4: */5 * * *"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("x * * * *", "failed to parse int from x: x"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("", "empty spec string"),
    ],
)
def test_bad_cron_schedule_is_an_event_and_nothing_else(tmp_path, schedule, error):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(cronjob("sync", schedule))
    assert ctl.reconcile(ctx) == 1
    settle(ctx, ctl, until=3600)
    assert ctl.reconcile(ctx) == 0 and any_due(ctl, ctx) is None
    assert store.list("Job", NS) == []
    assert "status" not in store.get("CronJob", "sync", NS)
    (event,) = store.events(kind="CronJob", name="sync")
    assert (event["type"], event["reason"], event["count"]) == ("Warning", "UnparseableSchedule", 1)
    assert event["message"] == f'unparseable schedule: "{schedule}" : {error}'


def test_unknown_time_zone_is_an_event(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(cronjob("sync", "*/5 * * * *", timeZone="Mars/Olympus_Mons"))
    settle(ctx, ctl, until=900)
    assert store.list("Job", NS) == []
    (event,) = store.events(kind="CronJob", name="sync")
    assert event["reason"] == "UnknownTimeZone" and event["message"].startswith('invalid timeZone: "Mars/Olympus_Mons"')


def test_cronjob_time_zone_shifts_the_schedule(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    # 01:00 in Berlin (UTC+1 in January) is 00:00 UTC; created at 0, so the first run is the next day
    store.create(cronjob("sync", "0 1 * * *", timeZone="Europe/Berlin"))
    assert any_due(ctl, ctx) == 86400
    settle(ctx, ctl, until=86400)
    (j,) = store.list("Job", NS)
    assert (
        j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-01-02T01:00:00+01:00"
    )


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/5 * * * *", 0, 300),
        ("*/5 * * * *", 299, 300),
        ("*/5 * * * *", 300, 600),
        ("0 * * * *", 0, 3600),
        ("30 2 * * *", 0, 2 * 3600 + 1800),
        ("0 0 * * MON", 0, 4 * 86400),  # 2026-01-01 is a Thursday
        ("0 0 1,15 * *", 0, 14 * 86400),
        ("0 0 * FEB *", 0, 31 * 86400),
        ("15-17 3 * * *", 3 * 3600 + 15 * 60, 3 * 3600 + 16 * 60),
        ("5/20 * * * *", 0, 300),
        ("0 0 13 * 5", 0, 1 * 86400),  # day-of-month OR day-of-week: Friday 2 Jan
        ("0 0 13 * *", 0, 12 * 86400),
        ("@hourly", 0, 3600),
        ("@daily", 0, 86400),
        ("@every 90s", 0, 90),
    ],
)
def test_cron_schedule_next_firing(schedule, after, expected):
    from datetime import UTC

    assert CronSchedule.parse(schedule).next_after(after, UTC, 0) == expected


def test_cron_schedule_latest_firing_is_the_most_recent_missed_one():
    from datetime import UTC

    s = CronSchedule.parse("*/5 * * * *")
    assert s.latest(86400 * 365, 0, UTC) == 86400 * 365
    assert s.latest(86400 * 365 + 299, 0, UTC) == 86400 * 365
    assert s.latest(299, 0, UTC) is None
    assert s.latest(600, 300, UTC) == 600
    assert s.latest(599, 300, UTC) is None


# ---- faults ----------------------------------------------------------------------------------


def test_crashloop_fault_restarts_with_the_kubelet_backoff_and_recovers_when_cleared(tmp_path):
    ctx = make_ctx(tmp_path, **{"workload-crashloop": {"namespace": NS, "name": "web"}})
    ctl = WorkloadsController()
    store = ctx.store
    store.create(deployment("web", replicas=1))
    store.create(deployment("api", replicas=1))

    # immediate first restart at start (5 s), then back-off 10 s, 20 s, 40 s, 80 s, 160 s, 300 s (cap)
    expected = [(5, 1, "10s"), (14, 1, "10s"), (15, 2, "20s"), (34, 2, "20s"), (35, 3, "40s"), (75, 4, "1m20s"),
                (155, 5, "2m40s"), (315, 6, "5m0s"), (400, 6, "5m0s")]  # fmt: skip
    for t, restarts, backoff in expected:
        settle(ctx, ctl, until=t)
        (p,) = pods(store, "web-")
        cs = cstatus(p)
        assert (t, cs["restartCount"]) == (t, restarts)
        assert cs["ready"] is False and cond(p, "Ready") == "False"
        assert p["status"]["phase"] == "Running"
        assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert cs["state"]["waiting"]["message"].startswith(f"back-off {backoff} restarting failed container=app pod=")
        term = cs["lastState"]["terminated"]
        assert (term["reason"], term["exitCode"]) == ("Error", 1)
        name = p["metadata"]["name"]
        assert len(store.logs(NS, name).splitlines()) == restarts + 1  # a line per container exit
        (backoff_event,) = events(store, name, "BackOff")
        assert backoff_event["type"] == "Warning" and backoff_event["count"] == restarts
        assert backoff_event["message"] == (
            f"Back-off restarting failed container app in pod {name}_{NS}({p['metadata']['uid']})"
        )
    assert "exited with an error (exit code 1)" in store.logs(NS, name)
    (api,) = pods(store, "api-")
    assert cond(api, "Ready") == "True" and cstatus(api)["restartCount"] == 0

    d = store.get("Deployment", "web", NS)
    assert (cond(d, "Available"), get_condition(d, "Available")["reason"]) == ("False", "MinimumReplicasUnavailable")
    assert "readyReplicas" not in d["status"] and d["status"]["unavailableReplicas"] == 1
    progressing = get_condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "ReplicaSetUpdated")
    settle(ctx, ctl, until=601)  # progressDeadlineSeconds 600 without progress
    progressing = get_condition(store.get("Deployment", "web", NS), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["lastTransitionTime"] == rfc3339(601)

    # cleared: the next restart (after the running back-off, at 615) stays up and is Ready 10 s later
    ctx.faults.clear()
    settle(ctx, ctl, until=614)
    assert cstatus(pods(store, "web-")[0])["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    settle(ctx, ctl, until=615)
    (p,) = pods(store, "web-")
    assert cstatus(p)["state"] == {"running": {"startedAt": rfc3339(615)}} and cstatus(p)["ready"] is False
    settle(ctx, ctl)
    assert store.now_seconds() == 625
    (p,) = pods(store, "web-")
    assert cond(p, "Ready") == "True"
    assert cstatus(p)["restartCount"] == 7
    assert cstatus(p)["lastState"]["terminated"]["reason"] == "Error"
    assert [e["reason"] for e in events(store, p["metadata"]["name"])][-3:] == ["Pulled", "Created", "Started"]
    d = store.get("Deployment", "web", NS)
    assert cond(d, "Available") == "True"
    assert get_condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert ctl.reconcile(ctx) == 0 and any_due(ctl, ctx) is None


def test_oomkilled_fault_reports_oomkilled_and_the_memory_limit(tmp_path):
    ctx = make_ctx(tmp_path, **{"workload-oomkilled": {"name": "db"}})
    ctl = WorkloadsController()
    store = ctx.store
    d = deployment("db", replicas=1)
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "64Mi"}}
    store.create(d)
    settle(ctx, ctl, until=40)
    (p,) = pods(store)
    cs = cstatus(p)
    assert cs["restartCount"] == 3
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    term = cs["lastState"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    assert (term["startedAt"], term["finishedAt"]) == (rfc3339(35), rfc3339(35))
    log = store.logs(NS, p["metadata"]["name"], "app")
    assert log.count("was OOMKilled (exit code 137): memory limit 64Mi exceeded") == 4
    assert p["status"]["qosClass"] == "Burstable"
    assert events(store, p["metadata"]["name"], "BackOff")[0]["count"] == 3


def test_fault_on_a_running_pod_crashes_it_at_once(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web", replicas=1))
    settle(ctx, ctl)
    assert store.now_seconds() == 15
    ctx.faults["workload-crashloop"] = {"name": "web"}
    store.advance(100)
    assert any_due(ctl, ctx) == 115  # a fault is work due now
    settle(ctx, ctl, until=115)
    cs = cstatus(pods(store)[0])
    assert cs["restartCount"] == 1
    assert (cs["lastState"]["terminated"]["startedAt"], cs["lastState"]["terminated"]["finishedAt"]) == (
        rfc3339(115),
    ) * 2
    assert store.get("Deployment", "web", NS)["status"].get("readyReplicas") is None


# ---- bare and ignored pods, quiescence, determinism, conformance ----------------------------


def test_a_bare_pod_is_bound_and_runs_and_an_ignored_pod_is_left_alone(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "debug", "namespace": NS},
            "spec": {"containers": [container()]},
        }
    )
    ignored = store.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "pipeline", "namespace": NS, "annotations": {"kratix-lab.io/workloads": "ignore"}},
            "spec": {"containers": [container()]},
        }
    )
    settle(ctx, ctl)
    p = store.get("Pod", "debug", NS)
    assert (
        p["spec"]["nodeName"] == "kratix-lab-node" and p["metadata"]["annotations"]["kratix-lab.io/modelled"] == "true"
    )
    assert cond(p, "Ready") == "True" and p["status"]["phase"] == "Running"
    assert store.get("Pod", "pipeline", NS) == ignored


def test_kratix_pipeline_jobs_and_pods_are_left_to_the_kratix_controller(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    labels = {"kratix.io/pipeline-name": "instance-configure", "app.kubernetes.io/managed-by": "Kratix"}
    pipeline = job("kratix-vcluster-media-instance-configure-bcdfg")
    pipeline["metadata"]["labels"] = labels
    pipeline = store.create(pipeline)
    pipeline = store.update_status({**pipeline, "status": {"active": 1, "startTime": rfc3339(0)}})
    settle(ctx, ctl, until=100)
    assert pods(store) == []
    assert store.get("Job", pipeline["metadata"]["name"], NS) == pipeline


def test_quiescence_with_every_kind_and_no_faults(tmp_path):
    ctx, ctl = make_ctx(tmp_path), WorkloadsController()
    store = ctx.store
    store.create(deployment("web", replicas=3, minReadySeconds=20))
    store.create(statefulset("etcd"))
    store.create(job("sync"))
    settle(ctx, ctl)
    assert ctl.reconcile(ctx) == 0
    assert any_due(ctl, ctx) is None
    assert store.now_seconds() == 45
    d = store.get("Deployment", "web", NS)
    assert d["status"]["availableReplicas"] == 3
    assert min(get_condition(p, "Ready")["lastTransitionTime"] for p in pods(store, "web-")) == rfc3339(15)
    assert get_condition(d, "Available")["lastTransitionTime"] == rfc3339(35)  # Ready 15 + minReadySeconds 20
    before = {(o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"] for o in store.list()}
    for _ in range(3):
        assert ctl.reconcile(ctx) == 0
    assert {(o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"] for o in store.list()} == before


def _scenario(tmp_path: Path, name: str) -> Store:
    ctx = make_ctx(tmp_path, name, **{"workload-crashloop": {"name": "api"}})
    ctl = WorkloadsController()
    store = ctx.store
    store.create(deployment("web"))
    store.create(deployment("api", replicas=1))
    store.create(statefulset("etcd", policy="Parallel"))
    store.create(job("sync"))
    store.create(cronjob("tick", "*/2 * * * *"))
    settle(ctx, ctl, until=300)
    ctx.faults.clear()
    d = store.get("Deployment", "web", NS)
    d["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    store.update(d)
    settle(ctx, ctl, until=900)
    return store


def test_the_same_inputs_give_identical_objects_names_times_events_and_logs(tmp_path):
    a, b = _scenario(tmp_path, "a.db"), _scenario(tmp_path, "b.db")
    objects = a.list()
    assert len(objects) > 20
    assert objects == b.list()
    assert a.events() == b.events()
    for p in a.list("Pod", NS):
        assert a.logs(NS, p["metadata"]["name"]) == b.logs(NS, p["metadata"]["name"])


def test_an_unknown_fault_namespace_matches_nothing(tmp_path):
    ctx = make_ctx(tmp_path, **{"workload-crashloop": {"namespace": "elsewhere"}})
    ctl = WorkloadsController()
    ctx.store.create(deployment("web", replicas=1))
    settle(ctx, ctl)
    assert cond(pods(ctx.store)[0], "Ready") == "True"


@needs_shared
def test_every_object_the_controller_writes_validates_against_the_upstream_schemas(tmp_path):
    store = _scenario(tmp_path, "conformance.db")
    ctx, ctl = Context(store=store, lab_dir=tmp_path), WorkloadsController()
    store.create(job("fails", backoffLimit=0))
    ctx.faults["workload-oomkilled"] = {"name": "fails"}
    settle(ctx, ctl, until=1000)
    objects = [copy.deepcopy(o) for o in store.list()]
    assert {o["kind"] for o in objects} >= {
        "Pod",
        "ReplicaSet",
        "PersistentVolumeClaim",
        "Job",
        "CronJob",
        "Deployment",
        "StatefulSet",
    }
    out = tmp_path / "objects.yaml"
    out.write_text(dump_all(objects))
    result = run_validator(out)
    assert result.returncode == 0, result.stdout[-4000:]
    assert f"{len(objects)} objects, 0 invalid, 0 unchecked" in result.stdout


def test_recurring_work_is_periodic_not_convergence(tmp_path):
    """settle() waits for convergence only: CronJob schedules and crash-loop restarts recur for ever."""
    store = Store(tmp_path / "s.db")
    ctx = Context(store=store, lab_dir=tmp_path)
    ctl = WorkloadsController()
    store.create(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "tick", "namespace": "ns"},
            "spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}
                        }
                    }
                },
            },
        }
    )
    ctl.reconcile(ctx)
    assert ctl.next_due(ctx) is None
    assert ctl.next_periodic(ctx) == 300
