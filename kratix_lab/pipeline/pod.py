"""The pod Kratix runs a pipeline in, as upstream builds it, and how to read one back.

Upstream: syntasso/kratix ae170e2, ``api/v1alpha1/pipeline_factory.go``. Init containers run in
order: Kratix's ``reader`` (writes ``/kratix/input/object.yaml``), the Pipeline's own containers, then
``work-writer`` (configure only: turns ``/kratix/output`` into a Work); then the one container,
``status-writer`` (writes ``/kratix/metadata/status.yaml`` to the object). A failing Pipeline
container is therefore an *init* container: its logs are read with ``-c <name>``.
Used by the lab's Kratix controller (``platform/kratix.py``) and read by ``trace`` (live and lab alike).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

PIPELINE_ADAPTER_IMG = "docker.io/syntasso/kratix-platform-pipeline-adapter:dev"  # charts/kratix distribution.yaml:246
KRATIX_CONTAINERS = ("reader", "work-writer", "status-writer")  # pipeline_factory.go:199-271, 418-433
_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """``value`` as Go's ``json.Marshal`` writes it: map keys sorted, no spaces, UTF-8, and ``<``, ``>``,
    ``&``, U+2028/U+2029 escaped (encoding/json's HTML-safe default). Floats with an integral value are
    not rewritten as Go would (``1.0`` → ``1``): request specs from YAML carry integers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).translate(_GO_JSON_ESCAPES)


def spec_hash(spec: Any) -> str:
    """``hash.ComputeHashForResource``: md5 of the JSON of ``.spec`` (lib/hash/hasher.go:11-17); a missing
    spec marshals as ``null``."""
    return hashlib.md5(go_json(spec).encode()).hexdigest()


def pipeline_volumes(promise_name: str, action: str) -> list[dict[str, Any]]:
    """pipeline_factory.go:130-164: three emptyDirs, plus the scheduling ConfigMap for configure."""
    volumes = [{"name": n, "emptyDir": {}} for n in ("shared-input", "shared-output", "shared-metadata")]
    if action == "configure":
        volumes.insert(
            0,
            {
                "name": "promise-scheduling",
                "configMap": {
                    "name": f"destination-selectors-{promise_name}",
                    "items": [{"key": "destinationSelectors", "path": "promise-scheduling"}],
                },
            },
        )
    return volumes


_USER_MOUNTS = [
    {"mountPath": "/kratix/input", "name": "shared-input", "readOnly": True},
    {"mountPath": "/kratix/output", "name": "shared-output"},
    {"mountPath": "/kratix/metadata", "name": "shared-metadata"},
]


def reader_container(env: list[dict[str, str]]) -> dict[str, Any]:
    """pipeline_factory.go:199-214."""
    return {
        "name": "reader",
        "image": PIPELINE_ADAPTER_IMG,
        "command": ["/bin/pipeline-adapter"],
        "args": ["reader"],
        "env": list(env),
        "volumeMounts": [
            {"mountPath": "/kratix/input", "name": "shared-input"},
            {"mountPath": "/kratix/output", "name": "shared-output"},
        ],
    }


def user_container(c: dict[str, Any], env: list[dict[str, str]]) -> dict[str, Any]:
    """pipeline_factory.go:273-313: the Pipeline's container with the default mounts and the
    ``KRATIX_*`` environment before its own."""
    out: dict[str, Any] = {"name": c.get("name"), "image": c.get("image")}
    for k in ("command", "args"):
        if k in c:
            out[k] = c[k]
    out["env"] = [*env, *(c.get("env") or [])]
    for k in ("envFrom", "imagePullPolicy", "securityContext", "resources"):
        if k in c:
            out[k] = c[k]
    out["volumeMounts"] = [*_USER_MOUNTS, *(c.get("volumeMounts") or [])]
    return out


def work_writer_container(promise_name: str, pipeline_name: str, meta: dict[str, Any]) -> dict[str, Any]:
    """pipeline_factory.go:216-271 (configure workflows only)."""
    return {
        "name": "work-writer",
        "image": PIPELINE_ADAPTER_IMG,
        "command": ["/bin/pipeline-adapter"],
        "args": [
            "work-creator",
            "--input-directory",
            "/work-creator-files",
            "--promise-name",
            promise_name,
            "--pipeline-name",
            pipeline_name,
            "--namespace",
            meta["namespace"],
            "--workflow-type",
            "resource",
            "--resource-name",
            meta["name"],
        ],
        "volumeMounts": [
            {"mountPath": "/work-creator-files/input", "name": "shared-output"},
            {"mountPath": "/work-creator-files/metadata", "name": "shared-metadata"},
            {"mountPath": "/work-creator-files/kratix-system", "name": "promise-scheduling"},
        ],
    }


def status_writer_container(env: list[dict[str, str]]) -> dict[str, Any]:
    """pipeline_factory.go:418-433."""
    return {
        "name": "status-writer",
        "image": PIPELINE_ADAPTER_IMG,
        "command": ["/bin/pipeline-adapter"],
        "args": ["update-status"],
        "env": list(env),
        "volumeMounts": [{"mountPath": "/work-creator-files/metadata", "name": "shared-metadata"}],
    }


def user_containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The Pipeline's own containers in a pipeline pod spec: the init containers that are not
    Kratix's (``reader``, ``work-writer``); a pod spec without init containers (a lab saved before the
    pod followed upstream) has them as ``containers``."""
    init = pod_spec.get("initContainers")
    if not init:
        return list(pod_spec.get("containers") or [])
    return [c for c in init if c.get("name") not in KRATIX_CONTAINERS]


def failed_container(pod: dict[str, Any]) -> str | None:
    """The container whose exit failed the pod: the first terminated with a non-zero code, init
    containers first (they run in order; a failed one stops the pod)."""
    st = pod.get("status") or {}
    for cs in [*(st.get("initContainerStatuses") or []), *(st.get("containerStatuses") or [])]:
        term = (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
        if term.get("exitCode"):
            return cs.get("name")
    return None


def container_status(name: str, image: str, pod_name: str, exit_code: int | None, now: str) -> dict[str, Any]:
    """A container's status in a finished pipeline pod: terminated with ``exit_code``, or, when it
    never ran (``None``: an earlier init container failed), waiting ``PodInitializing``."""
    digest = hashlib.sha256(image.encode()).hexdigest()
    if exit_code is None:
        state: dict[str, Any] = {"waiting": {"reason": "PodInitializing"}}
    else:
        state = {
            "terminated": {
                "exitCode": exit_code,
                "reason": "Completed" if exit_code == 0 else "Error",
                "finishedAt": now,
            }
        }
    out: dict[str, Any] = {
        "name": name,
        "image": image,
        "imageID": f"{image.split(':', 1)[0]}@sha256:{digest}" if exit_code is not None else "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "lastState": {},
        "state": state,
    }
    if exit_code is not None:
        out["containerID"] = f"containerd://{hashlib.sha256(f'{pod_name}/{name}'.encode()).hexdigest()}"
    return out
