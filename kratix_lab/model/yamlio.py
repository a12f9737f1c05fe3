"""The one YAML loader and dumper of kratix-lab.

Loading names the file and line of every problem; dumping builds text from data (never from
string templates), so any string value survives a round trip byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
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
    """Every non-empty document of ``text``; raises YamlError naming ``source`` and the line."""
    try:
        datas = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = e.problem or str(e)
        context = f" ({e.context})" if e.context else ""
        raise YamlError(f"{where}: invalid YAML: {problem}{context}") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: invalid YAML: {e}") from None
    lines = _compose_lines(text) if len(datas) > 1 else [_first_content_line(text)] * len(datas)
    if len(lines) != len(datas):  # documents that are only "null" are dropped by both; be safe
        lines = [1] * len(datas)
    return [Document(d, source, i, ln) for i, (d, ln) in enumerate(zip(datas, lines, strict=True))]


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


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml emitter when available
    """Block style, keys in insertion order, multi-line strings as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Unicode line breaks that a YAML reader treats as newlines; only double quotes escape them.
_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if _UNICODE_BREAKS.intersection(value):
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump(data: Any) -> str:
    """One document as YAML text (the emitter falls back to quoting when a block is unsafe)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30)


def dump_all(docs: list[Any]) -> str:
    return yaml.dump_all(
        docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
    )
