"""Request budget of live mode, counted by a wrapper around the API client (every HTTP request) and the
state repos (every clone/fetch): a cold trace of media makes ≤ 100 API requests and ≤ 1 git fetch, a
second trace within 30 s no fetch, and the count does not grow with the number of other vClusters."""

from __future__ import annotations

import copy
import os
import time

import pytest

from kratix_lab.live import kube as kube_mod
from kratix_lab.live.kube import Kube, LiveError, Target, TokenBucket
from kratix_lab.model import load_file
from kratix_lab.trace import trace
from tests.helpers import SAMPLES
from tests.live.conftest import live_source, served


class Counting:
    """Wraps ``Kube.request``: counts the HTTP requests one trace sends."""

    def __init__(self, source):
        self.source, self.calls = source, []
        inner = source.kube.request

        def request(method, path, *a, **kw):
            self.calls.append((method, path))
            return inner(method, path, *a, **kw)

        source.kube.request = request


def _add_dev(lab, names):
    doc = load_file(SAMPLES / "dev.yaml")[0].data
    for n in names:
        d = copy.deepcopy(doc)
        d["metadata"]["name"] = d["spec"]["name"] = n
        lab.submit(d)
    assert lab.settle().quiescent


def test_cold_trace_budget_and_no_growth_with_other_vclusters(lab, tmp_path, monkeypatch):
    """The Promises are kept for MEMO_SECONDS (5 s): a trace slower than that on a loaded machine lists them again.
    That is time, not fleet size, so the memo is made to outlast the test (it once counted 82/82/83 under -n 2)."""
    from kratix_lab.live import source as source_mod

    monkeypatch.setattr(source_mod, "MEMO_SECONDS", 3600.0)
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    path = lab.path
    counts, calls = {}, {}
    for others, add in ((1, []), (10, [f"dev{i}" for i in range(9)]), (50, [f"dev{i}" for i in range(9, 49)])):
        if add:
            _add_dev(lab, add)
        lab.close()
        cache = tmp_path / f"cache-{others}"
        with served(path, tmp_path / "kubeconfig") as run:
            cold = live_source(run.kubeconfig, path, cache)
            counting = Counting(cold)
            root = trace(cold, "vco", "media", "platform-requests")
            assert {n.health for n, _ in root.walk()} == {"Healthy"}
            assert len(counting.calls) <= 100, len(counting.calls)
            assert cold.repos.fetches == 1, "the cold trace clones the state repo once"
            counts[others] = len(counting.calls)
            calls[others] = sorted(counting.calls)
            vcos = cold.list("VClusterOrchestrator", "platform-requests", group="platform.integratn.tech")
            assert len(vcos) == others + 1
            if others == 1:
                (repo,) = cold.repos.repos.values()
                marker = repo.path / "kratix-lab-fetched"
                os.utime(marker, (time.time() - 29, time.time() - 29))  # 29 s ago: still fresh
                warm = live_source(run.kubeconfig, path, cache)
                trace(warm, "vco", "media", "platform-requests")
                assert warm.repos.fetches == 0, "a second trace within 30 s fetches nothing"
                os.utime(marker, (time.time() - 31, time.time() - 31))  # older than 30 s: one fetch
                stale = live_source(run.kubeconfig, path, cache)
                trace(stale, "vco", "media", "platform-requests")
                assert stale.repos.fetches == 1
        from kratix_lab.platform.lab import Lab

        lab = Lab(path, create=False)
    lab.close()
    extra = {n: sorted(set(calls[n]) ^ set(calls[1])) for n in (10, 50)}
    assert counts[1] == counts[10] == counts[50], (counts, extra)


def test_pagination_reads_every_page(lab, tmp_path, monkeypatch):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        src = live_source(run.kubeconfig, path, tmp_path / "cache")
        whole = src.list("Pod")
        assert len(whole) > 5
        monkeypatch.setattr(kube_mod, "PAGE", 2)
        counting = Counting(src)
        assert src.list("Pod") == whole
        assert len(counting.calls) == (len(whole) + 1) // 2
        assert all("limit=2" in p for _, p in src.kube.log[-len(counting.calls) :])


def test_token_bucket_is_qps_with_a_burst():
    now = [0.0]
    slept = []
    bucket = TokenBucket(qps=10, burst=3, clock=lambda: now[0])
    waits = [bucket.acquire(sleep=slept.append) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # the burst
    assert waits[3] == pytest.approx(0.1) and waits[4] == pytest.approx(0.2)
    now[0] = 10.0  # a long pause refills to the burst, no more
    assert [bucket.acquire(sleep=slept.append) for _ in range(3)] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="qps must be > 0"):
        TokenBucket(qps=0)


class _Resp:
    def __init__(self, status, data=b"{}", headers=None):
        self.status, self.data, self.headers = status, data, headers or {}


class _FakeApi:
    """An ApiClient whose answers are scripted: ApiException for non-2xx, as the real client raises."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = 0

    def call_api(self, path, method, **kw):
        from kubernetes.client.exceptions import ApiException

        self.sent += 1
        status, headers = self.answers.pop(0)
        if status >= 300:
            e = ApiException(status=status, reason="Too Many Requests")
            e.body, e.headers = b'{"message": "slow down"}', headers
            raise e
        return (_Resp(status, b'{"kind": "Status"}', headers), status, headers)


def test_429_is_retried_after_retry_after(monkeypatch):
    slept = []
    monkeypatch.setattr(kube_mod.time, "sleep", slept.append)
    api = _FakeApi([(429, {"Retry-After": "2"}), (429, {"Retry-After": "1"}), (200, {})])
    k = Kube(api, Target("ctx", "https://x", None), timeout=30)
    assert k.get_json("/api") == {"kind": "Status"}
    assert api.sent == 3 and slept == [2.0, 1.0] and k.requests == 3


def test_429_beyond_the_timeout_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(kube_mod.time, "sleep", lambda s: None)
    api = _FakeApi([(429, {"Retry-After": "120"})])
    k = Kube(api, Target("ctx", "https://x", None), timeout=5)
    with pytest.raises(
        LiveError, match=r"throttling \(429 Too Many Requests, Retry-After 120s\) beyond the 5s timeout"
    ):
        k.get_json("/api")
