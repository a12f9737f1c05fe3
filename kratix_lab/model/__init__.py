"""Kubernetes objects as plain dicts, the YAML I/O, selectors and conditions."""

from kratix_lab.model.objects import (
    GVK,
    MODELLED_ANNOTATION,
    clone,
    get_condition,
    is_modelled,
    labels_of,
    matches_labels,
    matches_selector,
    merge_conditions,
    meta,
    name_of,
    namespace_of,
    ref,
    set_condition,
)
from kratix_lab.model.yamlio import Document, YamlError, dump, dump_all, load_documents, load_file, load_one

__all__ = [
    "GVK",
    "MODELLED_ANNOTATION",
    "Document",
    "YamlError",
    "clone",
    "dump",
    "dump_all",
    "get_condition",
    "is_modelled",
    "labels_of",
    "load_documents",
    "load_file",
    "load_one",
    "matches_labels",
    "matches_selector",
    "merge_conditions",
    "meta",
    "name_of",
    "namespace_of",
    "ref",
    "set_condition",
]
