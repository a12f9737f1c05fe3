"""Run a Promise's workflow the way Kratix does: pipelines in order, containers in order.

Each pipeline gets fresh ``input``/``output``/``metadata`` directories and the ``KRATIX_*``
environment; the input object carries the status merged so far. A container that exits non-zero
fails the pipeline: later containers and pipelines do not run and the failed pipeline yields **no**
outputs (in a cluster the previous Work stays). A delete workflow runs only the first delete
pipeline and its outputs are ignored.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kratix_lab.model import dump, ref
from kratix_lab.pipeline.contract import (
    ContractError,
    DestinationSelector,
    PipelineDirs,
    WorkflowControl,
    Workload,
    WorkloadGroup,
    collect_workloads,
    group_workloads,
    merge_status,
    pipeline_env,
    read_destination_selectors,
    read_status,
    read_workflow_control,
)
from kratix_lab.pipeline.executors import ContainerResult, Executor, ExecutorError, InProcessExecutor
from kratix_lab.promise import Promise


@dataclass
class PipelineRun:
    name: str
    env: dict[str, str]
    input_object: dict[str, Any]
    containers: list[ContainerResult] = field(default_factory=list)
    phase: str = "Pending"  # Pending | Running | Succeeded | Failed | Suspended
    error: str | None = None
    workloads: list[Workload] = field(default_factory=list)
    groups: list[WorkloadGroup] = field(default_factory=list)
    status_update: dict[str, Any] = field(default_factory=dict)
    selectors: list[DestinationSelector] = field(default_factory=list)
    workflow_control: WorkflowControl = field(default_factory=WorkflowControl)

    @property
    def exit_code(self) -> int:
        return next((c.exit_code for c in self.containers if c.exit_code != 0), 0)

    @property
    def logs(self) -> str:
        return "".join(f"[{c.name}] {line}\n" for c in self.containers for line in c.logs.splitlines())

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.containers)


@dataclass
class WorkflowResult:
    promise: str
    action: str
    object_ref: str
    pipelines: list[PipelineRun]
    status: dict[str, Any]

    @property
    def ok(self) -> bool:
        return all(p.phase == "Succeeded" for p in self.pipelines)

    @property
    def failed(self) -> PipelineRun | None:
        return next((p for p in self.pipelines if p.phase == "Failed"), None)

    @property
    def exit_code(self) -> int:
        failed = self.failed
        return (failed.exit_code or 1) if failed else 0

    @property
    def workloads(self) -> list[Workload]:
        """Outputs of every pipeline of a configure workflow (none when any pipeline failed)."""
        if self.action != "configure" or not self.ok:
            return []
        return [w for p in self.pipelines for w in p.workloads]

    @property
    def logs(self) -> str:
        return "".join(f"--- pipeline {p.name} ({p.phase})\n{p.logs}" for p in self.pipelines)


def run_workflow(
    promise: Promise,
    obj: dict[str, Any],
    action: str = "configure",
    *,
    executor: Executor | None = None,
    workflow_type: str = "resource",
    workdir: Path | None = None,
) -> WorkflowResult:
    """Run ``promise``'s ``workflow_type``/``action`` pipelines for ``obj`` (a resource request)."""
    if action not in ("configure", "delete"):
        raise ValueError(f"action must be configure or delete, not {action!r}")
    pipelines = workflow_pipelines(promise, workflow_type, action)
    result = WorkflowResult(promise.name, action, ref(obj), [], copy.deepcopy(obj.get("status") or {}))
    for pipeline in pipelines:
        input_object = copy.deepcopy(obj)
        if result.status:
            input_object["status"] = copy.deepcopy(result.status)
        run = run_pipeline(
            promise, pipeline, input_object, action, executor=executor, workflow_type=workflow_type, workdir=workdir
        )
        result.pipelines.append(run)
        if run.phase != "Failed":
            result.status = merge_status(result.status, run.status_update)
        if run.phase != "Succeeded":
            break
    return result


