"""Kubernetes objects as plain dicts: identity, labels, the label-selector matcher, conditions."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kratix_lab.kube.registry import BUILTIN_KINDS

# Kinds the lab knows to be cluster-scoped (everything else is namespaced unless a CRD says so): the kind
# registry's built-in kinds that are not namespaced — one list of scopes (issue 10 item 2).
CLUSTER_SCOPED_KINDS = frozenset(k.kind for k in BUILTIN_KINDS if not k.namespaced)


@dataclass(frozen=True, order=True)
class GVK:
    group: str
    version: str
    kind: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> GVK:
        return _gvk(cls, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@functools.lru_cache(maxsize=4096)  # GVKs are immutable and few; building one is the cost of GVK.of
def _gvk(cls: type[GVK], api_version: str, kind: str) -> GVK:
    group, _, version = api_version.rpartition("/")
    return cls(group, version, kind)


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))
try:
    import msgspec

    _decode_json: Any = msgspec.json.Decoder().decode
    _Refused: type[Exception] = msgspec.DecodeError
except ImportError:  # the pipeline image (promises/Dockerfile) holds only what pipelines import: they read no store
    _decode_json, _Refused = json.loads, ValueError


def parse_json(text: str | bytes) -> Any:
    """A JSON text as ``json.loads`` reads it (the one loader of the lab store's bodies).

    msgspec's decoder parses it (C, about 1.5× the standard library on Kubernetes objects: a cold ``status`` of a
    thousand vClusters parses a few hundred megabytes of them) and gives json's values for every text it accepts —
    integers of any size exactly (orjson makes a float of one beyond 64 bits), doubles rounded alike, the last of
    duplicate keys; the texts it refuses are ``json.loads``'s to read or refuse: NaN and Infinity, a number beyond
    a double (json: inf), a lone surrogate (json keeps it), invalid JSON (json's error)."""
    try:
        return _decode_json(text)
    except _Refused:
        return json.loads(text)


def clone(obj: Any) -> Any:
    """A deep copy of JSON-shaped data (Kubernetes objects): what a JSON round trip gives.

    Maps with string keys, lists and JSON scalars are copied directly (about twice as fast as the
    round trip, many times faster than deepcopy); anything else (tuples, non-string keys, other
    types) goes through the round trip itself, so the result is the round trip's in every case.
    """
    t = type(obj)
    if t is dict:
        out = {k: v if type(v) in _JSON_SCALARS else clone(v) for k, v in obj.items()}
        for k in out:
            if type(k) is not str:
                return json.loads(json.dumps(obj))
        return out
    if t is list:
        return [v if type(v) in _JSON_SCALARS else clone(v) for v in obj]
    if t in _JSON_SCALARS:
        return obj
    return json.loads(json.dumps(obj))


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Mapping[str, Any]) -> str | None:
    ns = meta(obj).get("namespace")
    return str(ns) if ns else None


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return dict(labels) if isinstance(labels, dict) else {}


# What the lab models rather than runs (pods with no process, chart objects it renders itself, the kubeconfig sync's
# runs): annotated ``kratix-lab.io/modelled: "true"`` by every lab controller that makes one, read by the front ends
# (``logs`` says why a modelled pod prints nothing). The one spelling of the key (issue 10 item 5).
MODELLED_ANNOTATION = "kratix-lab.io/modelled"


def is_modelled(obj: Mapping[str, Any]) -> bool:
    """Whether the lab models ``obj`` (annotation ``kratix-lab.io/modelled: "true"``) instead of running it."""
    annotations = meta(obj).get("annotations")
    return isinstance(annotations, dict) and annotations.get(MODELLED_ANNOTATION) == "true"


def ref(obj: Mapping[str, Any]) -> str:
    """`Kind/name` or `Kind/namespace/name`: how objects are named in messages."""
    ns = namespace_of(obj)
    kind = obj.get("kind", "?")
    return f"{kind}/{ns}/{name_of(obj)}" if ns else f"{kind}/{name_of(obj)}"


def matches_labels(labels: Mapping[str, str], match_labels: Mapping[str, str]) -> bool:
    """The label-selector matcher (matchLabels semantics: every pair must be present)."""
    return all(labels.get(k) == v for k, v in match_labels.items())


def matches_selector(labels: Mapping[str, str], selector: Mapping[str, Any] | None) -> bool:
    """A full LabelSelector: matchLabels plus matchExpressions (In, NotIn, Exists, DoesNotExist)."""
    if not selector:
        return True
    if not matches_labels(labels, selector.get("matchLabels") or {}):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def get_condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    """The condition of type ``ctype`` in ``obj.status.conditions`` (the one condition helper)."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def merge_conditions(current: list[dict[str, Any]], updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conditions merged by ``type``: an update replaces the same type, new types are appended."""
    by_type = {c.get("type"): dict(c) for c in current}
    order = [c.get("type") for c in current]
    for u in updates:
        t = u.get("type")
        if t not in by_type:
            order.append(t)
        by_type[t] = dict(u)
    return [by_type[t] for t in order]


def set_condition(obj: dict[str, Any], ctype: str, status: str, reason: str, message: str, now: str) -> bool:
    """Set a condition; ``lastTransitionTime`` changes only when the status does. Returns changed."""
    st = obj.setdefault("status", {})
    conds = st.setdefault("conditions", [])
    for c in conds:
        if c.get("type") == ctype:
            changed = (c.get("status"), c.get("reason"), c.get("message")) != (status, reason, message)
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c.update(status=status, reason=reason, message=message)
            return changed
    conds.append({"type": ctype, "status": status, "reason": reason, "message": message, "lastTransitionTime": now})
    return True
