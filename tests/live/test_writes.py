"""Writes in live mode are opt-in: without --write a write is refused with the reason; reconcile with
--write is one merge patch of the kratix.io/manual-reconciliation label."""

from __future__ import annotations

from kratix_lab.cli import main
from tests.live.conftest import live_args, live_source, served


def test_reconcile_needs_write_then_patches_the_label(lab, tmp_path, capsys):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        args = live_args(run.kubeconfig, path, tmp_path / "cache")
        assert main(["reconcile", "vco/sandbox", "-n", "platform-requests", *args]) == 1
        err = capsys.readouterr().err
        assert "error: live mode is read-only: reconcile patches the request's labels; add --write" in err
        src = live_source(run.kubeconfig, path, tmp_path / "cache")
        labels = src.get("VClusterOrchestrator", "sandbox", "platform-requests", "platform.integratn.tech")["metadata"]
        assert "kratix.io/manual-reconciliation" not in (labels.get("labels") or {}), "nothing was written"

        assert main(["reconcile", "vco/sandbox", "-n", "platform-requests", "--write", *args]) == 0
        out = capsys.readouterr()
        assert (
            out.out
            == "vclusterorchestrator/sandbox labelled kratix.io/manual-reconciliation=true; Kratix re-runs its workflows\n"
        )
        assert "(live, writes allowed (--write))" in out.err
        obj = src.get("VClusterOrchestrator", "sandbox", "platform-requests", "platform.integratn.tech")
        assert obj["metadata"]["labels"]["kratix.io/manual-reconciliation"] == "true"
        assert obj["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator", "a merge, not a replace"
        assert ("PATCH" in [m for m, _ in src.kube.log]) is False  # the reading source sent no write

        assert main(["reconcile", "configmap/sandbox-vcluster-values", "-n", "vcluster-sandbox", "--write", *args]) == 2
        assert "is not a Kratix request kind" in capsys.readouterr().err


def test_submit_apply_is_one_server_side_apply_after_admission(lab, tmp_path, capsys):
    """``submit --apply`` (issue 14): admitted with the cluster's CRD, then PATCH application/apply-patch+yaml with
    field manager kratix-lab (what ``kubectl apply --server-side`` sends); never forced, so a field another manager
    owns is a 409 naming it (apimachinery managedfields/internal/conflict.go); --write is required."""
    from kratix_lab.model import dump, load_file
    from tests.helpers import SAMPLES

    doc = load_file(SAMPLES / "dev.yaml")[0].data
    doc["metadata"]["name"] = doc["spec"]["name"] = "direct"
    doc["spec"]["vcluster"] = {"preset": "dev"}
    (tmp_path / "direct.yaml").write_text(dump(doc))
    bad = {**doc, "spec": {**doc["spec"], "vcluster": {"preset": "huge"}}}
    (tmp_path / "bad.yaml").write_text(dump(bad))
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        args = live_args(run.kubeconfig, path, tmp_path / "cache")
        src = live_source(run.kubeconfig, path, tmp_path / "cache")
        group = "platform.integratn.tech"

        assert main(["submit", str(tmp_path / "direct.yaml"), "--apply", *args]) == 1
        assert "--apply writes the request to the cluster; add --write" in capsys.readouterr().err
        assert src.get("VClusterOrchestrator", "direct", "platform-requests", group) is None, "nothing was written"

        assert main(["submit", str(tmp_path / "bad.yaml"), "--apply", "--write", *args]) == 2
        err = capsys.readouterr().err
        assert "spec.vcluster.preset" in err and "huge" in err, err
        assert src.get("VClusterOrchestrator", "direct", "platform-requests", group) is None, "refused before the API"

        assert main(["submit", str(tmp_path / "direct.yaml"), "--apply", "--write", *args]) == 0
        out = capsys.readouterr()
        assert out.out == "vclusterorchestrator.platform.integratn.tech/direct serverside-applied\n"
        assert "not committed: the gitops repo does not hold it" in out.err
        obj = src.get("VClusterOrchestrator", "direct", "platform-requests", group)
        managers = [(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]]
        assert ("kratix-lab", "Apply") in managers, managers

        patched = {"spec": {"vcluster": {"preset": "prod"}}}
        kinds = src.kinds().resolve("vco")
        status, _ = src.kube.request(
            "PATCH",
            src.kube.path(kinds, "platform-requests", "direct"),
            {"fieldManager": "someone-else"},
            body=patched,
            content_type="application/merge-patch+json",
        )
        assert status == 200
        assert main(["submit", str(tmp_path / "direct.yaml"), "--apply", "--write", *args]) == 1
        err = capsys.readouterr().err
        assert '\nerror: Apply failed with 1 conflict: conflict with "someone-else"' in err, err
        assert err.rstrip().endswith(": .spec.vcluster.preset"), err
        obj = src.get("VClusterOrchestrator", "direct", "platform-requests", group)
        assert obj["spec"]["vcluster"]["preset"] == "prod", "a conflicting apply changes nothing"


def test_submit_apply_in_the_lab_applies_without_a_commit(lab, capsys):
    from kratix_lab.model import dump, load_file
    from tests.helpers import SAMPLES

    doc = load_file(SAMPLES / "dev.yaml")[0].data
    doc["metadata"]["name"] = doc["spec"]["name"] = "direct"
    (lab.path / "direct.yaml").write_text(dump(doc))
    head = lab.gitops_repo.head()
    path = lab.path
    lab.close()
    assert main(["--lab", str(path), "submit", str(path / "direct.yaml"), "--apply"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("vclusterorchestrator.platform.integratn.tech/direct created"), out.out
    from kratix_lab.platform.lab import Lab

    with Lab(path, create=False) as again:
        assert again.gitops_repo.head() == head
        assert again.store.get("VClusterOrchestrator", "direct", "platform-requests", "platform.integratn.tech")
