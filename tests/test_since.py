"""Issue 17 item 5: "since" is when the problem began, not the object's creation; durations are human and
computed when shown, never frozen into message text.

The scenario: a vCluster 40 lab-minutes old, ``destination-unlabelled`` injected, one lab-minute later.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kratix_lab.cli import main
from kratix_lab.diagnose import diagnose, fleet
from kratix_lab.kube.times import ago, human_duration, parse_time, rfc3339
from kratix_lab.model.objects import set_condition
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import _Tracer, went_bad
from kratix_lab.views import trace_view as tv
from tests.helpers import SAMPLES

AGE = 40 * 60  # how old the vCluster is when the fault comes
AFTER = 60  # how long after the fault the lab is read
# a duration frozen into text: "(25s)", "(42m)", "for 2800s", "(1h2m)"
FROZEN = re.compile(r"\(\d+[smhdy]\w*\)|\bfor \d+s\b")


def cli(capsys, lab: Path, *args: str) -> tuple[int, str]:
    code = main(["--lab", str(lab), *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def unlabelled_template(tmp_path_factory) -> tuple[Path, int]:
    """sandbox settled, 40 lab-minutes old; then the Destination loses its label; one lab-minute later.
    Returns the lab and the lab time of the fault."""
    path = tmp_path_factory.mktemp("since") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "dev.yaml")
        assert lab.settle().quiescent
        lab.run_for(AGE)
        fault_at = lab.store.now_seconds()
        lab.faults.inject("destination-unlabelled")
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        lab.run_for(AFTER)
    return path, fault_at


@pytest.fixture
def unlabelled(unlabelled_template, tmp_path) -> tuple[Path, int]:
    path, fault_at = unlabelled_template
    shutil.copytree(path, tmp_path / "lab")
    return tmp_path / "lab", fault_at


def test_human_duration_is_kubectls(capsys):
    # apimachinery pkg/util/duration/duration.go HumanDuration; the "2800s" is "46m"
    cases = {0: "0s", 59: "59s", 119: "119s", 120: "2m", 150: "2m30s", 599: "9m59s", 2800: "46m"}
    cases |= {3 * 3600: "3h", 3 * 3600 + 60: "3h1m", 8 * 3600: "8h", 47 * 3600: "47h", 2 * 86400 + 3600: "2d1h"}
    cases |= {10 * 86400: "10d", -1: "0s", -2: "<invalid>"}
    assert {s: human_duration(s) for s in cases} == cases
    assert ago(None, 100) == "-" and ago(40, 100) == "60s" and ago(100, 40) == "0s"


def test_a_condition_moves_its_transition_time_only_when_its_status_flips():
    """SetStatusCondition (apimachinery pkg/api/meta/conditions.go:25-68): a new reason or message keeps the
    time; a new status moves it. So a condition's lastTransitionTime is when the problem began."""
    obj: dict = {}
    assert set_condition(obj, "Ready", "False", "Pending", "waiting", "2026-01-01T00:00:00Z")
    assert set_condition(obj, "Ready", "False", "Misplaced", "misplaced", "2026-01-01T00:10:00Z")
    assert obj["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert not set_condition(obj, "Ready", "False", "Misplaced", "misplaced", "2026-01-01T00:20:00Z")
    assert set_condition(obj, "Ready", "True", "Ready", "", "2026-01-01T00:30:00Z")
    assert obj["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:30:00Z"


def test_went_bad_is_the_earliest_condition_in_trouble():
    obj = {
        "status": {
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Ready", "status": "False", "lastTransitionTime": "2026-01-01T00:40:00Z"},
                {"type": "ContainersReady", "status": "False", "lastTransitionTime": "2026-01-01T00:41:00Z"},
                {"type": "Failed", "status": "False", "lastTransitionTime": "2026-01-01T00:01:00Z"},
            ]
        }
    }
    assert went_bad(obj) == "2026-01-01T00:40:00Z"  # Failed=False is fine; Initialized=True is fine
    assert went_bad(obj, "ContainersReady") == "2026-01-01T00:41:00Z"
    assert went_bad({"status": {"conditions": [{"type": "Failed", "status": "True"}]}}) is None  # no time
    job = {
        "status": {"conditions": [{"type": "Failed", "status": "True", "lastTransitionTime": "2026-01-01T01:00:00Z"}]}
    }
    assert went_bad(job) == "2026-01-01T01:00:00Z"
    # Argo CD's conditions have no status: being there is the trouble
    app = {"status": {"conditions": [{"type": "ComparisonError", "lastTransitionTime": "2026-01-01T02:00:00Z"}]}}
    assert went_bad(app) == "2026-01-01T02:00:00Z"
    assert went_bad(None) is None and went_bad({}) is None


class _Events:
    """A source with events and nothing else (what ``problem_since`` reads)."""

    def __init__(self, events):
        self._events = events

    def promises(self):
        return []

    def events(self, obj):
        return self._events

    def timestamp(self, text):
        return parse_time(text) if text else None


def test_without_a_bad_condition_the_failure_dates_from_its_first_warning_event_after_the_last_normal_one():
    obj = {"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"}}

    def event(kind, first, last):
        return {"type": kind, "firstTimestamp": first, "lastTimestamp": last}

    old_warning = event("Warning", "2026-01-01T00:05:00Z", "2026-01-01T00:06:00Z")  # an earlier failure, healed
    normal = event("Normal", "2026-01-01T00:10:00Z", "2026-01-01T00:10:00Z")
    warning = event("Warning", "2026-01-01T00:40:00Z", "2026-01-01T00:45:00Z")  # aggregated: first and last
    tracer = _Tracer(_Events([old_warning, normal, warning]), 5)
    assert tracer.problem_since(obj) == parse_time("2026-01-01T00:40:00Z")
    assert _Tracer(_Events([normal]), 5).problem_since(obj) == 0, "nothing better: its creation"
    assert tracer.problem_since(None) is None
    reporter = {
        "status": {"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": "2026-01-01T00:30:00Z"}]}
    }
    assert tracer.problem_since(obj, also=reporter) == parse_time("2026-01-01T00:30:00Z"), (
        "the reporter's condition first"
    )


