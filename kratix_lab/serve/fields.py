"""Field ownership: ``metadata.managedFields``, server-side apply's conflicts, and who changed what.

Modelled on the API server's field manager (``k8s.io/apimachinery/pkg/util/managedfields``, with
``sigs.k8s.io/structured-merge-diff`` underneath):

- every write records, per manager, the fields it set: a create or an update (``PUT``, a merge/JSON/strategic
  patch) as an ``Update`` entry of the ``fieldManager`` parameter (or the User-Agent's product, as
  ``handlers/rest.go`` ``prefixFromUserAgent`` does), an apply as an ``Apply`` entry;
  an update takes over the fields it changed from whoever owned them (no conflicts for updates);
- an apply conflicts (409, ``reason: Conflict``, one ``FieldManagerConflict`` cause per field, the message of
  ``managedfields/internal/conflict.go`` ``NewConflictError``) when it sets a field another manager owns to a
  different value; with ``force=true`` it takes the field over; with the same value the field is shared;
- a field the applier set in its previous apply and leaves out now is removed, unless another manager owns it
  too (``merge/update.go`` ``Apply`` → ``prune``);
- fields never owned: ``apiVersion``, ``kind``, and ``metadata.name/namespace/uid/resourceVersion/generation/
  creationTimestamp/deletionTimestamp/managedFields`` (``internal/stripmeta.go``); ``status`` through the main
  resource and everything but ``status`` through the ``status`` subresource (the reset fields of the
  resources' strategies).

Modelled, with one simplification said plainly: every list is atomic (owned and compared as a whole), as a
CRD's lists are without ``x-kubernetes-list-type: map``; the API server merges the built-ins' keyed lists
(containers by name, …) item by item.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from kratix_lab.serve.status import ApiError, bad_request

Path = tuple[str, ...]

_STRIPPED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
}
MAX_MANAGER = 128  # apimachinery validation: ValidateFieldManager


def manager_of(params: dict[str, str], user_agent: str, *, apply: bool) -> str:
    """The request's field manager: ``fieldManager``, else the User-Agent up to its first ``/``."""
    name = params.get("fieldManager", "")
    if apply and not name:
        raise bad_request("PATCH: fieldManager is required for apply requests")
    if not name:
        name = user_agent.split("/", 1)[0] if user_agent else "unknown"
    if len(name) > MAX_MANAGER:
        raise ApiError(422, "Invalid", f"fieldManager: Too long: may not be more than {MAX_MANAGER} bytes", details={})
    if any(not c.isprintable() for c in name):
        raise ApiError(422, "Invalid", f"fieldManager: Invalid value: {name!r}: must be printable", details={})
    return name


def leaves(obj: Any, subresource: str = "") -> set[Path]:
    """The fields an object sets, as paths to leaves (scalars, lists, empty maps)."""
    out: set[Path] = set()
    if not isinstance(obj, dict):
        return out
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if (key == "status") != (subresource == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _STRIPPED_META}
            if not value:
                continue
        _walk(value, (key,), out)
    return out


