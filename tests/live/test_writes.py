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
