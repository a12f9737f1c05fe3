"""Paginated lists (``kratix_lab/serve/api.py`` ``LabApi.list``): every page comes from the first page's snapshot, as
the API server serves them at that resourceVersion (``k8s.io/apiserver/pkg/storage/etcd3/store.go`` ``GetList``); a
token whose snapshot is gone is ``410 Expired``, a malformed one a 400."""

from __future__ import annotations

import base64

import pytest

from kratix_lab.serve import api as api_module
from kratix_lab.serve.api import LabApi
from kratix_lab.serve.status import ApiError


def _cm(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


def test_pages_come_from_one_snapshot_and_an_old_token_is_410(lab, monkeypatch):
    api = LabApi(lab)
    for i in range(5):
        lab.store.create(_cm(f"page-{i}"))
    k = api.kind("", "v1", "configmaps")
    whole, _, nxt = api.list(k, "default", {})
    assert nxt is None
    names = [o["metadata"]["name"] for o in whole]
    first, rv1, token = api.list(k, "default", {"limit": "2"})
    assert token and [o["metadata"]["name"] for o in first] == names[:2]
    lab.store.create(_cm("page-late"))  # written between two pages: not in this list (one snapshot)
    lab.store.delete("ConfigMap", names[-1], "default", "")
    seen = [o["metadata"]["name"] for o in first]
    while token:
        page, rv_page, token = api.list(k, "default", {"limit": "2", "continue": token})
        assert rv_page == rv1
        seen += [o["metadata"]["name"] for o in page]
    assert seen == names

    _, _, token = api.list(k, "default", {"limit": "1"})
    again = api.list(k, "default", {"limit": "1", "continue": token})
    assert api.list(k, "default", {"limit": "1", "continue": token}) == again, "a token may be used again (a retry)"

    monkeypatch.setattr(api_module, "PAGES", 1)
    _, _, older = api.list(k, "default", {"limit": "1"})
    api.list(k, "default", {"limit": "1"})  # a newer list pushes the older snapshot out
    with pytest.raises(ApiError) as evicted:
        api.list(k, "default", {"limit": "1", "continue": older})
    assert evicted.value.code == 410 and evicted.value.status()["reason"] == "Expired"

    for bad in ("not-base64!", base64.urlsafe_b64encode(b"x:1:2").decode(), base64.urlsafe_b64encode(b"7").decode()):
        with pytest.raises(ApiError) as malformed:
            api.list(k, "default", {"limit": "1", "continue": bad})
        assert malformed.value.code == 400, bad
    with pytest.raises(ApiError) as limit:
        api.list(k, "default", {"limit": "many"})
    assert limit.value.code == 400
