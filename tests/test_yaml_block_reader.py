"""The block reader (``kratix_lab.model.yamlio._read_block``, issue 15: a cold ``status`` of a thousand vClusters parses
seventeen thousand state-repo files): the text it reads it reads exactly as the libyaml path (``_Loader``) does, and
everything else — whatever is not in its subset, and every text that is not YAML — it leaves to that path, which says
what is wrong. The rows and diagnoses of a lab under every fault the diagnose tests use are the same with and without
it; a state file that is not YAML is still reported naming the file and the line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.diagnose import VClusterStatus
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.model import YamlError, doccache, yamlio
from kratix_lab.model.yamlio import dump, load_documents
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import trace
from kratix_lab.trace.manifests import CommitManifests
from kratix_lab.views import trace_view as tv
from tests.helpers import SAMPLES
from tests.test_fleet_incremental import FAULT_NAMES, FAULTS, under_fault


def _outcome(text: str, block: bool) -> tuple[str, object]:
    """What ``_parse_all`` makes of ``text`` (its values' reprs: a bool is not an int), with or without the block
    reader."""
    with pytest.MonkeyPatch.context() as m:
        if not block:
            m.setattr(yamlio, "_read_block", lambda text: None)
        try:
            return "ok", repr(yamlio._parse_all(text, "f.yaml"))
        except YamlError as e:
            return "error", str(e)


def _alike(text: str) -> bool:
    """The block reader's outcome is the libyaml path's; True when the block reader read ``text`` itself."""
    read = yamlio._read_block(text)
    assert _outcome(text, True) == _outcome(text, False), text
    if read is not None:
        assert repr(read) == repr(yamlio._parse_all(text, "f.yaml")), text
    return read is not None


READ_CASES = [  # texts the block reader reads itself
    "a: b\n",
    "a:\n",  # null
    "a: ~\nb: null\nc: Null\nd:\ne: ''\n",
    "a: 1\nb: -2\nc: 0x1f\nd: 0o17\ne: 017\nf: 1_000\ng: 190:20:30\nh: 0b101\ni: +3\n",
    "a: 1.5\nb: .inf\nc: -.Inf\nd: .nan\ne: 1e3\nf: 6.8523015e+5\ng: 1.0\n",
    "a: true\nb: False\nc: yes\nd: off\ne: 'true'\nf: \"no\"\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\n",  # timestamps: their text
    "a: 18446744073709551615\nb: -9223372036854775808\n",  # the int64/uint64 limits
    "a: 'it''s'\nb: ''''\nc: 'a: b'\nd: \"x y\"\ne: ' lead and trail '\n",
    "a: -c\nb: x-y\nc: a:b\nd: http://x/y?z=1\ne: b[0]\nf: a,b\ng: a{b}\nh: x'y\ni: x\"y\nj: a#b\nk: a  b\n",
    "a: {}\nb: []\n",
    "metadata:\n  name: x\n  labels:\n    app.kubernetes.io/name: y\n    a/b: ''\nspec:\n  replicas: 3\n",
    "a:\n- x\n- y\nb: c\n",  # a sequence at its key's indentation
    "a:\n  - x\n  - 1\nb: c\n",  # indented
    "a:\n- x: 1\n  y: 2\n- z: 3\n- w\n- k:\n    n: 1\n- l:\n  - m\n",  # mappings in entries
    "a:\n- b:\n  - c: d\n    e: f\n  g: h\n",
    "a: |\n  line\n  more\nb: |-\n  x\n   y\nc: |+\n  z\n\n\nd: 1\n",
    "a: |\n  x\n\n  y\n\nb: |+\n  last\n\n",
    "a:\n- |\n  in a list\n- |-\n  z\n",
    "a:\n  b:\n    c: |\n      #!/bin/sh\n      echo 'x # y' >&2 && ls *\n      [ ! -s f ] || exit 1\n  d: e\n",
    "key with spaces: v\nk.e-y_/x: v\n",
]

LEFT_CASES = [  # texts it leaves to the libyaml path (which reads them, or says what is wrong)
    "",
    "a: b",  # no final newline
    "- a\n- b\n",  # not a mapping
    "x\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "# a comment\na: 1\n",
    "a: 1 # a comment\n",
    "a:\n- b #c\n",  # a comment after an entry
    "a:\n- 'b' #c\n",
    "a:\n- b: c #d\n",
    "a: 1\n\nb: 2\n",  # a blank line
    "a: 1\n  \nb: 2\n",
    "a: b \n",  # a trailing space
    "a:\tb\n",
    "a: b\r\n",
    "a: caf\u00e9\n",
    "\ufeffa: b\n",
    "a: b\n  c\n",  # a continuation line
    "a: b\n c: d\n",
    "a:\n  b: c\n d: e\n",
    "a: 'b\n  c'\n",  # a quoted scalar over lines
    'a: "b\\tc"\n',  # an escape
    "a: 'b' c\n",
    "a: 'b\n",
    "a: b: c\n",
    "a: b:\n",
    "a: &x b\nc: *x\n",
    "a: !!str 1\n",
    "a: !custom x\n",
    "a: [1, 2]\n",
    "a: {b: c}\n",
    "a: |2\n   x\n",
    "a: >\n  folded\n",
    "a: |\n\n  x\n",  # a blank first line
    "a: |\n  x\n   \n  y\n",  # a line of spaces
    "a: |\nb: c\n",  # an empty block
    "a: 1\na: 2\n",  # a duplicate key
    "a:\n  x: 1\n  x: 2\n",
    "1: a\n",  # keys that are not strings
    "true: a\n",
    "null: a\n",
    "~: a\n",
    "<<: {a: 1}\n",
    "=: a\n",
    "2001-12-14: a\n",
    "'a': b\n",
    "? a\n: b\n",
    "a:b: c\n",
    "a : b\n",
    "a: 99999999999999999999\n",
    "a: -9223372036854775809\n",
    "a: " + "1" * 45 + "\n",
    "a:\n- - b\n",
    "a:\n-\n  b\n",
    "a:\n-  b\n",
    "a:\n- b\n  c\n",
    "a:\n  - b\n  c: d\n",
    "a: b\n- c\n",
    "a: -\n",
    "a: ?x\n",
    "a: %x\n",
    "a: @x\n",
    "a: =\n",
    "".join(f"{' ' * (2 * i)}k:\n" for i in range(70)) + " " * 140 + "k: v\n",  # deeper than the reader goes
]


@pytest.mark.parametrize("text", READ_CASES)
def test_what_the_block_reader_reads_it_reads_as_the_libyaml_path(text):
    assert _alike(text), f"left to the libyaml path: {text!r}"


@pytest.mark.parametrize("text", LEFT_CASES)
def test_what_the_block_reader_leaves_the_libyaml_path_reads_or_refuses(text):
    assert not _alike(text), f"read by the block reader: {text!r}"


def test_a_value_the_resolver_met_before_is_still_checked_where_it_stands():
    """The dumper resolves every string it writes (``_resolved`` remembers the tags): a plain text met there — ``b: c``,
    ``x #y``, ``d:`` — read as a value after a key is still not YAML's string (a nested key, a comment, a key)."""
    dump({"k": ["b: c", "x #y", "d:", "-", "|", "'q'", "[1]"]})
    assert all(v in yamlio._resolved for v in ["b: c", "x #y", "d:"])
    for text in ["a: b: c\n", "a: x #y\n", "a: d:\n", "a: -\n", "a: |\n", "a: [1]\n", "a:\n- b: c\n  x #y\n"]:
        assert not _alike(text), text


def test_an_error_names_the_file_and_line_as_ever():
    text = dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}})
    broken = text + "data:\n  b: '2'\n"  # a second ``data``: the block reader leaves it, the loader names it
    with pytest.raises(
        YamlError, match=r"^state/f\.yaml:7:1: invalid YAML: mapping key 'data' already defined at line 5"
    ):
        load_documents(broken, "state/f.yaml")
    with pytest.raises(YamlError, match=r"^state/g\.yaml:5:2: invalid YAML: did not find expected key"):
        load_documents(text.replace("  name: x\n", "  name: x\n name: y\n"), "state/g.yaml")


