"""Issue 18 item 12: apply gives built-in kinds the API server's kind and ObjectMeta rules
(kratix_lab/schema/builtin.py cites apimachinery's objectmeta.go and core validation)."""

from __future__ import annotations

import pytest

from kratix_lab.platform.lab import AdmissionError


def cm(name, kind="ConfigMap", **meta):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "default", **meta}}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            cm("../../../x"),
            'The ConfigMap "../../../x" is invalid: metadata.name: Invalid value: "../../../x": a lowercase RFC 1123 subdomain',
        ),
        (cm("a b\nc"), 'The ConfigMap "a b\\nc" is invalid: metadata.name: Invalid value: "a b\\nc"'),
        (cm("x\x1b[2Jy"), 'The ConfigMap "x\\x1b[2Jy" is invalid'),
        (cm("x" * 254), "must be no more than 253 characters"),
        (cm("ok", kind="Foo\nBar"), 'no matches for kind "Foo\\nBar" in version "v1"'),
        (cm("my.svc", kind="Service"), "a DNS-1035 label must consist of"),
        (cm("ok", labels={"a": "b c"}), 'metadata.labels: Invalid value: "b c"'),
        (cm("ok", annotations={"k": "v" * (256 * 1024)}), "metadata.annotations: Too long"),
    ],
    ids=["path", "spaces", "escape", "long", "kind", "service-name", "label", "annotations-256KiB"],
)
def test_apply_refuses_what_the_api_server_refuses(lab, obj, message):
    with pytest.raises(AdmissionError) as e:
        lab.apply(obj)
    assert message in str(e.value)
    assert lab.get(obj["kind"], obj["metadata"]["name"], "default") is None


def test_apply_accepts_valid_built_in_objects(lab):
    assert lab.apply(cm("ok.name-1", labels={"app": "x"}, annotations={"example.com/a": "b"})) == "created"
    assert lab.apply(cm("web", kind="Service")) == "created"


# ---- decoding: a value of the wrong JSON type in a built-in object is a 400, worded as the API server words it ----
# apiserver pkg/endpoints/handlers/rest.go:245-256 (transformDecodeError), sigs.k8s.io/json UnmarshalTypeError,
# Go encoding/base64 decodeQuantum (CorruptInputError); kratix_lab/schema/builtin.py ``decode_error``


def typed(kind, **fields):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": "typed", "namespace": "default"}, **fields}


CANNOT = "cannot be handled as a {0}: json: cannot unmarshal {1} into Go struct field {0}.{2} of type {3}"


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (typed("ConfigMap", data={"port": 8080}), CANNOT.format("ConfigMap", "number", "data", "string")),
        (typed("ConfigMap", data={"on": True}), CANNOT.format("ConfigMap", "bool", "data", "string")),
        (typed("ConfigMap", data={"nested": {"a": "b"}}), CANNOT.format("ConfigMap", "object", "data", "string")),
        (typed("ConfigMap", data="a=b"), CANNOT.format("ConfigMap", "string", "data", "map[string]string")),
        (typed("ConfigMap", data=["a"]), CANNOT.format("ConfigMap", "array", "data", "map[string]string")),
        (typed("ConfigMap", binaryData={"b": 1}), CANNOT.format("ConfigMap", "number", "binaryData", "[]uint8")),
        (typed("ConfigMap", immutable="yes"), CANNOT.format("ConfigMap", "string", "immutable", "bool")),
        (typed("Secret", stringData={"n": 1}), CANNOT.format("Secret", "number", "stringData", "string")),
        (typed("Secret", type=3), CANNOT.format("Secret", "number", "type", "v1.SecretType")),
        (
            typed("Secret", data={"k": "not base64!"}),
            "cannot be handled as a Secret: illegal base64 data at input byte 3",
        ),
        (typed("Secret", data={"k": "aGVsbG8"}), "illegal base64 data at input byte 4"),  # unpadded
        (typed("Secret", data={"k": "QQ="}), "illegal base64 data at input byte 3"),  # "==" cut short
        (typed("Secret", data={"k": "QQ==QQ=="}), "illegal base64 data at input byte 4"),  # data after the padding
        (typed("ConfigMap", binaryData={"b": "Q==="}), "illegal base64 data at input byte 1"),  # padding too early
    ],
    ids=[
        "cm-number",
        "cm-bool",
        "cm-object",
        "cm-data-string",
        "cm-data-array",
        "cm-binary-number",
        "cm-immutable",
        "secret-stringdata",
        "secret-type",
        "secret-space",
        "secret-unpadded",
        "secret-short-padding",
        "secret-after-padding",
        "cm-binary-early-padding",
    ],
)
def test_a_value_of_the_wrong_type_is_refused_as_the_api_server_decodes(lab, obj, message):
    from kratix_lab.platform.lab import Undecodable

    with pytest.raises(Undecodable) as e:
        lab.apply(obj)
    assert str(e.value).startswith(f'{obj["kind"]} in version "v1" cannot be handled as a {obj["kind"]}: ')
    assert message in str(e.value)
    assert lab.get(obj["kind"], "typed", "default") is None


def test_values_of_the_right_type_decode(lab):
    """Base64 with line breaks (Go skips \\r and \\n), null values (Go leaves the zero value) and an empty map."""
    assert lab.apply(typed("Secret", data={"k": "aGVs\nbG8=", "e": ""}, stringData={"s": "x"}, type="Opaque")) == (
        "created"
    )
    assert lab.apply(typed("ConfigMap", data={"a": "1", "b": None}, binaryData={}, immutable=False)) == "created"


def test_the_first_type_error_in_the_documents_order_is_the_one_reported(lab):
    """Go's decoder records the first type error it meets and goes on (encoding/json ``saveError``): the field that
    comes first in the object is the one named."""
    from kratix_lab.platform.lab import Undecodable

    data_first = {**typed("ConfigMap", data={"a": 1}), "immutable": "yes"}
    immutable_first = {**typed("ConfigMap", immutable="yes"), "data": {"a": 1}}
    with pytest.raises(Undecodable, match=r"ConfigMap\.data of type string"):
        lab.apply(data_first)
    with pytest.raises(Undecodable, match=r"ConfigMap\.immutable of type bool"):
        lab.apply(immutable_first)
