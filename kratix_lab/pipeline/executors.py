"""Executors run one pipeline container: in-process (fast default), subprocess, container runtime."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from kratix_lab.errors import KratixLabError
from kratix_lab.pipeline.contract import PipelineDirs
from kratix_lab.pipeline.image import PIPELINE_COMMAND, is_catalogue_image


class ExecutorError(KratixLabError, RuntimeError):
    """The executor cannot run this container at all (as opposed to a container that fails)."""


@dataclass(frozen=True)
class ContainerResult:
    name: str
    image: str
    exit_code: int
    logs: str
    seconds: float


class Executor(Protocol):
    name: str

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult: ...


def container_env(container: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """KRATIX_* first, then the container's own literal ``env`` entries (valueFrom is not modelled)."""
    merged = dict(env)
    for e in container.get("env") or []:
        if "value" in e:
            merged[str(e["name"])] = str(e["value"])
    return merged


def _catalogue_args(container: dict[str, Any]) -> list[str]:
    command = list(container.get("command") or [])
    if command and command != PIPELINE_COMMAND:
        raise ExecutorError(
            f"container {container.get('name')!r}: command {command} is not the catalogue entrypoint {PIPELINE_COMMAND}"
        )
    return [str(a) for a in container.get("args") or []]


class InProcessExecutor:
    """Calls the catalogue's Python pipelines in this process through the real ``kratix-sdk``."""

    name = "in-process"

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        from kratix_lab.pipeline import entrypoint

        image = str(container.get("image", ""))
        if not is_catalogue_image(image):
            raise ExecutorError(
                f"image {image} is not the kratix-lab pipeline image; the in-process executor runs only the "
                "catalogue's pipelines (use the container executor for other images)"
            )
        args = _catalogue_args(container)
        env = container_env(container, env)
        start = time.perf_counter()
        code, logs = _in_process(lambda: entrypoint.run(args), dirs, env)
        return ContainerResult(str(container.get("name")), image, code, logs, time.perf_counter() - start)


_sdk_lock = threading.Lock()


def _in_process(run: Callable[[], int], dirs: PipelineDirs, env: dict[str, str]) -> tuple[int, str]:
    """``run()`` with the SDK pointed at ``dirs`` and ``env`` set; its exit code and output.

    The SDK keeps its directories and reads ``KRATIX_*`` from module globals and ``os.environ``,
    so runs are serialised with a lock and both are restored afterwards.
    """
    from kratix_lab.pipeline import entrypoint

    buf = io.StringIO()
    with _sdk_lock:
        import kratix_sdk as ks

        saved_dirs = (ks.get_input_dir(), ks.get_output_dir(), ks.get_metadata_dir())
        saved_env = {k: os.environ.get(k) for k in env}
        try:
            os.environ.update(env)
            entrypoint.point_sdk_at(dirs.input, dirs.output, dirs.metadata)
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                code = run()
        finally:
            entrypoint.point_sdk_at(*saved_dirs)
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return code, buf.getvalue()


class LocalPipelineExecutor:
    """Runs images that are not built yet: each maps to a local pipeline file, run in-process.

    For a Promise under development (the lab has no container engine to build and run its image).
    ``images`` maps an image reference to a Python file shaped like the catalogue's ``pipeline.py``:
    ``configure(sdk)`` and ``delete(sdk)`` on ``kratix-sdk``, chosen by ``KRATIX_WORKFLOW_ACTION``
    (the container's ``command`` and ``args`` are not used). The file is read again for every run,
    so an edit takes effect at the next run, as a rebuilt image pulled with ``imagePullPolicy:
    Always`` would. Any other image goes to ``inner`` (the in-process catalogue executor by default).
    """

    name = "local"

    def __init__(self, images: Mapping[str, str | Path], inner: Executor | None = None):
        self.images = {image: Path(path) for image, path in images.items()}
        self.inner = inner or InProcessExecutor()

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        image = str(container.get("image", ""))
        path = self.images.get(image)
        if path is None:
            return self.inner.run(container, dirs, env)
        from kratix_lab.pipeline import entrypoint

        env = container_env(container, env)
        action = env.get("KRATIX_WORKFLOW_ACTION", "")
        start = time.perf_counter()

        def run() -> int:
            module = _load_pipeline(path)
            fn = getattr(module, action, None)
            if not callable(fn):
                print(f"error: {path.name} defines no {action}(sdk) function", file=sys.stderr)
                return 2
            return entrypoint.call(fn)

        code, logs = _in_process(run, dirs, env)
        return ContainerResult(str(container.get("name")), image, code, logs, time.perf_counter() - start)


