"""The kubernetes Python client against ``kratix-lab serve``, and the server's security answers."""

from __future__ import annotations

import base64
import json
import ssl
import stat
import threading
import urllib.error
import urllib.request

import pytest
import yaml
from kubernetes import client, config, watch

from tests.serve.conftest import SAMPLES

GROUP, VERSION, PLURAL, NS = "platform.integratn.tech", "v1alpha1", "vclusterorchestrators", "platform-requests"


@pytest.fixture(scope="module")
def api_client(served):
    return config.new_client_from_config(config_file=str(served.kubeconfig))


def _ctx(served) -> ssl.SSLContext:
    """Trust the served lab's CA (from the kubeconfig it wrote)."""
    cfg = yaml.safe_load(served.kubeconfig.read_text())
    ca = base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    return ssl.create_default_context(cadata=ca)


def _pod(core, name: str) -> None:
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox")]),
    )
    core.create_namespaced_pod("default", pod)


def _request(served, path, *, token="good", method="GET", body=None, headers=None):
    ctx = _ctx(served)
    h = dict(headers or {})
    if token == "good":
        h["Authorization"] = f"Bearer {served.token}"
    elif token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(served.url + path, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_custom_objects_create_get_list_patch_delete(api_client):
    co = client.CustomObjectsApi(api_client)
    body = yaml.safe_load((SAMPLES / "dev.yaml").read_text())
    body["metadata"]["name"] = body["spec"]["name"] = "pyclient"
    created = co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    got = co.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pyclient")
    assert got["spec"]["name"] == "pyclient"
    names = [o["metadata"]["name"] for o in co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["items"]]
    assert "pyclient" in names
    patched = co.patch_namespaced_custom_object(
        GROUP, VERSION, NS, PLURAL, "pyclient", {"metadata": {"labels": {"a": "b"}}}
    )
    assert patched["metadata"]["labels"]["a"] == "b"
    with pytest.raises(client.ApiException) as e:
        co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
    assert e.value.status == 409 and json.loads(e.value.body)["reason"] == "AlreadyExists"
    stale = dict(got, metadata={**got["metadata"], "resourceVersion": "1"})
    with pytest.raises(client.ApiException) as e:
        co.replace_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pyclient", stale)
    assert e.value.status == 409 and json.loads(e.value.body)["reason"] == "Conflict"
    bad = dict(body, spec={**body["spec"], "vcluster": {"preset": "huge"}})
    bad["metadata"] = {"name": "pybad", "namespace": NS}
    with pytest.raises(client.ApiException) as e:
        co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, bad)
    status = json.loads(e.value.body)
    assert e.value.status == 422 and status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "spec.vcluster.preset"
    co.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pyclient")


def test_core_objects_and_dry_run(api_client):
    core = client.CoreV1Api(api_client)
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="pycm", labels={"k": "v"}), data={"a": "1"})
    core.create_namespaced_config_map("default", cm, dry_run="All")
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("pycm", "default")
    assert e.value.status == 404
    core.create_namespaced_config_map("default", cm)
    assert core.read_namespaced_config_map("pycm", "default").data == {"a": "1"}
    assert [c.metadata.name for c in core.list_namespaced_config_map("default", label_selector="k=v").items] == ["pycm"]
    assert core.list_namespaced_config_map("default", label_selector="k!=v").items == []
    assert [
        c.metadata.name for c in core.list_config_map_for_all_namespaces(field_selector="metadata.name=pycm").items
    ] == ["pycm"]
    core.patch_namespaced_config_map("pycm", "default", {"data": {"b": "2"}})
    assert core.read_namespaced_config_map("pycm", "default").data == {"a": "1", "b": "2"}
    page = core.list_namespace(limit=1)
    assert len(page.items) == 1 and page.metadata._continue
    rest = core.list_namespace(limit=100, _continue=page.metadata._continue)
    assert page.items[0].metadata.name not in [n.metadata.name for n in rest.items]
    core.delete_namespaced_config_map("pycm", "default")
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("pycm", "default")


def test_watch_resumes_after_a_reconnect_without_losing_an_event(api_client):
    core = client.CoreV1Api(api_client)
    listed = core.list_namespaced_config_map("default")
    rv = listed.metadata.resource_version
    for n in range(3):
        core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"w{n}")))
    seen = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        rv = ev["object"].metadata.resource_version
        if len(seen) == 1:
            break  # the connection drops after the first event
    w.stop()
    core.delete_namespaced_config_map("w0", "default")
    for ev in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2):
        seen.append((ev["type"], ev["object"].metadata.name))
    assert seen == [("ADDED", "w0"), ("ADDED", "w1"), ("ADDED", "w2"), ("DELETED", "w0")]


