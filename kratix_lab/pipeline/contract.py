"""The Kratix pipeline contract: directories, environment, and the three metadata files.

Mirrors upstream Kratix (work-creator and status updater): ``status.yaml`` top-level keys
overwrite and ``conditions`` merge by type, a top-level ``kratix`` key is an error;
``destination-selectors.yaml`` is a list of ``{directory?, matchLabels}`` validated as the work
creator does; ``workflow-control.yaml`` carries ``suspend``, ``retryAfter`` and ``message``.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratix_lab.errors import Invalid
from kratix_lab.model import YamlError, load_documents, merge_conditions

DEFAULT_DIRECTORY = "."


class ContractError(Invalid):
    """A pipeline broke the Kratix contract (bad metadata file, unreadable output)."""


@dataclass(frozen=True)
class PipelineDirs:
    """The three shared directories of one pipeline run (``/kratix/*`` inside a container)."""

    root: Path

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def metadata(self) -> Path:
        return self.root / "metadata"

    def create(self) -> PipelineDirs:
        for d in (self.input, self.output, self.metadata):
            d.mkdir(parents=True, exist_ok=True)
        return self


@dataclass(frozen=True)
class Workload:
    """One file a pipeline wrote under ``/kratix/output`` (path relative to it)."""

    filepath: str
    content: bytes


@dataclass(frozen=True)
class DestinationSelector:
    directory: str
    match_labels: dict[str, str]


@dataclass
class WorkloadGroup:
    """Files scheduled together: each selector directory is a group, the rest is the default group."""

    directory: str
    workloads: list[Workload]
    match_labels: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return group_id(self.directory)


def group_id(directory: str) -> str:
    """Kratix's workload-group id: md5 of the directory (the default group "." → 5058f…)."""
    return hashlib.md5(directory.encode()).hexdigest()


@dataclass(frozen=True)
class WorkflowControl:
    suspend: bool = False
    retry_after: str | None = None
    message: str | None = None

    @property
    def stops(self) -> bool:
        """``suspend`` or ``retryAfter``: the pipeline's outputs make no Work and the workflow stops
        (kratix work-creator/lib/workflow_control.go ``IfSuspendOrRetry``; work_creator.go:102-112)."""
        return self.suspend or bool(self.retry_after)

    @property
    def retry_seconds(self) -> int | None:
        """``retryAfter`` as whole seconds (Go's ``time.ParseDuration`` units), or None."""
        if not self.retry_after:
            return None
        total = 0.0
        for num, _, unit in _DURATION_PART.findall(self.retry_after):
            total += float(num) * _UNIT_SECONDS[unit]
        return int(total)


_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def pipeline_env(
    *,
    action: str,
    workflow_type: str,
    promise_name: str,
    pipeline_name: str,
    obj: dict[str, Any],
    plural: str,
    cluster_scoped: bool,
) -> dict[str, str]:
    """The KRATIX_* environment Kratix sets on every container of a pipeline."""
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    meta = obj.get("metadata") or {}
    return {
        "KRATIX_WORKFLOW_ACTION": action,
        "KRATIX_WORKFLOW_TYPE": workflow_type,
        "KRATIX_PROMISE_NAME": promise_name,
        "KRATIX_PIPELINE_NAME": pipeline_name,
        "KRATIX_OBJECT_KIND": str(obj.get("kind", "")),
        "KRATIX_OBJECT_GROUP": group,
        "KRATIX_OBJECT_VERSION": version,
        "KRATIX_OBJECT_NAME": str(meta.get("name", "")),
        "KRATIX_OBJECT_NAMESPACE": str(meta.get("namespace", "") or ""),
        "KRATIX_CRD_PLURAL": plural,
        "KRATIX_CLUSTER_SCOPED": "true" if cluster_scoped else "false",
    }


def _read_single(path: Path, what: str) -> Any:
    if not path.exists():
        return None
    try:
        docs = load_documents(path.read_text(encoding="utf-8"), f"/kratix/metadata/{path.name}")
    except (YamlError, UnicodeDecodeError) as e:
        raise ContractError(f"invalid {what}: {e}") from None
    if len(docs) > 1:
        raise ContractError(f"invalid {what}: {len(docs)} YAML documents, expected one")
    return docs[0].data if docs else None


def read_status(metadata_dir: Path) -> dict[str, Any]:
    """The pipeline's ``status.yaml``; a top-level ``kratix`` key is refused as Kratix does."""
    data = _read_single(metadata_dir / "status.yaml", "status.yaml")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContractError(f"invalid status.yaml: expected a mapping, got {type(data).__name__}")
    if "kratix" in data:
        raise ContractError('invalid status.yaml: the top-level key "kratix" is reserved for Kratix')
    return data


def merge_status(current: dict[str, Any] | None, update: dict[str, Any]) -> dict[str, Any]:
    """Merge a pipeline's status into the object's: keys overwrite, ``conditions`` merge by type."""
    merged = dict(current or {})
    for key, value in update.items():
        if key == "conditions" and isinstance(value, list):
            merged["conditions"] = merge_conditions(list(merged.get("conditions") or []), value)
        else:
            merged[key] = value
    return merged


def parse_destination_selectors(text: str, source: str = "destination-selectors.yaml") -> list[DestinationSelector]:
    """Parse and validate ``destination-selectors.yaml`` with the work creator's rules and wording."""
    try:
        docs = load_documents(text, source)
    except YamlError as e:
        raise ContractError(f"invalid destination-selectors.yaml: {e}") from None
    raw = docs[0].data if docs else []
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ContractError("invalid destination-selectors.yaml: expected a list of {directory, matchLabels}")
    selectors: list[DestinationSelector] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ContractError(f"invalid destination-selectors.yaml: entry with index {i} is not a mapping")
        unknown = set(entry) - {"directory", "matchLabels"}
        if unknown:
            raise ContractError(
                f"invalid destination-selectors.yaml: entry with index {i} has unknown field(s) "
                f"{', '.join(sorted(unknown))} (expected directory, matchLabels)"
            )
        labels = entry.get("matchLabels") or {}
        if not isinstance(labels, dict) or not labels:
            raise ContractError(f"invalid destination-selectors.yaml: entry with index {i} has no selectors")
        for k, v in labels.items():
            if not isinstance(v, str):
                raise ContractError(
                    f"invalid destination-selectors.yaml: entry with index {i}: matchLabels.{k} "
                    f"must be a string, got {type(v).__name__} (quote it)"
                )
        directory = posixpath.normpath(str(entry.get("directory") or "")) if entry.get("directory") else "."
        selectors.append(DestinationSelector(directory, {str(k): v for k, v in labels.items()}))
    seen: set[str] = set()
    for s in selectors:
        if s.directory in seen:
            raise ContractError(f"duplicate entries in destination-selectors.yaml: directory {s.directory!r}")
        seen.add(s.directory)
    for s in selectors:
        if posixpath.basename(s.directory) != s.directory or s.directory in ("..", "/"):
            raise ContractError(
                f"invalid directory in destination-selectors.yaml: {s.directory}, sub-directories are not allowed"
            )
    return selectors


def read_destination_selectors(metadata_dir: Path) -> list[DestinationSelector]:
    path = metadata_dir / "destination-selectors.yaml"
    if not path.exists():
        return []
    return parse_destination_selectors(path.read_text(encoding="utf-8"))


_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)")


def read_workflow_control(metadata_dir: Path) -> WorkflowControl:
    data = _read_single(metadata_dir / "workflow-control.yaml", "workflow-control.yaml")
    if data is None:
        return WorkflowControl()
    if not isinstance(data, dict):
        raise ContractError("invalid workflow-control.yaml: expected a mapping")
    retry = data.get("retryAfter")
    if retry is not None and not _DURATION.match(str(retry)):
        raise ContractError(f'invalid workflow-control.yaml: retryAfter "{retry}" is not a duration (e.g. 5m, 1h30m)')
    return WorkflowControl(bool(data.get("suspend", False)), str(retry) if retry else None, data.get("message"))


def collect_workloads(output_dir: Path) -> list[Workload]:
    """Every file under ``/kratix/output`` (recursively), sorted by path, as Kratix collects them."""
    workloads = []
    for root, dirs, files in os.walk(output_dir):
        dirs.sort()
        for f in sorted(files):
            p = Path(root) / f
            workloads.append(Workload(p.relative_to(output_dir).as_posix(), p.read_bytes()))
    return workloads


def group_workloads(
    workloads: list[Workload], selectors: list[DestinationSelector], promise_selectors: dict[str, str]
) -> list[WorkloadGroup]:
    """Split outputs into workload groups: one per selector directory, the rest in the default group.

    The default group's selectors are the file's root entry plus the Promise's
    ``destinationSelectors``; on a conflict the Promise's labels win. An output with no files outside the
    selector directories has no default group (kratix work-creator/lib/work_creator.go ~150, ``if len(workloads)
    > 0``): a pipeline that writes nothing (VClusterCoreDNS) makes a Work without workload groups, which the
    scheduler places nowhere — no WorkPlacement, no state-repo commit.
    """
    groups: list[WorkloadGroup] = []
    dirs = {s.directory: s for s in selectors if s.directory != DEFAULT_DIRECTORY}
    for directory, sel in dirs.items():
        prefix = directory + "/"
        groups.append(
            WorkloadGroup(directory, [w for w in workloads if w.filepath.startswith(prefix)], dict(sel.match_labels))
        )
    rest = [w for w in workloads if w.filepath.split("/", 1)[0] not in dirs or "/" not in w.filepath]
    if rest:
        root = next((s for s in selectors if s.directory == DEFAULT_DIRECTORY), None)
        labels = dict(root.match_labels) if root else {}
        labels.update(promise_selectors)
        groups.append(WorkloadGroup(DEFAULT_DIRECTORY, rest, labels))
    return groups


def state_store_base(store_path: str, destination_path: str) -> str:
    """``<store.path>/<destination.path>``: where a Destination's files live in its state store."""
    return "/".join(p.strip("/") for p in (store_path, destination_path) if p and p.strip("/"))


def placement_dir(base: str, placement: dict[str, Any]) -> str:
    """Kratix's directory for a WorkPlacement's files under ``base`` (see ``state_store_base``):
    ``resources/<ns>/<promise>/<request>/<pipeline>/<id[:5]>`` or
    ``dependencies/<promise>/<pipeline>/<id[:5]>``."""
    spec, meta = placement["spec"], placement["metadata"]
    pipeline = (meta.get("labels") or {}).get("kratix.io/pipeline-name", "")
    if spec.get("resourceName"):
        return f"{base}/resources/{meta['namespace']}/{spec['promiseName']}/{spec['resourceName']}/{pipeline}/{spec['id'][:5]}"
    return f"{base}/dependencies/{spec['promiseName']}/{pipeline}/{spec['id'][:5]}"
