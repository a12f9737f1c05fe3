"""The modelled Argo CD: projects, sources, warnings, prune and self-heal, Helm charts it cannot render."""

from __future__ import annotations

import itertools
import re

import pytest

from kratix_lab.platform.lab import Lab
from tests.helpers import SAMPLES


@pytest.fixture
def lab(tmp_path):
    lab = Lab(tmp_path / "lab")
    yield lab
    lab.close()


def app(name, source, namespace="default", project="default", **spec):
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": project,
            "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            **spec,
        },
    }


def condition_types(lab, name):
    return [c["type"] for c in lab.get("Application", name, "argocd")["status"].get("conditions", [])]


def gitops_file(lab, path, text):
    from kratix_lab.platform.lab import GITOPS_IDENTITY

    lab.gitops_repo.write_files({path: text.encode()}, f"add {path}", GITOPS_IDENTITY, lab.store.now_seconds())
    lab.gitops_repo.sync_worktree()


GITOPS = "https://github.com/jamesatintegratnio/gitops_homelab_2_0"
CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: "{value}"\n'


def test_missing_project_is_an_invalid_spec(lab):
    lab.apply(app("orphan", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}, project="nope"))
    lab.settle()
    a = lab.get("Application", "orphan", "argocd")
    assert a["status"]["conditions"][0]["type"] == "InvalidSpecError"
    assert "project nope which does not exist" in a["status"]["conditions"][0]["message"]
    assert a["status"]["sync"]["status"] == "Unknown"


def test_project_refuses_source_and_destination(lab):
    lab.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "narrow", "namespace": "argocd"},
            "spec": {
                "sourceRepos": ["https://charts.loft.sh"],
                "destinations": [{"server": "*", "namespace": "vcluster-*"}],
            },
        }
    )
    lab.apply(app("wrong-source", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}, project="narrow"))
    lab.apply(
        app(
            "wrong-dest",
            {"repoURL": "https://charts.loft.sh", "chart": "vcluster", "targetRevision": "0.30.4"},
            namespace="kube-system",
            project="narrow",
        )
    )
    lab.settle()
    assert (
        "is not permitted in project 'narrow'"
        in lab.get("Application", "wrong-source", "argocd")["status"]["conditions"][0]["message"]
    )
    assert (
        "do not match any of the allowed destinations"
        in lab.get("Application", "wrong-dest", "argocd")["status"]["conditions"][0]["message"]
    )


