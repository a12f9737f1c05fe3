"""Issue 18's standing fuzz suite for intake and admission: random documents and mutations of every
sample go through the one YAML loader (kratix_lab/model/yamlio.py) and the API server's admission
(render.admit). Whatever comes in: a result or a clear error (YamlError / RequestError) -- never a
traceback, never a hang (the loader's limits bound the work), never unbounded allocation.

Bounded for ``make test``; ``KRATIX_LAB_SOAK=1`` (``make soak``) runs many more examples.
"""

from __future__ import annotations

import contextlib
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.model import YamlError, load_documents
from kratix_lab.model.yamlio import MAX_REQUEST_BYTES
from kratix_lab.render import RequestError, admit
from tests.helpers import SAMPLES

SOAK = os.environ.get("KRATIX_LAB_SOAK", "") not in ("", "0")
EXAMPLES = 2000 if SOAK else 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # speed is measured in bench/bench_intake.py, never asserted here
    derandomize=not SOAK,  # make test is reproducible; the soak explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    database=None,
)
# A document no larger than the API server's body may allocate at most this much while being read.
ALLOCATION_BOUND = 64 * MAX_REQUEST_BYTES

SAMPLE_TEXTS = {p.name: p.read_text() for p in sorted(SAMPLES.glob("*.yaml"))} | {
    f"invalid/{p.name}": p.read_text() for p in sorted((SAMPLES / "invalid").glob("*.yaml"))
}

# Pieces hostile YAML is made of: anchors, aliases, tags, flow brackets, merge keys, odd scalars.
TOKENS = [
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "!!timestamp ",
    "!!int ",
    "!!str ",
    "!!float ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "---\n",
    "...\n",
    "? ",
    "|\n  ",
    ">\n  ",
    "'",
    '"',
    "#",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "9" * 30,
    "-0x1F",
    "0o17",
    "1_000",
    "1:20",
    ".nan",
    ".inf",
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "yes",
    "~",
    "null",
    "\t",
    "\x00",
    "\x1b[2J",
    "\u2028",
    "\ufeff",
    "é",
    "[/]",
    "x" * 40,
]
fragments = st.lists(st.sampled_from(TOKENS) | st.text(max_size=8), max_size=60).map("".join)


def intake(text: str, source: str = "fuzz.yaml") -> None:
    """Load and admit; only the clear errors may come out (anything else fails the test)."""
    try:
        docs = load_documents(text, source)
    except YamlError as e:
        assert source in str(e) and len(str(e)) < 2000, "an intake error names the source and is bounded"
        return
    catalogue = _catalogue()
    for doc in docs:
        if isinstance(doc.data, dict):
            try:
                _, admission = admit(catalogue, doc.data)
            except RequestError:
                continue
            for err in admission.errors:
                assert len(str(err)) < 20_000, "error messages quote values truncated"


_CAT: list = []


def _catalogue():
    if not _CAT:
        from kratix_lab.promises import load_catalogue

        _CAT.append(load_catalogue())
    return _CAT[0]


def bounded(fn, *args) -> None:
    tracemalloc.start()
    try:
        fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < ALLOCATION_BOUND, f"peak allocation {peak} bytes"


@FUZZ
@given(fragments)
def test_random_documents_never_crash(text):
    bounded(intake, text)


@pytest.mark.parametrize("name", sorted(SAMPLE_TEXTS))
@FUZZ
@given(data=st.data())
def test_mutations_of_every_sample_never_crash(name, data):
    text = SAMPLE_TEXTS[name]
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        at = data.draw(st.integers(0, len(text)), label="at")
        cut = data.draw(st.integers(0, 12), label="cut")
        piece = data.draw(fragments, label="piece")
        text = text[:at] + piece + text[at + cut :]
    bounded(intake, text, name)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(1 << 70), 1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=30,
)


@pytest.mark.parametrize("name", sorted(n for n in SAMPLE_TEXTS if not n.startswith("invalid/")))
@FUZZ
@given(data=st.data())
def test_admission_of_mutated_sample_values_never_crashes(name, data):
    """Every field of every sample replaced by random JSON (huge integers, long strings, deep lists):
    admission answers with field errors, never a traceback."""
    import copy

    obj = load_documents(SAMPLE_TEXTS[name])[0].data
    paths = [p for p in _paths(obj) if p]
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(paths), label="path")
        value = data.draw(json_values, label="value")
        node = obj = copy.deepcopy(obj)
        try:
            for k in path[:-1]:
                node = node[k]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    with contextlib.suppress(RequestError):
        admit(_catalogue(), obj)


def test_the_fuzz_alphabet_reaches_every_limit():
    """The fuzz would find a regression of each limit: each hostile token alone is refused cleanly."""
    for text in ["a: &a [*a]", "a: " + "9" * 30, "b: !!binary aGk=", "s: !!set {a}", "a: 1\na: 2"]:
        with pytest.raises(YamlError):
            load_documents(text, "x")


@FUZZ
@given(depth=st.integers(1, 3000), opener=st.sampled_from(["[", "{a: ", "- ", "a:\n"]))
def test_any_nesting_depth_is_a_result_or_a_clear_error(depth, opener):
    closer = {"[": "]", "{a: ": "}", "- ": "", "a:\n": ""}[opener]
    if opener in ("- ", "a:\n"):  # block nesting: each level indented once more
        step = "- " if opener == "- " else "a:\n"
        text = "".join(("  " * i if step == "a:\n" else "") + step for i in range(depth)) + (
            "1" if step == "- " else ""
        )
    else:
        text = "x: " + opener * depth + "1" + closer * depth
    bounded(intake, text)


@FUZZ
@given(width=st.integers(2, 12), levels=st.integers(1, 12), where=st.sampled_from(["spec", "annotations", "top"]))
def test_alias_bombs_of_any_shape_are_bounded(width, levels, where):
    lines = ["l0: &l0 " + "x" * 8]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    body = "\n".join(lines)
    if where == "top":
        text = body + "\n"
    else:
        indent = "  " if where == "spec" else "    "
        head = "metadata:\n  name: x\n" + ("spec:\n" if where == "spec" else "  annotations:\n")
        text = (
            "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\n"
            + head
            + "".join(indent + ln + "\n" for ln in body.splitlines())
        )
    bounded(intake, text)
