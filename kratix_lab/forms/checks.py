"""Validation: conversions, the schema engine, and — through the seam (``kratix_lab.sources.Platform``: a
lab's or a live cluster's source and actions) — names already in use and the platform's own admission."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kratix_lab.forms.conversion import Problem, build_request, is_empty
from kratix_lab.forms.model import FormModel
from kratix_lab.model import clone, dump, name_of, namespace_of

if TYPE_CHECKING:
    from kratix_lab.sources import Platform


# ------------------------------------------------------------------------------------------------
# Validation: conversions, the schema engine, and (with a platform) names already in use
# ------------------------------------------------------------------------------------------------


@dataclass
class FormResult:
    """Everything known about the entered values: the request, what admission made of it, problems."""

    request: dict[str, Any]
    admitted: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def kind(self) -> str:
        return str(self.request.get("kind", ""))

    @property
    def name(self) -> str:
        return name_of(self.request) or ""

    @property
    def namespace(self) -> str | None:
        return namespace_of(self.request)

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.message)
        return out

    def messages_for(self, path: str) -> list[str]:
        return [p.message for p in self.problems if p.field == path]

    @property
    def request_yaml(self) -> str:
        return dump(self.request)


def validate(
    model: FormModel, values: Mapping[str, Any], platform: Platform | None = None, *, editing: str | None = None
) -> FormResult:
    """Convert, admit with the schema engine, and — given a platform (``kratix_lab.sources.Platform``: the
    lab's or a live cluster's source and actions) — check the name is free there and that the platform
    admits it (``editing``: the name of the request being edited, which its own file and object do not take).

    Admission errors carry the API server's wording and are mapped to the field they are about
    (errors for a field whose value could not even be converted are not repeated).
    """
    built = build_request(model, values)
    result = FormResult(built.request, problems=list(built.problems))
    failed = {p.field for p in built.problems}
    admission = model.crd.admit(built.request)
    for e in admission.errors:
        owner = model.owner_of(e.path)
        if owner in failed and owner:
            continue
        result.problems.append(Problem(owner, str(e)))
    for p in admission.pruned:
        result.warnings.append(Problem(model.owner_of(p), f"{p}: unknown field, dropped by the API server"))
    if admission.ok and not built.problems:
        result.admitted = admission.object
    if platform is not None and not {"metadata.name", "metadata.namespace"} & {p.field for p in result.problems}:
        result.problems += in_use(model, platform, built.request, editing=editing)
        if result.ok:
            result.problems += _admission(platform, built.request)
    spec = built.request.get("spec")
    spec_name = spec.get("name") if isinstance(spec, dict) else None
    if is_empty(values.get("metadata.name")) and spec_name and name_of(built.request) == spec_name:
        result.problems = _on_spec_name(result.problems)
    result.problems = [_with_hint(p) for p in result.problems]
    if not result.ok:
        result.admitted = None
    order = {
        p: i for i, p in enumerate([""] + [f.path for f in model.fields()] + [x.path for x in model.all_sections()])
    }
    result.problems.sort(key=lambda p: order.get(p.field, len(order)))  # the form's order, top to bottom
    result.warnings.sort(key=lambda p: order.get(p.field, len(order)))
    return result


def _on_spec_name(problems: list[Problem]) -> list[Problem]:
    """``metadata.name`` left empty is filled from ``spec.name`` (``build_request``): its problems (a name in
    use, a name the API server refuses) are the user's ``spec.name``'s, shown where it was typed — once, when
    ``spec.name`` has its own message about the same value already."""
    own = any(p.field == "spec.name" for p in problems)
    out = []
    for p in problems:
        if p.field != "metadata.name":
            out.append(p)
        elif "Invalid value" in p.message and own:
            continue  # spec.name's own pattern error says it
        else:
            out.append(Problem("spec.name", f"{p.message} (metadata.name is filled from spec.name)"))
    return out


# The API server quotes a field's pattern (or a name rule's regex); beside it, what it means in plain words.
_PLAIN_WORDS = {
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?": "lowercase letters, digits and '-', starting and ending with a letter or digit",
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*": (
        "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    ),
    r"[a-z]([-a-z0-9]*[a-z0-9])?": (
        "lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    ),
    r"[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?": "a number, then optionally a unit: 512Mi, 2Gi, 1.5G, 500m",
    r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+": "a duration: a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m",
    r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])": (
        "an IPv4 address: four numbers 0-255 joined by '.', e.g. 10.96.0.10"
    ),
    r"https://": "a URL starting with https://",
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?": (
        "letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)"
    ),
}
_QUOTED_REGEX = re.compile(r"(?:should match|regex used for validation is) '([^']*)'")


def plain_words(message: str) -> str | None:
    """What the regex an API server message quotes means, in plain words (None: no regex, or one not known)."""
    m = _QUOTED_REGEX.search(message)
    if m is None:
        return None
    return _PLAIN_WORDS.get(m.group(1).removeprefix("^").removesuffix("$"))


def _with_hint(p: Problem) -> Problem:
    words = plain_words(p.message)
    return Problem(p.field, f"{p.message}\n↳ {words}") if words else p


def gitops_path(model: FormModel, obj: Mapping[str, Any], platform: Platform) -> str:
    """Where a submit commits the request in the platform's gitops repo (``Actions.gitops_path``)."""
    return platform.actions.gitops_path(model.kind, name_of(obj) or "", model.crd)


