"""OpenAPI ``format`` on strings as the API server checks it for a custom resource.

Upstream: apiextensions-apiserver pkg/apiserver/validation/formats.go (supportedVersionedFormats; unsupported
formats and formats on non-string schemas are stripped), kube-openapi pkg/validation/strfmt (default.go,
duration.go, quantity.go, IsDateTime) and go-openapi's ``errors.InvalidType`` wording.
"""

from __future__ import annotations

import pytest

from kratix_lab.schema.engine import validate


def _errs(value, fmt, type_="string"):
    s = {"type": "object", "properties": {"f": {"type": type_, "format": fmt}}}
    return [str(e) for e in validate({"f": value}, s, "spec")]


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("uri", "https://example.com/x", "example.com/x"),
        ("hostname", "my-host.example.com", "-bad-.example.com"),
        ("ipv4", "10.0.0.1", "10.0.0.256"),
        ("ipv4", "10.0.0.1", "::1"),
        ("ipv6", "2001:db8::1", "10.0.0.1"),
        ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
        ("mac", "00:00:5e:00:53:01", "00:00:5e:00:53"),
        ("mac", "0000.5e00.5301", "00:00-5e:00:53:01"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ("uuid4", "123e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        ("bsonobjectid", "507f1f77bcf86cd799439011", "507f1f77bcf86cd79943901z"),
        ("byte", "aGVsbG8=", "aGVsbG8"),
        ("date", "2024-02-29", "2023-02-29"),
        ("date-time", "2024-02-29T10:00:00Z", "2024-02-29 10:00:00Z"),
        ("date-time", "2024-02-29t10:00:00.5+01:00", "2024-02-29T24:00:00Z"),
        ("duration", "1h30m", "forever"),
        ("duration", "3 days", "3 fortnights"),
        ("hexcolor", "#ffF", "#ffff"),
        ("rgbcolor", "rgb(0, 128, 255)", "rgb(0,128,256)"),
        ("ssn", "123-45-6789", "123456789"),
        ("quantity", "500Mi", "500MB"),
    ],
)
def test_supported_formats_are_checked(fmt, good, bad):
    assert _errs(good, fmt) == []
    assert _errs(bad, fmt) == [f'spec.f: Invalid value: "{bad}": spec.f in body must be of type {fmt}: "{bad}"']


@pytest.mark.parametrize(
    ("fmt", "value", "type_"),
    [
        ("int-or-string", "x", "string"),  # not a supported format: stripped
        ("email", "not an email", "string"),  # supported upstream, not modelled: accepted (documented)
        ("password", "anything at all", "string"),
        ("int32", 2**40, "integer"),  # formats on numbers are not validated (go-openapi: strings only)
        ("uuid", 5, "integer"),  # a string format on a non-string schema is stripped
    ],
)
def test_unsupported_or_non_string_formats_are_ignored(fmt, value, type_):
    assert _errs(value, fmt, type_) == []


def test_format_follows_the_string_checks():
    """go-openapi's SchemaValidator runs the string validator, then the format validator."""
    s = {"type": "string", "maxLength": 3, "format": "ipv4"}
    assert [str(e) for e in validate("10.0.0.300", s, "spec.ip")] == [
        "spec.ip: Too long: may not be more than 3 bytes",
        'spec.ip: Invalid value: "10.0.0.300": spec.ip in body must be of type ipv4: "10.0.0.300"',
    ]


# ---- CRDValidationRatcheting of the OpenAPI checks (apiextensions-apiserver validation/ratcheting.go) -------

RATCHET = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "size": {"type": "integer", "maximum": 10},
        "byIndex": {"type": "array", "items": {"type": "string", "maxLength": 2}},
        "byKey": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["k"],
            "items": {
                "type": "object",
                "properties": {"k": {"type": "string"}, "v": {"type": "integer", "maximum": 1}},
            },
        },
        "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string", "maxLength": 2}},
    },
}


def _upd(new, old):
    return [str(e) for e in validate(new, RATCHET, "spec", old=old)]


def test_unchanged_invalid_values_are_ratcheted():
    """ratchetingValueValidator.Validate: errors of a node equal to its correlated old value are dropped."""
    stored = {"name": "a", "url": "not a uri", "size": 50}
    assert _upd({"name": "b", "url": "not a uri", "size": 50}, stored) == []
    assert _upd({"name": "b", "url": "still not", "size": 50}, stored) == [
        'spec.url: Invalid value: "still not": spec.url in body must be of type uri: "still not"'
    ]
    assert _upd({"name": "b", "url": "not a uri", "size": 51}, stored) == [
        "spec.size: Invalid value: 51: spec.size in body should be less than or equal to 10"
    ]
    # create (no old value): everything is checked
    assert len([str(e) for e in validate(stored, RATCHET, "spec")]) == 2


def test_a_changed_parent_does_not_ratchet_its_own_errors():
    """A node's own errors (required) are ratcheted only when the node itself is unchanged."""
    stored = {"url": "x"}
    assert _upd({"url": "x"}, stored) == []
    assert _upd({"url": "x", "size": 1}, stored) == ["spec.name: Required value"]


def test_list_items_correlate_by_index_by_key_and_not_in_sets():
    """correlateOldValueForChildAtNewIndex: untyped lists by index, list-type=map by key, set not at all."""
    stored = {"name": "a", "byIndex": ["long", "ok"], "byKey": [{"k": "a", "v": 5}], "set": ["long"]}
    new = {
        "name": "a",
        "byIndex": ["long", "ok", "x"],
        "byKey": [{"k": "b", "v": 1}, {"k": "a", "v": 5}],
        "set": ["long", "ok"],
    }
    assert _upd(new, stored) == ["spec.set[0]: Too long: may not be more than 2 bytes"]
    moved = {"name": "a", "byIndex": ["ok", "long"], "byKey": [{"k": "a", "v": 6}], "set": ["long"]}
    assert _upd(moved, stored) == [
        "spec.byIndex[1]: Too long: may not be more than 2 bytes",
        "spec.byKey[0].v: Invalid value: 6: spec.byKey[0].v in body should be less than or equal to 1",
    ]
