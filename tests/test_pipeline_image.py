"""The catalogue's pipeline image, built and run for real (issue 16): the container Kratix would run gives exactly
what the in-process executor gives.

The image is built once per session with ``scripts/build_image.py`` (``make image``: a Debian base from mmdebstrap,
the wheels built on the host, no network) and reused while its inputs are unchanged. The tests need an engine that
answers (podman as ``scripts/setup-podman.sh`` configures it; CI installs it). They skip, saying why, only where no
engine is installed or one says it is not running, and only outside CI: ``.ci/run`` sets KRATIX_LAB_REQUIRE_CONTAINERS=1
(as does CI=true, which CI services set), and there a missing engine fails them. An engine that is slow to answer
(``podman info`` on a loaded machine) never turns them into a skip: it is waited for, then fails them.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from kratix_lab.pipeline.contract import PipelineDirs
from kratix_lab.pipeline.executors import ContainerExecutor, EngineProbe, probe_container_engines
from kratix_lab.pipeline.image import PIPELINE_IMAGE
from kratix_lab.pipeline.runner import run_workflow
from kratix_lab.promises import load_catalogue
from kratix_lab.render import read_request, render, write_tree
from tests.helpers import ROOT, SAMPLES

REQUIRE_ENV = "KRATIX_LAB_REQUIRE_CONTAINERS"
ENGINE_WAIT = 120.0  # seconds for `podman info`: under load it has taken over 10 s; a slow engine is not an absent one


def must_run_here(env: Mapping[str, str]) -> bool:
    """In CI: ``.ci/run`` sets KRATIX_LAB_REQUIRE_CONTAINERS=1; CI services set CI=true (``0``/``false`` do not count)."""
    return env.get(REQUIRE_ENV, "") not in ("", "0") or env.get("CI", "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    )


def engine_verdict(probes: Sequence[EngineProbe], env: Mapping[str, str]) -> tuple[str, str]:
    """``("run", engine path)``, ``("skip", why)`` or ``("fail", why)`` for the image tests, from what each engine
    said (:func:`probe_container_engines`): skip only where no engine is installed, or the one installed says it is
    not running, and the environment does not require the tests; an engine that timed out, or any miss in CI, fails."""
    for probe in probes:
        if probe.answered and probe.path:
            return "run", probe.path
    why = "; ".join(p.problem for p in probes) or "no container engine was asked"
    if must_run_here(env):
        return "fail", f"{why}: {REQUIRE_ENV}=1 or CI is set, so the image tests must run (scripts/setup-podman.sh)"
    if any(p.timed_out for p in probes):
        return "fail", f"{why}: an engine that is installed but slow to answer is not a reason to skip"
    return "skip", f"no docker or podman engine answers on this machine ({why}); CI runs scripts/setup-podman.sh"


def _probes() -> list[EngineProbe]:
    probes = []
    for probe in probe_container_engines(timeout=ENGINE_WAIT):
        probes.append(probe)
        if probe.answered:
            break
    return probes


@pytest.fixture(scope="module")
def engine() -> str:
    verdict, detail = engine_verdict(_probes(), os.environ)
    if verdict == "skip":
        pytest.skip(detail)
    if verdict == "fail":
        pytest.fail(detail, pytrace=False)
    return detail


ABSENT = [
    EngineProbe("docker", None, problem="docker is not on PATH"),
    EngineProbe("podman", None, problem="podman is not on PATH"),
]
STOPPED = [ABSENT[0], EngineProbe("podman", "/usr/bin/podman", problem="`podman info` exited 125: cannot connect")]
SLOW = [ABSENT[0], EngineProbe("podman", "/usr/bin/podman", timed_out=True, problem="`podman info` did not answer")]
ANSWERS = [
    EngineProbe("docker", "/usr/bin/docker", problem="`docker info` exited 1"),
    EngineProbe("podman", "/p", True),
]


@pytest.mark.parametrize("env", [{}, {"CI": "true"}, {REQUIRE_ENV: "1"}])
def test_an_engine_that_answers_runs_the_image_tests_anywhere(env):
    assert engine_verdict(ANSWERS, env) == ("run", "/p")


@pytest.mark.parametrize("probes", [ABSENT, STOPPED])
def test_outside_ci_no_engine_or_a_stopped_one_skips_saying_what_each_tool_said(probes):
    verdict, why = engine_verdict(probes, {"CI": "false", REQUIRE_ENV: "0", "PATH": "/usr/bin"})
    assert verdict == "skip"
    assert all(p.problem in why for p in probes) and "scripts/setup-podman.sh" in why


@pytest.mark.parametrize("env", [{REQUIRE_ENV: "1"}, {"CI": "true"}, {"CI": "1"}, {"CI": "yes", REQUIRE_ENV: "0"}])
@pytest.mark.parametrize("probes", [ABSENT, STOPPED, SLOW, []], ids=["absent", "stopped", "slow", "none-asked"])
def test_in_ci_a_missing_or_silent_engine_fails_the_image_tests_never_skips(probes, env):
    verdict, why = engine_verdict(probes, env)
    assert verdict == "fail"
    assert f"{REQUIRE_ENV}=1 or CI is set" in why and all(p.problem in why for p in probes)


def test_an_engine_slow_to_answer_fails_rather_than_skips_even_outside_ci():
    verdict, why = engine_verdict(SLOW, {})
    assert verdict == "fail"
    assert "did not answer" in why and "slow to answer is not a reason to skip" in why


def _fake_tool(folder: Path, name: str, script: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{script}\n")
    tool.chmod(0o755)


def test_the_probe_says_what_each_engine_answered(tmp_path, monkeypatch):
    """Absent, exits non-zero (its last stderr line kept), does not answer in time, answers: what the verdict reads."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert [(p.tool, p.path, p.answered, p.problem) for p in probe_container_engines(timeout=5)] == [
        ("docker", None, False, "docker is not on PATH"),
        ("podman", None, False, "podman is not on PATH"),
    ]
    _fake_tool(tmp_path, "docker", "echo starting >&2; echo 'Cannot connect to the Docker daemon' >&2; exit 1")
    _fake_tool(tmp_path, "podman", "exec /bin/sleep 30")
    docker, podman = probe_container_engines(timeout=0.5)
    assert docker == EngineProbe(
        "docker", str(tmp_path / "docker"), problem="`docker info` exited 1: Cannot connect to the Docker daemon"
    )
    assert podman == EngineProbe(
        "podman", str(tmp_path / "podman"), timed_out=True, problem="`podman info` did not answer within 0.5 s"
    )
    assert engine_verdict([docker, podman], {})[0] == "fail"
    _fake_tool(tmp_path, "podman", "exit 0")
    assert [p.answered for p in probe_container_engines(timeout=5)] == [False, True]


