"""Preview: the request and what its pipelines render (``kratix_lab.render``; no platform, no lab)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kratix_lab.catalogue import Catalogue
from kratix_lab.model import dump, name_of, namespace_of, ref
from kratix_lab.render import RequestError, render

if TYPE_CHECKING:
    from kratix_lab.sources import Source


# ------------------------------------------------------------------------------------------------
# Preview: the request and what its pipelines render
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewObject:
    """One object of the preview: a sub-request (with what its own pipeline writes) or another output."""

    kind: str
    name: str
    namespace: str | None
    yaml: str
    outputs: tuple[str, ...] = ()  # kind/name of what this sub-request's pipeline writes
    error: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class Preview:
    request_yaml: str  # what is committed
    admitted_yaml: str = ""  # with the schema's defaults applied
    sub_requests: list[PreviewObject] = field(default_factory=list)
    other_outputs: list[PreviewObject] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.error is None for s in self.sub_requests)


def preview(catalogue: Catalogue, request: dict[str, Any]) -> Preview:
    """Run the request's pipelines locally (``kratix_lab.render``): the orchestrator's sub-requests,
    each admitted and rendered in turn. Touches no lab; safe to run off the UI thread."""
    out = Preview(dump(request))
    try:
        node = render(catalogue, request)
    except RequestError as e:
        out.error = str(e)
        return out
    out.admitted_yaml = dump(node.request)
    if node.error:
        out.error = node.error
    child_refs = {c.ref: c for c in node.children}
    for o in node.outputs:
        child = child_refs.get(ref(o.obj))
        if child is None:
            out.other_outputs.append(_preview_object(o.obj))
            continue
        outputs = tuple(f"{x.obj.get('kind')}/{name_of(x.obj)}" for x in child.outputs)
        out.sub_requests.append(
            _preview_object(child.request, outputs=outputs, error="; ".join(child.errors()) or None)
        )
    return out


def _preview_object(obj: Mapping[str, Any], **extra: Any) -> PreviewObject:
    return PreviewObject(str(obj.get("kind", "")), name_of(obj) or "", namespace_of(obj), dump(obj), **extra)


def catalogue_of(source: Source) -> Catalogue:
    """The platform's installed Promises (``Source.promises``) as a Catalogue (what ``preview`` renders with)."""
    return Catalogue({p.name: p for p in source.promises()})
