"""The CEL extension libraries the API server adds (issue 12 item 10): strings, lists, sets and regex, as
x-kubernetes-validations rules evaluate them (``kratix_lab/schema/engine/cel_ext.py``).

Upstream: cel-go ``ext/strings.go`` (commit 14f6746a: charAt :649-659, indexOf :661-696, lastIndexOf :698-744,
lowerAscii :746-755, replace :757-763, split :765-771, substring :773-794, trim :796-798, upperAscii :800-809,
join :819-846, quote :848-890) and ``ext/sets.go`` (:201-233); kubernetes
``staging/src/k8s.io/apiserver/pkg/cel/library/lists.go`` (isSorted, sum, min, max, indexOf, lastIndexOf, their
doc-comment examples) and ``library/regex.go`` (find, findAll).
"""

from __future__ import annotations

import pytest

from kratix_lab.schema.engine import validate
from kratix_lab.schema.engine.cel_ext import cel_equal


def _rule(rule: str, x=None, **kw):
    s = {"type": "object", "x-kubernetes-validations": [{"rule": rule, **kw}]}
    return [str(e) for e in validate(x if x is not None else {}, s, "spec")]


@pytest.mark.parametrize(
    "rule",
    [
        # ext/strings.go doc comments and functions
        "'hello'.charAt(4) == 'o' && 'hello'.charAt(5) == ''",
        "'héllo'.charAt(1) == 'é'",  # code points ([]rune), not bytes
        "'hello mellow'.indexOf('') == 0 && 'hello mellow'.indexOf('ello') == 1",
        "'hello mellow'.indexOf('jello') == -1 && 'hello mellow'.indexOf('', 2) == 2",
        "'hello mellow'.indexOf('ello', 2) == 7 && 'hello mellow'.indexOf('ello', 20) == -1",
        "'hello mellow'.lastIndexOf('') == 12 && 'hello mellow'.lastIndexOf('ello') == 7",
        "'hello mellow'.lastIndexOf('jello') == -1 && 'hello mellow'.lastIndexOf('ello', 6) == 1",
        "'hello mellow'.lastIndexOf('ello', 20) == -1",
        "'TacoCat'.lowerAscii() == 'tacocat' && 'TacoCÆt Xii'.lowerAscii() == 'tacocÆt xii'",
        "'TacoCat'.upperAscii() == 'TACOCAT' && 'TacoCÆt Xii'.upperAscii() == 'TACOCÆT XII'",
        "'hello hello'.replace('he', 'we') == 'wello wello'",
        "'hello hello'.replace('he', 'we', -1) == 'wello wello'",
        "'hello hello'.replace('he', 'we', 1) == 'wello hello' && 'hello hello'.replace('he', 'we', 0) == 'hello hello'",
        "'hello hello hello'.split(' ') == ['hello', 'hello', 'hello']",
        "'hello hello hello'.split(' ', 0) == [] && 'hello hello hello'.split(' ', 1) == ['hello hello hello']",
        "'hello hello hello'.split(' ', 2) == ['hello', 'hello hello']",
        "'hello hello hello'.split(' ', -1) == ['hello', 'hello', 'hello']",
        "'abc'.split('') == ['a', 'b', 'c'] && 'abc'.split('', 2) == ['a', 'bc']",
        "'tacocat'.substring(4) == 'cat' && 'tacocat'.substring(0, 4) == 'taco' && 'ta©o©αT'.substring(2, 6) == '©o©α'",
        "'  \\ttrim\\n    '.trim() == 'trim'",
        "['hello', 'mellow'].join() == 'hellomellow' && ['hello', 'mellow'].join(' ') == 'hello mellow'",
        "[].join() == '' && [].join('/') == ''",
        'strings.quote(\'single-quote with "double quote"\') == \'"single-quote with \\\\"double quote\\\\""\'',
        "strings.quote('two escape sequences \\\\a\\\\n') == '\"two escape sequences \\\\\\\\a\\\\\\\\n\"'",
        "strings.quote('line\\nbreak') == '\"line\\\\nbreak\"'",
        # kubernetes library/lists.go doc comments
        "[1, 2, 3].isSorted() && ['a', 'b', 'b', 'c'].isSorted() && ![2.0, 1.0].isSorted()",
        "[1].isSorted() && [].isSorted()",
        "[1, 3].sum() == 4 && [1.0, 3.0].sum() == 4.0 && [].sum() == 0",
        "[duration('1m'), duration('1s')].sum() == duration('1m1s')",
        "[1, 3].min() == 1 && [1, 3].max() == 3 && [1].min() == 1 && ['b', 'a', 'c'].max() == 'c'",
        "[1, 2, 2, 3].indexOf(2) == 1 && ['a', 'b', 'b', 'c'].lastIndexOf('b') == 2",
        "[1.0].indexOf(1.1) == -1 && [].indexOf('string') == -1",
        "[1, 2].indexOf(2.0) == 1 && [true].indexOf(1) == -1",  # CEL equality: numbers by value, bool is not 1
        # cel-go ext/sets.go doc comments
        "sets.contains([], []) && sets.contains([1], []) && sets.contains([1, 2, 3, 4], [2, 3])",
        "sets.contains([1, 2.0, 3u], [1.0, 2u, 3]) && !sets.contains([2], [1])",
        "sets.equivalent([], []) && sets.equivalent([1], [1, 1]) && sets.equivalent([1], [1u, 1.0])",
        "sets.equivalent([1, 2, 3], [3u, 2.0, 1]) && !sets.equivalent([2, 1], [1])",
        "sets.intersects([1], [1, 2]) && sets.intersects([[1], [2, 3]], [[1, 2], [2, 3.0]])",
        "!sets.intersects([], []) && !sets.intersects([1], []) && !sets.intersects([1], [2])",
        # kubernetes library/regex.go doc comments (findAll as Go's FindAllString gives it)
        "'abc 123'.find('[0-9]+') == '123' && 'abc 123'.find('xyz') == ''",
        "'123 abc 456'.findAll('[0-9]+') == ['123', '456'] && '123 abc 456'.findAll('[0-9]+', 1) == ['123']",
        "'123 abc 456'.findAll('xyz') == [] && 'abc'.findAll('b', 0) == []",
        "'123 abc 456'.findAll('[0-9]*') == ['123', '', '', '', '', '456']",
    ],
)
def test_extension_functions(rule):
    assert _rule(rule) == [], rule


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("'hello'.charAt(6) == ''", "index out of range: 6"),
        ("'hello'.charAt(-1) == ''", "index out of range: -1"),
        ("'hello'.indexOf('l', -1) == 0", "index out of range: -1"),
        ("'tacocat'.substring(40) == ''", "index out of range: 40"),
        ("'tacocat'.substring(4, 2) == ''", "invalid substring range. start: 4, end: 2"),
        ("'tacocat'.substring(0, 8) == ''", "index out of range: 8"),
        ("[].min() == 0", "min called on empty list"),
        ("[].max() == 0", "max called on empty list"),
        ("[9223372036854775807, 1].sum() == 0", "integer overflow"),
        ("['a', 1].join() == ''", "join: invalid input: 1"),
        ("'abc'.find('[') == ''", "Illegal regex"),
    ],
)
def test_extension_errors_are_upstreams(rule, error):
    """strings.go: ``index out of range: N`` / ``invalid substring range``; lists.go: ``min called on empty list``;
    regex.go: ``Illegal regex: …``; validation.go: "<err> evaluating rule: <rule>"."""
    (msg,) = _rule(rule)
    assert msg.startswith('spec: Invalid value: "object": ') and error in msg and f"evaluating rule: {rule}" in msg


