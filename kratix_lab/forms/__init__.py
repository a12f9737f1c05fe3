"""A request form generated from a Promise's API: fields, conversions, validation, preview, submit.

The dashboard's "Create vCluster" screen (and any other front end) is a thin view of this module:
the form model says which fields there are (sections for nested objects, a kind per field that
says how it is entered, the schema's defaults, allowed values, constraints and descriptions);
``build_request`` turns what the user typed into a request object; ``validate`` admits it with
the schema engine and maps each of the API server's errors to the field it is about; ``preview``
runs the Promise's pipelines locally (the orchestrator's seven sub-requests); ``submit`` commits
it to the gitops repo only when nothing is wrong.

Entered values are text (what inputs hold). An empty value means "not set": the field is left out
of the request, so the schema's default (or the preset, or the pipeline) decides — the committed
request says only what the user chose. Maps are ``key=value, key=value``; lists ``a, b``;
free-form objects (``x-kubernetes-preserve-unknown-fields``) and lists of objects are YAML text.

The package, each module importing only those below it (this module re-exports the public names):

- ``gitops``: ``submit`` (the GitOps commit) and editing a request in git (``edit_values``, ``edit_diff``)
- ``checks``: ``validate`` — conversions, the schema engine and, through the seam (``kratix_lab.sources.Platform``),
  names in use and the platform's admission; ``previews``: ``preview`` (the pipelines, locally; no platform)
- ``conversion``: values → request and back (``convert``, ``build_request``, ``values_from_request``)
- ``model``: the form model (``form_for``, ``FormModel``, ``FormField``, the entry kinds, ``format_value``)
"""

from __future__ import annotations

from kratix_lab.forms.checks import FormResult, gitops_path, in_use, plain_words, validate
from kratix_lab.forms.conversion import UNSET, Built, Problem, build_request, convert, is_empty, values_from_request
from kratix_lab.forms.gitops import InGit, Submitted, edit_diff, edit_values, edited_text, request_in_git, submit
from kratix_lab.forms.model import (
    BOOLEAN,
    ENUM,
    INT_OR_STR,
    INTEGER,
    LIST,
    MAP,
    NUMBER,
    STRING,
    YAML,
    FormError,
    FormField,
    FormInvalid,
    FormModel,
    FormSection,
    form_for,
    format_value,
)
from kratix_lab.forms.previews import Preview, PreviewObject, catalogue_of, preview

__all__ = [
    "BOOLEAN",
    "ENUM",
    "INTEGER",
    "INT_OR_STR",
    "LIST",
    "MAP",
    "NUMBER",
    "STRING",
    "UNSET",
    "YAML",
    "Built",
    "FormError",
    "FormField",
    "FormInvalid",
    "FormModel",
    "FormResult",
    "FormSection",
    "InGit",
    "Preview",
    "PreviewObject",
    "Problem",
    "Submitted",
    "build_request",
    "catalogue_of",
    "convert",
    "edit_diff",
    "edit_values",
    "edited_text",
    "form_for",
    "format_value",
    "gitops_path",
    "in_use",
    "is_empty",
    "plain_words",
    "preview",
    "request_in_git",
    "submit",
    "validate",
    "values_from_request",
]
