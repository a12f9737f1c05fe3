"""A Promise under development: its image is not built yet, its pipeline is a local file (LocalPipelineExecutor)."""

from __future__ import annotations

import pytest

from kratix_lab.pipeline.entrypoint import call
from kratix_lab.pipeline.executors import InProcessExecutor, LocalPipelineExecutor
from kratix_lab.pipeline.runner import run_workflow
from kratix_lab.platform.lab import Lab
from kratix_lab.promise import Promise
from kratix_lab.render import read_request
from tests.helpers import SAMPLES

IMAGE = "ghcr.io/your-org/thing-pipeline:main"
PROMISE = {
    "apiVersion": "platform.kratix.io/v1alpha1",
    "kind": "Promise",
    "metadata": {"name": "thing"},
    "spec": {
        "api": {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.platform.integratn.tech"},
            "spec": {
                "group": "platform.integratn.tech",
                "scope": "Namespaced",
                "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
                "versions": [
                    {
                        "name": "v1alpha1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {"type": "object", "properties": {"colour": {"type": "string"}}}
                                },
                            }
                        },
                    }
                ],
            },
        },
        "workflows": {
            "resource": {
                action: [
                    {
                        "apiVersion": "platform.kratix.io/v1alpha1",
                        "kind": "Pipeline",
                        "metadata": {"name": f"thing-{action}"},
                        "spec": {"containers": [{"name": "main", "image": IMAGE}]},
                    }
                ]
                for action in ("configure", "delete")
            }
        },
    },
}
THING = {
    "apiVersion": "platform.integratn.tech/v1alpha1",
    "kind": "Thing",
    "metadata": {"name": "t", "namespace": "platform-requests"},
    "spec": {"colour": "blue"},
}
PIPELINE = """
import sys

import yaml


def configure(sdk):
    resource = sdk.read_resource_input()
    colour = resource.get_value("spec.colour")
    if colour == "plaid":
        sys.exit(f"ERROR: spec.colour {colour!r} is not a colour")
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": resource.get_name(),
            "namespace": "default",
            "labels": {
                "kratix.io/promise-name": sdk.promise_name(),
                "kratix.io/resource-name": resource.get_name(),
                "app.kubernetes.io/managed-by": "kratix",
            },
        },
        "data": {"colour": colour, "version": "VERSION"},
    }
    sdk.write_output("configmap.yaml", yaml.safe_dump(cm).encode())
    print("rendered", colour)


def delete(sdk):
    print("nothing to undo")
"""


@pytest.fixture
def pipeline_file(tmp_path):
    path = tmp_path / "pipeline.py"
    path.write_text(PIPELINE.replace("VERSION", "1"))
    return path


def test_runs_the_local_file_for_its_image_and_reads_it_again_on_every_run(pipeline_file):
    executor = LocalPipelineExecutor({IMAGE: pipeline_file})
    promise = Promise.from_dict(PROMISE)
    result = run_workflow(promise, THING, executor=executor)
    assert result.ok, result.logs
    (workload,) = result.workloads
    assert workload.filepath == "configmap.yaml" and b"colour: blue" in workload.content
    assert "[main] rendered blue" in result.logs
    pipeline_file.write_text(PIPELINE.replace("VERSION", "2"))  # an edit is the next run's code
    assert b"version: '2'" in run_workflow(promise, THING, executor=executor).workloads[0].content
    deleted = run_workflow(promise, THING, "delete", executor=executor)
    assert deleted.ok and "nothing to undo" in deleted.logs


def test_a_sys_exit_message_fails_the_container_with_the_message(pipeline_file):
    result = run_workflow(
        Promise.from_dict(PROMISE),
        {**THING, "spec": {"colour": "plaid"}},
        executor=LocalPipelineExecutor({IMAGE: pipeline_file}),
    )
    assert not result.ok and result.workloads == []
    assert result.pipelines[0].logs == "[main] ERROR: spec.colour 'plaid' is not a colour\n"


def test_other_images_go_to_the_inner_executor(pipeline_file, catalogue):
    executor = LocalPipelineExecutor({IMAGE: pipeline_file})
    assert isinstance(executor.inner, InProcessExecutor)
    core = catalogue.get("vcluster-core")
    result = run_workflow(core, read_request(SAMPLES / "vcluster-core.yaml"), executor=executor)
    assert result.ok, result.logs


def test_a_file_without_the_action_fails_clearly(tmp_path):
    path = tmp_path / "pipeline.py"
    path.write_text("def configure(sdk):\n    pass\n")
    result = run_workflow(Promise.from_dict(PROMISE), THING, "delete", executor=LocalPipelineExecutor({IMAGE: path}))
    assert not result.ok
    assert "pipeline.py defines no delete(sdk) function" in result.pipelines[0].logs


def test_call_exits_as_the_interpreter_does(capsys):
    def exits(code):
        def fn(sdk):
            raise SystemExit(code)

        return fn

    assert call(exits(None)) == 0
    assert call(exits(0)) == 0
    assert call(exits(3)) == 3
    assert call(exits("ERROR: bad input")) == 1
    assert capsys.readouterr().err == "ERROR: bad input\n"


def test_a_lab_runs_a_promise_under_development(tmp_path, pipeline_file):
    lab = Lab(tmp_path / "lab", executor=LocalPipelineExecutor({IMAGE: pipeline_file}))
    lab.install_promise(PROMISE)
    lab.submit(THING)
    lab.settle()
    thing = lab.get("Thing", "t", "platform-requests")
    assert thing["status"]["conditions"] and all(
        c["status"] == "True" for c in thing["status"]["conditions"] if c["type"] == "Reconciled"
    )
    assert lab.get("ConfigMap", "t", "default")["data"] == {"colour": "blue", "version": "1"}
    lab.close()
