"""Views of a local render: a rich tree, and a JSON-ready summary."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from rich.tree import Tree

from kratix_lab.model import ref
from kratix_lab.render import RenderNode


def render_tree(node: RenderNode) -> Tree:
    tree = Tree(_label(node))
    _fill(tree, node)
    return tree


def _label(node: RenderNode) -> Text:
    t = Text()
    t.append(node.ref, style="bold")
    t.append(f"  [{node.promise.name}]", style="dim")
    if node.error:
        t.append("  FAILED ", style="bold red")
        t.append(node.error, style="red")
    else:
        t.append("  ok", style="green")
        message = (node.result.status if node.result else {}).get("message")
        if message:
            t.append(f"  {message}", style="dim")
    return t


def _fill(tree: Tree, node: RenderNode) -> None:
    if node.admission.pruned:
        tree.add(Text(f"pruned unknown fields: {', '.join(node.admission.pruned)}", style="yellow"))
    if node.result:
        for p in node.result.pipelines:
            style = "green" if p.phase == "Succeeded" else "red"
            pl = tree.add(Text(f"pipeline {p.name}: {p.phase} ({p.seconds * 1000:.0f} ms)", style=style))
            if p.phase == "Failed":
                for line in p.logs.splitlines()[-15:]:
                    pl.add(Text(line, style="dim"))
    child_refs = {c.ref: c for c in node.children}
    for out in node.outputs:
        r = ref(out.obj)
        if r in child_refs:
            _fill(tree.add(_label(child_refs[r])), child_refs[r])
        else:
            tree.add(Text.assemble((r, ""), (f"  {out.filepath}", "dim")))


def render_summary(node: RenderNode) -> dict[str, Any]:
    """A JSON-ready description of a render (stable keys)."""
    return {
        "request": node.ref,
        "promise": node.promise.name,
        "ok": node.error is None,
        "error": node.error,
        "object": node.request,
        "pruned": list(node.admission.pruned),
        "status": node.result.status if node.result else {},
        "pipelines": [
            {"name": p.name, "phase": p.phase, "exitCode": p.exit_code, "logs": p.logs, "error": p.error}
            for p in (node.result.pipelines if node.result else [])
        ],
        "outputs": [{"file": o.filepath, "object": o.obj} for o in node.outputs],
        "subRequests": [render_summary(c) for c in node.children],
    }
