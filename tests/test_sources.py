"""The Source seam: trace, diagnose and the fleet give the same answers through a recorded, in-memory
Source with no Lab behind it as through LabSource."""

from __future__ import annotations

import pytest

from kratix_lab.diagnose import diagnose, fleet
from kratix_lab.sources import factory
from kratix_lab.sources.lab import LabSource
from kratix_lab.sources.recorded import NotRecorded, RecordedSource, Recorder
from kratix_lab.trace import TraceError, trace


def _same_through_a_replay(lab, kind: str, name: str, namespace: str | None):
    live = LabSource(lab, read_only=True)
    expected = (trace(live, kind, name, namespace), diagnose(live, kind, name, namespace), fleet(live))

    recorder = Recorder(LabSource(lab, read_only=True))
    recorded = (trace(recorder, kind, name, namespace), diagnose(recorder, kind, name, namespace), fleet(recorder))
    assert recorded == expected

    replay = recorder.replay()
    assert isinstance(replay, RecordedSource) and not hasattr(replay, "lab")
    lab.close()  # nothing behind the replay: the lab is closed
    replayed = (trace(replay, kind, name, namespace), diagnose(replay, kind, name, namespace), fleet(replay))
    assert replayed == expected
    return expected


def test_a_healthy_request_replays_identically(lab):
    tree, diagnosis, rows = _same_through_a_replay(lab, "vco", "sandbox", None)
    assert tree.kind == "VClusterOrchestrator" and tree.children
    assert not diagnosis.findings and [r.name for r in rows] == ["sandbox"]


def test_findings_replay_identically(lab):
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    _, diagnosis, rows = _same_through_a_replay(lab, "VClusterOrchestrator", "sandbox", "platform-requests")
    assert diagnosis.findings and rows[0].health == "Degraded"


def test_errors_replay_identically_and_unrecorded_questions_are_refused(lab):
    recorder = Recorder(LabSource(lab, read_only=True))
    with pytest.raises(TraceError) as live_error:
        trace(recorder, "pizza", "x")
    replay = recorder.replay()
    with pytest.raises(TraceError) as replayed_error:
        trace(replay, "pizza", "x")
    assert str(replayed_error.value) == str(live_error.value)
    with pytest.raises(NotRecorded, match="was not asked while recording"):
        replay.get("Pod", "nope", "default")


def test_sources_open_is_the_composition_root(lab):
    path = lab.path
    lab.close()
    source = factory.open(path, read_only=True)
    assert isinstance(source, LabSource) and source.read_only
    assert source.kinds().resolve("vco").kind == "VClusterOrchestrator"
    assert [r.name for r in fleet(source)] == ["sandbox"]
    source.lab.close()


# ---- the create form's validation through a recorded platform (issue 10: "Done when", the form) ---------------


def _other_group_form(catalogue, group: str):
    """The orchestrator's form for a group the lab does not serve: the schema admits, the platform does not."""
    import copy

    from kratix_lab import forms
    from kratix_lab.promise import Promise

    doc = copy.deepcopy(catalogue.get("vcluster-orchestrator").doc)
    doc["metadata"]["name"] = "other-orchestrator"
    doc["spec"]["api"]["spec"]["group"] = group
    doc["spec"]["api"]["metadata"]["name"] = f"vclusterorchestrators.{group}"
    return forms.form_for(Promise.from_dict(doc))


# (form, values, editing): every way validation reads the platform — names and spec.name in use, a missing
# namespace, a value that does not convert, the platform's own admission refusing (an unserved group, a kind
# whose version it does not know), an edit keeping its own name, and a request that is fine.
_FORM_CASES = [
    ("vco", {"spec.name": "sandbox"}, None),
    ("vco", {"metadata.name": "sandbox-2", "spec.name": "sandbox"}, None),
    ("vco", {"spec.name": "demo", "metadata.namespace": "team-a"}, None),
    ("vco", {"spec.name": "demo", "spec.vcluster.replicas": "many"}, None),
    ("vco", {"spec.name": "demo", "spec.vcluster.preset": "prod"}, None),
    ("vco", {"spec.name": "sandbox", "metadata.name": "sandbox", "spec.vcluster.preset": "prod"}, "sandbox"),
    ("vco", {"spec.name": "renamed", "metadata.name": "renamed"}, "sandbox"),
    ("unserved", {"spec.name": "demo"}, None),
    ("unknown-version", {"spec.name": "demo"}, None),
]


def _validate_all(platform, models):
    from kratix_lab import forms

    return [forms.validate(models[m], values, platform, editing=editing) for m, values, editing in _FORM_CASES]


