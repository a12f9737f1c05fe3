"""Submit (the GitOps path) and editing a request in git (the dashboard's ``e``): the same form, prefilled;
a diff before the commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kratix_lab.forms.checks import FormResult, gitops_path, validate
from kratix_lab.forms.conversion import values_from_request
from kratix_lab.forms.model import FormError, FormInvalid, FormModel
from kratix_lab.model import YamlError, clone, dump, load_documents
from kratix_lab.render import DEFAULT_NAMESPACE

if TYPE_CHECKING:
    from kratix_lab.sources import Platform


# ------------------------------------------------------------------------------------------------
# Submit: the GitOps path
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    kind: str
    name: str
    namespace: str | None
    path: str  # in the gitops repo
    sha: str | None  # the commit


def submit(model: FormModel, values: Mapping[str, Any], platform: Platform, *, editing: str | None = None) -> Submitted:
    """Validate (conversions, schema, name free on the platform) and commit the request to the gitops repo
    (``Actions.submit``). ``editing``: the name of the request in git these values replace (committed as
    "Update …" with ``Actions.submit_text``, its comments kept).

    Raises FormInvalid — and writes nothing — when anything is wrong.
    """
    result = validate(model, values, platform, editing=editing)
    if not result.ok:
        raise FormInvalid(result)
    if editing is not None:
        found = request_in_git(model, platform, editing)
        if found is None:
            raise FormError(f"{model.kind} {editing} is not in the gitops repo any more: nothing to edit")
        text = edited_text(found, result.request)
        sha = platform.actions.submit_text(text, f"Update {model.kind} {editing}")
        return Submitted(result.kind, result.name, result.namespace, found.path, sha)
    sha = platform.actions.submit(result.request)
    return Submitted(result.kind, result.name, result.namespace, gitops_path(model, result.request, platform), sha)


# ------------------------------------------------------------------------------------------------
# Editing a request in git (the dashboard's `e`): the same form, prefilled; a diff before the commit
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InGit:
    """A request as the gitops repo holds it: its file, its text and the object."""

    path: str
    text: str
    request: dict[str, Any]


def request_in_git(model: FormModel, platform: Platform, name: str) -> InGit | None:
    """The request ``name`` of the form's kind as committed to the gitops repo (None: no such file). A file
    that is not one request of this kind is an error naming the file."""
    path = _git_path(model, name, platform)
    content = platform.actions.gitops_file(path, model.kind)
    if content is None:
        return None
    try:
        text = content.decode("utf-8")
        docs = [d.data for d in load_documents(text, path) if d.data is not None]
    except (UnicodeDecodeError, YamlError) as e:
        raise FormError(f"{path} in the gitops repo cannot be edited here: {e}") from None
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != model.kind:
        raise FormError(f"{path} in the gitops repo is not one {model.kind}: edit it in git")
    return InGit(path, text, docs[0])


def _git_path(model: FormModel, name: str, platform: Platform) -> str:
    """``Actions.gitops_path`` of the form's kind for ``name``."""
    return platform.actions.gitops_path(model.kind, name, model.crd)


def edit_values(model: FormModel, platform: Platform, name: str) -> dict[str, str]:
    """The form's values for the request ``name`` in git (raises FormError when it is not there)."""
    found = request_in_git(model, platform, name)
    if found is None:
        raise FormError(
            f"{model.kind} {name} is not in the gitops repo ({_git_path(model, name, platform)}): only requests "
            "committed there are edited here (one applied directly is changed with kubectl)"
        )
    return values_from_request(model, found.request)


def edited_text(found: InGit | None, request: Mapping[str, Any]) -> str:
    """The file an edit commits: the comment lines heading the file in git, then the request as the form built
    it — without the ``metadata.namespace`` the form fills in when the file left it to the default (the same
    request: ``Lab.submit`` defaults it too), so the diff shows what the user changed."""
    obj = clone(dict(request))
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if found is not None:
        original = found.request.get("metadata") if isinstance(found.request.get("metadata"), dict) else {}
        if "namespace" not in original and meta.get("namespace") == DEFAULT_NAMESPACE:
            del meta["namespace"]
    head = []
    for line in (found.text if found is not None else "").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        head.append(line if line.endswith("\n") else line + "\n")
    return "".join(head) + dump(obj)


def edit_diff(model: FormModel, platform: Platform, result: FormResult, name: str) -> str:
    """``git diff`` of the edit: the request's file in git against what the commit would write ("" when the
    edit changes nothing)."""
    import difflib

    found = request_in_git(model, platform, name)
    old = found.text if found is not None else ""
    path = _git_path(model, name, platform)
    new = edited_text(found, result.request)
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=2
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