def workflow_pipelines(promise: Promise, workflow_type: str, action: str) -> list[dict[str, Any]]:
    """The pipelines Kratix runs for this action: all configure pipelines, only the first delete one."""
    pipelines = promise.pipelines(workflow_type, action)
    return pipelines[:1] if action == "delete" else pipelines


def run_pipeline(
    promise: Promise,
    pipeline: dict[str, Any],
    input_object: dict[str, Any],
    action: str,
    *,
    executor: Executor | None = None,
    workflow_type: str = "resource",
    workdir: Path | None = None,
) -> PipelineRun:
    """One pipeline (one Kratix Job): its containers in order over fresh directories."""
    executor = executor or InProcessExecutor()
    crd = promise.crd
    name = str(pipeline["metadata"]["name"])
    env = pipeline_env(
        action=action,
        workflow_type=workflow_type,
        promise_name=promise.name,
        pipeline_name=name,
        obj=input_object,
        plural=crd.plural if crd else "promises",
        cluster_scoped=(crd.scope == "Cluster") if crd else True,
    )
    run = PipelineRun(name, env, input_object, phase="Running")
    base = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=workdir or scratch_root()))
    try:
        dirs = PipelineDirs(base).create()
        (dirs.input / "object.yaml").write_text(dump(input_object), encoding="utf-8")
        _run_containers(run, pipeline, dirs, env, executor)
        if run.phase == "Failed":
            return run
        try:
            run.status_update = read_status(dirs.metadata)
            run.selectors = read_destination_selectors(dirs.metadata)
            run.workflow_control = read_workflow_control(dirs.metadata)
            if action == "configure":
                run.workloads = collect_workloads(dirs.output)
                run.groups = group_workloads(run.workloads, run.selectors, promise.destination_selectors)
        except ContractError as e:
            run.phase, run.error, run.workloads, run.groups = "Failed", str(e), [], []
            return run
        run.phase = "Suspended" if run.workflow_control.stops else "Succeeded"
        return run
    finally:
        shutil.rmtree(base, ignore_errors=True)


@cache
def scratch_root() -> str | None:
    """Where a pipeline's directories go unless the caller says: a memory filesystem when the
    machine has one (a run creates, reads and removes a dozen small files, and on a disk those
    directory operations cost more than the pipeline), else the system's temporary directory."""
    shm = "/dev/shm"
    root = shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None
    clean_stale_scratch(Path(root or tempfile.gettempdir()))
    return root


SCRATCH_PREFIX = "kratix-pipeline-"
_STALE_UNOWNED_SECONDS = 3600


def clean_stale_scratch(root: Path) -> list[Path]:
    """Remove pipeline directories a killed process left (they hold copies of requests): those
    named for a process that no longer runs, and unnamed ones (older versions) older than an hour.
    Runs once per process, when the scratch root is first chosen."""
    removed: list[Path] = []
    try:
        entries = list(root.glob(f"{SCRATCH_PREFIX}*"))
    except OSError:
        return removed
    now = time.time()
    for d in entries:
        pid = d.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        try:
            if pid.isdigit() and "-" in d.name[len(SCRATCH_PREFIX) :]:
                if _alive(int(pid)):
                    continue
            elif now - d.stat().st_mtime < _STALE_UNOWNED_SECONDS:
                continue
            if d.is_dir() and d.stat().st_uid == os.getuid():
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_containers(
    run: PipelineRun, pipeline: dict[str, Any], dirs: PipelineDirs, env: dict[str, str], executor: Executor
) -> None:
    for container in (pipeline.get("spec") or {}).get("containers") or []:
        try:
            res = executor.run(container, dirs, env)
        except ExecutorError as e:
            res = ContainerResult(str(container.get("name")), str(container.get("image")), 127, f"{e}\n", 0.0)
            run.error = str(e)
        run.containers.append(res)
        if res.exit_code != 0:
            run.phase = "Failed"
            run.error = run.error or f"container {res.name} exited with code {res.exit_code}"
            return
