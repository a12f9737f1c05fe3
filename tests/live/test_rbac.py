"""RBAC and kinds the cluster does not serve: Unknown nodes naming the permission or the CRD, never a false
Missing; ``doctor`` prints the ClusterRole, and with exactly that ClusterRole the trace is complete."""

from __future__ import annotations

import json

import yaml

from kratix_lab.cli import main
from kratix_lab.live.doctor import allowed_resources, cluster_role
from kratix_lab.platform.lab import STATE_URL
from kratix_lab.sources.factory import open_live
from kratix_lab.trace import trace
from tests.live.conftest import live_args, served


def _kubeconfig_with_token(run, path, token):
    doc = yaml.safe_load(run.kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = token
    path.write_text(yaml.safe_dump(doc))
    return path


def _source(kubeconfig, lab_path, cache):
    return open_live(kubeconfig=kubeconfig, repos={STATE_URL: str(lab_path / "state.git")}, cache_dir=cache)


def test_forbidden_kinds_are_unknown_nodes_and_the_cluster_role_completes_the_trace(lab, tmp_path, capsys):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        full = trace(_source(run.kubeconfig, path, tmp_path / "c0"), "vco", "sandbox", "platform-requests")
        assert {n.health for n, _ in full.walk()} == {"Healthy"}

        # a token that may read everything the ClusterRole names except Jobs and ConfigMaps
        role = cluster_role(_source(run.kubeconfig, path, tmp_path / "c1"))
        run.server.limited["limited"] = allowed_resources(role) - {"jobs.batch", "configmaps"}
        limited = _kubeconfig_with_token(run, tmp_path / "limited", "limited")
        root = trace(_source(limited, path, tmp_path / "c2"), "vco", "sandbox", "platform-requests")
        unknown = [n for n, _ in root.walk() if n.health == "Unknown"]
        assert unknown and not [n for n, _ in root.walk() if n.health == "Missing"]
        jobs = [n for n in unknown if n.stage == "pipeline"]
        assert jobs and all(
            n.message.startswith(
                "forbidden: cannot list jobs.batch in namespace platform-requests; grant list on jobs.batch"
            )
            for n in jobs
        ), [n.message for n in jobs]
        cms = [n for n in unknown if n.kind == "ConfigMap"]
        assert cms and all("grant get on configmaps" in n.message for n in cms), [n.message for n in cms]
        assert {n.stage for n in unknown} == {"pipeline", "object"}

        code = main(["diagnose", "vco/sandbox", "-o", "json", *live_args(limited, path, tmp_path / "c3")])
        d = json.loads(capsys.readouterr().out)
        assert code == 0 and not d["healthy"] and d["findings"] == []
        assert d["verdict"].startswith("Unknown at ") and "forbidden: cannot" in d["verdict"]

        # doctor names what fails and prints the ClusterRole
        assert main(["doctor", *live_args(limited, path, tmp_path / "c4")]) == 1
        out = capsys.readouterr().out
        assert "FAIL  rbac: list jobs.batch: forbidden" in out and "FAIL  rbac: list configmaps: forbidden" in out
        role_text, write_text = out.split("(bind it to your user or group):\n", 1)[1].split("# For --write", 1)
        printed = yaml.safe_load(role_text)
        extra = yaml.safe_load(write_text.split("\n", 2)[2])
        assert extra["rules"] and all(r["verbs"] == ["patch", "create"] for r in extra["rules"])
        assert "vclusterorchestrators" in extra["rules"][0]["resources"]
        assert printed == role and printed["kind"] == "ClusterRole"
        assert all(r["verbs"] == ["get", "list", "watch"] for r in printed["rules"])
        requests = next(r for r in printed["rules"] if r["apiGroups"] == ["platform.integratn.tech"])
        assert "vclusterorchestrators" in requests["resources"], "the request kinds come from the Promises"

        # with exactly the printed ClusterRole, the trace is complete and doctor passes
        run.server.limited["reader"] = allowed_resources(printed)
        reader = _kubeconfig_with_token(run, tmp_path / "reader", "reader")
        again = trace(_source(reader, path, tmp_path / "c5"), "vco", "sandbox", "platform-requests")
        assert again == full
        assert main(["doctor", *live_args(reader, path, tmp_path / "c6")]) == 0
        out = capsys.readouterr().out
        assert "FAIL" not in out and "pass  connectivity" in out and f"pass  state repo {STATE_URL}" in out


def test_a_kind_the_cluster_does_not_serve_is_unknown_naming_the_crd(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        src = _source(run.kubeconfig, path, tmp_path / "c")
        registry = src.kinds()
        # as if Argo CD's AppProject CRD were not installed on this cluster
        src._registry = type(registry)([k for k in registry if k.kind != "AppProject"])
        root = trace(src, "vco", "sandbox", "platform-requests")
        (node,) = [n for n, _ in root.walk() if n.kind == "AppProject"]
        assert node.health == "Unknown" and node.stage == "object"
        assert node.message.startswith(f"not served: {run.url} has no kind AppProject (argoproj.io); install its CRD")
        assert not [n for n, _ in root.walk() if n.health == "Missing"]


def test_an_unreadable_state_repo_and_forbidden_applications_together_are_unknown_nodes(lab, tmp_path):
    """Both fallbacks at once — the commit's files from the WorkPlacement and no right to list Applications — once
    called the repo's error text as if it were the Unknown-node function (found by mypy --strict on trace.py)."""
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        role = cluster_role(_source(run.kubeconfig, path, tmp_path / "c1"))
        run.server.limited["noapps"] = allowed_resources(role) - {"applications.argoproj.io"}
        kubeconfig = _kubeconfig_with_token(run, tmp_path / "noapps", "noapps")
        src = open_live(
            kubeconfig=kubeconfig, repos={STATE_URL: str(tmp_path / "no-such-repo")}, cache_dir=tmp_path / "c"
        )
        root = trace(src, "vco", "sandbox", "platform-requests")
        commits = [n for n, _ in root.walk() if n.stage == "commit"]
        assert commits and all(n.evidence.get("filesFrom") == "WorkPlacement" for n in commits)
        syncs = [c for n in commits for c in n.children]
        assert syncs and all(
            s.health == "Unknown" and s.message.startswith("forbidden: cannot list applications.argoproj.io")
            for s in syncs
        ), [s.message for s in syncs]