def test_ci_run_requires_the_image_tests():
    """`.ci/run` installs podman and says so to the tests, before `make test`."""
    text = (ROOT / ".ci" / "run").read_text()
    assert f"export {REQUIRE_ENV}=1" in text
    assert text.index("scripts/setup-podman.sh") < text.index(f"export {REQUIRE_ENV}=1") < text.index("make test")


@pytest.fixture(scope="module")
def image(engine):
    build = [sys.executable, str(ROOT / "scripts" / "build_image.py"), "--runtime", Path(engine).name]
    done = subprocess.run(build, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return PIPELINE_IMAGE


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _tree(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_the_image_runs_as_its_non_root_user_and_reports_the_version_the_promises_reference(image, engine):
    """The usual path (`podman run IMAGE`, the image copied for the container), not the read-only rootfs one."""
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


def test_render_through_the_container_is_byte_identical_to_in_process(image, engine, catalogue, tmp_path):
    """All eight configure pipelines of ``media`` (the orchestrator and its seven sub-requests)."""
    obj = read_request(SAMPLES / "media.yaml")
    container = render(catalogue, copy.deepcopy(obj), executor=ContainerExecutor(engine))
    assert container.ok, container.errors()
    assert len(list(container.walk())) == 8
    in_process = render(catalogue, copy.deepcopy(obj))
    write_tree(container, tmp_path / "a")
    write_tree(in_process, tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_delete_pipelines_agree(image, engine, catalogue):
    node = render(catalogue, read_request(SAMPLES / "media.yaml"))
    executor = ContainerExecutor(engine)
    for n in node.walk():
        if not n.promise.pipelines("resource", "delete"):
            continue
        a = run_workflow(n.promise, n.request, "delete", executor=executor)
        b = run_workflow(n.promise, n.request, "delete")
        assert a.ok and b.ok, (n.ref, a.failed and a.failed.containers, b.failed)
        assert [(p.name, p.status_update) for p in a.pipelines] == [(p.name, p.status_update) for p in b.pipelines]


def test_hostile_requests_give_identical_outputs(image, engine, catalogue):
    """The catalogue tests' injection cases: quotes, newlines, YAML and shell syntax, unicode."""
    hostile = "x\"'\n: - {a: b} $(touch /tmp/pwned) `id` ; rm -rf / # é 🚀 \\n"
    req = read_request(SAMPLES / "dev.yaml")
    req["spec"]["integrations"] = {"argocd": {"clusterAnnotations": {"note": hostile}}}
    req["spec"]["vcluster"] = {"helmOverrides": {"controlPlane": {"statefulSet": {"labels": {"note": hostile}}}}}
    a = render(catalogue, copy.deepcopy(req), executor=ContainerExecutor(engine))
    b = render(catalogue, copy.deepcopy(req))
    assert a.ok and b.ok, a.errors()
    assert a.all_objects() == b.all_objects()


def test_nothing_in_the_container_can_write_outside_output_and_metadata(image, engine, tmp_path):
    dirs = PipelineDirs(tmp_path / "run").create()
    (dirs.input / "object.yaml").write_text("kind: X\n")
    script = (
        "for p in /kratix/input/x /opt/kratix-lab/x /etc/x /x /kratix/output/ok /kratix/metadata/ok; do "
        "if touch $p 2>/dev/null; then echo wrote $p; fi; done"
    )
    result = ContainerExecutor(engine).run(
        {"name": "probe", "image": image, "command": ["sh", "-c", script]}, dirs, {"KRATIX_WORKFLOW_ACTION": "x"}
    )
    assert result.exit_code == 0, result.logs
    assert result.logs.split("\n")[:-1] == ["wrote /kratix/output/ok", "wrote /kratix/metadata/ok"]
    assert sorted(p.name for p in dirs.input.iterdir()) == ["object.yaml"]
    for executor in (ContainerExecutor(engine, rootfs=False),):  # the usual path refuses the same writes
        again = PipelineDirs(tmp_path / "again").create()
        out = executor.run({"name": "probe", "image": image, "command": ["sh", "-c", script]}, again, {})
        assert "wrote /kratix/input/x" not in out.logs and "wrote /kratix/output/ok" in out.logs


def test_a_pipeline_that_hangs_is_killed_at_the_timeout_and_fails_saying_why(image, engine, tmp_path):
    dirs = PipelineDirs(tmp_path / "run").create()
    result = ContainerExecutor(engine, timeout=3).run(
        {"name": "sleepy", "image": image, "command": ["sleep", "300"]}, dirs, {}
    )
    assert result.exit_code == 124
    assert "timed out: the container ran longer than the executor's 3 s and was killed" in result.logs
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