def _walk(value: Any, prefix: Path, out: set[Path]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _walk(v, (*prefix, k), out)
    else:
        out.add(prefix)


_MISSING = object()


def value_at(obj: Any, path: Path) -> Any:
    for p in path:
        if not isinstance(obj, dict) or p not in obj:
            return _MISSING
        obj = obj[p]
    return obj


def _overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _remove(obj: dict[str, Any], path: Path) -> None:
    parents = []
    cur: Any = obj
    for p in path[:-1]:
        if not isinstance(cur, dict) or p not in cur:
            return
        parents.append((cur, p))
        cur = cur[p]
    if isinstance(cur, dict):
        cur.pop(path[-1], None)
    for parent, key in reversed(parents):  # a map left empty by the removal goes too
        if parent[key] == {}:
            del parent[key]
        else:
            break


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for p in path:
            node = node.setdefault(f"f:{p}", {})
    return tree


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(tree, dict):
        return out
    children = {k: v for k, v in tree.items() if isinstance(k, str) and k.startswith("f:")}
    if not children:
        if prefix:
            out.add(prefix)
        return out
    for k, v in children.items():
        out |= from_fields_v1(v, (*prefix, k[2:]))
    return out


class Entries:
    """The ``managedFields`` of one object: (manager, operation, subresource) → its fields."""

    def __init__(self, managed: Any) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fields: list[set[Path]] = []
        for e in managed if isinstance(managed, list) else []:
            if isinstance(e, dict) and isinstance(e.get("manager"), str):
                self.entries.append({k: v for k, v in e.items() if k != "fieldsV1"})
                self.fields.append(from_fields_v1(e.get("fieldsV1")))

    def _find(self, manager: str, operation: str, subresource: str) -> int | None:
        for n, e in enumerate(self.entries):
            if (e["manager"], e.get("operation"), e.get("subresource", "")) == (manager, operation, subresource):
                return n
        return None

    def owned(self, manager: str, operation: str, subresource: str) -> set[Path]:
        n = self._find(manager, operation, subresource)
        return set() if n is None else self.fields[n]

    def set(
        self, manager: str, operation: str, subresource: str, api_version: str, now: str, fields: set[Path]
    ) -> None:
        n = self._find(manager, operation, subresource)
        entry = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": now}
        if subresource:
            entry["subresource"] = subresource
        if n is None:
            self.entries.append(entry)
            self.fields.append(set(fields))
        else:
            self.entries[n] = entry
            self.fields[n] = set(fields)

    def disown(self, paths: Iterable[Path], *, keep: int | None = None) -> None:
        paths = list(paths)
        for n, owned in enumerate(self.fields):
            if n != keep:
                self.fields[n] = {q for q in owned if not any(_overlaps(q, p) for p in paths)}

    def render(self) -> list[dict[str, Any]]:
        return [
            {**e, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(f)}
            for e, f in zip(self.entries, self.fields, strict=True)
            if f
        ]


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    api_version: str,
    now: str,
    subresource: str = "",
) -> None:
    """A create (``old`` None) or an update by ``manager``: it owns what it changed (in ``new`` in place)."""
    entries = Entries(((old or {}).get("metadata") or {}).get("managedFields"))
    after = leaves(new, subresource)
    if old is None:
        changed = after
    else:
        before = leaves(old, subresource)
        changed = {p for p in after if value_at(old, p) != value_at(new, p)} | (before - after)
    if changed:
        mine = entries.owned(manager, "Update", subresource)
        entries.disown(changed)
        gained = {p for p in changed if value_at(new, p) is not _MISSING}
        entries.set(manager, "Update", subresource, api_version, now, {p for p in mine if p in after} | gained)
    new.setdefault("metadata", {})["managedFields"] = entries.render()


def apply(
    live: dict[str, Any],
    config: dict[str, Any],
    manager: str,
    api_version: str,
    now: str,
    *,
    force: bool,
    subresource: str = "",
) -> dict[str, Any]:
    """Server-side apply of ``config`` by ``manager`` on ``live``: the new object (managedFields included), or a
    409 naming every conflicting field and its owner."""
    from kratix_lab.serve.patch import apply_patch

    entries = Entries((live.get("metadata") or {}).get("managedFields"))
    wanted = leaves(config, subresource)
    if subresource == "status":
        scoped = {"status": config["status"]} if "status" in config else {}
    else:
        scoped = {k: v for k, v in config.items() if k != "status"}
    merged = apply_patch(copy.deepcopy(live), scoped)
    previous = entries.owned(manager, "Apply", subresource)
    me = entries._find(manager, "Apply", subresource)
    conflicts: list[tuple[str, str, Path]] = []
    for n, owned in enumerate(entries.fields):
        if n == me or entries.entries[n].get("subresource", "") != subresource:
            continue
        e = entries.entries[n]
        who = f'"{e["manager"]}"'
        if e.get("operation") == "Update":
            who += f" using {e.get('apiVersion', api_version)}"
            if e.get("time"):
                who += f" at {e['time']}"
        for q in sorted(owned):
            if any(_overlaps(q, p) for p in wanted) and value_at(live, q) != value_at(merged, q):
                conflicts.append((who, e["manager"], q))
    if conflicts and not force:
        causes = [
            {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": _dotted(q)}
            for who, _, q in conflicts
        ]
        if len(conflicts) == 1:
            message = f"Apply failed with 1 conflict: conflict with {conflicts[0][0]}: {_dotted(conflicts[0][2])}"
        else:
            lines = []
            for who in sorted({c[0] for c in conflicts}):
                lines.append(f"conflicts with {who}:")
                lines += [f"- {_dotted(q)}" for w, _, q in conflicts if w == who]
            message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
        raise ApiError(409, "Conflict", message, details={"causes": causes})
    if conflicts:
        entries.disown([q for _, _, q in conflicts], keep=me)
    # fields this manager applied before and leaves out now go, unless someone else owns them too
    others = [f for n, f in enumerate(entries.fields) if n != me]
    for p in sorted(previous - wanted, key=len, reverse=True):
        if any(_overlaps(p, w) for w in wanted):
            continue
        if not any(any(_overlaps(p, q) for q in f) for f in others):
            _remove(merged, p)
    entries.set(manager, "Apply", subresource, api_version, now, wanted)
    merged.setdefault("metadata", {})["managedFields"] = entries.render()
    return merged


def _dotted(path: Path) -> str:
    return "".join(f".{p}" for p in path)
