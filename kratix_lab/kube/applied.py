"""kubectl's client-side apply bookkeeping: the ``kubectl.kubernetes.io/last-applied-configuration`` annotation.

``kubectl apply`` records the configuration it applies in the object's annotation — the object as given,
serialised without that annotation (kubernetes/kubectl ``pkg/util/apply.go:71-117`` GetModifiedConfiguration;
written on a create by CreateApplyAnnotation, ``pkg/cmd/apply/apply.go:675-689``, and inside the patch on an
update) — and reads the previous one back (``pkg/util/apply.go:29-46`` GetOriginalConfiguration, called from
``pkg/cmd/apply/patcher.go:126``) for the three-way patch, which removes a field the previous configuration set
and the new one does not. Argo CD applies with kubectl, and its diff reads the same annotation (gitops-engine
``pkg/diff/diff.go:823-845`` GetLastAppliedConfigAnnotation). The keys are sorted as Go's ``json.Marshal``
writes a map.
"""

from __future__ import annotations

import json
from typing import Any

from kratix_lab.model.objects import kept

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_parsed: dict[str, dict[str, Any] | None] = {}


def last_applied(live: dict[str, Any] | None) -> dict[str, Any] | None:
    """The configuration last applied to ``live`` (its last-applied annotation, parsed; shared and read-only), or
    None when it has none or a damaged one (gitops-engine logs it and falls back to the two-way diff,
    ``pkg/diff/diff.go:122-131``)."""
    text = (((live or {}).get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    if text in _parsed:
        return _parsed[text]
    try:
        orig = json.loads(text)
    except ValueError:
        orig = None
    if len(_parsed) > 4096:
        _parsed.clear()
    _parsed[text] = kept(orig) if isinstance(orig, dict) else None
    return _parsed[text]


def record_applied(obj: dict[str, Any]) -> None:
    """Write into ``obj`` (in place) the annotation ``kubectl apply`` sends with it: ``obj`` without its status and
    without the annotation itself, with ``metadata.annotations`` present (``{}`` when it had none), as kubectl
    serialises it."""
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = meta["annotations"] = {}
    annotations.pop(LAST_APPLIED, None)
    config = json.dumps({k: v for k, v in obj.items() if k != "status"}, separators=(",", ":"), sort_keys=True)
    annotations[LAST_APPLIED] = config