def test_git_app_syncs_prunes_and_self_heals(lab):
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    gitops_file(lab, "demo/b.yaml", CM.format(name="b", value="two"))
    lab.apply(app("demo", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}))
    lab.settle()
    a = lab.get("Application", "demo", "argocd")
    assert a["status"]["sync"] == a["status"]["sync"] | {"status": "Synced", "revision": lab.gitops_repo.head()}
    cm = lab.get("ConfigMap", "a", "default")
    assert cm["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == "demo:/ConfigMap:default/a"
    cm["data"]["k"] = "drifted"
    lab.store.update(cm)
    lab.settle()
    assert lab.get("ConfigMap", "a", "default")["data"]["k"] == "one", "self-heal re-applied git"
    lab.gitops_repo.write_files({"demo/b.yaml": None}, "remove b", lab_identity(), lab.store.now_seconds())
    lab.gitops_repo.sync_worktree()
    lab.settle()
    assert lab.get("ConfigMap", "b", "default") is None, "prune deleted what left git"


def lab_identity():
    from kratix_lab.platform.lab import GITOPS_IDENTITY

    return GITOPS_IDENTITY


def test_repeated_and_shared_resource_warnings(lab):
    gitops_file(lab, "dup/one.yaml", CM.format(name="same", value="1"))
    gitops_file(lab, "dup/two.yaml", CM.format(name="same", value="2"))
    gitops_file(lab, "other/x.yaml", CM.format(name="same", value="2"))
    lab.apply(app("dup", {"repoURL": GITOPS, "path": "dup", "targetRevision": "HEAD"}))
    lab.settle()
    assert "RepeatedResourceWarning" in condition_types(lab, "dup")
    (repeated,) = [
        c
        for c in lab.get("Application", "dup", "argocd")["status"]["conditions"]
        if c["type"] == "RepeatedResourceWarning"
    ]
    # argo-cd controller/state.go DeduplicateTargetObjects: one condition per key, word for word
    assert repeated["message"] == "Resource /ConfigMap/default/same appeared 2 times among application resources."
    lab.apply(app("other", {"repoURL": GITOPS, "path": "other", "targetRevision": "HEAD"}))
    lab.settle()
    assert "SharedResourceWarning" in condition_types(lab, "dup") + condition_types(lab, "other")
    shared = [
        c["message"]
        for a in ("dup", "other")
        for c in lab.get("Application", a, "argocd")["status"].get("conditions", [])
        if c["type"] == "SharedResourceWarning"
    ]
    # controller/state.go CompareAppState: "%s/%s is part of applications %s and %s" (kind/name, this app, the owner)
    assert shared and all(
        re.fullmatch(r"ConfigMap/same is part of applications (dup|other) and (dup|other)", m) for m in shared
    )


def test_a_chart_the_lab_does_not_model_is_a_comparison_error(lab):
    lab.apply(
        app("nginx", {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "nginx", "targetRevision": "18.0.0"})
    )
    lab.settle()
    a = lab.get("Application", "nginx", "argocd")
    assert a["status"]["conditions"][0]["type"] == "ComparisonError"
    assert "not modelled by kratix-lab" in a["status"]["conditions"][0]["message"]
    assert a["status"]["health"]["status"] == "Unknown"
    assert lab.list("Deployment", "default") == [], "never a pretend success"


def test_the_seeds_configmap_values_hack_cannot_work(lab):
    source = {
        "repoURL": "https://charts.loft.sh",
        "chart": "vcluster",
        "targetRevision": "0.30.4",
        "helm": {"valueFiles": ["$values/values.yaml"]},
    }
    values = {
        "repoURL": "https://kubernetes.default.svc",
        "targetRevision": "HEAD",
        "ref": "values",
        "path": "vcluster-media",
    }
    a = app("hack", None)
    del a["spec"]["source"]
    a["spec"]["sources"] = [source, values]
    lab.apply(a)
    lab.settle()
    msg = lab.get("Application", "hack", "argocd")["status"]["conditions"][0]["message"]
    assert "a $values reference must point at a git repository" in msg


def test_invalid_helm_values_are_reported(lab):
    lab.apply(
        app(
            "bad-values",
            {
                "repoURL": "https://charts.loft.sh",
                "chart": "vcluster",
                "targetRevision": "0.30.4",
                "helm": {
                    "valuesObject": {"controlPlane": {"statefulSet": {"highAvailability": {"replicas": "three"}}}}
                },
            },
        )
    )
    lab.settle()
    msg = lab.get("Application", "bad-values", "argocd")["status"]["conditions"][0]["message"]
    assert "controlPlane.statefulSet.highAvailability.replicas" in msg


def test_external_secrets_v1beta1_is_not_served(lab):
    req = {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": "VClusterKubeconfigExternalSecret",
        "metadata": {"name": "old", "namespace": "platform-requests"},
        "spec": {"name": "old", "targetNamespace": "default", "externalSecretsApiVersion": "v1beta1"},
    }
    lab.apply(req)
    assert lab.settle().quiescent
    state = lab.get("Application", "kratix-state-reconciler", "argocd")
    op = state["status"]["operationState"]
    assert op["phase"] == "Failed"
    # the dry run refused it: upstream's message, the object's error in its sync result
    assert op["message"] == "one or more objects failed to apply (dry run) (retried 5 times)."
    assert any(
        'no matches for kind "ExternalSecret" in version "external-secrets.io/v1beta1"' in r["message"]
        for r in op["syncResult"]["resources"]
        if r["status"] == "SyncFailed"
    )


def test_a_failed_automated_sync_is_not_retried_against_the_same_revision(lab):
    """Argo CD's autoSync: once its retries are spent, a sync that failed on this revision and source is
    not attempted again (SyncError "Failed last sync attempt to [rev]: …", argo-cd v3.5.1
    controller/appcontroller.go:2393-2400); a new commit is. The lab used to retry every round, so
    settle never went quiet."""
    spec = {"name": "old", "targetNamespace": "default", "externalSecretsApiVersion": "v1beta1"}
    req = {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": "VClusterKubeconfigExternalSecret",
        "metadata": {"name": "old", "namespace": "platform-requests"},
        "spec": spec,
    }
    lab.apply(req)
    assert lab.settle().quiescent
    lab.run_for(600)
    state = lab.get("Application", "kratix-state-reconciler", "argocd")
    head = lab.state_remote.head()
    failed = [
        e
        for e in lab.events("Application", "kratix-state-reconciler", "argocd")
        if e["reason"] == "OperationCompleted" and head in e["message"]
    ]
    assert sum(e["count"] for e in failed) == 6, "the first attempt and five retries, then no more"
    error = next(c for c in state["status"]["conditions"] if c["type"] == "SyncError")
    assert error["message"] == (
        f"Failed last sync attempt to [{head}]: one or more objects failed to apply (dry run) (retried 5 times)."
    )
    assert state["status"]["sync"]["status"] == "OutOfSync"

    lab.apply({**req, "spec": {**spec, "externalSecretsApiVersion": "v1"}})
    assert lab.settle().quiescent
    state = lab.get("Application", "kratix-state-reconciler", "argocd")
    assert state["status"]["operationState"]["phase"] == "Succeeded"
    assert state["status"]["sync"]["status"] == "Synced"
    assert not [c for c in state["status"].get("conditions") or [] if c["type"] == "SyncError"]


def test_media_sample_has_no_warnings(tmp_path):
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    for a in lab.list("Application", "argocd"):
        assert not a["status"].get("conditions"), (a["metadata"]["name"], a["status"].get("conditions"))


# ---- item 8: the three-way comparison --------------------------------------------------------------


def test_a_field_removed_from_git_is_out_of_sync_then_pruned_by_sync(lab):
    """Argo CD compares three ways when the live object carries kubectl's last-applied annotation
    (argoproj/gitops-engine pkg/diff/diff.go:74-133 Diff → 692-724 ThreeWayDiff; the patch of
    773-820 threeWayMergePatch deletes what the last apply set and git no longer does). A key removed
    from git is OutOfSync (not a subset that passes), and the sync removes it from the live object;
    a key only the server (or another writer) set is never touched."""
    two = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {team: x, tier: y}\ndata:\n  k: one\n  gone: soon\n"
    gitops_file(lab, "demo/a.yaml", two)
    lab.apply(app("demo", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}, syncPolicy={}))
    lab.settle()
    assert (
        lab.get("Application", "demo", "argocd")["status"]["sync"]["status"] == "OutOfSync"
    )  # manual: nothing applied
    lab.apply(app("demo", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}))
    lab.settle()
    cm = lab.get("ConfigMap", "a", "default")
    applied = cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert '"gone":"soon"' in applied
    cm["data"]["server-side"] = "kept"  # a field no configuration ever set
    lab.store.update(cm)
    lab.settle()
    assert lab.get("Application", "demo", "argocd")["status"]["sync"]["status"] == "Synced", (
        "extra live fields are ignored"
    )

    # with the app not syncing, dropping a key and a label from git is OutOfSync
    spec = app("demo", {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}, syncPolicy={})
    lab.apply(spec)
    lab.store.update(lab.get("Application", "demo", "argocd") | {"spec": spec["spec"]})
    gitops_file(lab, "demo/a.yaml", two.replace("  gone: soon\n", "").replace(", tier: y", ""))
    lab.settle()
    a = lab.get("Application", "demo", "argocd")
    assert a["status"]["sync"]["status"] == "OutOfSync"
    assert [r["status"] for r in a["status"]["resources"]] == ["OutOfSync"]

    # an automated sync removes exactly the fields git dropped, not the server's
    lab.store.update(lab.get("Application", "demo", "argocd") | {"spec": app("demo", spec["spec"]["source"])["spec"]})
    lab.settle()
    cm = lab.get("ConfigMap", "a", "default")
    assert cm["data"] == {"k": "one", "server-side": "kept"}
    assert cm["metadata"]["labels"] == {"team": "x"}
    assert lab.get("Application", "demo", "argocd")["status"]["sync"]["status"] == "Synced"


