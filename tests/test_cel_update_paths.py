"""CEL transition rules on every update path: the stored object is ``oldSelf``.

Upstream: apiextensions-apiserver pkg/registry/customresource/strategy.go ``ValidateUpdate`` runs the CEL
validator with the old object (schema/cel/validation.go: rules using ``oldSelf`` run only with an old value).
The lab's update paths: ``Lab.admit``/``Lab.apply_object`` (kubectl apply, Argo CD's sync and its dry run,
``submit``'s check) and ``serve``'s PUT/PATCH (``LabApi._admit``).
"""

from __future__ import annotations

import pytest

from kratix_lab.platform.lab import AdmissionError

PROMISE = {
    "apiVersion": "platform.kratix.io/v1alpha1",
    "kind": "Promise",
    "metadata": {"name": "disks"},
    "spec": {
        "api": {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "disks.example.platform.integratn.tech"},
            "spec": {
                "group": "example.platform.integratn.tech",
                "names": {"kind": "Disk", "plural": "disks", "singular": "disk"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {
                                        "type": "object",
                                        "properties": {
                                            "size": {
                                                "type": "string",
                                                "x-kubernetes-validations": [
                                                    {"rule": "self == oldSelf", "message": "size is immutable"},
                                                    {
                                                        "rule": "quantity(self).isLessThan(quantity('1Ti'))",
                                                        "messageExpression": "'size ' + self + ' is not below 1Ti'",
                                                    },
                                                ],
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    }
                ],
            },
        }
    },
}


def _disk(size: str) -> dict:
    return {
        "apiVersion": "example.platform.integratn.tech/v1",
        "kind": "Disk",
        "metadata": {"name": "d1", "namespace": "default"},
        "spec": {"size": size},
    }


@pytest.fixture(scope="module")
def disk_lab(tmp_path_factory):
    from kratix_lab.platform.lab import Lab

    lab = Lab(tmp_path_factory.mktemp("cel") / "lab")
    lab.store.create(PROMISE)  # the Promise's API, as Kratix installs it (no controller run needed here)
    yield lab
    lab.close()


def test_apply_passes_the_stored_object_as_old_self(disk_lab):
    lab = disk_lab
    assert lab.apply(_disk("10Gi")) == "created"
    assert lab.apply(_disk("10Gi")) == "unchanged"
    with pytest.raises(AdmissionError, match=r'spec\.size: Invalid value: "string": size is immutable'):
        lab.apply(_disk("20Gi"))
    with pytest.raises(AdmissionError, match=r"size is immutable"):
        lab.admit(_disk("20Gi"), dry_run=True)  # Argo CD's dry run of an update
    assert lab.store.get("Disk", "d1", "default", "example.platform.integratn.tech")["spec"]["size"] == "10Gi"


def test_create_has_no_old_self_and_the_library_rule_applies(disk_lab):
    lab = disk_lab
    other = _disk("2Ti")
    other["metadata"]["name"] = "d2"
    with pytest.raises(AdmissionError, match=r'spec\.size: Invalid value: "string": size 2Ti is not below 1Ti'):
        lab.apply(other)
    other["spec"]["size"] = "1Gi"
    assert lab.apply(other) == "created"


def test_serve_update_passes_the_stored_object(disk_lab):
    """serve's PUT: 422 Invalid with the rule's message and the field as the cause."""
    from kratix_lab.serve.api import LabApi
    from kratix_lab.serve.status import ApiError

    lab = disk_lab
    api = LabApi(lab)
    k = lab.kinds().get("example.platform.integratn.tech", "Disk")
    with pytest.raises(ApiError) as e:
        api.update(k, "default", "d1", _disk("30Gi"), {})
    assert e.value.code == 422
    assert 'spec.size: Invalid value: "string": size is immutable' in str(e.value)
    api.update(k, "default", "d1", _disk("10Gi"), {})  # unchanged: admitted