DUMPABLE = st.recursive(  # what the state repo's files hold: JSON-like data, odd strings and keys included
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "-", "- x", "a: b", "#", " #x", "*x", "&x", "!x", "|", "'", '"', "\n", "x\n", "\n\n"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["on", "1", "<<", "=", "a b", "a:b", "-x"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(DUMPABLE)
def test_the_dumpers_text_is_read_as_the_libyaml_path_reads_it(data):
    _alike(yamlio.yaml.dump({"d": data}, Dumper=yamlio._Dumper, sort_keys=False, default_flow_style=False))


EDIT_CHARS = st.sampled_from(list(" \n-:#'\"|>&*!?[]{},%@`\\\t~.0aZ"))


@settings(max_examples=600, deadline=None)
@given(DUMPABLE, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), EDIT_CHARS), min_size=1, max_size=4))
def test_a_dumped_text_edited_is_read_as_the_libyaml_path_reads_it_or_left_to_it(data, edits):
    """Texts near the block reader's subset — the dumper's text with characters inserted, removed or replaced, lines
    indented and dedented: whatever the block reader reads, the libyaml path reads alike; what it refuses (or
    says is not YAML) the block reader leaves to it."""
    text = yamlio.yaml.dump({"d": data, "e": [data]}, Dumper=yamlio._Dumper, sort_keys=False, default_flow_style=False)
    for at, how, ch in edits:
        at %= len(text) + 1
        if how == 0:
            text = text[:at] + ch + text[at:]
        elif how == 1:
            text = text[:at] + text[at + 1 :]
        elif how == 2:
            text = text[:at] + ch + text[at + 1 :]
        else:  # a line indented or dedented
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + "  " + text[start:] if ch in " -:" else text[:start] + text[start:].removeprefix(" ")
    _alike(text)


