"""The same answer through the API as from the lab: for a lab with media + a dev vCluster, every lab fault
of tests/test_diagnose.py and its broken-request scenarios, ``trace -o json`` and ``diagnose -o json``
through ``LiveSource`` against ``kratix-lab serve`` equal those through ``LabSource`` (byte for byte but the fixes,
which name kubectl/git/argocd live and kratix-lab commands in the lab, issue 17 item 6; the
source description is not part of the JSON)."""

from __future__ import annotations

import json
import re

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import GITOPS_IDENTITY
from tests.helpers import SAMPLES
from tests.live.conftest import live_args, served
from tests.test_diagnose import APP_SPEC, EXTRA, SCENARIOS, request


def _scenario(lab, fault, params, action):
    lab.faults.inject(fault, **params)
    if action == "reconcile":
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    elif action == "extra":
        lab.submit(EXTRA)
    lab.settle()
    if action == "run":
        lab.run_for(60)


def _refused(lab):
    text = (SAMPLES / "invalid" / "bad-enum.yaml").read_text()
    lab.gitops_repo.write_files(
        {"platform/vclusters/huge.yaml": text.encode()}, "add huge", GITOPS_IDENTITY, lab.store.now_seconds()
    )
    lab.gitops_repo.sync_worktree()
    lab.settle()


def _deleted_with_leftover(lab):
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    lab.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "orphan", "namespace": "default", "labels": {"kratix.io/resource-name": "sandbox"}},
        }
    )


def _promise_unavailable(lab):
    promise = lab.get("Promise", "argocd-project")
    promise["spec"]["requiredPromises"] = [{"name": "cert-manager", "version": "v1.0.0"}]
    lab.store.update(promise)
    lab.apply(request("ArgocdProject", "waiting", {"name": "waiting", "destinations": [{"namespace": "*"}]}))
    lab.settle()


def _sync_failed(lab):
    spec = {"name": "old", "targetNamespace": "default", "externalSecretsApiVersion": "v1beta1"}
    lab.apply(request("VClusterKubeconfigExternalSecret", "old", spec))
    lab.settle()


def _project_missing(lab):
    lab.apply(request("ArgocdApplication", "demo", APP_SPEC))
    lab.settle()


def _written_twice(lab):
    project = {"name": "shared", "sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}]}
    lab.apply(request("ArgocdProject", "one", project))
    lab.apply(request("ArgocdProject", "two", {**project, "description": "the second writer"}))
    lab.settle()


def _media(lab):
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()


CASES = [
    pytest.param(_media, ["vco/media", "vco/sandbox"], id="media-and-dev"),
    *(
        pytest.param(
            lambda lab, s=s: _scenario(lab, s[0], s[1], s[2]),
            [f"vco/{s[3]}"] + (["vclustercore/sandbox"] if s[2] == "reconcile" else []),
            id=f"{s[0]}-{s[4]}",
        )
        for s in SCENARIOS
    ),
    pytest.param(_refused, ["vco/huge"], id="request-refused"),
    pytest.param(_deleted_with_leftover, ["vco/sandbox", "vco/never-was"], id="deleted-leftovers"),
    pytest.param(_promise_unavailable, ["argocdproject/waiting"], id="promise-unavailable"),
    pytest.param(_sync_failed, ["vclusterkubeconfigexternalsecret/old"], id="sync-failed"),
    pytest.param(_project_missing, ["argocdapplication/demo"], id="app-project-missing"),
    pytest.param(_written_twice, ["argocdproject/one"], id="object-written-twice"),
]


def _outputs(capsys, args: list[str], refs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for ref in refs:
        for command in ("trace", "diagnose"):
            code = main([command, ref, "-n", "platform-requests", "-o", "json", *args])
            printed = capsys.readouterr()
            if code == 2:  # a request that is nowhere: NotFound, the same message either way (issue 17 item 8)
                out[f"{command} {ref}"] = (code, printed.err.splitlines()[-1])
                continue
            out[f"{command} {ref}"] = (code if command == "diagnose" else 0, json.loads(printed.out))
            assert code in (0, 1)
    return out


COMMAND = re.compile(r"`([^`]+)`")


def _commands(outputs: dict[str, object]) -> list[str]:
    """Every command the fixes name."""
    docs = [d for _, d in outputs.values() if isinstance(d, dict)]  # type: ignore[misc]
    return [c for d in docs for f in d["findings"] for c in COMMAND.findall(f["fix"])]


def _but_the_fixes(outputs: dict[str, object]) -> dict[str, object]:
    """The outputs without the fixes: those name the commands of where the user is (issue 17 item 6)."""
    out: dict[str, object] = {}
    for key, (code, d) in outputs.items():  # type: ignore[misc]
        if isinstance(d, dict):
            verdict = d["verdict"]
            for f in d["findings"]:
                verdict = verdict.replace(f["fix"], "<fix>")
            d = {
                **d,
                "verdict": verdict,
                "findings": [{k: v for k, v in f.items() if k != "fix"} for f in d["findings"]],
            }
        out[key] = (code, d)
    return out


@pytest.mark.parametrize(("prepare", "refs"), CASES)
def test_trace_and_diagnose_through_the_api_equal_the_lab(lab, tmp_path, capsys, prepare, refs):
    prepare(lab)
    path = lab.path
    lab.close()
    from_lab = _outputs(capsys, ["--lab", str(path)], refs)
    with served(path, tmp_path / "kubeconfig") as run:
        from_api = _outputs(capsys, live_args(run.kubeconfig, path, tmp_path / "cache"), refs)
    assert _but_the_fixes(from_api) == _but_the_fixes(from_lab)
    # the fixes: kratix-lab commands in the lab, kubectl/git/argocd through the API (kratix-lab validate and
    # submit --write work against a cluster too)
    assert not [c for c in _commands(from_lab) if c.split()[0] in ("kubectl", "git", "argocd")]
    live_too = ("kratix-lab validate", "kratix-lab submit FILE --write")
    lab_only = [c for c in _commands(from_api) if c.startswith("kratix-lab") and not c.startswith(live_too)]
    assert not lab_only, lab_only
    assert any(not d["healthy"] for _, d in from_lab.values()) or prepare is _media