def test_the_create_forms_validation_replays_identically(lab):
    """The create form's validation through a Platform whose source and actions are a replay — no Lab behind
    it — gives the same requests, problems, warnings and admitted objects as through the lab (LabSource +
    LabActions); a submit through the replay is refused and a question never recorded is an error."""
    from kratix_lab import forms
    from kratix_lab.errors import Forbidden
    from kratix_lab.promises import load_catalogue
    from kratix_lab.sources.lab import lab_platform
    from kratix_lab.sources.recorded import ActionsRecorder, RecordedActions, record, replay

    catalogue = load_catalogue()
    models = {
        "vco": forms.form_for(catalogue.get("vcluster-orchestrator")),
        "unserved": _other_group_form(catalogue, "other.integratn.tech"),
        "unknown-version": _other_group_form(catalogue, "other.platform.integratn.tech"),
    }
    expected = _validate_all(lab_platform(lab, read_only=True), models)
    by_case = [[(p.field, p.message) for p in r.problems] for r in expected]
    # the cases say what they mean to: each kind of problem, and clean results where nothing is wrong
    assert [p[0][0] if p else None for p in by_case] == [
        "spec.name", "spec.name", "metadata.namespace", "spec.vcluster.replicas", None, None, "metadata.name", "", "",
    ]  # fmt: skip
    assert "is not served by the lab" in by_case[7][0][1] and "no matches for kind" in by_case[8][0][1]
    assert expected[4].admitted is not None and expected[4].admitted["spec"]["vcluster"]["preset"] == "prod"

    recording = record(lab_platform(lab, read_only=True))
    assert isinstance(recording.actions, ActionsRecorder)
    assert _validate_all(recording, models) == expected
    with pytest.raises(Forbidden, match="read-only"):
        forms.submit(models["vco"], {"spec.name": "demo"}, recording)  # the recorder writes nothing either

    replayed = replay(recording)
    assert isinstance(replayed.actions, RecordedActions) and not hasattr(replayed.actions, "inner")
    assert not hasattr(replayed.source, "lab")
    lab.close()  # nothing behind the replay
    assert _validate_all(replayed, models) == expected
    assert replayed.actions.where == "the lab"  # messages name the platform recorded
    with pytest.raises(Forbidden, match=r"read-only: a replay changes nothing \(submit refused\)"):
        forms.submit(models["vco"], {"spec.name": "demo", "spec.vcluster.preset": "prod"}, replayed)
    with pytest.raises(NotRecorded, match="was not asked while recording"):
        forms.validate(models["vco"], {"spec.name": "never-asked"}, replayed)


def test_replay_takes_only_a_recording(lab):
    from kratix_lab.sources.lab import lab_platform
    from kratix_lab.sources.recorded import replay

    with pytest.raises(TypeError, match="takes the Platform that record"):
        replay(lab_platform(lab, read_only=True))


def test_one_commit_type_and_one_header_parser_for_the_labs_repos(tmp_path):
    """GitRepo.commit_info / first_parent parse a commit's header (issue 10 item 5: sources/lab.py no longer
    reads GitRepo's objects itself) and agree with git's own reading (gitpython's log/show); a lab repo's
    log and show give the seam's CommitInfo, the one commit type."""
    from kratix_lab.platform.gitrepo import Commit, GitRepo, Identity
    from kratix_lab.sources import CommitInfo

    assert Commit is CommitInfo
    repo = GitRepo.init(tmp_path / "repo")
    who = Identity("kratix", "kratix@kratix.io")
    first = repo.write_files({"a.yaml": b"a: 1\n"}, "Add a\n\nwith a body", who, 5)
    second = repo.write_files({"a.yaml": b"a: 2\n", "b.yaml": b"b: 1\n"}, "Change a, add b", who, 65)
    assert repo.first_parent(first) is None and repo.first_parent(second) == first  # read before the flush, too
    info = repo.commit_info(second)
    assert info == CommitInfo(second, "Change a, add b", "kratix <kratix@kratix.io>", info.date, (), (first,))
    repo.flush()
    shown = repo.show(second)
    assert isinstance(shown, CommitInfo) and shown.parents == (first,) and shown.files == ("a.yaml", "b.yaml")
    assert (shown.message, shown.author) == (info.message, info.author)
    assert repo.commit_info(first).message == "Add a\n\nwith a body" and repo.commit_info(first).parents == ()
    assert [c.sha for c in repo.log()] == [second, first]
    # the date is the commit's, in RFC 3339 UTC: the same instant git reports
    from datetime import datetime

    assert datetime.fromisoformat(info.date.replace("Z", "+00:00")) == datetime.fromisoformat(shown.date)
    # not a commit: unknown, malformed, a blob
    from kratix_lab.platform.gitrepo import blob_sha

    blob = blob_sha(b"a: 2\n")
    for sha in ("0" * 40, "not-a-sha", blob):
        assert repo.commit_info(sha) is None and repo.first_parent(sha) is None


def test_a_sources_timestamps_are_seconds_on_its_clock_and_unknown_ones_none(lab):
    """Source.timestamp of the lab and of live mode is kube.times.timestamp: RFC 3339 → seconds on the clock;
    no text or text in another form is unknown (None), never an error."""
    from kratix_lab.kube.times import rfc3339, timestamp

    assert timestamp(rfc3339(90)) == 90 == LabSource(lab, read_only=True).timestamp("2026-01-01T00:01:30Z")
    for text in (None, "", "yesterday", "2026-01-01T00:01:30+00:00", "2026-13-01T00:00:00Z"):
        assert timestamp(text) is None and LabSource(lab, read_only=True).timestamp(text) is None


@pytest.mark.parametrize("at", [0, 65, 1_700_000_000, 253_402_300_799])
def test_a_commits_date_is_its_instant_in_rfc3339_utc(tmp_path, at):
    """``GitRepo.commit_info``'s date: the author's instant (seconds since the epoch ``at``), ``YYYY-MM-DDTHH:MM:SSZ``
    in UTC — git's own reading of it (gitpython's ``show``) — to the last second of year 9999 (formatted by
    ``time``: a fleet reads thousands)."""
    from datetime import UTC, datetime

    from kratix_lab.kube.times import EPOCH
    from kratix_lab.platform.gitrepo import GitRepo, Identity

    repo = GitRepo.init(tmp_path / "repo")
    when = at - int(EPOCH.timestamp())
    sha = repo.write_files({"a.yaml": b"a: 1\n"}, "Add a", Identity("kratix", "kratix@kratix.io"), when)
    repo.flush()
    shown = datetime.fromisoformat(repo.show(sha).date).astimezone(UTC)
    assert repo.commit_info(sha).date == shown.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shown == datetime.fromtimestamp(at, UTC)