def test_since_is_when_the_fault_began_not_when_the_request_was_created(unlabelled):
    path, fault_at = unlabelled
    with Lab(path, create=False) as lab:
        source = LabSource(lab)
        now = source.now()
        d = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
        (row,) = fleet(source)
    assert d.findings[0].id == "work-misplaced", d.verdict
    assert now - fault_at == AFTER
    assert fault_at <= d.since <= now and row.since == d.since, (rfc3339(d.since), rfc3339(fault_at))
    for f in d.findings:
        assert f.since is not None and f.since >= fault_at, (f.id, rfc3339(f.since))
    assert f"since {rfc3339(d.since)} ({human_duration(now - d.since)}):" in d.verdict
    assert "stuck at WorkPlacement since" in d.verdict and human_duration(now - d.since).endswith("s")
    # the row's message is the verdict without its time: its SINCE column says it, computed when shown
    assert row.message.startswith("stuck at WorkPlacement: ") and " since " not in row.message
    assert not FROZEN.search(row.message), row.message


def test_the_same_finding_read_later_says_a_longer_duration(unlabelled):
    path, _ = unlabelled
    with Lab(path, create=False) as lab:
        source = LabSource(lab)
        d = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
        later = d.now + 45 * 60
        assert d.verdict_at(later) != d.verdict
        assert f"({human_duration(later - d.since)})" in d.verdict_at(later)
        assert f"({human_duration(later - d.since)})" in tv.diagnosis_text(d, now=later)
        lab.run_for(10 * 60)  # nothing changes but the clock
        again = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
        (row,) = fleet(source)
    assert again.since == d.since and row.since == d.since, "the problem began when it began"
    assert f"({human_duration(again.now - d.since)})" in again.verdict
    assert again.now - d.since >= 10 * 60


def test_status_and_diagnose_show_about_a_minute_and_json_carries_timestamps(unlabelled, capsys):
    path, fault_at = unlabelled
    code, out = cli(capsys, path, "status", "-o", "wide")
    assert code == 1
    header, row, _summary = out.splitlines()
    since = row.split()[header.split().index("SINCE")]
    assert re.fullmatch(r"\d+s", since) and int(since[:-1]) <= AFTER, row  # not "41m"
    assert "stuck at WorkPlacement: " in row and not FROZEN.search(row), row

    code, out = cli(capsys, path, "status", "-o", "json")
    (data,) = json.loads(out)
    assert fault_at <= parse_time(data["since"]), data["since"]
    assert not FROZEN.search(data["message"]) and " since " not in data["message"], data["message"]

    code, out = cli(capsys, path, "diagnose", "vclusterorchestrator/sandbox", "-n", "platform-requests")
    verdict, _, first, *_ = out.splitlines()
    assert re.match(r"stuck at WorkPlacement since 2026-01-01T00:4\d:\d\dZ \(\d+s\): ", verdict), verdict
    assert re.match(r"1\. \[warning\] work-misplaced at WorkPlacement since \S+Z \(\d+s\): ", first), first

    code, out = cli(capsys, path, "diagnose", "vclusterorchestrator/sandbox", "-n", "platform-requests", "-o", "json")
    data = json.loads(out)
    assert fault_at <= parse_time(data["since"]) and f"since {data['since']}: " in data["verdict"]
    assert not FROZEN.search(data["verdict"]), data["verdict"]
    assert all(fault_at <= parse_time(f["since"]) for f in data["findings"])

    code, out = cli(capsys, path, "diagnose", "--all")
    assert re.search(r"^stuck at WorkPlacement since \S+Z \(\d+s\): ", out, re.M), out

    code, out = cli(capsys, path, "trace", "vclusterorchestrator/sandbox", "-n", "platform-requests", "-o", "wide")
    misplaced = [line for line in out.splitlines() if "WorkPlacement/" in line and "misplaced: Destination" in line]
    assert misplaced and all(re.search(r"Degraded  for \d+s  ", line) for line in misplaced), misplaced
    assert not re.search(r"for \d{3,}s", out), "durations are human (46m, not 2800s)"


