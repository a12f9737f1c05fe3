"""What deleting a request removes, read from its trace — shown before anyone confirms a delete.

Deleting a request (through the gitops repo, or directly) makes Kratix run its delete workflow and
remove its Works; each WorkPlacement's files leave the state repo in a ``Delete from:`` commit;
Argo CD prunes the objects those files made (sub-requests included, which Kratix deletes the same
way), and with the Application the Helm release's workloads and pods go. The Argo CD Application
that syncs the state repo is shared by every request and stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kratix_lab.kube.health import MISSING
from kratix_lab.trace import TraceNode


@dataclass
class DeletePlan:
    ref: str
    how: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    # The name to type before the delete goes ahead (a production vCluster, as GitHub asks for a repository's
    # name); None when one keystroke confirms.
    confirm_name: str | None = None

    def items(self) -> list[str]:
        """Every object and file the delete removes, as listed."""
        return [item for _, items in self.sections for item in items]

    def text(self) -> str:
        lines = [f"Delete {self.ref}", self.how, ""]
        for title, items in self.sections:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
        return "\n".join(lines) + "\n"


def needs_typed_name(obj: dict[str, Any] | None) -> bool:
    """A request whose vCluster runs the ``prod`` preset: deleting it takes its name typed, not one key."""
    spec = (obj or {}).get("spec") or {}
    return isinstance(spec.get("vcluster"), dict) and spec["vcluster"].get("preset") == "prod"


def delete_plan(root: TraceNode, how: str, obj: dict[str, Any] | None = None) -> DeletePlan:
    """The plan for deleting the request at ``root`` (its trace, ``obj`` the request itself when known); ``how``
    says by which route."""
    groups: dict[str, list[str]] = {
        "sub-requests": [],
        "Works": [],
        "WorkPlacements": [],
        "state-repo files": [],
        "objects Argo CD prunes": [],
        "Helm releases, workloads and pods": [],
        "pipeline runs": [],
    }

    def add(title: str, item: str) -> None:
        if item not in groups[title]:
            groups[title].append(item)

    for node, depth in root.walk():
        if node.health == MISSING and node.stage != "commit":
            continue  # nothing there to remove
        if node.stage == "request" and depth > 0:
            add("sub-requests", node.ref)
        elif node.stage == "work":
            add("Works", node.ref)
        elif node.stage == "placement":
            add("WorkPlacements", node.ref)
        elif node.stage == "commit":
            for f in node.evidence.get("files", []):
                add("state-repo files", f)
        elif node.stage == "object":
            add("objects Argo CD prunes", node.ref)
        elif node.stage in ("helm", "workload", "pod"):
            add("Helm releases, workloads and pods", node.ref)
        elif node.stage == "pipeline":
            add("pipeline runs", node.ref)
    sections = [(title, items) for title, items in groups.items() if items]
    return DeletePlan(root.ref, how, sections, root.name if needs_typed_name(obj) else None)