@pytest.mark.parametrize(
    "rule",
    ["[1, 'a'].isSorted()", "[[1], [2]].max() == [2]", "['a', 'b'].sum() == 'ab'", "(1).charAt(0) == ''"],
)
def test_wrong_argument_types_are_no_such_overload(rule):
    """lists.go ``types.MaybeNoSuchOverloadErr`` for elements that are not comparable/summable; the CEL checker
    refuses the same rules upstream (the lab has no type checker, so they fail at run time)."""
    (msg,) = _rule(rule)
    assert "no such overload" in msg


def test_a_crd_style_rule_with_the_extensions():
    """A rule of the kind upstream CRDs carry: a comma-separated list of unique, sorted, lowercase names."""
    rule = "self.names.split(',').map(n, n.trim().lowerAscii()).isSorted() && self.names == self.names.lowerAscii()"
    assert _rule(rule, {"names": "alpha, beta,gamma"}, message="sorted lowercase names") == []
    assert _rule(rule, {"names": "beta,alpha"}, message="sorted lowercase names") == [
        'spec: Invalid value: "object": sorted lowercase names'
    ]
    assert _rule(rule, {"names": "Alpha,beta"}, message="sorted lowercase names") == [
        'spec: Invalid value: "object": sorted lowercase names'
    ]


def test_cel_equality_is_not_pythons():
    assert cel_equal(1, 1.0) and not cel_equal(True, 1) and not cel_equal([1], [True])
    assert cel_equal({"a": [1]}, {"a": [1.0]}) and not cel_equal("1", 1) and not cel_equal(b"a", "a")


def test_strings_version_3_functions_are_not_offered():
    """Kubernetes registers ``ext.Strings(ext.StringsVersion(2))`` (apiserver pkg/cel/environment/base.go);
    ``reverse`` is version 3 (cel-go ext/strings.go:300), so a rule using it is not accepted."""
    (msg,) = _rule("'abc'.reverse() == 'cba'")
    assert "Undefined variable or function: 'reverse'" in msg


def test_a_rule_gets_the_library_functions_it_names():
    """Each evaluation's context registers only the functions the compiled rule calls (speed: the package wraps
    every registered function per context); dotted names (``sets.contains``) resolve through the variable."""
    from kratix_lab.schema.engine.cel import _functions_for

    rule = "sets.contains(self.a, [1]) && self.s.lowerAscii().find('x') == '' && format.named('uuid').hasValue()"
    assert set(_functions_for(rule)) == {"sets.contains", "lowerAscii", "find", "format.named"}
    assert _functions_for("self.a == 1") == {}
    assert _rule(rule, {"a": [1, 2], "s": "AB"}) == []