def test_an_argo_cd_condition_keeps_its_time_until_its_message_changes(tmp_path):
    """argo-cd pkg/apis/application/v1alpha1/types.go:3713-3749 ``SetConditions``: a condition of the same type and
    message keeps its lastTransitionTime; a new message is a new condition, with a new time."""
    from tests.test_argocd import app

    def condition(lab):
        (c,) = lab.get("Application", "nginx", "argocd")["status"]["conditions"]
        return c["type"], c["lastTransitionTime"]

    source = {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "nginx", "targetRevision": "18.0.0"}
    with Lab(tmp_path / "lab") as lab:
        lab.apply(app("nginx", source))
        lab.settle()
        kind, first = condition(lab)
        assert kind == "ComparisonError"
        lab.run_for(10 * 60)
        lab.apply(app("nginx", source | {"helm": {"valuesObject": {"replicaCount": 2}}}))  # compared again
        lab.settle()
        assert condition(lab) == (kind, first), "the same error: since it first appeared"
        # the app's health is timed too, and moves only when its status does (appcontroller.go:2437-2450)
        assert lab.get("Application", "nginx", "argocd")["status"]["health"] == {
            "status": "Unknown",
            "message": lab.get("Application", "nginx", "argocd")["status"]["health"]["message"],
            "lastTransitionTime": first,
        }
        lab.apply(app("nginx", source | {"chart": "redis"}))  # another message
        lab.settle()
        assert condition(lab)[1] > first


@pytest.fixture(scope="module")
def aged_template(tmp_path_factory) -> Path:
    """sandbox settled and then 40 lab-minutes old, every stage Healthy."""
    path = tmp_path_factory.mktemp("aged") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "dev.yaml")
        assert lab.settle().quiescent
        lab.run_for(AGE)
        assert diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox", "platform-requests").healthy
    return path


STRICT = {"isolationMode": "strict"}  # an edit that changes what the pipelines write (a new commit)
FAULTS = [
    ("destination-unlabelled", {}, "reconcile"),
    ("pipeline-fails", {"promise": "vcluster-core"}, "reconcile"),
    ("workload-crashloop", {"namespace": "vcluster-sandbox", "name": "sandbox-0"}, None),
    ("workload-oomkilled", {"namespace": "vcluster-sandbox", "name": "sandbox-0"}, None),
    ("statestore-push-rejected", {}, "edit"),
    ("argocd-autosync-disabled", {}, "edit"),
]


@pytest.mark.parametrize(("fault", "params", "action"), FAULTS, ids=[f[0] for f in FAULTS])
def test_every_node_in_trouble_dates_from_the_fault_not_from_its_creation(
    aged_template, tmp_path, fault, params, action
):
    """Whatever the fault, on a vCluster 40 minutes old: every node of the trace that is not Healthy — the failing
    one and those above and below it (a StatefulSet without conditions, the Helm release, the Work) — says it
    has been so since the fault or later, and the verdict, the findings and the fleet row agree."""
    shutil.copytree(aged_template, tmp_path / "lab")
    with Lab(tmp_path / "lab", create=False) as lab:
        fault_at = lab.store.now_seconds()
        lab.faults.inject(fault, **params)
        if action == "reconcile":
            lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        elif action == "edit":
            edited = json.loads(json.dumps(DEV))
            edited["spec"]["vcluster"] = STRICT
            lab.submit(edited)
        lab.run_for(5 * 60 if action == "edit" else AFTER)
        source = LabSource(lab)
        d = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
        (row,) = fleet(source)
    assert d.findings and d.since is not None, d.verdict
    troubled = [(n.ref, n.health, n.since) for n, _ in d.trace.walk() if n.health not in ("Healthy",)]
    assert troubled, d.verdict
    old = [(ref, health, rfc3339(since)) for ref, health, since in troubled if since is None or since < fault_at]
    assert not old, old
    assert all(f.since is not None and f.since >= fault_at for f in d.findings), [(f.id, f.since) for f in d.findings]
    assert row.since == d.since and fault_at <= d.since <= d.now


DEV = {
    "apiVersion": "platform.integratn.tech/v1alpha1",
    "kind": "VClusterOrchestrator",
    "metadata": {"name": "sandbox", "namespace": "platform-requests"},
    "spec": {"name": "sandbox"},
}
