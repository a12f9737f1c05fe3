"""The workflow runner: Kratix's ordering, failure, status, selectors and delete semantics."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from kratix_lab.model import load_one
from kratix_lab.pipeline.contract import PipelineDirs
from kratix_lab.pipeline.executors import (
    ContainerExecutor,
    ContainerResult,
    ExecutorError,
    InProcessExecutor,
    make_executor,
)
from kratix_lab.pipeline.runner import run_workflow
from kratix_lab.promise import Promise, PromiseError
from kratix_lab.render import read_request
from tests.helpers import SAMPLES

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "things.test.dev"},
    "spec": {
        "group": "test.dev",
        "scope": "Namespaced",
        "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}
THING = {"apiVersion": "test.dev/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": "ns"}, "spec": {}}


def pipeline(name: str, *containers: str) -> dict:
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Pipeline",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": c, "image": f"test/{c}"} for c in containers]},
    }


def promise(configure: list, delete: list | None = None) -> Promise:
    return Promise.from_dict(
        {
            "apiVersion": "platform.kratix.io/v1alpha1",
            "kind": "Promise",
            "metadata": {"name": "thing"},
            "spec": {
                "api": CRD,
                "destinationSelectors": [{"matchLabels": {"env": "prod"}}],
                "workflows": {"resource": {"configure": configure, "delete": delete or []}},
            },
        }
    )


class ScriptedExecutor:
    """Stands in for a container runtime: each image name maps to a Python step over the dirs."""

    name = "scripted"

    def __init__(self, steps):
        self.steps = steps
        self.calls: list[tuple[str, dict]] = []

    def run(self, container, dirs: PipelineDirs, env):
        self.calls.append((container["name"], dict(env)))
        code = self.steps[container["name"]](dirs, env) or 0
        return ContainerResult(container["name"], container["image"], code, f"ran {container['name']}\n", 0.0)


def write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return 0


def test_pipelines_and_containers_run_in_order_sharing_directories():
    def first(d, env):
        write(d.output / "a.yaml", "kind: A\n")
        return write(d.metadata / "status.yaml", "message: first\nconditions: [{type: X, status: 'True'}]\n")

    def second(d, env):
        assert (d.output / "a.yaml").exists(), "containers of one pipeline share /kratix/output"
        return write(d.output / "b.yaml", "kind: B\n")

    def third(d, env):
        obj = load_one((d.input / "object.yaml").read_text())
        assert obj["status"]["message"] == "first", "the next pipeline sees the merged status"
        assert not (d.output / "a.yaml").exists(), "each pipeline starts with an empty output"
        return write(d.metadata / "status.yaml", "message: third\nconditions: [{type: Y, status: 'True'}]\n")

    ex = ScriptedExecutor({"first": first, "second": second, "third": third})
    res = run_workflow(promise([pipeline("p1", "first", "second"), pipeline("p2", "third")]), THING, executor=ex)
    assert res.ok and [c for c, _ in ex.calls] == ["first", "second", "third"]
    assert [w.filepath for w in res.workloads] == ["a.yaml", "b.yaml"]
    assert res.status["message"] == "third"
    assert [c["type"] for c in res.status["conditions"]] == ["X", "Y"]
    assert res.pipelines[0].groups[0].match_labels == {"env": "prod"}
    assert ex.calls[2][1]["KRATIX_PIPELINE_NAME"] == "p2"


def test_a_failing_container_stops_everything_and_yields_no_outputs():
    ran = []

    def ok(d, env):
        ran.append("ok")
        return write(d.output / "a.yaml", "kind: A\n")

    def boom(d, env):
        ran.append("boom")
        return 3

    def never(d, env):
        ran.append("never")

    ex = ScriptedExecutor({"ok": ok, "boom": boom, "never": never})
    res = run_workflow(promise([pipeline("p1", "ok", "boom", "never"), pipeline("p2", "never")]), THING, executor=ex)
    assert ran == ["ok", "boom"]
    assert not res.ok and res.failed.name == "p1" and res.exit_code == 3
    assert res.workloads == [] and res.pipelines[0].workloads == []
    assert "ran boom" in res.logs and len(res.pipelines) == 1


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"status.yaml": "kratix: {}\n"}, 'the top-level key "kratix" is reserved'),
        (
            {"destination-selectors.yaml": "- directory: a/b\n  matchLabels: {a: b}\n"},
            "sub-directories are not allowed",
        ),
    ],
)
def test_contract_violations_fail_the_pipeline(metadata, message):
    def step(d, env):
        write(d.output / "a.yaml", "kind: A\n")
        for name, text in metadata.items():
            write(d.metadata / name, text)

    res = run_workflow(promise([pipeline("p1", "c")]), THING, executor=ScriptedExecutor({"c": step}))
    assert res.failed is not None and message in res.failed.error
    assert res.workloads == []


def test_suspend_stops_later_pipelines():
    def suspend(d, env):
        return write(d.metadata / "workflow-control.yaml", "suspend: true\nmessage: waiting\n")

    ex = ScriptedExecutor({"s": suspend, "never": lambda d, e: pytest.fail("ran after suspend")})
    res = run_workflow(promise([pipeline("p1", "s"), pipeline("p2", "never")]), THING, executor=ex)
    assert [p.phase for p in res.pipelines] == ["Suspended"]
    assert res.pipelines[0].workflow_control.message == "waiting"


def test_delete_runs_only_the_first_delete_pipeline_and_ignores_outputs():
    ex = ScriptedExecutor({"d1": lambda d, e: write(d.output / "x.yaml", "kind: X\n"), "d2": lambda d, e: 1})
    res = run_workflow(promise([], [pipeline("del1", "d1"), pipeline("del2", "d2")]), THING, "delete", executor=ex)
    assert res.ok and len(res.pipelines) == 1 and res.workloads == []
    assert ex.calls[0][1]["KRATIX_WORKFLOW_ACTION"] == "delete"


def test_input_object_is_not_mutated():
    obj = copy.deepcopy(THING) | {"status": {"message": "before"}}
    ex = ScriptedExecutor({"c": lambda d, e: write(d.metadata / "status.yaml", "message: after\n")})
    res = run_workflow(promise([pipeline("p", "c")]), obj, executor=ex)
    assert obj["status"] == {"message": "before"} and res.status == {"message": "after"}


def test_catalogue_pipeline_failure_reports_the_field(catalogue):
    req = read_request(SAMPLES / "invalid" / "application-chart-and-path.yaml")
    p = catalogue.get("argocd-application")
    # Admission refuses it now (CEL rule); the pipeline keeps its own check for objects that bypass admission.
    path = req["spec"]["source"].pop("path")
    obj = p.crd.admit(req).object
    obj["spec"]["source"]["path"] = path
    res = run_workflow(p, obj)
    assert res.failed and res.exit_code == 1
    assert "spec.source: exactly one of chart" in res.logs
    assert "Traceback" not in res.logs, "input errors are reported without a traceback"


def test_catalogue_delete_pipelines_run(catalogue):
    req = read_request(SAMPLES / "vcluster-core.yaml")
    p = catalogue.get("vcluster-core")
    res = run_workflow(p, p.crd.admit(req).object, "delete")
    assert res.ok and res.status["message"].startswith("Deleted:")


def test_in_process_executor_refuses_foreign_images_and_commands(tmp_path):
    dirs = PipelineDirs(tmp_path).create()
    with pytest.raises(ExecutorError, match="not the kratix-lab pipeline image"):
        InProcessExecutor().run({"name": "x", "image": "busybox"}, dirs, {})
    with pytest.raises(ExecutorError, match="is not the catalogue entrypoint"):
        InProcessExecutor().run(
            {"name": "x", "image": "ghcr.io/integratn-tech/kratix-lab-pipeline:v0", "command": ["sh"]}, dirs, {}
        )


def test_unknown_pipeline_name_exits_2(tmp_path):
    dirs = PipelineDirs(tmp_path).create()
    res = InProcessExecutor().run(
        {"name": "x", "image": "ghcr.io/integratn-tech/kratix-lab-pipeline:v0", "args": ["nope"]},
        dirs,
        {"KRATIX_WORKFLOW_ACTION": "configure"},
    )
    assert res.exit_code == 2 and "no pipeline named 'nope'" in res.logs


def test_container_executor_command_line(tmp_path):
    dirs = PipelineDirs(tmp_path).create()
    argv = ContainerExecutor(runtime="/usr/bin/docker").argv(
        {
            "name": "c",
            "image": "img:1",
            "command": ["run", "--fast"],
            "args": ["x"],
            "env": [{"name": "A", "value": "1"}],
        },
        dirs,
        {"KRATIX_WORKFLOW_ACTION": "configure"},
    )
    assert argv[:5] == ["/usr/bin/docker", "run", "--rm", "--network", "none"]
    assert f"{dirs.input}:/kratix/input:ro" in argv
    assert argv[argv.index("-e") : argv.index("-e") + 2] == ["-e", "KRATIX_WORKFLOW_ACTION=configure"]
    assert "A=1" in argv
    assert argv[-5:] == ["--entrypoint", "run", "img:1", "--fast", "x"]


def test_container_executor_without_a_runtime_says_so(tmp_path):
    with pytest.raises(ExecutorError, match="no container runtime"):
        executor = ContainerExecutor()
        executor.runtime = None  # as on a machine where neither docker nor podman answers
        executor.argv({"name": "c", "image": "img"}, PipelineDirs(tmp_path), {})
    with pytest.raises(ExecutorError, match="unknown executor 'kubernetes'"):
        make_executor("kubernetes")


def test_malformed_promises_are_refused_naming_the_field():
    with pytest.raises(PromiseError, match=r"spec.workflows.resource.configure\[0\].spec.containers: Required value"):
        promise(
            [{"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Pipeline", "metadata": {"name": "p"}, "spec": {}}]
        )
    with pytest.raises(PromiseError, match="kind is 'Pipe', expected 'Promise'"):
        Promise.from_dict({"kind": "Pipe"})
