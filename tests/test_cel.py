"""x-kubernetes-validations (CEL) at admission.

Upstream: kubernetes staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go
(validateExpressions: null values skipped, transition rules only with an old value, the value omitted for
objects/arrays, ``fieldPath`` appended; ruleMessageOrDefault → "failed rule: <rule>"; fieldErrorForReason).
Evaluated with the ``common-expression-language`` package (cel-rust bindings), not a hand-written interpreter.
"""

from __future__ import annotations

import pytest

from kratix_lab.schema.engine import validate

OBJ = {
    "type": "object",
    "properties": {"chart": {"type": "string"}, "path": {"type": "string"}, "n": {"type": "integer"}},
    "x-kubernetes-validations": [{"rule": "has(self.chart) != has(self.path)"}],
}


def _msgs(obj, schema, old=None):
    return [str(e) for e in validate(obj, schema, "spec", old=old)]


def test_default_message_and_the_schema_type_as_value():
    """validation.go ruleMessageOrDefault: no message → "failed rule: <rule>"; the error's value is the schema type
    (``sts.Type``), as kubectl shows it: `Invalid value: "object": …` (e.g. grafana/k6-operator#697)."""
    assert _msgs({"chart": "a", "path": "b"}, OBJ) == [
        'spec: Invalid value: "object": failed rule: has(self.chart) != has(self.path)'
    ]
    assert _msgs({"chart": "a"}, OBJ) == []
    assert _msgs({}, OBJ) == ['spec: Invalid value: "object": failed rule: has(self.chart) != has(self.path)']


def test_scalar_rule_message_and_field_path():
    """validation.go: the schema type as the value; message trimmed; fieldPath appended to the path."""
    s = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 5", "message": " too big "}]}
        },
        "x-kubernetes-validations": [{"rule": "self.n != 4", "message": "not four", "fieldPath": ".n"}],
    }
    assert _msgs({"n": 7}, s) == ['spec.n: Invalid value: "integer": too big']
    assert _msgs({"n": 4}, s) == ['spec.n: Invalid value: "object": not four']


def test_reason_required_and_forbidden():
    """validation.go fieldErrorForReason: FieldValueRequired / FieldValueForbidden."""
    s = {
        "type": "object",
        "x-kubernetes-validations": [{"rule": "has(self.a)", "message": "a please", "reason": "FieldValueRequired"}],
    }
    assert _msgs({}, s) == ["spec: Required value: a please"]
    s["x-kubernetes-validations"][0]["reason"] = "FieldValueForbidden"
    assert _msgs({}, s) == ["spec: Forbidden: a please"]


def test_transition_rule_runs_only_on_update():
    """validation.go: rules using oldSelf are skipped without an old value (create)."""
    s = {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}]}
    assert validate("a", s) == []
    assert [str(e) for e in validate("b", s, "spec.x", old="a")] == ['spec.x: Invalid value: "string": immutable']
    assert validate("a", s, "spec.x", old="a") == []


def test_string_list_regex_and_url_libraries():
    """apiserver pkg/cel/library (strings/lists/regex, urls.go isURL) as rules in upstream CRDs use them."""
    s = {
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.items.all(i, i.matches('^[a-z]+$'))", "message": "lowercase"},
            {"rule": "isURL(self.url)", "message": "url"},
            {"rule": "self.items.size() <= 2", "message": "few"},
        ],
    }
    assert _msgs({"items": ["a", "b"], "url": "https://x.example/p"}, s) == []
    assert _msgs({"items": ["A", "b", "c"], "url": "not a url"}, s) == [
        'spec: Invalid value: "object": lowercase',
        'spec: Invalid value: "object": url',
        'spec: Invalid value: "object": few',
    ]


def test_runtime_error_is_reported_not_raised():
    """validation.go: "<err> evaluating rule: <rule>" for no-such-key and friends."""
    s = {"type": "object", "x-kubernetes-validations": [{"rule": "self.missing == 1"}]}
    (msg,) = _msgs({}, s)
    assert msg.startswith('spec: Invalid value: "object": ') and "evaluating rule: self.missing == 1" in msg


def test_null_is_not_validated():
    """validation.go: only non-null values are validated."""
    s = {"type": "object", "nullable": True, "x-kubernetes-validations": [{"rule": "false"}]}
    assert validate(None, s) == []


