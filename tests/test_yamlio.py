from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.model import YamlError, dump, load_documents, load_file, load_one


def test_documents_carry_their_first_line():
    docs = load_documents("a: 1\n---\n# comment\nb: 2\n---\n\nc: 3\n", "x.yaml")
    assert [(d.data, d.line) for d in docs] == [({"a": 1}, 1), ({"b": 2}, 4), ({"c": 3}, 7)]
    assert docs[1].where == "x.yaml:4"


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(YamlError, match=r"^f\.yaml:2:1: invalid YAML: did not find expected ',' or '\]'"):
        load_documents("a: [1\n", "f.yaml")


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(YamlError, match="nope.yaml: no such file"):
        load_file(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(YamlError, match=r"latin1.yaml: not UTF-8 text"):
        load_file(bad)
    with pytest.raises(YamlError, match="is a directory"):
        load_file(tmp_path)


def test_load_one_refuses_empty_and_several():
    with pytest.raises(YamlError, match="empty"):
        load_one("# only a comment\n", "c.yaml")
    with pytest.raises(YamlError, match=r"2 YAML documents found \(lines 1, 3\)"):
        load_one("a: 1\n---\nb: 2\n", "two.yaml")


def test_multiline_strings_are_literal_blocks():
    text = dump({"script": "echo hi\necho there\n"})
    assert text == "script: |\n  echo hi\n  echo there\n"


HOSTILE = [
    "line1\nline2: $(rm -rf /)\n  indented\n",
    "ünïcödé ✓ \"quoted\" 'single'",
    "key: value",
    "- not a list",
    "trailing spaces   \nnext",
    "\n\nleading newlines",
    "tab\there",
    "x\n\n",
    "  leading spaces\nx",
    "# not a comment",
    "{{ .template }}",
    "null",
    "true",
    "0x1F",
    "",
    "---\nfake: document",
    "\u2028line separator\u0085nel",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_round_trip_byte_for_byte(value):
    doc = {"data": {"v": value}, "list": [value]}
    assert load_one(dump(doc)) == doc


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=80), max_size=5))
def test_any_string_map_round_trips(mapping):
    assert load_one(dump({"m": mapping})) == {"m": mapping}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: !!int apiVersion\n", "f.yaml:1:13: invalid YAML: cannot decode 'apiVersion' as a !!int"),
        ("--- !!int a\n", "f.yaml:1:5: invalid YAML: cannot decode 'a' as a !!int"),
        ("x: !!float abc\n", "f.yaml: invalid YAML: could not convert string to float: 'abc'"),
        ("x: !!bool maybe\n", "f.yaml: invalid YAML: cannot decode 'maybe'"),
        ("b:\n  <<: !!int\n", "f.yaml:2:7: invalid YAML: cannot decode '' as a !!int"),
    ],
)
def test_an_explicit_tag_on_a_value_it_cannot_hold_is_a_yaml_error(text, message):
    """Found by `make soak` (issue 18's fuzzing at length): these were a raw ValueError/KeyError/IndexError."""
    with pytest.raises(YamlError) as e:
        load_documents(text, "f.yaml")
    assert str(e.value) == message


def test_a_tab_the_pure_python_scanner_refuses_does_not_escape_as_a_scanner_error():
    """Found by `make soak`: the C scanner reads 'a<TAB>piVersion' as a key, the pure-Python one (used only to find
    each document's line) raised ScannerError; the documents load and their lines fall back to 1."""
    docs = load_documents("a\tpiVersion: x\n---\nb: 1\n", "f.yaml")
    assert [d.data for d in docs] == [{"a\tpiVersion": "x"}, {"b": 1}]


def _the_long_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every document checked whole (``_check_graph``) and then built, as before the one-walk path."""
    from kratix_lab.model import yamlio

    def refuse(self: object, node: object, depth: int, seen: set[int]) -> None:
        raise yamlio._NotPlain

    monkeypatch.setattr(yamlio._Loader, "_checked_plain", refuse)


def _outcome(text: str) -> tuple[str, object]:
    from kratix_lab.model import yamlio

    try:
        return "ok", repr(yamlio._parse_all(text, "f.yaml"))
    except YamlError as e:
        return "error", str(e)


ONE_WALK_CASES = [
    "a: 1\nb: [x, 2, 3.5, true, null, ~, 2001-12-14t21:59:43.10-05:00]\nc: {d: e}\n",
    "a: 1\na: 2\n",  # a duplicate key: said with its line
    "true: 1\nTrue: 2\n",  # two keys, one value: as the long way builds it
    "1: a\n0x1: b\n",
    ".nan: 1\n.NaN: 2\n",
    "a: &x [1, 2]\nb: *x\n",  # an alias: one list shared
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\nb: 2\n",  # a merge key
    "a: 99999999999999999999\n",  # beyond uint64
    "a: -9223372036854775809\n",
    "a: 18446744073709551615\n",
    "a: " + "1" * 45 + "\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1]\n",
    "a: !custom x\n",
    "a: !!str 12\nb: '12'\nc: 0o17\nd: 1_000\ne: 0b101\nf: 190:20:30\n",
    "a: =\n",
    "[" * 127 + "x" + "]" * 127 + "\n",  # 128 levels: the limit
    "[" * 128 + "]" * 128 + "\n",
    "[" * 128 + "x" + "]" * 128 + "\n",  # 129
    "[" * 129 + "]" * 129 + "\n",
    "? [a]\n: b\n",
    "? {a: 1}\n: b\n",
    "[1, [2, [3, {a: b}]]]\n",
    "---\na: 1\n---\nb: [2001-12-14]\n",
]


@pytest.mark.parametrize("text", ONE_WALK_CASES)
def test_the_one_walk_loads_what_the_long_way_does(text, monkeypatch):
    """``_Loader._checked_plain`` (the intake checks and the building in one walk, for plain documents) gives the
    same values, or the same error, as checking the whole document and then building it (what it replaced)."""
    fast = _outcome(text)
    _the_long_way(monkeypatch)
    assert fast == _outcome(text)


DUMPABLE = st.recursive(  # what the state repo's files hold: JSON-like data
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _dumped(data) -> str:
    """``data`` as the lab's dumper writes it."""
    from kratix_lab.model import yamlio

    return yamlio.yaml.dump({"d": data}, Dumper=yamlio._Dumper, sort_keys=False, default_flow_style=False)