def _load_pipeline(path: Path) -> ModuleType:
    """A fresh module from ``path`` (never cached, never in ``sys.modules``): the file as it is now."""
    spec = importlib.util.spec_from_file_location(f"kratix_lab_local_pipeline_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ExecutorError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SubprocessExecutor:
    """Runs the catalogue's pipeline in a fresh Python process (isolated, like a container)."""

    name = "subprocess"

    def __init__(self, timeout: float = 120.0):
        self.timeout = timeout

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        image = str(container.get("image", ""))
        if not is_catalogue_image(image):
            raise ExecutorError(f"image {image} is not the kratix-lab pipeline image; use the container executor")
        args = _catalogue_args(container)
        # Isolated like a container: Kratix's variables and what the Promise sets, nothing of the
        # caller's environment (an exported AWS_SECRET_ACCESS_KEY must not reach a pipeline) beyond
        # a fixed PATH and the PYTHONPATH that lets the child import kratix_lab from a source tree.
        full_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        if os.environ.get("PYTHONPATH"):
            full_env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        full_env.update(container_env(container, env))
        full_env.update(
            KRATIX_LAB_INPUT_DIR=str(dirs.input),
            KRATIX_LAB_OUTPUT_DIR=str(dirs.output),
            KRATIX_LAB_METADATA_DIR=str(dirs.metadata),
        )
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "kratix_lab.pipeline.entrypoint", *args],
                env=full_env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or "") if isinstance(e.stdout, str) else ""
            return ContainerResult(
                str(container.get("name")),
                image,
                124,
                out + f"\ntimed out after {self.timeout}s\n",
                self.timeout,
            )
        return ContainerResult(
            str(container.get("name")),
            image,
            proc.returncode,
            proc.stdout + proc.stderr,
            time.perf_counter() - start,
        )


ENGINE_TOOLS = ("docker", "podman")
ENGINE_INFO_TIMEOUT = 30.0  # seconds for ``<tool> info``: podman's took over 10 s on a loaded 2-core machine


@dataclass(frozen=True)
class EngineProbe:
    """What ``<tool> info`` said: ``answered``, else ``problem`` (not on PATH, exited non-zero, or timed out)."""

    tool: str
    path: str | None
    answered: bool = False
    timed_out: bool = False
    problem: str = ""