# ---- the fleet's rows and diagnoses with and without the block reader ------------------------------------------------


@pytest.fixture
def two(lab):
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    return lab


def _rows(source: LabSource, block: bool) -> tuple[list[VClusterStatus], list[dict], int]:
    """A one-shot's rows and diagnoses, every state file parsed (none remembered from the lab's own writes), with or
    without the block reader; and how many files the block reader read."""
    doccache.close_cache()
    read = 0
    real = yamlio._read_block

    def counted(text: str):
        nonlocal read
        docs = real(text) if block else None
        read += docs is not None
        return docs

    with pytest.MonkeyPatch.context() as m:
        m.setattr(yamlio, "_dumped", {})
        m.setattr(yamlio, "_parsed_once", set())
        m.setattr(yamlio, "_read_block", counted)
        rows = FleetRows(source.snapshot(), track=False)
        return rows.refresh(), [tv.diagnosis_json(d) for d in rows.diagnoses()], read


@pytest.mark.parametrize(("fault", "params"), FAULTS, ids=FAULT_NAMES)
def test_rows_and_diagnoses_under_every_fault_are_the_libyaml_paths(two, fault, params):
    source = LabSource(two)
    for _ in under_fault(two, fault, params):
        rows, diagnoses, read = _rows(source, True)
        assert read > 0, "the state files are read by the block reader"
        assert (rows, diagnoses, 0) == _rows(source, False)


def test_a_state_file_that_is_not_yaml_is_reported_naming_the_file(two, monkeypatch):
    """A state file in the dumper's style but for one duplicate key deep inside: the block reader leaves it, and the
    trace's file node says what the loader says, naming the file and the line — with and without the block reader."""
    source = LabSource(two)
    real = source.state_files
    broken: list[str] = []

    def state_files(path: str, rev: str | None = None) -> dict[str, bytes]:
        files = real(path, rev)
        for name in sorted(files):
            if name.endswith(".yaml") and b"\n  labels:\n" in files[name] and not broken:
                broken.append(name)
            if name in broken:
                files[name] = files[name].replace(b"\n  labels:\n", b"\n  labels: {}\n  labels:\n", 1)
        return files

    monkeypatch.setattr(source, "state_files", state_files)
    monkeypatch.setattr(yamlio, "_dumped", {})
    doccache.close_cache()
    said = []
    for block in (True, False):
        with pytest.MonkeyPatch.context() as m:
            if not block:
                m.setattr(yamlio, "_read_block", lambda text: None)
            root = trace(source, "VClusterOrchestrator", "sandbox", None)
        said.append([(n.name, n.health, n.message) for n, _ in root.walk() if n.kind == "File"])
    assert broken and said[0] == said[1]
    assert [(name, health) for name, health, _ in said[0]] == [(broken[0], "Degraded")]
    assert (
        said[0][0][2].startswith(f"not YAML: {broken[0]}:") and "mapping key 'labels' already defined" in said[0][0][2]
    )


def test_the_state_files_of_a_lab_are_all_read_by_the_block_reader(two):
    """The lab's state files are in the block reader's subset (what it is for): every one of them is read by it."""
    source = LabSource(two)
    files = {}
    root = trace(source, "VClusterOrchestrator", "sandbox", None)
    for n, _ in root.walk():
        if n.stage == "commit" and isinstance(n.manifests, CommitManifests):
            files.update({p: n.manifests[p] for p in n.manifests})
    assert len(files) > 10
    left = [p for p, data in files.items() if yamlio._read_block(data.decode()) is None]
    assert left == []
