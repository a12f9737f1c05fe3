"""The one YAML loader and dumper of kratix-lab.

Loading names the file and line of every problem; dumping builds text from data (never from
string templates), so any string value survives a round trip byte for byte.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from kratix_lab.errors import Invalid
from kratix_lab.model.objects import clone

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_PLAIN_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "binary", "timestamp")
)
_KEY_TAGS_WITH_MEANING = frozenset(("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"))
_RESOLVED_CAP, _RESOLVED_MAX_LEN = 50_000, 256
_resolved: dict[str, str] = {}  # plain scalar text -> its implicit tag (the resolver's regexes)


class _CachedResolve:
    """The resolver's implicit tag of a plain scalar, remembered per text.

    The libyaml parser and emitter call back into the Python resolver twice per scalar and it runs
    up to a dozen regexes each time; keys and values repeat across every object a lab reads and
    writes. With no path resolvers (the safe loader and dumper have none) the tag depends only on
    the text, so the cached answer is exactly the resolver's.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and not self.yaml_path_resolvers:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            tag = _resolved.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # no regex matched: the default tag either way
                if len(value) <= _RESOLVED_MAX_LEN:
                    if len(_resolved) >= _RESOLVED_CAP:
                        _resolved.clear()
                    _resolved[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


class _NotPlain(Exception):
    """A node the direct construction leaves to PyYAML's constructor (aliases, merge keys, other tags)."""


class _Loader(_CachedResolve, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parser when available
    def construct_document(self, node: Any) -> Any:
        """Plain maps, sequences and scalars built directly, as the safe constructor builds them
        (its generator-based two-step construction is most of a load's cost); a document with
        anything else is constructed by PyYAML."""
        try:
            return self._plain(node, set())
        except _NotPlain:
            return super().construct_document(node)

    def _plain(self, node: Any, seen: set[int]) -> Any:
        cls = type(node)
        if cls is ScalarNode:
            if node.tag == _STR:
                return node.value
            if node.tag in _PLAIN_SCALAR_TAGS:
                return self.yaml_constructors[node.tag](self, node)
            raise _NotPlain
        if id(node) in seen:  # an alias: the constructor shares one object between its uses
            raise _NotPlain
        seen.add(id(node))
        if cls is MappingNode and node.tag == _MAP:
            out = {}
            for key, value in node.value:
                if type(key) is not ScalarNode or key.tag in _KEY_TAGS_WITH_MEANING:
                    raise _NotPlain
                out[self._plain(key, seen)] = self._plain(value, seen)
            return out
        if cls is SequenceNode and node.tag == _SEQ:
            return [self._plain(v, seen) for v in node.value]
        raise _NotPlain


class YamlError(Invalid):
    """A YAML document could not be read; the message names the source and the line."""


@dataclass(frozen=True)
class Document:
    """One YAML document with where it came from (1-based line of its first content)."""

    data: Any
    source: str
    index: int
    line: int

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def _compose_lines(text: str) -> list[int]:
    """First content line (1-based) of each document, found with the pure-Python composer."""
    lines = []
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                lines.append(node.start_mark.line + 1)
    finally:
        loader.dispose()
    return lines


def load_documents(text: str, source: str = "<string>") -> list[Document]:
    """Every non-empty document of ``text``; raises YamlError naming ``source`` and the line.

    Text this process dumped or parsed lately is not parsed again: its documents are copied from
    what was remembered (see ``_remember``); in the lab, pipelines read their input and the lab reads
    their status and outputs, all written moments before by ``dump``, and a trace reads the same
    state-repo files on every refresh.
    """
    known = _dumped.get(text)
    if known is not None:
        datas = [clone(d) for d in known]
    else:
        datas = _parse_all(text, source)
        _remember(text, datas)  # readers of another process's files (trace, the dashboard) parse each text once
    lines = _compose_lines(text) if len(datas) > 1 else [_first_content_line(text)] * len(datas)
    if len(lines) != len(datas):  # documents that are only "null" are dropped by both; be safe
        lines = [1] * len(datas)
    return [Document(d, source, i, ln) for i, (d, ln) in enumerate(zip(datas, lines, strict=True))]


def _parse_all(text: str, source: str) -> list[Any]:
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = e.problem or str(e)
        context = f" ({e.context})" if e.context else ""
        raise YamlError(f"{where}: invalid YAML: {problem}{context}") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: invalid YAML: {e}") from None


# Texts ``dump``/``dump_all`` made or ``load_documents`` parsed lately -> (copies of) the documents
# they hold, oldest first.
_DUMPED_KEPT = 8192  # a 100-vCluster lab's state repo holds ~3,600 files
_dumped: dict[str, list[Any]] = {}


def _remember(text: str, docs: list[Any]) -> None:
    """Remember what ``text`` holds when parsing it back is certain to give exactly that: plain
    data (see ``_plain``), since the dumper quotes every string the resolver would read as
    anything else."""
    if not all(d is not None and _plain(d) for d in docs):  # a document that is only null is dropped
        return
    if len(_dumped) >= _DUMPED_KEPT:
        _dumped.pop(next(iter(_dumped)), None)
    _dumped[text] = [clone(d) for d in docs]


_PLAIN_SCALARS = frozenset((str, int, bool, type(None)))


def _plain(data: Any) -> bool:
    """Maps with string keys, lists, strings, integers, booleans, null and finite floats (NaN is not
    even equal to itself): what a YAML round trip gives back exactly, and ``clone`` copies exactly."""
    t = type(data)
    if t is dict:
        return all(type(k) is str for k in data) and all(type(v) in _PLAIN_SCALARS or _plain(v) for v in data.values())
    if t is list:
        return all(type(v) in _PLAIN_SCALARS or _plain(v) for v in data)
    return t in _PLAIN_SCALARS or (t is float and math.isfinite(data))


def _first_content_line(text: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#") and s != "---":
            return n
    return 1


def load_file(path: str | Path) -> list[Document]:
    """Documents of a file; a missing or unreadable file is a YamlError naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise YamlError(f"{p}: is a directory, expected a YAML file") from None
    except UnicodeDecodeError as e:
        raise YamlError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return load_documents(text, str(p))


def load_one(text: str, source: str = "<string>") -> Any:
    """Exactly one document; anything else is a YamlError."""
    docs = load_documents(text, source)
    if not docs:
        raise YamlError(f"{source}: empty: no YAML document found")
    if len(docs) > 1:
        raise YamlError(
            f"{source}: {len(docs)} YAML documents found (lines "
            f"{', '.join(str(d.line) for d in docs)}); expected exactly one"
        )
    return docs[0].data


class _Dumper(_CachedResolve, getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml emitter when available
    """Block style, keys in insertion order, multi-line strings as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent(self, data: Any) -> None:
        """The node graph of JSON-shaped data built directly, the same nodes the generic representer
        builds (its per-value type dispatch and alias bookkeeping are most of a dump's cost);
        any other type goes through the registered representers."""
        if self.sort_keys or self.default_flow_style is not False:
            super().represent(data)
            return
        self.serialize(self._node(data))
        self.represented_objects, self.object_keeper, self.alias_key = {}, [], None

    def _node(self, data: Any) -> Any:
        t = type(data)
        if t is str:
            return ScalarNode(_STR, data, style=_str_style(data))
        node = self._node
        if t is dict:
            return MappingNode(_MAP, [(node(k), node(v)) for k, v in data.items()], flow_style=False)
        if t is list:
            return SequenceNode(_SEQ, [node(v) for v in data], flow_style=False)
        return self.represent_data(data)


def _str_style(value: str) -> str | None:
    # Unicode line breaks that a YAML reader treats as newlines; only double quotes escape them.
    if "\x85" in value or "\u2028" in value or "\u2029" in value:
        return '"'
    if "\n" in value:
        return "|"
    return None


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, value, style=_str_style(value))


_Dumper.add_representer(str, _str_representer)


def dump(data: Any) -> str:
    """One document as YAML text (the emitter falls back to quoting when a block is unsafe)."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30)
    _remember(text, [data])
    return text


def dump_all(docs: list[Any]) -> str:
    text = yaml.dump_all(
        docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
    )
    _remember(text, list(docs))
    return text
