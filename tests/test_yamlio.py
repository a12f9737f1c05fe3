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