def in_use(
    model: FormModel, platform: Platform, obj: Mapping[str, Any], *, editing: str | None = None
) -> list[Problem]:
    """Names the request would take that the platform already has: submitting would replace another request.

    The gitops repo keeps one file per request name (whatever its namespace), so a name is in use
    when any request of the kind has it, or when its file is committed but not yet synced; and two
    requests with one ``spec.name`` would fight over one vCluster (release, namespace, Argo CD app).
    """
    name, ns = name_of(obj), namespace_of(obj)
    if not name:
        return []
    problems = []
    if editing is not None and name != editing:
        return [
            Problem(
                "metadata.name",
                f'metadata.name: an edit keeps the name "{editing}" (a new name is a new request: create it, then '
                "delete this one)",
            )
        ]
    requests = platform.source.list(model.kind, None, None, model.crd.group)
    existing = [o for o in requests if (o.get("metadata") or {}).get("name") == name]
    path = gitops_path(model, obj, platform)
    if editing is not None:  # its own object and file: what the edit replaces
        existing = []
    elif existing:
        o = existing[0]
        where = f' in namespace "{namespace_of(o)}"' if namespace_of(o) else ""
        gone = " (being deleted)" if (o.get("metadata") or {}).get("deletionTimestamp") else ""
        problems.append(
            Problem(
                "metadata.name",
                f'metadata.name: {model.kind} "{name}" already exists{where}{gone}; choose another name '
                f"(submitting would replace {path} in the gitops repo)",
            )
        )
    if editing is None and not existing and platform.actions.gitops_file(path, model.kind) is not None:
        problems.append(
            Problem(
                "metadata.name",
                f'metadata.name: {path} is already in the gitops repo (a {model.kind} "{name}" committed and not '
                "yet synced); choose another name",
            )
        )
    spec_name = (obj.get("spec") or {}).get("name") if isinstance(obj.get("spec"), Mapping) else None
    if isinstance(spec_name, str) and spec_name:
        for o in requests:
            if (o.get("spec") or {}).get("name") == spec_name and (o.get("metadata") or {}).get("name") != name:
                problems.append(
                    Problem(
                        "spec.name",
                        f'spec.name: "{spec_name}" is already requested by {model.kind} '
                        f'"{name_of(o)}" in namespace "{namespace_of(o)}"; choose another name',
                    )
                )
                break
    if ns and model.crd.namespaced and platform.source.get("Namespace", ns, None, "") is None:
        where = platform.actions.where
        problems.append(Problem("metadata.namespace", f'metadata.namespace: namespaces "{ns}" not found in {where}'))
    return problems


def _admission(platform: Platform, obj: dict[str, Any]) -> list[Problem]:
    """The platform's own admission (its installed Promise, served versions: ``Actions.admit``) as a
    form-level problem."""
    from kratix_lab.errors import KratixLabError

    try:
        platform.actions.admit(clone(obj))
    except KratixLabError as e:
        return [Problem("", str(e))]
    return []