def _thing_crd(validations: list[dict[str, str]]) -> dict:
    """A CRD whose root schema carries ``validations`` (the refused-at-load tests)."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-validations": validations}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing", "plural": "things", "singular": "thing", "listKind": "ThingList"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema}],
        },
    }


def test_crd_with_a_bad_rule_is_refused():
    """The CRD's rule must compile (apiextensions validation: compilation failed)."""
    from kratix_lab.errors import Invalid
    from kratix_lab.schema.crd import CRD

    with pytest.raises(Invalid, match=r"x-kubernetes-validations\[0\]\.rule.*compilation failed"):
        CRD.from_dict(_thing_crd([{"rule": "self.("}]))


def test_catalogue_application_with_chart_and_path_is_refused_at_admission(capsys):
    """The seed's chart-or-path rule is a CEL rule on the ArgocdApplication CRD: `validate` exits 1."""
    from pathlib import Path

    from kratix_lab.cli import main

    sample = Path(__file__).parent.parent / "sample_requests" / "invalid" / "application-chart-and-path.yaml"
    assert main(["validate", str(sample)]) == 1
    assert 'spec.source: Invalid value: "object": exactly one of chart' in capsys.readouterr().err


# ---- the Kubernetes CEL libraries (kratix_lab/schema/engine/cel_k8s.py) -------------------------------------


def _rule(rule: str, x, old=None, **kw):
    s = {"type": "object", "x-kubernetes-validations": [{"rule": rule, **kw}]}
    return _msgs(x, s, old=old)


@pytest.mark.parametrize(
    "rule",
    [
        # the examples in apiserver pkg/cel/library/quantity.go's doc comment
        "quantity('200M').compareTo(quantity('0.2G')) == 0",
        "quantity('50M').compareTo(quantity('50Mi')) == -1",
        "quantity('150Mi').isGreaterThan(quantity('100Mi'))",
        "quantity('50M').isLessThan(quantity('100M'))",
        "quantity('50k').add(quantity('20k')) == quantity('70k')",
        "quantity('50k').add(20) == quantity('50020')",
        "quantity('50k').sub(20000) == quantity('30k')",
        "quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')",
        "quantity('50k').asInteger() == 50000",
        "quantity('50000000G').isInteger()",
        "!quantity('9999999999999999999999999999999999999G').isInteger()",
        "quantity('50k').sub(20000).asApproximateFloat() == 30000.0",
        "quantity('-1').sign() == -1 && quantity('0').sign() == 0",
        "isQuantity('1.3Gi') && isQuantity('10000k') && isQuantity('1e3') && isQuantity('500m')",
        "!isQuantity('1,3G') && !isQuantity('200K') && !isQuantity('Three') && !isQuantity('Mi')",
        "quantity('1Gi') == quantity('1024Mi')",
    ],
)
def test_quantity_library(rule):
    """apiserver pkg/cel/library/quantity.go (quantityLibraryDecls and its doc-comment examples) over
    apimachinery resource.ParseQuantity: Quantity equality is numeric, as apiserver/pkg/cel/quantity.go Equal."""
    assert _rule(rule, {}) == []


def test_quantity_errors_are_upstreams():
    """stringToQuantity wraps ParseQuantity's error (ErrFormatWrong / ErrSuffix, resource/quantity.go);
    quantityGetValue: "cannot convert value to integer"; validation.go: "<err> evaluating rule: <rule>"."""
    assert _rule("quantity(self.m).sign() == 1", {"m": "Three"}) == [
        'spec: Invalid value: "object": quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: quantity(self.m).sign() == 1"
    ]
    assert _rule("quantity(self.m).sign() == 1", {"m": "200K"}) == [
        'spec: Invalid value: "object": unable to parse quantity\'s suffix evaluating rule: quantity(self.m).sign() == 1'
    ]
    assert _rule("quantity(self.m).asInteger() > 0", {"m": "1.5"}) == [
        'spec: Invalid value: "object": cannot convert value to integer evaluating rule: quantity(self.m).asInteger() > 0'
    ]


def test_quantity_bound_from_a_field():
    """A CRD-style rule: a memory limit under a cap, refused with the rule's message."""
    rule = "quantity(self.memory).isLessThan(quantity('4Gi'))"
    assert _rule(rule, {"memory": "2Gi"}, message="memory must be < 4Gi") == []
    assert _rule(rule, {"memory": "5000Mi"}, message="memory must be < 4Gi") == [
        'spec: Invalid value: "object": memory must be < 4Gi'
    ]


