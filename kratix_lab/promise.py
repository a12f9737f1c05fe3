"""A Kratix Promise (``platform.kratix.io/v1alpha1``) as data: its API, workflows and selectors.

Works for any Promise, ours or the marketplace's; the bundled catalogue is in ``kratix_lab.promises``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kratix_lab.errors import Invalid
from kratix_lab.model import YamlError, load_file, name_of
from kratix_lab.schema import CRD, CRDError, crd_from_promise

PROMISE_API_VERSION = "platform.kratix.io/v1alpha1"
WORKFLOW_TYPES = ("resource", "promise")
ACTIONS = ("configure", "delete")


class PromiseError(Invalid):
    """A Promise document is unusable; the message names the file and the field."""


@dataclass
class Promise:
    doc: dict[str, Any]
    source: str = "<promise>"

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<promise>") -> Promise:
        if not isinstance(doc, dict):
            raise PromiseError(f"{source}: expected a Promise mapping, got {type(doc).__name__}")
        if doc.get("kind") != "Promise":
            raise PromiseError(f"{source}: kind is {doc.get('kind')!r}, expected 'Promise'")
        if doc.get("apiVersion") != PROMISE_API_VERSION:
            raise PromiseError(f"{source}: apiVersion is {doc.get('apiVersion')!r}, expected {PROMISE_API_VERSION!r}")
        if not name_of(doc):
            raise PromiseError(f"{source}: metadata.name: Required value")
        p = cls(doc, source)
        p.crd  # noqa: B018 - fail early with the CRD's own error
        for wtype in WORKFLOW_TYPES:
            for action in ACTIONS:
                for i, pl in enumerate(p.pipelines(wtype, action)):
                    where = f"{source}: spec.workflows.{wtype}.{action}[{i}]"
                    if pl.get("kind") != "Pipeline":
                        raise PromiseError(f"{where}.kind: expected Pipeline, got {pl.get('kind')!r}")
                    if not name_of(pl):
                        raise PromiseError(f"{where}.metadata.name: Required value")
                    containers = (pl.get("spec") or {}).get("containers")
                    if not containers:
                        raise PromiseError(f"{where}.spec.containers: Required value")
                    for j, c in enumerate(containers):
                        if not c.get("image"):
                            raise PromiseError(f"{where}.spec.containers[{j}].image: Required value")
                        if not c.get("name"):
                            raise PromiseError(f"{where}.spec.containers[{j}].name: Required value")
        return p

    @classmethod
    def from_file(cls, path: str | Path) -> Promise:
        try:
            docs = load_file(path)
        except YamlError as e:
            raise PromiseError(str(e)) from None
        promises = [d for d in docs if isinstance(d.data, dict) and d.data.get("kind") == "Promise"]
        if len(promises) != 1:
            raise PromiseError(f"{path}: expected one Promise document, found {len(promises)}")
        return cls.from_dict(promises[0].data, str(path))

    @property
    def name(self) -> str:
        return name_of(self.doc)

    @property
    def spec(self) -> dict[str, Any]:
        return self.doc.get("spec") or {}

    @cached_property
    def crd(self) -> CRD | None:
        try:
            return crd_from_promise(self.doc, self.source)
        except CRDError as e:
            raise PromiseError(str(e)) from None

    @property
    def kind(self) -> str | None:
        return self.crd.kind if self.crd else None

    @property
    def destination_selectors(self) -> dict[str, str]:
        """The Promise's ``destinationSelectors`` squashed into one label map (as Kratix does)."""
        labels: dict[str, str] = {}
        for sel in self.spec.get("destinationSelectors") or []:
            labels.update(sel.get("matchLabels") or {})
        return labels

    def pipelines(self, workflow_type: str, action: str) -> list[dict[str, Any]]:
        wf = ((self.spec.get("workflows") or {}).get(workflow_type) or {}).get(action) or []
        return list(wf)

    @property
    def dependencies(self) -> list[dict[str, Any]]:
        return list(self.spec.get("dependencies") or [])