def test_watch_from_a_too_old_resource_version_is_410(served, api_client):
    hub = served.api.hub
    floor = hub.floor
    hub.floor = 10**9  # as if the window had moved on
    try:
        status, body = _request(served, "/api/v1/namespaces/default/configmaps?watch=True&resourceVersion=5")
    finally:
        hub.floor = floor
    event = json.loads(body.splitlines()[0])
    assert status == 200 and event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"


def test_pod_logs(api_client, served):
    core = client.CoreV1Api(api_client)
    _pod(core, "pylog")
    with served.api.lock:
        served.api.lab.store.write_log("default", "pylog", "main", "one\ntwo\nthree\n")
    assert core.read_namespaced_pod_log("pylog", "default") == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("pylog", "default", container="main", tail_lines=1) == "three\n"
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_pod_log("pylog", "default", container="no-such")
    assert e.value.status == 400 and "is not valid for pod pylog" in json.loads(e.value.body)["message"]
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_pod_log("nosuchpod", "default")
    assert e.value.status == 404


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_requests_without_the_token_are_401(served, token):
    status, body = _request(served, "/api/v1/namespaces", token=token)
    assert status == 401
    assert json.loads(body)["kind"] == "Status" and json.loads(body)["reason"] == "Unauthorized"


def test_kubeconfig_is_private(served):
    assert stat.S_IMODE(served.kubeconfig.stat().st_mode) == 0o600
    cfg = yaml.safe_load(served.kubeconfig.read_text())
    assert cfg["current-context"] == "kratix-lab" and cfg["users"][0]["user"]["token"] == served.token
    assert served.url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize(
    ("method", "path", "body", "ctype", "code"),
    [
        ("POST", "/api/v1/namespaces/default/configmaps", b"x" * (3 * 1024 * 1024 + 1), "application/json", 413),
        ("POST", "/api/v1/namespaces/default/configmaps", b"{not json: [", "application/json", 400),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            b"\x0a\x0bk8s\x00",
            "application/vnd.kubernetes.protobuf",
            415,
        ),
        ("POST", "/api/v1/namespaces/default/pods/x/exec", b"", "application/json", 405),
        ("GET", "/nothing/here", None, "", 404),
        ("GET", "/apis/no.such.group/v1/things", None, "", 404),
        ("GET", "/openapi/v4", None, "", 404),
        ("GET", "/openapi/v3/apis/no.such.group/v1", None, "", 404),
        ("PATCH", "/api/v1/namespaces/default/configmaps/x", b"{}", "text/plain", 415),  # type first, as patch.go
    ],
)
def test_bad_requests_answer_a_status(served, method, path, body, ctype, code):
    status, raw = _request(served, path, method=method, body=body, headers={"Content-Type": ctype} if ctype else {})
    assert status == code
    answer = json.loads(raw)
    assert answer["kind"] == "Status" and answer["code"] == code and answer["message"]


def test_concurrent_requests_are_served(served):
    results = []

    def get():
        results.append(_request(served, "/api/v1/namespaces")[0])

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8


def _vco(name: str, **extra_spec) -> bytes:
    body = yaml.safe_load((SAMPLES / "dev.yaml").read_text())
    body["metadata"] = {"name": name, "namespace": NS}
    body["spec"] = {**body["spec"], "name": name, **extra_spec}
    return json.dumps(body).encode()


def _post_vco(served, name, query="", **extra):
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/{PLURAL}{query}"
    ctx = _ctx(served)
    req = urllib.request.Request(
        served.url + path,
        data=_vco(name, **extra),
        method="POST",
        headers={"Authorization": f"Bearer {served.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.headers.get("Warning"), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Warning"), json.loads(e.read())


def test_field_validation_warns_refuses_or_ignores_an_unknown_field(served):
    status, warning, body = _post_vco(served, "fv-warn", bogus=1)
    assert status == 201 and 'unknown field \\"spec.bogus\\"' in warning and "bogus" not in body["spec"]
    status, warning, body = _post_vco(served, "fv-strict", "?fieldValidation=Strict", bogus=1)
    assert status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == 'strict decoding error: unknown field "spec.bogus"'
    status, warning, body = _post_vco(served, "fv-ignore", "?fieldValidation=Ignore", bogus=1)
    assert status == 201 and warning is None
    for name in ("fv-warn", "fv-ignore"):
        _request(served, f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/{PLURAL}/{name}", method="DELETE")


def test_events_are_selected_by_their_involved_object(api_client, served):
    core = client.CoreV1Api(api_client)
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="evented"))
    made = core.create_namespaced_config_map("default", cm)
    with served.api.lock:
        served.api.lab.store.event(
            made.to_dict()
            | {"kind": "ConfigMap", "metadata": {"name": "evented", "namespace": "default", "uid": made.metadata.uid}},
            "Warning",
            "Poked",
            "poked by a test",
            "test",
        )
    sel = f"involvedObject.name=evented,involvedObject.kind=ConfigMap,involvedObject.uid={made.metadata.uid}"
    events = core.list_namespaced_event("default", field_selector=sel).items
    assert [(e.reason, e.message, e.type) for e in events] == [("Poked", "poked by a test", "Warning")]
    assert core.list_namespaced_event("default", field_selector="involvedObject.name=nobody").items == []
    assert all(
        e.involved_object.name != "evented"
        for e in core.list_namespaced_event("default", field_selector="involvedObject.name!=evented").items
    )
    core.delete_namespaced_config_map("evented", "default")