def test_no_such_overload_wording():
    """validation.go: a runtime "no such overload" gets the call-arguments wording (int-or-string bypasses the
    type checker upstream; the lab has no type checker, so every overload mismatch surfaces at run time)."""
    assert _rule("self.m.isLessThan(quantity('1'))", {"m": "x"}) == [
        "spec: Invalid value: \"object\": 'no such overload': call arguments did not match a supported operator, "
        "function or macro signature for rule: self.m.isLessThan(quantity('1'))"
    ]


@pytest.mark.parametrize(
    "rule",
    [
        # apiserver pkg/cel/library/ip.go and cidr.go doc-comment examples
        "isIP('127.0.0.1') && isIP('::1') && !isIP('127.0.0.256') && !isIP('fe80::1%eth0')",
        "ip('127.0.0.1').family() == 4 && ip('::1').family() == 6",
        "ip.isCanonical('127.0.0.1') && !ip.isCanonical('2001:DB8::1') && ip.isCanonical('2001:db8::1')",
        "ip('127.0.0.1').isLoopback() && ip('0.0.0.0').isUnspecified() && ip('169.254.1.1').isLinkLocalUnicast()",
        "ip('224.0.0.1').isLinkLocalMulticast() && ip('8.8.8.8').isGlobalUnicast() && ip('10.0.0.1').isGlobalUnicast()",
        "!ip('255.255.255.255').isGlobalUnicast()",
        "cidr('192.168.0.0/16').containsIP(ip('192.168.0.1')) && cidr('192.168.0.0/16').containsIP('192.168.1.1')",
        "!cidr('192.168.0.0/16').containsIP('10.0.0.1') && !cidr('::/0').containsIP('1.2.3.4')",
        "cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24') && !cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')",
        "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && cidr('192.168.0.1/24').ip() == ip('192.168.0.1')",
        "cidr('192.168.0.0/24').prefixLength() == 24 && isCIDR('::1/128') && !isCIDR('1.2.3.4/33') && !isCIDR('1.2.3.4')",
        "ip('127.0.0.1') == ip('127.0.0.1') && ip('::1') != ip('127.0.0.1')",
    ],
)
def test_ip_and_cidr_libraries(rule):
    """apiserver pkg/cel/library/ip.go (ipLibraryDecls) and cidr.go (cidrLibraryDecls) over net/netip."""
    assert _rule(rule, {}) == []


def test_ip_errors_are_upstreams():
    """ip.go parseIPAddr: zones and IPv4-mapped IPv6 addresses are refused with these messages."""
    (msg,) = _rule("ip(self.a).family() == 6", {"a": "::ffff:1.2.3.4"})
    assert 'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed evaluating rule' in msg
    (msg,) = _rule("ip(self.a).family() == 6", {"a": "fe80::1%eth0"})
    assert 'IP address "fe80::1%eth0" with zone value is not allowed evaluating rule' in msg
    (msg,) = _rule("ip(self.a).family() == 4", {"a": "1.2.3"})
    assert 'IP Address "1.2.3" parse error during conversion from string' in msg


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://example.com/p?q=1", True),
        ("/absolute/path", True),
        ("mailto:someone@example.com", True),  # opaque, as ParseRequestURI allows with a scheme
        ("*", True),
        ("example.com/path", False),  # "invalid URI for request"
        ("", False),  # "empty url"
        (":foo", False),  # "missing protocol scheme"
        ("https://exa mple.com/", False),  # invalid character in host name
        ("https://example.com:port/", False),  # invalid port
        ("https://[::1/", False),  # missing ']'
        ("/p%zz", False),  # invalid URL escape
        ("http://x\x7f", False),  # control character
    ],
)
def test_is_url_is_go_parse_request_uri(value, ok):
    """urls.go isURL = url.ParseRequestURI succeeds (net/url parse with viaRequest=true)."""
    assert (_rule("isURL(self.u)", {"u": value}) == []) is ok