def _dumped_loads_alike(data, patch, times: int = 1) -> None:
    """``data``'s dump parsed ``times`` times gives the same values, or the same error, with ``patch`` applied."""
    text = _dumped(data)
    fast = [_outcome(text) for _ in range(times)]
    with pytest.MonkeyPatch.context() as m:
        patch(m)
        assert fast == [_outcome(text) for _ in range(times)]


@settings(max_examples=200, deadline=None)
@given(DUMPABLE)
def test_the_one_walk_reads_dumped_data_as_the_long_way(data):
    _dumped_loads_alike(data, _the_long_way)


def _every_node_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every document walked recording the nodes it met (``_checked_plain``), as a text with an alias is."""
    from kratix_lab.model import yamlio

    monkeypatch.setattr(
        yamlio._Loader, "_unshared_plain", lambda self, node, depth: self._checked_plain(node, depth, set())
    )


MORE_UNSHARED_CASES = [
    "a: b\nc: [d, e, {f: g}]\n",
    "a: {b: {c: [1, x, {d: 2001-12-14}]}}\n",
    "2001-12-14: a\n",  # a timestamp key: its text
    "a: [" + "{b: " * 126 + "c" + "}" * 126 + "]\n",  # 128 levels through maps
    "a: [" + "{b: " * 127 + "c" + "}" * 127 + "]\n",
    "a: b\na: b\n",
    "? !!str a\n: b\n",
    "a: '*not an alias'\nb: \"&x\"\n",  # a star: walked recording the nodes
]


@pytest.mark.parametrize("text", ONE_WALK_CASES + MORE_UNSHARED_CASES)
def test_a_text_without_an_alias_is_walked_as_one_with(text, monkeypatch):
    """``_Loader._unshared_plain`` (a text with no ``*``: no node met twice) gives the same values, or the same
    error, as the walk that records every node it meets — and both as the long way."""
    fast = _outcome(text)
    _every_node_recorded(monkeypatch)
    assert fast == _outcome(text)
    _the_long_way(monkeypatch)
    assert fast == _outcome(text)


@settings(max_examples=200, deadline=None)
@given(DUMPABLE)
def test_dumped_data_without_an_alias_is_walked_as_with_one(data):
    _dumped_loads_alike(data, _every_node_recorded)


def _no_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node's resolver calls made through the loader's class, as before ``_no_path_hooks``."""
    from kratix_lab.model import yamlio

    monkeypatch.setattr(yamlio, "_no_path_hooks", lambda loader: None)


@pytest.mark.parametrize("text", ONE_WALK_CASES + MORE_UNSHARED_CASES + ["a: b\n" * 3 + "c: 'true'\nd: true\ne: ~\n"])
def test_the_cheap_resolver_hooks_load_what_the_class_resolver_does(text, monkeypatch):
    """A loader with no path resolvers (``_no_path_hooks``: ``descend_resolver``/``ascend_resolver`` doing nothing,
    a plain scalar met before read from ``_resolved``) gives the same values, or the same error, as one resolving
    every node through its class — texts parsed twice, so the second parse reads the tags the first remembered."""
    fast = [_outcome(text), _outcome(text)]
    _no_hooks(monkeypatch)
    assert fast == [_outcome(text), _outcome(text)]


@settings(max_examples=200, deadline=None)
@given(DUMPABLE)
def test_dumped_data_loads_with_the_cheap_resolver_hooks_as_without(data):
    _dumped_loads_alike(data, _no_hooks, times=2)


def test_a_loader_with_path_resolvers_keeps_its_class_resolver():
    """``_no_path_hooks`` sets nothing on a loader whose class has path resolvers (their answers depend on the path,
    which the cheap hooks do not follow); on the safe loader it sets the three hooks."""
    from kratix_lab.model import yamlio

    class Pathed(yamlio._Loader):
        pass

    Pathed.add_path_resolver("tag:yaml.org,2002:str", ["a"], yamlio.ScalarNode)
    pathed, plain = Pathed("a: 1\n"), yamlio._Loader("a: 1\n")
    try:
        yamlio._no_path_hooks(pathed)
        yamlio._no_path_hooks(plain)
        assert not {"resolve", "descend_resolver", "ascend_resolver"} & set(vars(pathed))
        assert {"resolve", "descend_resolver", "ascend_resolver"} <= set(vars(plain))
        assert pathed.get_single_data() == plain.get_single_data() == {"a": 1}
    finally:
        pathed.dispose()
        plain.dispose()


def _first_content_line_by_every_line(text: str) -> int:
    """The first content line as it was found before the first line's shortcut: every line split."""
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#") and s != "---":
            return n
    return 1


LINE_PARTS = st.sampled_from(
    ["a: b", "", " ", "#", "# c", "---", " --- ", "\t", "x\ry", "\r", "\x85", "\u2028", "\x0c", "é"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE_PARTS, max_size=5).map("\n".join) | st.text(max_size=20))
def test_the_first_content_line_is_the_one_every_line_split_finds(text):
    from kratix_lab.model import yamlio

    assert yamlio._first_content_line(text) == _first_content_line_by_every_line(text)
