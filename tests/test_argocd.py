"""The modelled Argo CD: projects, sources, warnings, prune and self-heal, Helm charts it cannot render."""

from __future__ import annotations

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
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: {value}\n"


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
    lab.apply(app("other", {"repoURL": GITOPS, "path": "other", "targetRevision": "HEAD"}))
    lab.settle()
    assert "SharedResourceWarning" in condition_types(lab, "dup") + condition_types(lab, "other")


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
    assert state["status"]["operationState"]["phase"] == "Failed"
    assert (
        'no matches for kind "ExternalSecret" in version "external-secrets.io/v1beta1"'
        in state["status"]["operationState"]["message"]
    )


def test_a_failed_automated_sync_is_not_retried_against_the_same_revision(lab):
    """Argo CD's autoSync: a sync that failed on this revision and source is not attempted again (SyncError);
    a new commit is. The lab used to retry every round, so settle never went quiet."""
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
    assert len(failed) == 1, [e["message"] for e in failed]
    error = next(c for c in state["status"]["conditions"] if c["type"] == "SyncError")
    assert error["message"].startswith(f"Failed sync attempt to {head}: one or more objects failed to apply")
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