def test_logs_follow_streams_new_lines(api_client, served):
    core = client.CoreV1Api(api_client)
    _pod(core, "follow")
    with served.api.lock:
        served.api.lab.store.write_log("default", "follow", "main", "first\n")
    resp = core.read_namespaced_pod_log("follow", "default", follow=True, _preload_content=False)
    lines = []

    def read():
        for line in resp.stream(decode_content=True):
            lines.append(line.decode())
            if "second" in "".join(lines):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with served.api.lock:
        served.api.lab.store.write_log("default", "follow", "main", "second\n")
    served.api.hub.poll()
    reader.join(20)
    resp.release_conn()
    assert "".join(lines) == "first\nsecond\n"
    core.delete_namespaced_pod("follow", "default")


def test_a_watch_that_allows_bookmarks_gets_them(served):
    before = served.server.bookmark_seconds
    served.server.bookmark_seconds = 0.1
    try:
        ctx = _ctx(served)
        req = urllib.request.Request(
            served.url + "/api/v1/namespaces/default/secrets?watch=true&allowWatchBookmarks=true&timeoutSeconds=3",
            headers={"Authorization": f"Bearer {served.token}"},
        )
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            events = [json.loads(line) for line in r.read().splitlines() if line.strip()]
    finally:
        served.server.bookmark_seconds = before
    marks = [e for e in events if e["type"] == "BOOKMARK"]
    assert marks and int(marks[-1]["object"]["metadata"]["resourceVersion"]) > 0
    assert marks[-1]["object"]["kind"] == "Secret"


def test_openapi_v2_is_an_empty_document_in_json_or_protobuf(served):
    """kubectl reads v2 only for a kind v3 does not describe, and skips what v2 does not describe (serve/openapi.py)."""
    status, raw = _request(served, "/openapi/v2")
    assert status == 200 and json.loads(raw) == {
        "swagger": "2.0",
        "info": {"title": "kratix-lab", "version": "v2 (empty: see /openapi/v3)"},
        "paths": {},
    }
    pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    status, raw = _request(served, "/openapi/v2", headers={"Accept": pb})
    assert status == 200 and raw == b"\x0a\x032.0"  # openapi_v2.Document{swagger: "2.0"}


def test_watch_of_a_request_sees_it_added_modified_and_deleted(api_client, served):
    co = client.CustomObjectsApi(api_client)
    listed = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)
    rv = listed["metadata"]["resourceVersion"]
    body = yaml.safe_load((SAMPLES / "dev.yaml").read_text())
    body["metadata"] = {"name": "pywatch", "namespace": NS, "finalizers": ["example.com/hold"]}
    body["spec"]["name"] = "pywatch"
    with served.hold():  # no pipeline runs: the request's life is these API calls alone
        co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
        co.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pywatch", {"metadata": {"labels": {"w": "1"}}})
        co.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pywatch")  # terminating behind the finalizer
        assert co.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pywatch")["metadata"]["deletionTimestamp"]
        co.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "pywatch", {"metadata": {"finalizers": None}})
    seen = []
    w = watch.Watch()
    for ev in w.stream(
        co.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL, resource_version=rv, timeout_seconds=30
    ):
        if ev["object"]["metadata"]["name"] != "pywatch":
            continue
        seen.append((ev["type"], ev["object"]["metadata"].get("labels", {}).get("w")))
        if ev["type"] == "DELETED":
            break
    w.stop()
    # added; labelled; terminating; gone once its finalizer is removed. (Two writes between two of the hub's polls
    # arrive as one event with the newer object, so the label may come with ADDED.)
    assert seen[0][0] == "ADDED" and seen[-1] == ("DELETED", "1")
    assert [t for t, _ in seen[1:-1]] == ["MODIFIED"] * (len(seen) - 2)
