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
from kratix_lab.model.objects import clone, kept, text_digest

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_NULL, _BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))
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
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        if kind is ScalarNode:
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
        if kind is MappingNode:  # the resolver's answer without path resolvers (a quarter of a load's calls)
            return self.DEFAULT_MAPPING_TAG
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        return super().resolve(kind, value, implicit)


class _NotPlain(Exception):
    """A node the direct construction leaves to PyYAML's constructor (aliases, merge keys, other tags)."""


class _Loader(_CachedResolve, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parser when available
    source = "<string>"
    unshared = False  # the text has no alias (no ``*``): no node is met twice (``_parse_all`` says)

    def construct_document(self, node: Any) -> Any:
        """Plain maps, sequences and scalars built directly, as the safe constructor builds them
        (its generator-based two-step construction is most of a load's cost); a document with
        anything else is constructed by PyYAML. The intake limits are checked first.

        A document of plain data within the limits (what the lab writes: the state repo's files, a
        fleet's thousands of them) is checked and built in one walk (``_checked_plain``); anything
        it does not take whole is checked and built as ever, from the start."""
        try:
            return self._unshared_plain(node, 1) if self.unshared else self._checked_plain(node, 1, set())
        except _NotPlain:
            pass
        _check_graph(node, self.source, lambda n: self.construct_yaml_int(n))
        try:
            return self._plain(node, set())
        except _NotPlain:
            return super().construct_document(node)

    def _checked_plain(self, node: Any, depth: int, seen: set[int]) -> Any:
        """``_check_graph`` then ``_plain`` in one walk, for a document they both take as it is: no alias (a node
        met twice), no level deeper than ``MAX_DEPTH``, no duplicate key, only the plain tags, every integer within
        int64/uint64 (a timestamp kept as its text, as ``_check_graph`` makes it). Anything else raises
        ``_NotPlain`` before a value is returned: the caller checks and builds the document the long way, which
        says what is wrong (or builds what this does not)."""
        if id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
        cls = type(node)
        if cls is ScalarNode:
            tag = node.tag
            if tag == _STR:
                return node.value
            if tag == _NULL:
                return None
            if tag == _TIMESTAMP:
                node.tag = _STR  # as _check_graph: the text, never a date
                return node.value
            if tag == _INT:
                if sum(c.isalnum() for c in node.value) > 40:
                    raise _NotPlain
                try:
                    value = self.construct_yaml_int(node)
                except (ValueError, IndexError):
                    raise _NotPlain from None
                if not _INT_MIN <= value <= _INT_MAX:
                    raise _NotPlain
                return value
            if tag in (_BOOL, _FLOAT):
                try:
                    return self.yaml_constructors[tag](self, node)
                except (ValueError, KeyError, IndexError):
                    raise _NotPlain from None
            raise _NotPlain
        if depth >= MAX_DEPTH and node.value:  # its children would be deeper than the limit
            raise _NotPlain
        depth += 1
        if cls is MappingNode and node.tag == _MAP:
            out = {}
            for key, value in node.value:
                if type(key) is not ScalarNode or key.tag in _KEY_TAGS_WITH_MEANING:
                    raise _NotPlain
                out[self._checked_plain(key, depth, seen)] = self._checked_plain(value, depth, seen)
            if len(out) != len(node.value):  # two keys the same value: a duplicate, or not (``true``/``True``)
                raise _NotPlain
            return out
        if cls is SequenceNode and node.tag == _SEQ:
            return [self._checked_plain(v, depth, seen) for v in node.value]
        raise _NotPlain

    def _unshared_plain(self, node: Any, depth: int) -> Any:
        """``_checked_plain`` of a document whose text has no alias, so that no node is met twice (the composer
        shares a node only for an alias): the same values and the same ``_NotPlain``, without the walk's record of
        the nodes met, and a string key's or value's node read where it is met (most of a manifest's nodes; a
        fleet's thousands of state files are parsed for its cold ``status``)."""
        cls = type(node)
        if cls is MappingNode and node.tag == _MAP:
            pairs = node.value
            if depth >= MAX_DEPTH and pairs:
                raise _NotPlain
            depth += 1
            out = {}
            for key, value in pairs:
                if type(key) is not ScalarNode or key.tag in _KEY_TAGS_WITH_MEANING:
                    raise _NotPlain
                k = key.value if key.tag == _STR else self._checked_plain(key, depth, set())
                if type(value) is ScalarNode and value.tag == _STR:
                    out[k] = value.value
                else:
                    out[k] = self._unshared_plain(value, depth)
            if len(out) != len(pairs):  # two keys the same value: a duplicate, or not (``true``/``True``)
                raise _NotPlain
            return out
        if cls is SequenceNode and node.tag == _SEQ:
            items = node.value
            if depth >= MAX_DEPTH and items:
                raise _NotPlain
            depth += 1
            return [
                v.value if type(v) is ScalarNode and v.tag == _STR else self._unshared_plain(v, depth) for v in items
            ]
        return self._checked_plain(node, depth, set())  # a scalar of another tag, or what is not plain

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


# ---------------------------------------------------------------------------------------------
# Intake limits: what the API server refuses before it looks at an object, checked on the node
# graph (which the composer builds with one node per anchor, so a bomb costs nothing yet) before
# anything is constructed.
# ---------------------------------------------------------------------------------------------

# k8s.io/apiserver/pkg/server/config.go (NewConfig): ``MaxRequestBodyBytes: int64(3 * 1024 * 1024)``;
# handlers/rest.go limitedReadBody answers errors.NewRequestEntityTooLargeError("limit is %d").
MAX_REQUEST_BYTES = 3 * 1024 * 1024
# go-yaml v2.2.8+/v3 decode.go (the fix of CVE-2019-11253/11254): an alias-expansion ratio allowed
# per decode count, 99% up to 400,000 decodes scaling to 10% at 4,000,000, checked once more than
# 100 alias-driven decodes and 1,000 decodes happened; over it: "document contains excessive aliasing".
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000
# Nesting: go-yaml v3 refuses beyond 10,000 levels ("exceeded max depth of 10000"); the lab's
# validators and renderers recurse per level, so the lab refuses beyond this many, at intake.
MAX_DEPTH = 128
# Integers: the API server holds int64 (JSON numbers beyond it are not integers any more); Python
# refuses to convert more than 4,300 digits at all. The lab refuses an integer outside int64/uint64.
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1
# Tags PyYAML constructs into values JSON cannot hold (the API server and Argo CD hold JSON).
_NOT_JSON = {
    "tag:yaml.org,2002:binary": "!!binary data",
    "tag:yaml.org,2002:set": "a !!set",
    "tag:yaml.org,2002:omap": "an !!omap",
    "tag:yaml.org,2002:pairs": "!!pairs",
}
_QUOTE_MAX = 64
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def quote_truncated(value: str, limit: int = _QUOTE_MAX) -> str:
    """``value`` quoted for an error message, cut to ``limit`` characters (a 50 MB value is never echoed)."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value) - limit} more characters)"


def _allowed_alias_ratio(decodes: int) -> float:
    """go-yaml decode.go ``allowedAliasRatio``."""
    if decodes <= _ALIAS_LOW:
        return 0.99
    if decodes >= _ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((decodes - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW))


def _where(source: str, node: Any) -> str:
    mark = node.start_mark
    return f"{source}:{mark.line + 1}:{mark.column + 1}"


def _check_graph(root: Any, source: str, construct_int: Any) -> None:
    """Refuse, naming the line, what the API server or go-yaml refuses: excessive aliasing, depth,
    duplicate keys, integers out of range and values JSON cannot hold. Iterative, so any depth or
    a recursive alias is walked without recursion; aliases are counted as go-yaml counts decodes."""
    decodes = aliased = 0
    seen: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, in_alias = stack.pop()
        decodes += 1
        if id(node) in seen:
            in_alias = True  # the composer shares one node between an anchor and its aliases
        if in_alias:
            aliased += 1
            if aliased > 100 and decodes > 1000 and aliased / decodes > _allowed_alias_ratio(decodes):
                raise YamlError(f"{_where(source, node)}: invalid YAML: document contains excessive aliasing")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlError(f"{_where(source, node)}: invalid YAML: nested more than {MAX_DEPTH} levels deep")
        cls = type(node)
        if cls is ScalarNode:
            if in_alias:
                continue
            tag = node.tag
            if tag == _TIMESTAMP:
                # go-yaml v2 decode.go scalar(): "It looks like a timestamp but for backward
                # compatibility reasons we set it as a string" (into interface{}, as kubectl and
                # Argo CD decode): the text is kept, never a date JSON cannot hold.
                node.tag = _STR
                continue
            if tag in _NOT_JSON:
                raise YamlError(
                    f"{_where(source, node)}: invalid YAML: {quote_truncated(node.value)} is {_NOT_JSON[tag]}, "
                    "which JSON cannot hold"
                )
            if tag == "tag:yaml.org,2002:int":
                digits = sum(c.isalnum() for c in node.value)
                try:
                    value = construct_int(node) if digits <= 40 else None
                except (ValueError, IndexError):  # an explicit !!int on text: go-yaml "cannot decode … as a !!int"
                    raise YamlError(
                        f"{_where(source, node)}: invalid YAML: cannot decode {quote_truncated(node.value, 32)} "
                        "as a !!int"
                    ) from None
                if value is None or not _INT_MIN <= value <= _INT_MAX:
                    raise YamlError(
                        f"{_where(source, node)}: invalid YAML: integer {quote_truncated(node.value, 32)} "
                        "is out of range (int64/uint64)"
                    )
            continue
        if cls is MappingNode:
            if node.tag in _NOT_JSON:
                raise YamlError(f"{_where(source, node)}: invalid YAML: {_NOT_JSON[node.tag]}, which JSON cannot hold")
            if not in_alias:
                keys: dict[tuple[str, str], int] = {}
                for key, _ in node.value:
                    if type(key) is ScalarNode and key.tag not in _KEY_TAGS_WITH_MEANING:
                        ident = (key.tag, key.value)
                        if ident in keys:
                            # go-yaml v3 decode.go (what kubectl's strict decoding and Argo CD use)
                            raise YamlError(
                                f"{_where(source, key)}: invalid YAML: mapping key "
                                f"{quote_truncated(key.value)} already defined at line {keys[ident]}"
                            )
                        keys[ident] = key.start_mark.line + 1
            for key, value in reversed(node.value):
                stack.append((value, depth + 1, in_alias))
                stack.append((key, depth + 1, in_alias))
        elif cls is SequenceNode:
            if node.tag in _NOT_JSON:
                raise YamlError(f"{_where(source, node)}: invalid YAML: {_NOT_JSON[node.tag]}, which JSON cannot hold")
            for value in reversed(node.value):
                stack.append((value, depth + 1, in_alias))


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
    except yaml.YAMLError:  # the pure-Python scanner refuses some text the C one reads (a tab): lines unknown
        return []
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
    known = _dumped.get(text_digest(text))
    if known is not None:
        datas = [clone(d) for d in known]
    else:
        datas = _parse_all(text, source)
        # readers of another process's files (trace, the dashboard) parse each text at most twice: a text read a
        # second time is remembered (a copy of every document); one read once — a cold ``status`` reads each of a
        # fleet's state files once — costs no copy
        key = hash(text)
        if key in _parsed_once:
            _remember(text, datas)
        else:
            if len(_parsed_once) >= 2 * _DUMPED_KEPT:
                _parsed_once.clear()
            _parsed_once.add(key)
    lines = _compose_lines(text) if len(datas) > 1 else [_first_content_line(text)] * len(datas)
    if len(lines) != len(datas):  # documents that are only "null" are dropped by both; be safe
        lines = [1] * len(datas)
    return [Document(d, source, i, ln) for i, (d, ln) in enumerate(zip(datas, lines, strict=True))]


def request_too_large() -> str:
    return f"Request entity too large: limit is {MAX_REQUEST_BYTES}"


def check_size(text: str | bytes, source: str) -> None:
    """The API server's request-body limit (3 MiB), with its message."""
    size = len(text)
    if isinstance(text, str) and MAX_REQUEST_BYTES // 4 < size <= MAX_REQUEST_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))  # a character is at most 4 bytes
    if size > MAX_REQUEST_BYTES:
        raise YamlError(f"{source}: {request_too_large()}")


def _no_path_hooks(loader: _Loader) -> None:
    """The composer's per-node calls into the resolver, made cheap for a loader with no path resolvers (the safe
    loader has none; libyaml's composer calls ``descend_resolver``, ``ascend_resolver`` and ``resolve`` for every node
    — three Python calls, each looking its class's ``yaml_path_resolvers`` up, a tenth of a state file's parse; a cold
    ``status`` parses seventeen thousand): the first two do nothing then, and a plain scalar's tag met before is read
    from ``_resolved`` directly — the answers ``_CachedResolve`` gives, set on this loader alone."""
    if loader.yaml_path_resolvers:
        return
    slow, known = loader.resolve, _resolved.get

    def resolve(kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            tag = known(value)
            if tag is not None:
                return tag
        return slow(kind, value, implicit)

    loader.resolve = resolve  # type: ignore[method-assign]
    loader.descend_resolver = _nothing  # type: ignore[method-assign]
    loader.ascend_resolver = _nothing  # type: ignore[method-assign]


def _nothing(*args: Any) -> None:
    return None


def _parse_all(text: str, source: str) -> list[Any]:
    check_size(text, source)
    docs = _read_block(text)  # the dumper's own style, read directly
    if docs is not None:
        return docs
    loader = _Loader(text)
    _no_path_hooks(loader)
    loader.source = source
    loader.unshared = "*" not in text  # (an alias is ``*name``)
    try:
        out = []
        while loader.check_data():
            d = loader.get_data()
            if d is not None:
                out.append(d)
        return out
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = e.problem or str(e)
        context = f" ({e.context})" if e.context else ""
        raise YamlError(f"{where}: invalid YAML: {problem}{context}") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: invalid YAML: {e}") from None
    except YamlError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:  # a constructor refusing a tagged value
        what = str(e)[:200] if not isinstance(e, KeyError) else f"cannot decode {quote_truncated(str(e.args[0]), 32)}"
        raise YamlError(f"{source}: invalid YAML: {what}") from None
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------------
# The block reader: text in the lab's dumper's own style read line by line, without libyaml's node
# graph (its nodes and their marks are most of a parse's cost; a fleet's cold ``status`` parses
# seventeen thousand state files). It reads a strict subset of YAML — block mappings and sequences,
# plain, single-quoted and escape-free double-quoted one-line scalars, ``|``/``|-``/``|+`` literal
# blocks, ``{}`` and ``[]`` — and builds exactly what ``_Loader`` builds from it (each plain
# scalar's tag from the same resolver, its value from the same constructor). Anything else —
# comments, tags, anchors, aliases, flow collections, blank lines, multi-line or escaped quoted
# scalars, duplicate or non-string keys, integers out of range, deep nesting, tabs, non-ASCII, a
# text that is not one mapping — is left to ``_Loader`` (``_NotBlock``), which says what is wrong.
# ---------------------------------------------------------------------------------------------

_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NOT_PLAIN_FIRST = _INDICATORS | {" "}
_BLOCK_DEPTH = 64  # levels the block reader reads (deeper: ``_Loader``, which applies ``MAX_DEPTH``)
_RESOLVER = yaml.resolver.Resolver()  # the resolver class of SafeLoader and CSafeLoader (``_Loader``)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # the constructor ``_Loader`` builds bools, ints and floats with


class _NotBlock(Exception):
    """Text the block reader leaves to ``_Loader``."""


def _plain_tag(value: str) -> str:
    """The implicit tag of a plain scalar: what ``_CachedResolve.resolve`` answers for it (and remembers)."""
    tag = _resolved.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(ScalarNode, value, (True, False))
        if len(value) <= _RESOLVED_MAX_LEN:
            if len(_resolved) >= _RESOLVED_CAP:
                _resolved.clear()
            _resolved[value] = tag
    return tag


def _read_block(text: str) -> list[Any] | None:
    """The one document of ``text`` when it is in the block reader's subset (see above), else None."""
    if (
        not text.endswith("\n")
        or not text.isascii()
        or not text.replace("\n", "").isprintable()  # only printable ASCII and newlines: no tab, CR or control
        or text.startswith(("---", "..."))
        or "\n---" in text
        or "\n..." in text  # a document marker
    ):
        return None
    lines = text.split("\n")
    lines.pop()  # (after the last newline)
    try:
        reader = _BlockReader(lines)
        doc = reader.mapping(0, 1)
        if reader.i != len(lines) or not doc:
            return None
    except _NotBlock:
        return None
    return [doc]


class _BlockReader:
    __slots__ = ("i", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.i = lines, 0

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        """The keys of a block mapping at ``indent`` from line ``i`` on."""
        if depth > _BLOCK_DEPTH:
            raise _NotBlock
        lines, out, known = self.lines, {}, _resolved.get
        end = len(lines)
        while (i := self.i) < end:
            line = lines[i]
            entry = line.lstrip(" ")
            at = len(line) - len(entry)
            if at != indent:
                if at < indent:
                    break
                raise _NotBlock  # a continuation line
            key, colon, rest = entry.partition(": ")
            if not colon:
                if entry[-1:] != ":":
                    raise _NotBlock  # an empty line, a dash where a key belongs, a scalar alone
                key = entry[:-1]
            # (a key starting with an indicator: also a dash where a key belongs)
            if not key or key[0] in _INDICATORS or key[-1] == " " or ":" in key or " #" in entry or key in out:
                raise _NotBlock
            if (known(key) or _plain_tag(key)) != _STR:
                raise _NotBlock
            self.i = i + 1
            if not colon:
                out[key] = self.nested(indent, depth)
            elif (
                rest
                and rest[0] not in _NOT_PLAIN_FIRST
                and rest[-1] not in ": "
                and ": " not in rest
                and known(rest) == _STR
            ):
                out[key] = rest  # a plain string met before (most values: read here, without a call)
            else:
                out[key] = self.scalar(rest, indent)
        return out

    def nested(self, indent: int, depth: int) -> Any:
        """The value of a key with nothing after its colon (at ``indent``): a block below it, or null."""
        lines = self.lines
        if self.i >= len(lines):
            return None
        line = lines[self.i]
        entry = line.lstrip(" ")
        at = len(line) - len(entry)
        dash = entry[:1] == "-" and entry[1:2] in ("", " ")
        if at > indent:
            return self.sequence(at, depth + 1) if dash else self.mapping(at, depth + 1)
        if at == indent and dash:  # a sequence at its key's indentation, as the dumper writes one
            return self.sequence(at, depth + 1)
        return None

    def sequence(self, indent: int, depth: int) -> list[Any]:
        if depth > _BLOCK_DEPTH:
            raise _NotBlock
        lines, out = self.lines, []
        while self.i < len(lines):
            line = lines[self.i]
            entry = line.lstrip(" ")
            at = len(line) - len(entry)
            if at < indent or (at == indent and not (entry[:1] == "-" and entry[1:2] in ("", " "))):
                break  # (a key of the mapping the sequence is the value of, at its indentation)
            if at > indent or " #" in entry:
                raise _NotBlock
            item = entry[2:]
            if not item or item[0] == " " or (item[0] == "-" and item[1:2] in ("", " ")):
                raise _NotBlock  # a block below a dash, a sequence in a sequence
            if item[0] not in "'\"" and (": " in item or item[-1] == ":"):  # a mapping in the entry
                lines[self.i] = " " * (indent + 2) + item
                out.append(self.mapping(indent + 2, depth + 1))
            else:
                self.i += 1
                out.append(self.scalar(item, indent))
        return out

    def scalar(self, text: str, indent: int) -> Any:
        """The scalar ``text`` after a key's colon or a dash, its node in a collection at ``indent`` (a literal
        block's lines are read from line ``i`` on)."""
        text = text.lstrip(" ")
        if not text or text[-1] == " ":
            raise _NotBlock
        first = text[0]
        if first == "'":
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
                raise _NotBlock
            return inner.replace("''", "'")
        if first == '"':
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
                raise _NotBlock
            return inner
        if first == "|":
            return self.literal(text, indent)
        if text == "{}":
            return {}
        if text == "[]":
            return []
        if (first in _INDICATORS and (first != "-" or text[1:2] in ("", " "))) or ": " in text or text[-1] == ":":
            raise _NotBlock
        tag = _plain_tag(text)
        if tag in (_STR, _TIMESTAMP):  # a timestamp: its text, as _check_graph keeps it
            return text
        if tag == _NULL:
            return None
        node = ScalarNode(tag, text)
        try:
            if tag == _INT:
                if sum(c.isalnum() for c in text) > 40:
                    raise _NotBlock
                value = _CONSTRUCTOR.construct_yaml_int(node)
                if not _INT_MIN <= value <= _INT_MAX:
                    raise _NotBlock
                return value
            if tag == _BOOL:
                return _CONSTRUCTOR.construct_yaml_bool(node)
            if tag == _FLOAT:
                return _CONSTRUCTOR.construct_yaml_float(node)
        except (ValueError, KeyError, IndexError):
            raise _NotBlock from None
        raise _NotBlock  # another tag (a merge key's ``<<``, a value's ``=``)

    def literal(self, header: str, indent: int) -> str:
        """A literal block (``|``, ``|-``, ``|+``; no indentation indicator) whose content starts on line ``i``,
        indented more than ``indent``, with no blank first line and no line of spaces alone."""
        if header not in ("|", "|-", "|+"):
            raise _NotBlock
        lines, start = self.lines, self.i
        if start >= len(lines):
            raise _NotBlock
        first = lines[start]
        at = len(first) - len(first.lstrip(" "))
        if at <= indent or at == len(first):
            raise _NotBlock
        pad, end, last = " " * at, start, start  # (last: the line after the last line with content)
        while end < len(lines):
            line = lines[end]
            if line:
                if not line.startswith(pad):
                    break
                if not line.strip(" "):
                    raise _NotBlock
                last = end + 1
            end += 1
        self.i = end
        body = "\n".join(line[at:] for line in lines[start:last])
        if header == "|":
            return body + "\n"
        if header == "|-":
            return body
        return body + "\n" * (1 + end - last)


# Texts ``dump``/``dump_all`` made or ``load_documents`` parsed lately, by digest (``text_digest``: not the texts, 13 MB
# in the lab's clock at 1,000 vClusters) -> (copies of) the documents they hold, oldest first.
_DUMPED_KEPT = 8192  # a 100-vCluster lab's state repo holds ~3,600 files
_dumped: dict[bytes, list[Any]] = {}
_parsed_once: set[int] = set()  # hashes of texts load_documents parsed (see there)


def _remember(text: str, docs: list[Any]) -> None:
    """Remember what ``text`` holds when parsing it back is certain to give exactly that: plain
    data (see ``_plain``), since the dumper quotes every string the resolver would read as
    anything else."""
    if not all(d is not None and _plain(d) for d in docs):  # a document that is only null is dropped
        return
    if len(_dumped) >= _DUMPED_KEPT:
        _dumped.pop(next(iter(_dumped)), None)
    _dumped[text_digest(text)] = [kept(clone(d)) for d in docs]


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
    first = text.partition("\n")[0]  # (most texts start with content: the rest is not split into lines for it)
    if first.isprintable():  # no other line break ``splitlines`` knows of (``\r``, ``\x85``, ``\u2028`` …)
        s = first.strip()
        if s and not s.startswith("#") and s != "---":
            return 1
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#") and s != "---":
            return n
    return 1


def load_file(path: str | Path) -> list[Document]:
    """Documents of a file; a missing or unreadable file is a YamlError naming it."""
    p = Path(path)
    try:
        if p.is_file() and p.stat().st_size > MAX_REQUEST_BYTES:  # refused before it is read
            raise YamlError(f"{p}: {request_too_large()}")
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