def test_an_apiversion_change_is_out_of_sync(lab):
    """The three-way patch carries a changed apiVersion (gitops-engine pkg/diff/diff.go:773-820: the
    patch from last-applied to config includes it), so the predicted live object differs from the
    stored one: OutOfSync until synced."""
    from kratix_lab.platform.argocd import in_sync

    live = {
        "apiVersion": "example.io/v1beta1",
        "kind": "Thing",
        "metadata": {
            "name": "t",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"example.io/v1beta1","kind":"Thing","metadata":{"name":"t"},"spec":{"a":1}}'
            },
        },
        "spec": {"a": 1},
    }
    desired = {"apiVersion": "example.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"a": 1}}
    assert not in_sync(desired, live)
    assert in_sync(desired | {"apiVersion": "example.io/v1beta1"}, live)
    # a damaged annotation falls back to the two-way comparison (diff.go:122-131), as upstream does
    broken = live | {
        "metadata": {"name": "t", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{"}}
    }
    assert in_sync(desired, broken)
    # without the annotation (an object Argo CD never applied) only the two-way part applies
    assert in_sync(desired, live | {"metadata": {"name": "t"}})


def test_a_failed_automated_sync_is_retried_five_times_with_backoff(lab):
    """An automated sync carries ``Retry: {Limit: 5}`` (argo-cd v3.5.1 controller/appcontroller.go:2383);
    a failed attempt becomes Running with ``retryCount`` + 1 and "Retrying attempt #n at …"
    (1619-1634), and is retried at NextRetryAt(finishedAt, retryCount) (1548-1578): 5 s × 2^n, at
    most 3 min (pkg/apis/application/v1alpha1/types.go:1567-1595). After the fifth retry the message
    counts them (1636-1639). So the attempts are 10, 20, 40, 80 and 160 s apart."""
    lab.apply(
        {
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "VClusterKubeconfigExternalSecret",
            "metadata": {"name": "old", "namespace": "platform-requests"},
            "spec": {"name": "old", "targetNamespace": "default", "externalSecretsApiVersion": "v1beta1"},
        }
    )
    seen, times = [], []
    for _ in range(400):
        lab.settle(max_steps=1)
        op = (lab.get("Application", "kratix-state-reconciler", "argocd").get("status") or {}).get("operationState")
        if op and op.get("phase") != "Succeeded" and (op.get("phase"), op.get("retryCount")) not in seen:
            seen.append((op.get("phase"), op.get("retryCount")))
            times.append(lab.store.now_seconds())
        if op and op.get("phase") == "Failed":
            break
    assert seen == [("Running", n) for n in range(1, 6)] + [("Failed", 5)], seen
    assert [b - a for a, b in itertools.pairwise(times)] == [10, 20, 40, 80, 160]
    op = lab.get("Application", "kratix-state-reconciler", "argocd")["status"]["operationState"]
    assert op["message"] == "one or more objects failed to apply (dry run) (retried 5 times)."


def test_retry_backoff_honours_the_apps_strategy():
    """types.go:1567-1595 NextRetryAt: duration × factor^n, capped by maxDuration."""
    from kratix_lab.platform.argocd import _backoff

    assert [_backoff({"limit": 5}, n) for n in range(7)] == [5, 10, 20, 40, 80, 160, 180]
    custom = {"backoff": {"duration": "1m", "factor": 3, "maxDuration": "5m"}}
    assert [_backoff(custom, n) for n in range(4)] == [60, 180, 300, 300]


# ---- item 6: sync ------------------------------------------------------------------------------------

SRC = {"repoURL": GITOPS, "path": "demo", "targetRevision": "HEAD"}


def _op(lab, name="demo"):
    return lab.get("Application", name, "argocd")["status"]["operationState"]


def test_a_dry_run_of_every_object_gates_the_sync(lab):
    """gitops-engine pkg/sync/sync_context.go:424-458: a ``kubectl apply --dry-run`` of all the
    manifests runs first, and if any fails the sync is refused with "one or more objects failed to
    apply (dry run)": nothing is applied (no partial sync)."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    gitops_file(
        lab, "demo/bad.yaml", "apiVersion: platform.integratn.tech/v1alpha1\nkind: NoSuchKind\nmetadata:\n  name: x\n"
    )
    lab.apply(app("demo", SRC))
    lab.settle()
    op = _op(lab)
    assert op["message"].startswith("one or more objects failed to apply (dry run)")
    assert [r["name"] for r in op["syncResult"]["resources"] if r["status"] == "SyncFailed"] == ["x"]
    assert lab.get("ConfigMap", "a", "default") is None, "the good object was not applied either"


def test_sync_waves_order_the_apply_and_a_failed_wave_stops_it(lab):
    """gitops-engine pkg/sync/sync_tasks.go:85-110 (wave, then kind, then name) with the wave read from
    ``argocd.argoproj.io/sync-wave`` (pkg/sync/syncwaves/waves.go:12-24); a wave that fails ends the
    sync before the next one (sync_context.go:560-600)."""
    wave = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations: {{argocd.argoproj.io/sync-wave: '{w}'}}\ndata: {{}}\n"
    gitops_file(lab, "demo/a.yaml", wave.format(name="a", ns="default", w="2"))
    gitops_file(lab, "demo/b.yaml", wave.format(name="b", ns="default", w="-1"))
    gitops_file(lab, "demo/c.yaml", CM.format(name="c", value="x"))
    lab.apply(app("demo", SRC))
    lab.settle()
    assert [r["name"] for r in _op(lab)["syncResult"]["resources"]] == ["b", "c", "a"]

    # wave 3 fails (its namespace does not exist: the client dry run passes, the apply does not); wave 4 never runs
    gitops_file(lab, "demo/d.yaml", wave.format(name="d", ns="nowhere", w="3"))
    gitops_file(lab, "demo/e.yaml", wave.format(name="e", ns="default", w="4"))
    lab.settle()
    results = {r["name"]: r["status"] for r in _op(lab)["syncResult"]["resources"]}
    assert results == {"d": "SyncFailed"}
    assert lab.get("ConfigMap", "e", "default") is None


def test_without_self_heal_drift_is_not_resynced_on_the_same_revision(lab):
    """argo-cd v3.5.1 controller/appcontroller.go:2393-2403: once a sync to this revision succeeded,
    an app without selfHeal skips auto-sync ("most recent sync already to …"): an object deleted or
    changed by hand stays so, OutOfSync, until the next commit."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    lab.apply(app("demo", SRC, syncPolicy={"automated": {"prune": True}}))
    lab.settle()
    lab.store.delete("ConfigMap", "a", "default", "")
    lab.settle()
    assert lab.get("ConfigMap", "a", "default") is None
    assert lab.get("Application", "demo", "argocd")["status"]["sync"]["status"] == "OutOfSync"
    gitops_file(lab, "demo/b.yaml", CM.format(name="b", value="two"))
    lab.settle()
    assert lab.get("ConfigMap", "a", "default") is not None, "a new revision syncs again"


def test_automated_enabled_false_disables_auto_sync(lab):
    """argo-cd v3.5.1 pkg/apis/application/v1alpha1/types.go:1531-1536 IsAutomatedSyncEnabled:
    ``automated: {enabled: false}`` is not automated."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    lab.apply(app("demo", SRC, syncPolicy={"automated": {"enabled": False, "prune": True, "selfHeal": True}}))
    lab.settle()
    assert lab.get("ConfigMap", "a", "default") is None
    assert lab.get("Application", "demo", "argocd")["status"]["sync"]["status"] == "OutOfSync"


def test_directory_sources_recurse_only_when_asked(lab):
    """argo-cd v3.5.1 reposerver/repository/repository.go:2190-2198 (findManifests): a directory source reads only
    its own directory unless ``directory.recurse: true``."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    gitops_file(lab, "demo/sub/b.yaml", CM.format(name="b", value="two"))
    lab.apply(app("demo", SRC))
    lab.settle()
    assert lab.get("ConfigMap", "b", "default") is None
    lab.apply(app("recursive", SRC | {"directory": {"recurse": True}}, namespace="default"))
    lab.settle()
    assert lab.get("ConfigMap", "b", "default") is not None


def test_prune_only_changes_do_not_sync_without_automated_prune(lab):
    """argo-cd v3.5.1 controller/appcontroller.go:2352-2364: when every difference is an object to
    prune and automated prune is off, auto-sync is skipped: the object stays, marked requiresPruning."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    gitops_file(lab, "demo/b.yaml", CM.format(name="b", value="two"))
    lab.apply(app("demo", SRC, syncPolicy={"automated": {"selfHeal": True}}))
    lab.settle()
    synced_to = _op(lab)["syncResult"]["revision"]
    lab.gitops_repo.write_files({"demo/b.yaml": None}, "remove b", lab_identity(), lab.store.now_seconds())
    lab.gitops_repo.sync_worktree()
    lab.settle()
    a = lab.get("Application", "demo", "argocd")
    assert lab.get("ConfigMap", "b", "default") is not None
    assert a["status"]["operationState"]["syncResult"]["revision"] == synced_to, "no sync ran"
    assert [r["name"] for r in a["status"]["resources"] if r.get("requiresPruning")] == ["b"]
    assert a["status"]["sync"]["status"] == "OutOfSync"


def test_pvc_health_follows_the_phase_switch():
    """gitops-engine pkg/health/health_pvc.go getCorev1PVCHealth: Lost → Degraded, Pending → Progressing,
    Bound → Healthy, no/other phase → Unknown (the default branch)."""
    from kratix_lab.kube.health import assess

    def pvc(status):
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "d"}, "status": status}

    assert assess(pvc({"phase": "Bound"})).status == "Healthy"
    assert assess(pvc({"phase": "Lost"})).status == "Degraded"
    assert assess(pvc({"phase": "Pending"})).status == "Progressing"
    assert assess(pvc({})).status == "Unknown"
    assert assess(pvc({"phase": "Weird"})).status == "Unknown"


def test_deployment_health_follows_gitops_engine_in_its_order_and_words():
    """gitops-engine pkg/health/health_deployment.go getAppsv1DeploymentHealth: paused → Suspended; an unobserved
    generation → Progressing; ProgressDeadlineExceeded → Degraded; then updated < desired, old replicas pending
    termination, available < updated → Progressing with upstream's messages; else Healthy."""
    from kratix_lab.kube.health import assess

    def dep(spec=None, status=None, generation=2, conditions=()):
        st = {"observedGeneration": 2, **(status or {}), "conditions": list(conditions)}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "generation": generation},
            "spec": {"replicas": 3, **(spec or {})},
            "status": st,
        }

    done = {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
    assert assess(dep(status=done)).status == "Healthy"
    assert assess(dep({"paused": True}, done)) == assess(dep({"paused": True}))
    assert assess(dep({"paused": True})).message == "Deployment is paused"
    h = assess(dep(status=done, generation=3))
    assert (h.status, h.message) == (
        "Progressing",
        "Waiting for rollout to finish: observed deployment generation less then desired generation",
    )
    stuck = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
    h = assess(dep(status={"replicas": 3, "updatedReplicas": 1}, conditions=[stuck]))
    assert (h.status, h.message) == ("Degraded", 'Deployment "web" exceeded its progress deadline')
    for status, message in (
        ({"replicas": 3, "updatedReplicas": 1}, "1 out of 3 new replicas have been updated..."),
        ({"replicas": 4, "updatedReplicas": 3}, "1 old replicas are pending termination..."),
        ({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}, "2 of 3 updated replicas are available..."),
    ):
        h = assess(dep(status=status))
        assert (h.status, h.message) == ("Progressing", f"Waiting for rollout to finish: {message}")


def test_cronjob_health_is_argo_cds_lua_check_word_for_word():
    """argo-cd resource_customizations/batch/CronJob/health.lua (31087e21): suspended → Suspended; no status →
    Progressing; never scheduled, never succeeded, or running → Healthy (with the Lua's caveats); the last success
    older than the last schedule → Degraded."""
    from kratix_lab.kube.health import assess

    def cj(status, suspend=False):
        obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"suspend": suspend}}
        return obj if status is None else {**obj, "status": status}

    early, late = "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"
    cases = [
        (cj({}, suspend=True), "Suspended", "CronJob is Suspended"),
        (cj(None), "Progressing", "Waiting for CronJob"),
        (cj({}), "Healthy", "CronJob has not been scheduled yet"),
        (cj({"lastScheduleTime": late}), "Healthy", "The Cronjob never completed succesfully. It may not be healthy"),
        (
            cj({"lastScheduleTime": late, "lastSuccessfulTime": early, "active": [{"name": "c-1"}]}),
            "Healthy",
            "The job is running. Its last execution may not have been successful",
        ),
        (
            cj({"lastScheduleTime": late, "lastSuccessfulTime": early}),
            "Degraded",
            "CronJob has not completed its last execution successfully",
        ),
        (
            cj({"lastScheduleTime": early, "lastSuccessfulTime": late}),
            "Healthy",
            "CronJob has completed its last execution successfully",
        ),
    ]
    for obj, status, message in cases:
        h = assess(obj)
        assert (h.status, h.message) == (status, message), obj


