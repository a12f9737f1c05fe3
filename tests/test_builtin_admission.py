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
