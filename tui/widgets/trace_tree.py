"""The trace of a request as a tree, coloured by health; kept in place as the request progresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from kratix_lab.kube.health import HEALTHY
from kratix_lab.trace import TraceNode
from kratix_lab.views.kube_view import human_duration
from kratix_lab.views.literal import printable
from kratix_lab.views.trace_view import HEALTH_MARK, HEALTH_STYLE

Path = tuple[str, ...]
SPINE_DEPTH = 5  # request → Work → WorkPlacement → commit → Argo CD sync: the sub-requests show below


@dataclass
class TraceEntry:
    """A tree line: the trace node, where it is (the refs from the root down) and its ancestors."""

    node: TraceNode
    path: Path
    ancestors: list[TraceNode] = field(default_factory=list)


def node_label(node: TraceNode, now: int) -> Text:
    t = Text(no_wrap=True)
    style = HEALTH_STYLE.get(node.health, "")
    t.append(f"{HEALTH_MARK.get(node.health, '·')} ", style=style)
    t.append(printable(node.kind), style="bold")
    t.append(f" {printable(node.name)}")
    if node.health != HEALTHY:
        t.append(f"  {node.health}", style=style)
        if node.since is not None:
            t.append(f" {human_duration(max(0, now - node.since))}", style="dim")
    return t


def entries(root: TraceNode) -> list[TraceEntry]:
    """Every node with a path that names it in the tree (siblings with one ref get a number)."""
    out: list[TraceEntry] = []

    def visit(node: TraceNode, path: Path, ancestors: list[TraceNode]) -> None:
        out.append(TraceEntry(node, path, ancestors))
        seen: dict[str, int] = {}
        for c in node.children:
            n = seen.get(c.ref, 0)
            seen[c.ref] = n + 1
            visit(c, (*path, c.ref if not n else f"{c.ref}#{n}"), [*ancestors, node])

    visit(root, (root.ref,), [])
    return out


class TraceTree(Tree[TraceEntry]):
    ALLOW_MAXIMIZE: ClassVar[bool | None] = True  # `z` on the detail screen: the tree full screen
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "expand_all", "Expand all", show=False),
        Binding("E", "collapse_all", "Collapse all", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("trace", **kwargs)  # type: ignore[arg-type]
        self.guide_depth = 2  # deep trees in half of an 80-column terminal
        self._by_path: dict[Path, TreeNode[TraceEntry]] = {}
        self._paths: list[Path] = []
        self._unhealthy: set[Path] = set()

    @property
    def selected(self) -> TraceEntry | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def show(self, root: TraceNode, now: int) -> None:
        """Show a new trace of the request: labels change in place when the shape is the same; else the
        tree is rebuilt with the same nodes expanded and the cursor on the same node. The way to a node
        that turned unhealthy is opened."""
        new = entries(root)
        paths = [e.path for e in new]
        unhealthy = {e.path[:i] for e in new if e.node.health != HEALTHY for i in range(1, len(e.path))}
        opened = unhealthy - self._unhealthy
        self._unhealthy = unhealthy
        if paths == self._paths:
            for e in new:
                tn = self._by_path[e.path]
                tn.data = e
                tn.set_label(node_label(e.node, now))
            for path in opened:
                self._by_path[path].expand()
            return
        first = not self._paths
        expanded = {p for p, tn in self._by_path.items() if tn.is_expanded} | opened
        cursor = self.selected.path if self.selected is not None else None
        # First time: the request's own road down to its sub-requests, and the way to anything unhealthy.
        spine = {
            e.path
            for e in new
            if len(e.path) <= SPINE_DEPTH
            and e.node.stage != "request"
            and all(a.stage != "request" for a in e.ancestors[1:])
        }
        self.clear()
        self.reset(node_label(root, now), new[0])
        self._by_path = {new[0].path: self.root}
        for e in new[1:]:
            parent = self._by_path[e.path[:-1]]
            open_it = (e.path in unhealthy or e.path in spine) if first else (e.path in expanded)
            if e.node.children:
                self._by_path[e.path] = parent.add(node_label(e.node, now), e, expand=open_it)
            else:
                self._by_path[e.path] = parent.add_leaf(node_label(e.node, now), e)
        self.root.expand()
        self._paths = paths
        target = cursor if cursor in self._by_path else new[0].path
        self.call_after_refresh(self._restore_cursor, target)

    def _restore_cursor(self, path: Path) -> None:
        node = self._by_path.get(path)
        if node is None:
            return
        for ancestor_path in (path[:i] for i in range(1, len(path))):
            self._by_path[ancestor_path].expand()
        self.call_after_refresh(self.move_cursor, node)

    def entry_at(self, path: Path) -> TraceEntry | None:
        node = self._by_path.get(path)
        return node.data if node is not None else None

    def action_expand_all(self) -> None:
        self.root.expand_all()

    def action_collapse_all(self) -> None:
        self.root.collapse_all()
        self.root.expand()