def probe_container_engines(timeout: float = ENGINE_INFO_TIMEOUT) -> Iterator[EngineProbe]:
    """Asks docker, then podman, whether an engine answers (``<tool> info``), yielding each answer; a caller that
    stops at the first that answered (:func:`container_runtime`) asks no further."""
    for tool in ENGINE_TOOLS:
        path = shutil.which(tool)
        if not path:
            yield EngineProbe(tool, None, problem=f"{tool} is not on PATH")
            continue
        try:
            done = subprocess.run([path, "info"], capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            yield EngineProbe(tool, path, timed_out=True, problem=f"`{tool} info` did not answer within {timeout:g} s")
            continue
        except OSError as exc:
            yield EngineProbe(tool, path, problem=f"`{tool} info` could not start: {exc}")
            continue
        if done.returncode == 0:
            yield EngineProbe(tool, path, answered=True)
        else:
            said = (done.stderr.strip().splitlines() or [""])[-1][:200]
            yield EngineProbe(
                tool, path, problem=f"`{tool} info` exited {done.returncode}" + (f": {said}" if said else "")
            )


@cache
def container_runtime(timeout: float = ENGINE_INFO_TIMEOUT) -> str | None:
    """``docker`` or ``podman`` when one is on PATH *and* answers (a client without an engine does not); asked once
    per process."""
    for probe in probe_container_engines(timeout):
        if probe.answered:
            return probe.path
    return None


class ContainerExecutor:
    """Runs any pipeline image with podman or docker as Kratix runs a pipeline container: ``/kratix/input``
    read-only, ``/kratix/output`` and ``/kratix/metadata`` writable, the KRATIX_* environment, the user the image
    declares, no network, never pulling (an image the engine lacks is an error naming it), and a per-run timeout
    after which the container is killed and the run fails saying so."""

    name = "container"

    def __init__(self, runtime: str | None = None, timeout: float = 600.0, rootfs: bool | None = None):
        self.runtime = runtime or container_runtime()
        self.timeout = timeout
        # podman's vfs storage (what this project's machines need) copies the whole image for every container:
        # ~13 s per run for the 250 MB pipeline image. ``rootfs`` runs the image's own files instead, mounted
        # read-only (``podman image mount`` + ``--rootfs``), with the entrypoint, user, environment and working
        # directory of the image's config: the same files and user, no copy (~1.7 s). Default: on for podman as
        # root (``podman image mount`` needs it), unless KRATIX_LAB_CONTAINER_ROOTFS=0.
        if rootfs is None:
            rootfs = (
                bool(self.runtime)
                and Path(str(self.runtime)).name == "podman"
                and os.geteuid() == 0
                and os.environ.get("KRATIX_LAB_CONTAINER_ROOTFS", "1") != "0"
            )
        self.rootfs = rootfs
        self._images: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def _mounted(self, image: str) -> tuple[str, dict[str, Any]] | None:
        """The image's root filesystem path and its config, or None (then the image runs the usual way)."""
        if image not in self._images:
            found = None
            inspect = subprocess.run(
                [str(self.runtime), "image", "inspect", "--format", "{{json .Config}}", image],
                capture_output=True,
                text=True,
                check=False,
            )
            if inspect.returncode == 0:
                mount = subprocess.run(
                    [str(self.runtime), "image", "mount", image], capture_output=True, text=True, check=False
                )
                if mount.returncode == 0 and mount.stdout.strip():
                    found = (mount.stdout.strip(), json.loads(inspect.stdout or "{}") or {})
            self._images[image] = found
        return self._images[image]

    def argv(
        self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str], name: str | None = None
    ) -> list[str]:
        if not self.runtime:
            raise ExecutorError(
                f"cannot run image {container.get('image')}: no container runtime (docker or podman with a "
                "running engine) on this machine"
            )
        argv = [self.runtime, "run", "--rm", "--network", "none"]
        if name:
            argv += ["--name", name]
        argv += ["-v", f"{dirs.input}:/kratix/input:ro", "-v", f"{dirs.output}:/kratix/output"]
        argv += ["-v", f"{dirs.metadata}:/kratix/metadata"]
        command = [str(c) for c in container.get("command") or []]
        args = [str(a) for a in container.get("args") or []]
        mounted = self._mounted(str(container["image"])) if self.rootfs else None
        if mounted is not None:
            path, config = mounted
            for item in config.get("Env") or []:  # the image's environment first, the container's over it
                argv += ["-e", item]
            for k, v in container_env(container, env).items():
                argv += ["-e", f"{k}={v}"]
            if config.get("User"):
                argv += ["--user", str(config["User"])]
            argv += ["--workdir", str(config.get("WorkingDir") or "/"), "--read-only", "--rootfs", path]
            # Kubernetes: command replaces the entrypoint, args the image's Cmd
            argv += (command or list(config.get("Entrypoint") or [])) + (
                args or ([] if command else config.get("Cmd") or [])
            )
            return argv
        argv += ["--pull", "never"]
        for k, v in container_env(container, env).items():
            argv += ["-e", f"{k}={v}"]
        if command:
            argv += ["--entrypoint", command[0]]
        argv.append(str(container["image"]))
        argv += command[1:] + args
        return argv

    @staticmethod
    def _share(dirs: PipelineDirs) -> None:
        """Let the image's (non-root) user read the input and write the outputs, as Kratix's emptyDir volumes
        allow; the run's scratch directory around them stays private to this user (runner.run_workflow)."""
        for d, mode in ((dirs.input, 0o755), (dirs.output, 0o777), (dirs.metadata, 0o777)):
            d.chmod(mode)
        for path in dirs.input.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        name = f"kratix-lab-{os.getpid()}-{time.monotonic_ns()}"
        argv = self.argv(container, dirs, env, name)
        self._share(dirs)
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired as e:
            # the client is gone, the container is not: kill and remove it
            subprocess.run([self.runtime, "rm", "--force", name], capture_output=True, timeout=60, check=False)
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            return ContainerResult(
                str(container.get("name")),
                str(container["image"]),
                124,
                out + f"timed out: the container ran longer than the executor's {self.timeout:g} s and was killed\n",
                time.perf_counter() - start,
            )
        logs = proc.stdout + proc.stderr
        if proc.returncode == 125 and ("image not known" in logs or "No such image" in logs):
            logs += f"the engine has no image {container['image']}; build it with `make image` (it never pulls)\n"
        return ContainerResult(
            str(container.get("name")),
            str(container["image"]),
            proc.returncode,
            logs,
            time.perf_counter() - start,
        )


EXECUTORS = {
    "in-process": InProcessExecutor,
    "subprocess": SubprocessExecutor,
    "container": ContainerExecutor,
}


def make_executor(name: str) -> Executor:
    try:
        return EXECUTORS[name]()
    except KeyError:
        raise ExecutorError(f"unknown executor {name!r} (choose from {', '.join(EXECUTORS)})") from None
