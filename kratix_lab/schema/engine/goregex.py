r"""Go regular expressions (RE2) run with Python's re.

A CRD's ``pattern`` is a Go regexp; ``compile_pattern`` translates the RE2 syntax Python reads
differently (POSIX classes, ``\z``, flags) and refuses what RE2 refuses, as ``PatternError``.
"""

from __future__ import annotations

import functools
import re

from kratix_lab.errors import Invalid

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


class PatternError(Invalid):
    """A ``pattern`` that Go's regexp package would refuse (or that we cannot run faithfully)."""


def _translate_go_regex(p: str) -> str:
    """Rewrite RE2 syntax into the equivalent Python ``re`` syntax, refusing Perl-only features.

    Differences handled: ``$`` and ``\\z`` mean end of text in Go (Python's ``$`` also matches
    before a final newline), ``[[:alpha:]]`` classes, ``\\Q...\\E`` quoting and ``(?<name>``.
    Lookarounds and backreferences are valid Python but not RE2, so they are refused like Go does.
    """
    for bad in ("(?=", "(?!", "(?<=", "(?<!"):
        if bad in p:
            raise PatternError(f"error parsing regexp: invalid or unsupported Perl syntax: `{bad}`")
    multiline = bool(re.match(r"\(\?[a-zA-Z]*m", p))
    out: list[str] = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise PatternError("error parsing regexp: trailing backslash at end of expression: ``")
            nxt = p[i + 1]
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z" or (nxt.isdigit() and nxt != "0"):
                raise PatternError(f"error parsing regexp: invalid escape sequence: `\\{nxt}`")
            elif nxt in "pP":
                raise PatternError(f"unicode class `\\{nxt}` is not supported by kratix-lab")
            elif nxt == "Q":
                end = p.find(r"\E", i + 2)
                literal = p[i + 2 :] if end < 0 else p[i + 2 : end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            else:
                out.append(c + nxt)
            i += 2
        elif c == "[":
            j = i + 1
            cls = ["["]
            if j < n and p[j] == "^":
                cls.append("^")
                j += 1
            if j < n and p[j] == "]":
                cls.append("\\]")
                j += 1
            while j < n and p[j] != "]":
                if p[j] == "\\" and j + 1 < n:
                    cls.append(p[j : j + 2])
                    j += 2
                elif p.startswith("[:", j):
                    end = p.find(":]", j + 2)
                    name = p[j + 2 : end] if end > 0 else ""
                    negate = name.startswith("^")
                    chars = _POSIX_CLASSES.get(name.lstrip("^"))
                    if chars is None or negate:
                        raise PatternError(f"error parsing regexp: invalid character class range: `{p[j : end + 2]}`")
                    cls.append(chars)
                    j = end + 2
                elif p[j] == "[":
                    cls.append("\\[")
                    j += 1
                else:
                    cls.append(p[j])
                    j += 1
            if j >= n:
                raise PatternError(f"error parsing regexp: missing closing ]: `{p[i:]}`")
            cls.append("]")
            out.append("".join(cls))
            i = j + 1
        elif c == "$" and not multiline:
            out.append(r"\Z")
            i += 1
        elif p.startswith("(?<", i) and i + 3 < n and p[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
        else:
            out.append(c)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A schema ``pattern`` compiled with RE2 semantics (ASCII ``\\d``, ``\\w``, ``\\s``, ``\\b``)."""
    try:
        return re.compile(_translate_go_regex(pattern), re.ASCII)
    except re.error as e:
        raise PatternError(f"error parsing regexp: {e}") from None