def test_a_missing_child_does_not_set_the_apps_health_but_no_live_child_is_missing(lab):
    """argo-cd controller/health.go setApplicationHealth: "Missing resources should not affect parent app health -
    the OutOfSync status already indicates resources are missing"; an app whose resources are all missing is
    Missing (containsResources && !containsLiveResources)."""
    gitops_file(lab, "demo/a.yaml", CM.format(name="a", value="one"))
    lab.apply(app("demo", SRC, syncPolicy={"automated": {"enabled": False}}))
    lab.settle()
    st = lab.get("Application", "demo", "argocd")["status"]
    assert (st["sync"]["status"], st["health"]["status"]) == ("OutOfSync", "Missing"), "nothing is live"
    lab.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    gitops_file(lab, "demo/b.yaml", CM.format(name="b", value="two"))
    lab.run_for(200)  # the next refresh compares again
    lab.settle()
    st = lab.get("Application", "demo", "argocd")["status"]
    b = next(r for r in st["resources"] if r["name"] == "b")
    assert (b["status"], b["health"]["status"]) == ("OutOfSync", "Missing")
    assert (st["sync"]["status"], st["health"]["status"]) == ("OutOfSync", "Healthy"), "b's absence is OutOfSync only"


def test_a_chart_is_rendered_once_per_input_whatever_the_number_of_applications(lab, monkeypatch, counted_renders):
    """Argo CD's repo server keeps generated manifests (reposerver/cache/cache.go): a step compares every
    Application without rendering its chart again — even one gone quiet, whose rendering Argo CD let go
    (``ArgoCDController._let_go``) and takes back from the cache (``platform.helm.render``'s, serialized); the least
    recently used rendering goes first when the cache is full (a cap that was cleared when full re-rendered every
    chart of a 1,000-vCluster fleet at every step)."""
    lab.submit(SAMPLES / "dev.yaml")
    lab.settle()
    from kratix_lab.platform.helm import render

    argo = next(c for c in lab.controllers if c.name == "argocd")
    renders = counted_renders
    renders.clear()  # counted from here: the renders of the lab's settling before are not
    rounds = 0
    real_reconcile = argo.reconcile

    def counted(ctx):
        nonlocal rounds
        rounds += 1
        return real_reconcile(ctx)

    monkeypatch.setattr(argo, "reconcile", counted)

    def touch_every_app(mark: str) -> None:
        """A new resourceVersion for every Application: Argo CD compares each again (an Application whose
        comparison's inputs are unchanged is not even read: ``ArgoCDController._unchanged``)."""
        for a in lab.store.list("Application", "argocd", group="argoproj.io"):
            a["metadata"].setdefault("annotations", {})["test.kratix-lab.io/touched"] = mark
            lab.store.update(a)

    assert argo._helm_in_use == {}, "every Application is quiet: none holds its rendering"
    sandbox = lab.get("Application", "sandbox", "argocd")["metadata"]["uid"]
    assert sandbox not in argo._compared, "nor its comparison (a few objects, compared anew once one changes)"
    touch_every_app("1")
    lab.settle()
    assert rounds >= 1 and renders == []  # the same chart inputs: every comparison came from the cache
    monkeypatch.setattr(render, "_RENDERS_KEPT", 0)
    monkeypatch.setattr(render, "_RENDERS_IN_USE", 0)
    render._renders.clear()
    render._renders_in_use.clear()
    for mark in ("2", "3"):
        touch_every_app(mark)
        lab.settle()
    assert renders.count("sandbox") >= 2  # with no room, each comparison renders again
