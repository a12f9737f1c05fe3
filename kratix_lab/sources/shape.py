"""Any ``Source`` shaped as the lab views read a lab.

``kratix_lab.views.lab_view``'s printers (``get_table``, ``describe_text``, ``resolve_kind``) read a few
things of a lab: ``store.get``/``list``/``events``/``now_seconds``, ``kinds()``, ``promises()`` and
``crd_for``. ``SourceShape`` answers them from a ``Source`` — the lab's or a live cluster's — so the
dashboard and ``kratix-lab get``/``describe`` print any platform the way they print the lab, without
holding a ``Lab`` (``kratix_lab.live.commands.LabShape`` is this shape with the label selector sent to
the API server).
"""

from __future__ import annotations

import builtins
from typing import Any

from kratix_lab.errors import UnknownKind
from kratix_lab.model import GVK, labels_of
from kratix_lab.model.objects import matches_selector
from kratix_lab.sources import Source


class SourceStore:
    """The ``Store`` reads the lab views make, answered by a ``Source``."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None, **_: Any
    ) -> dict[str, Any] | None:
        return self.source.get(kind, name, namespace, group)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: dict[str, Any] | None = None,
        group: str | None = None,
        **_: Any,
    ) -> builtins.list[dict[str, Any]]:
        """A label selector (``matchLabels`` and ``matchExpressions``) matched by the one selector matcher
        (``kratix_lab.model.objects.matches_selector``); plain labels are asked of the source."""
        if selector and set(selector) <= {"matchLabels"}:
            return self.source.list(kind, namespace, dict(selector.get("matchLabels") or {}), group)
        objs = self.source.list(kind, namespace, None, group)
        return [o for o in objs if matches_selector(labels_of(o), selector)] if selector else objs

    def now_seconds(self) -> int:
        return self.source.now()

    def events(self, kind: str | None, name: str | None, namespace: str | None) -> builtins.list[dict[str, Any]]:
        return self.source.events({"kind": kind, "metadata": {"name": name, "namespace": namespace or None}})


class SourceShape:
    """What ``kratix_lab.views.lab_view``'s printers read from a lab, answered by a ``Source``."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.store: Any = SourceStore(source)

    def kinds(self) -> Any:
        return self.source.kinds()

    def promises(self) -> list[Any]:
        return self.source.promises()

    def crd_for(self, obj: dict[str, Any]) -> Any:
        gvk = GVK.of(obj)
        return next(
            (
                p.crd
                for p in self.promises()
                if p.crd is not None and (p.crd.group, p.crd.kind) == (gvk.group, gvk.kind)
            ),
            None,
        )

    def resolve_kind(self, base: str) -> tuple[str, str]:
        """Kinds are the source's registry's (``kinds()``): a name it does not know is not served."""
        raise UnknownKind(f'the server doesn\'t have a resource type "{base}"')

    def __enter__(self) -> SourceShape:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


__all__ = ["SourceShape", "SourceStore"]
