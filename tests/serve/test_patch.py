"""Strategic merge patches of the built-ins (``kratix_lab/serve/patch.py``), as
``k8s.io/apimachinery/pkg/util/strategicpatch`` applies them with ``k8s.io/api``'s merge keys."""

from __future__ import annotations

import pytest

from kratix_lab.serve.patch import strategic_merge
from kratix_lab.serve.status import ApiError

POD = {
    "metadata": {"name": "p", "finalizers": ["a"], "labels": {"x": "1"}},
    "spec": {
        "containers": [
            {"name": "app", "image": "app:1", "ports": [{"containerPort": 80, "name": "http"}], "args": ["-v"]},
            {"name": "side", "image": "side:1"},
        ],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "tolerations": [{"key": "a"}],
    },
}


def test_keyed_lists_merge_item_by_item_and_other_lists_are_replaced():
    out = strategic_merge(
        POD,
        {
            "spec": {
                "containers": [{"name": "app", "image": "app:2", "args": ["-q"]}, {"name": "new", "image": "n"}],
                "tolerations": [{"key": "b"}],
            }
        },
    )
    containers = out["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "side", "new"]
    assert containers[0] == {
        "name": "app",
        "image": "app:2",
        "ports": [{"containerPort": 80, "name": "http"}],
        "args": ["-q"],
    }
    assert out["spec"]["tolerations"] == [{"key": "b"}]  # no patch strategy: replaced
    assert POD["spec"]["containers"][0]["image"] == "app:1"  # the target is not changed in place


def test_ports_merge_by_container_port_and_service_ports_by_port():
    out = strategic_merge(
        POD, {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}
    )
    assert out["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}]
    svc = {"spec": {"ports": [{"port": 80, "name": "a"}, {"port": 443, "name": "b"}]}}
    assert strategic_merge(svc, {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}})["spec"]["ports"][1] == {
        "port": 443,
        "name": "b",
        "targetPort": 8443,
    }


def test_patch_directives_delete_replace_and_primitive_lists():
    out = strategic_merge(POD, {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}})
    assert [c["name"] for c in out["spec"]["containers"]] == ["app"]
    out = strategic_merge(POD, {"spec": {"containers": [{"name": "only", "image": "o"}, {"$patch": "replace"}]}})
    assert out["spec"]["containers"] == [{"name": "only", "image": "o"}]
    out = strategic_merge(POD, {"metadata": {"labels": {"$patch": "replace", "y": "2"}}})
    assert out["metadata"]["labels"] == {"y": "2"}
    out = strategic_merge(POD, {"spec": {"volumes": {"$patch": "delete"}}})
    assert "volumes" not in out["spec"]
    out = strategic_merge(POD, {"metadata": {"finalizers": ["b", "a"]}})
    assert out["metadata"]["finalizers"] == ["a", "b"]  # merged as a set
    out = strategic_merge(POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert out["metadata"]["finalizers"] == []
    out = strategic_merge(POD, {"metadata": {"labels": {"x": None}}, "$setElementOrder/x": []})
    assert out["metadata"]["labels"] == {}


def test_bad_strategic_patches_are_400s_naming_the_field():
    with pytest.raises(ApiError, match="an item of containers has no merge key 'name'"):
        strategic_merge(POD, {"spec": {"containers": [{"image": "x"}]}})
    with pytest.raises(ApiError, match="unknown \\$patch directive 'drop'"):
        strategic_merge(POD, {"spec": {"$patch": "drop"}})