def test_url_accessors_and_error():
    """urls.go: getScheme/getHost/getHostname/getPort/getEscapedPath/getQuery (the fragment dropped: url.Parse);
    stringToUrl's error "URL parse error during conversion from string: parse …"."""
    u = {"u": "https://x.example:8443/a/b?k=1&k=2&j=#frag"}
    for rule in (
        "url(self.u).getScheme() == 'https'",
        "url(self.u).getHost() == 'x.example:8443'",
        "url(self.u).getHostname() == 'x.example' && url(self.u).getPort() == '8443'",
        "url(self.u).getEscapedPath() == '/a/b'",
        "url(self.u).getQuery() == {'k': ['1', '2'], 'j': ['']}",
        "url('https://[::1]:80/').getHostname() == '::1' && url('https://[::1]:80/').getPort() == '80'",
    ):
        assert _rule(rule, u) == [], rule
    assert _rule("url(self.u).getScheme() == 'https'", {"u": "example.com"}) == [
        'spec: Invalid value: "object": URL parse error during conversion from string: parse "example.com": '
        "invalid URI for request evaluating rule: url(self.u).getScheme() == 'https'"
    ]


def test_format_library():
    """apiserver pkg/cel/library/format.go: format.<name>() / format.named(); <Format>.validate(s) is
    optional.none() when valid, else the validator's messages (ConstantFormats)."""
    rule = "!format.dns1123Label().validate(self.n).hasValue()"
    assert _rule(rule, {"n": "my-name"}) == []
    assert _rule(rule, {"n": "My_Name"}, messageExpression="format.dns1123Label().validate(self.n).value()[0]") == [
        'spec: Invalid value: "object": a lowercase RFC 1123 label must consist of lower case alphanumeric characters '
        "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]
    for rule in (
        "format.named('labelValue').hasValue() && !format.named('nope').hasValue()",
        "format.named('dns1123Subdomain').value().validate('a.b.c') == optional.none()",
        "format.dns1035Label().validate('1abc').hasValue() && !format.dns1123LabelPrefix().validate('abc-').hasValue()",
        "format.qualifiedName().validate('example.com/Name_1') == optional.none()",
        "format.uuid().validate('not-a-uuid').value() == ['does not match the UUID format']",
        "format.uuid().validate('123e4567-e89b-12d3-a456-426614174000') == optional.none()",
        "format.byte().validate('aGVsbG8=') == optional.none() && format.byte().validate('%%%').hasValue()",
        "format.date().validate('2021-01-01') == optional.none() && format.date().validate('2021-02-30').hasValue()",
        "format.datetime().validate('2021-01-01T00:00:00Z') == optional.none()",
        "format.datetime().validate('yesterday').value() == ['invalid datetime']",
        "format.uri().validate('https://x.example') == optional.none() && format.uri().validate('x').hasValue()",
    ):
        assert _rule(rule, {}) == [], rule


# ---- messageExpression (validation.go evalMessageExpression) ----------------------------------------------


def test_message_expression_is_evaluated():
    """validation.go: a false rule's detail is its messageExpression's trimmed string."""
    assert _rule("self.n < 3", {"n": 5}, messageExpression="' n is ' + string(self.n) + ' ' ") == [
        'spec: Invalid value: "object": n is 5'
    ]


@pytest.mark.parametrize(
    "expr",
    [
        "self.missing",  # fails at run time
        "1",  # not a string ("messageExpression failed to convert to string")
        "'  '",  # empty after trimming
        "'a\\nb'",  # line breaks
        "'x' + 'y'.repeat(1)",  # an unknown function fails
    ],
)
def test_message_expression_falls_back_to_message(expr):
    """validation.go evalMessageExpression errors are logged and the detail falls back to ruleMessageOrDefault."""
    assert _rule("false", {}, messageExpression=expr, message="static") == ['spec: Invalid value: "object": static']
    assert _rule("false", {}, messageExpression=expr) == ['spec: Invalid value: "object": failed rule: false']


def test_message_expression_too_long_falls_back():
    """celconfig MaxEvaluatedMessageExpressionSizeBytes = 5 * 1024 (apiserver pkg/apis/cel/config.go)."""
    long_ok = "'a'" + " + 'aaaaaaaaaa'" * 500  # 5001 bytes
    too_long = long_ok + " + 'aaaaaaaaaa'" * 20
    assert _rule("false", {}, messageExpression=long_ok, message="m") == [
        'spec: Invalid value: "object": a' + "a" * 5000
    ]
    assert _rule("false", {}, messageExpression=too_long, message="m") == ['spec: Invalid value: "object": m']


def test_crd_with_a_bad_message_expression_is_refused():
    """compilation.go: "messageExpression compilation failed" refuses the CRD."""
    from kratix_lab.errors import Invalid
    from kratix_lab.schema.crd import CRD

    with pytest.raises(
        Invalid, match=r"x-kubernetes-validations\[0\]\.messageExpression.*messageExpression compilation"
    ):
        CRD.from_dict(_thing_crd([{"rule": "true", "messageExpression": "'a' +"}]))


# ---- oldSelf: optionalOldSelf, list-map correlation, ratcheting --------------------------------------------


def test_optional_old_self_runs_on_create_with_an_optional():
    """validation.go validationActivationWithOldSelf: with optionalOldSelf the rule runs on create and oldSelf
    is optional.none(); on update it is optional.of(old)."""
    rule = "!oldSelf.hasValue() || self.n >= oldSelf.value().n"
    assert _rule(rule, {"n": 1}, optionalOldSelf=True) == []
    assert _rule(rule, {"n": 1}, old={"n": 2}, optionalOldSelf=True, message="n may only grow") == [
        'spec: Invalid value: "object": n may only grow'
    ]
    assert _rule("oldSelf.hasValue()", {"n": 1}, optionalOldSelf=True, message="update only") == [
        'spec: Invalid value: "object": update only'
    ]


def test_transition_rules_under_a_list_map_correlate_by_key():
    """validation.go validateArray/makeMapList: items of an x-kubernetes-list-type=map list get the old item with
    the same keys as oldSelf; new items (and items of other lists) have none, so transition rules skip them."""
    item = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.size == oldSelf.size", "message": "size is immutable"}],
    }
    s = {
        "type": "object",
        "properties": {
            "disks": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": item,
            },
            "plain": {"type": "array", "items": item},
        },
    }
    old = {"disks": [{"name": "a", "size": 1}, {"name": "b", "size": 2}], "plain": [{"name": "a", "size": 1}]}
    new = {
        "disks": [{"name": "b", "size": 3}, {"name": "a", "size": 1}, {"name": "c", "size": 9}],
        "plain": [{"name": "a", "size": 5}],
    }
    assert _msgs(new, s, old=old) == ['spec.disks[0]: Invalid value: "object": size is immutable']


