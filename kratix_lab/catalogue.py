"""A set of Promises looked up by name or by the kind of request they serve."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kratix_lab import errors
from kratix_lab.kube.registry import KindRegistry, promise_crds
from kratix_lab.model import GVK
from kratix_lab.promise import Promise, PromiseError


class UnknownKind(errors.UnknownKind):
    """No Promise serves the request's apiVersion/kind."""


@dataclass
class Catalogue:
    promises: dict[str, Promise] = field(default_factory=dict)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> Catalogue:
        cat = cls()
        for p in paths:
            cat.add(Promise.from_file(p))
        return cat

    def add(self, promise: Promise) -> None:
        if promise.name in self.promises:
            raise PromiseError(f"{promise.source}: a Promise named {promise.name!r} is already loaded")
        self.promises[promise.name] = promise

    def __iter__(self) -> Iterator[Promise]:
        return iter(self.promises.values())

    def __len__(self) -> int:
        return len(self.promises)

    def get(self, name: str) -> Promise:
        try:
            return self.promises[name]
        except KeyError:
            raise errors.NotFound(f"no Promise named {name!r} (known: {', '.join(self.promises)})") from None

    def for_kind(self, kind: str, group: str | None = None) -> Promise:
        """The Promise whose API has this kind (case-insensitive, like kubectl), optionally in ``group``."""
        matches = [
            p
            for p in self
            if p.crd is not None
            and kind.lower() in (p.crd.kind.lower(), p.crd.plural.lower(), p.crd.singular.lower(), *p.crd.short_names)
            and (group is None or p.crd.group == group)
        ]
        if not matches:
            known = ", ".join(sorted(p.crd.kind for p in self if p.crd)) or "none"
            where = f" in group {group}" if group else ""
            names = {
                n.lower(): p.crd.kind
                for p in self
                if p.crd is not None
                for n in (p.crd.kind, p.crd.plural, p.crd.singular, *p.crd.short_names)
            }
            close = difflib.get_close_matches(kind.lower(), names, n=1, cutoff=0.75)
            hint = f'did you mean "{names[close[0]]}"? ' if close else ""
            raise UnknownKind(f'no Promise serves kind "{kind}"{where} ({hint}known kinds: {known})')
        return matches[0]

    def for_object(self, obj: dict) -> Promise:
        """The Promise serving ``obj``'s apiVersion and kind; a wrong version is reported, not guessed."""
        gvk = GVK.of(obj)
        if not gvk.kind:
            raise UnknownKind("kind: Required value")
        if not obj.get("apiVersion"):
            raise UnknownKind("apiVersion: Required value")
        promise = self.for_kind(gvk.kind, gvk.group)
        if promise.crd and gvk.kind != promise.crd.kind:
            raise UnknownKind(f'no Promise serves kind "{gvk.kind}" (did you mean "{promise.crd.kind}"?)')
        return promise

    def registry(self) -> KindRegistry:
        """The built-in kinds plus every request kind these Promises serve (see ``kratix_lab.kube.registry``)."""
        return KindRegistry.from_crds(promise_crds(p.doc for p in self))
