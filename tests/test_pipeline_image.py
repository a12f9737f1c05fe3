"""The catalogue's pipeline image, built and run for real (issue 16): the container Kratix would run gives exactly
what the in-process executor gives.

The image is built once per session with ``scripts/build_image.py`` (``make image``: a Debian base from mmdebstrap,
the wheels built on the host, no network) and reused while its inputs are unchanged. The tests need an engine that
answers (podman as ``scripts/setup-podman.sh`` configures it; CI installs it); elsewhere they skip saying so.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from kratix_lab.pipeline.contract import PipelineDirs
from kratix_lab.pipeline.executors import ContainerExecutor, container_runtime
from kratix_lab.pipeline.image import PIPELINE_IMAGE
from kratix_lab.pipeline.runner import run_workflow
from kratix_lab.promises import load_catalogue
from kratix_lab.render import read_request, render, write_tree
from tests.helpers import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(
    container_runtime() is None,
    reason="no docker or podman engine answers on this machine (CI runs scripts/setup-podman.sh)",
)


@pytest.fixture(scope="module")
def image():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_image.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return PIPELINE_IMAGE


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _tree(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_the_image_runs_as_its_non_root_user_and_reports_the_version_the_promises_reference(image):
    """The usual path (`podman run IMAGE`, the image copied for the container), not the read-only rootfs one."""
    engine = container_runtime()
    done = subprocess.run(
        [
            engine,
            "run",
            "--rm",
            "--network",
            "none",
            "--pull",
            "never",
            "--entrypoint",
            "sh",
            image,
            "-c",
            "id -u; kratix-lab-pipeline --version; python3 -c 'import textual' 2>/dev/null || echo no-textual",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "65532",
        f"kratix-lab-pipeline {image.rsplit(':', 1)[1]} ({image})",
        "no-textual",  # only what the pipelines need
    ]


def test_render_through_the_container_is_byte_identical_to_in_process(image, catalogue, tmp_path):
    """All eight configure pipelines of ``media`` (the orchestrator and its seven sub-requests)."""
    obj = read_request(SAMPLES / "media.yaml")
    container = render(catalogue, copy.deepcopy(obj), executor=ContainerExecutor())
    assert container.ok, container.errors()
    assert len(list(container.walk())) == 8
    in_process = render(catalogue, copy.deepcopy(obj))
    write_tree(container, tmp_path / "a")
    write_tree(in_process, tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_delete_pipelines_agree(image, catalogue):
    node = render(catalogue, read_request(SAMPLES / "media.yaml"))
    executor = ContainerExecutor()
    for n in node.walk():
        if not n.promise.pipelines("resource", "delete"):
            continue
        a = run_workflow(n.promise, n.request, "delete", executor=executor)
        b = run_workflow(n.promise, n.request, "delete")
        assert a.ok and b.ok, (n.ref, a.failed and a.failed.containers, b.failed)
        assert [(p.name, p.status_update) for p in a.pipelines] == [(p.name, p.status_update) for p in b.pipelines]


def test_hostile_requests_give_identical_outputs(image, catalogue):
    """The catalogue tests' injection cases: quotes, newlines, YAML and shell syntax, unicode."""
    hostile = "x\"'\n: - {a: b} $(touch /tmp/pwned) `id` ; rm -rf / # é 🚀 \\n"
    req = read_request(SAMPLES / "dev.yaml")
    req["spec"]["integrations"] = {"argocd": {"clusterAnnotations": {"note": hostile}}}
    req["spec"]["vcluster"] = {"helmOverrides": {"controlPlane": {"statefulSet": {"labels": {"note": hostile}}}}}
    a = render(catalogue, copy.deepcopy(req), executor=ContainerExecutor())
    b = render(catalogue, copy.deepcopy(req))
    assert a.ok and b.ok, a.errors()
    assert a.all_objects() == b.all_objects()


def test_nothing_in_the_container_can_write_outside_output_and_metadata(image, tmp_path):
    dirs = PipelineDirs(tmp_path / "run").create()
    (dirs.input / "object.yaml").write_text("kind: X\n")
    script = (
        "for p in /kratix/input/x /opt/kratix-lab/x /etc/x /x /kratix/output/ok /kratix/metadata/ok; do "
        "if touch $p 2>/dev/null; then echo wrote $p; fi; done"
    )
    result = ContainerExecutor().run(
        {"name": "probe", "image": image, "command": ["sh", "-c", script]}, dirs, {"KRATIX_WORKFLOW_ACTION": "x"}
    )
    assert result.exit_code == 0, result.logs
    assert result.logs.split("\n")[:-1] == ["wrote /kratix/output/ok", "wrote /kratix/metadata/ok"]
    assert sorted(p.name for p in dirs.input.iterdir()) == ["object.yaml"]
    for executor in (ContainerExecutor(rootfs=False),):  # the usual path refuses the same writes
        again = PipelineDirs(tmp_path / "again").create()
        out = executor.run({"name": "probe", "image": image, "command": ["sh", "-c", script]}, again, {})
        assert "wrote /kratix/input/x" not in out.logs and "wrote /kratix/output/ok" in out.logs


def test_a_pipeline_that_hangs_is_killed_at_the_timeout_and_fails_saying_why(image, tmp_path):
    dirs = PipelineDirs(tmp_path / "run").create()
    result = ContainerExecutor(timeout=3).run({"name": "sleepy", "image": image, "command": ["sleep", "300"]}, dirs, {})
    assert result.exit_code == 124
    assert "timed out: the container ran longer than the executor's 3 s and was killed" in result.logs
    engine = container_runtime()
    listed = subprocess.run([engine, "ps", "--all", "--format", "{{.Names}}"], capture_output=True, text=True)
    assert "kratix-lab-" not in listed.stdout  # killed and removed, not left running


def test_a_lab_running_its_pipelines_in_containers_settles_to_the_same_state_tree(image, tmp_path):
    from kratix_lab.platform.lab import Lab

    trees = []
    for executor in ("container", "in-process"):
        with Lab(tmp_path / executor, executor=executor) as lab:
            lab.submit(SAMPLES / "media.yaml")
            assert lab.settle().quiescent
            trees.append(lab.state_remote.repo.head.commit.tree.hexsha)
    assert trees[0] == trees[1]