def test_unchanged_values_are_ratcheted_on_update():
    """CRDValidationRatcheting (validation.go addErr / correlation.shouldRatchetError): a rule without oldSelf
    that fails on a value equal to the stored one does not refuse the update; a changed value is refused."""
    s = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 3", "message": "short"}]},
            "b": {"type": "string"},
        },
    }
    stored = {"a": "long", "b": "x"}
    assert _msgs({"a": "long", "b": "y"}, s, old=stored) == []
    assert _msgs({"a": "longer", "b": "x"}, s, old=stored) == ['spec.a: Invalid value: "string": short']
    assert _msgs({"a": "long", "b": "x"}, s) == ['spec.a: Invalid value: "string": short']


@pytest.mark.parametrize(
    "rule",
    [
        # apiserver pkg/cel/library/semverlib.go doc-comment examples
        "semver('1.2.3').compareTo(semver('1.2.3')) == 0",
        "semver('1.2.3').compareTo(semver('2.0.0')) == -1",
        "semver('1.2.3').compareTo(semver('0.1.2')) == 1",
        "semver('1.2.3').isGreaterThan(semver('1.0.0')) && semver('1.0.0').isLessThan(semver('1.2.3'))",
        "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
        "isSemver('1.0.0') && !isSemver('v1.0.0') && !isSemver('1.0') && !isSemver('01.0.0')",
        "isSemver('v1.0', true) && semver('v01.2', true) == semver('1.2.0')",
        # semver.org precedence: pre-releases below the release, numeric < alphanumeric identifiers
        "semver('1.0.0-alpha').isLessThan(semver('1.0.0'))",
        "semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))",
        "semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11'))",
        "semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1'))",
        "semver('1.0.0+build.1') == semver('1.0.0+build.2')",
    ],
)
def test_semver_library(rule):
    """apiserver pkg/cel/library/semverlib.go over blang/semver v4 (Parse, Compare; build metadata ignored)."""
    assert _rule(rule, {}) == []


def test_semver_errors_are_blangs():
    (msg,) = _rule("semver(self.v).major() == 1", {"v": "1.2"})
    assert msg.startswith('spec: Invalid value: "object": No Major.Minor.Patch elements found evaluating rule')
    (msg,) = _rule("semver(self.v).major() == 1", {"v": "1.02.3"})
    assert 'Minor number must not contain leading zeroes "02" evaluating rule' in msg
