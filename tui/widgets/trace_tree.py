"""The trace of a request as a tree, coloured by health; kept in place as the request progresses.

It shows the compact trace (``views.trace_view.compact``): a healthy Work → WorkPlacement → commit → Argo CD
chain is one line, "delivered @<sha>, synced", which enter or space unfolds; a request's health rolls up what
is below it; the first time, the cursor goes to the failing node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from kratix_lab.kube.health import HEALTHY, ORDER
from kratix_lab.kube.times import ago
from kratix_lab.trace import TraceNode
from kratix_lab.views.literal import printable
from kratix_lab.views.trace_view import HEALTH_MARK, HEALTH_STYLE, compact, is_folded, rollup

Path = tuple[str, ...]
SPINE_DEPTH = 5  # request → Work → WorkPlacement → commit → Argo CD sync: the sub-requests show below


@dataclass
class TraceEntry:
    """A tree line: the trace node, where it is (the refs from the root down) and its ancestors."""

    node: TraceNode
    path: Path
    ancestors: list[TraceNode] = field(default_factory=list)


def node_label(node: TraceNode, now: int) -> Text:
    health, culprit = rollup(node)  # a request: the worst below it when that is worse than its own
    t = Text(no_wrap=True)
    style = HEALTH_STYLE.get(health, "")
    t.append(f"{HEALTH_MARK.get(health, '·')} ", style=style)
    if is_folded(node):  # a healthy delivery chain: enter/space unfolds it
        t.append(printable(node.message), style=style)
        return t
    t.append(printable(node.kind), style="bold")
    t.append(f" {printable(node.name)}")
    if health != HEALTHY:
        t.append(f"  {health}" + (" below" if culprit is not None else ""), style=style)
        since = culprit.since if culprit is not None else node.since
        if since is not None:
            t.append(f" {ago(since, now)}", style="dim")
    return t


def entries(root: TraceNode, chains: dict[str, list[TraceNode]] | None = None) -> list[TraceEntry]:
    """Every node with a path that names it in the tree (siblings with one ref get a number). A folded
    delivery chain (``chains``: by its Work's ref) counts as its nodes among the ancestors of what is below
    it, so a live object still finds its commit and its Argo CD sync."""
    out: list[TraceEntry] = []
    chains = chains or {}

    def visit(node: TraceNode, path: Path, ancestors: list[TraceNode]) -> None:
        out.append(TraceEntry(node, path, ancestors))
        seen: dict[str, int] = {}
        above = chains.get(node.ref, [node]) if is_folded(node) else [node]
        for c in node.children:
            n = seen.get(c.ref, 0)
            seen[c.ref] = n + 1
            visit(c, (*path, c.ref if not n else f"{c.ref}#{n}"), [*ancestors, *above])

    visit(root, (root.ref,), [])
    return out


def failing_path(rows: list[TraceEntry], failing: str | None) -> Path:
    """Where the cursor starts: the node ``failing`` names, else the deepest of the worst (own health)
    nodes, else the root."""
    if failing is not None:
        for e in rows:
            if e.node.ref == failing:
                return e.path
    worst = max(rows, key=lambda e: (ORDER.get(e.node.health, 0), len(e.path)))
    return worst.path if worst.node.health != HEALTHY else rows[0].path


class TraceTree(Tree[TraceEntry]):
    ALLOW_MAXIMIZE: ClassVar[bool | None] = True  # `z` on the detail screen: the tree full screen
    BINDINGS: ClassVar[list[BindingType]] = [
        # + and -: `e` edits the request (as in k9s) on the detail screen
        Binding("plus", "expand_all", "Expand all", show=False, key_display="+"),
        Binding("minus", "collapse_all", "Collapse all", show=False, key_display="-"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("trace", **kwargs)  # type: ignore[arg-type]
        self.guide_depth = 2  # deep trees in half of an 80-column terminal
        self._by_path: dict[Path, TreeNode[TraceEntry]] = {}
        self._paths: list[Path] = []
        self._unhealthy: set[Path] = set()
        self._trace: TraceNode | None = None  # the whole trace last shown (compacted for the tree)
        self._now = 0
        self.unfolded: set[str] = set()  # the Works whose delivery chain is shown whole

    @property
    def selected(self) -> TraceEntry | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def show(self, trace: TraceNode, now: int, failing: str | None = None) -> None:
        """Show a new trace of the request: labels change in place when the shape is the same; else the
        tree is rebuilt with the same nodes expanded and the cursor on the same node. The way to a node
        that turned unhealthy is opened. The first time, the cursor is on ``failing`` (a node's ref: the
        diagnosis's first finding), else on the deepest of the worst nodes."""
        self._trace, self._now = trace, now
        chains: dict[str, list[TraceNode]] = {}
        root = compact(trace, self.unfolded, chains)
        new = entries(root, chains)
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
        target = cursor if cursor in self._by_path else (failing_path(new, failing) if first else new[0].path)
        self.call_after_refresh(self._restore_cursor, target)

    def clear_trace(self, title: str) -> None:
        """Empty, as a new tree: for another request (``RequestDetailScreen.show_request``)."""
        self.reset("trace")
        self.root.collapse()  # as a new tree's root ("▶ trace"); show() opens it
        self.border_title = title
        self._by_path, self._paths, self._unhealthy = {}, [], set()
        self._trace, self._now = None, 0
        self.unfolded = set()
        self.scroll_home(animate=False)

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

    def action_select_cursor(self) -> None:
        """enter: unfold the delivery chain under the cursor; on any other node, open or close it."""
        if not self.unfold():
            super().action_select_cursor()

    def action_toggle_node(self) -> None:
        """space: as enter on a folded chain; else open or close the node."""
        if not self.unfold():
            super().action_toggle_node()

    def unfold(self) -> bool:
        """Show the folded delivery chain under the cursor whole (False when the cursor is not on one)."""
        entry = self.selected
        if entry is None or self._trace is None or not is_folded(entry.node):
            return False
        self.unfolded.add(entry.node.ref)  # the Work: its line keeps its place, the chain opens below it
        self.show(self._trace, self._now)
        node = self._by_path.get(entry.path)
        for _ in range(4):  # the Work, its WorkPlacement, the commit, the sync: open down the chain
            if node is None or not node.children:
                break
            node.expand()
            node = node.children[0] if len(node.children) == 1 else None
        return True

    def action_expand_all(self) -> None:
        self.root.expand_all()

    def action_collapse_all(self) -> None:
        self.root.collapse_all()
        self.root.expand()
