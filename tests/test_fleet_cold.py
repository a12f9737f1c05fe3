"""A cold ``status`` / ``diagnose --all`` (issue 15): the one-shot rows read the lab in bulk — a ``LabSnapshot`` (each
kind in one query, indexed; the files of every WorkPlacement's commit in one ``git cat-file --batch``) — and must be
exactly the rows and diagnoses read object by object through the ``LabSource``."""

from __future__ import annotations

import io
import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.diagnose import VClusterStatus, diagnose, fleet
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.pipeline.contract import placement_dir
from kratix_lab.platform.gitrepo import GitRepo
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSnapshot, LabSource
from kratix_lab.views import trace_view as tv
from tests.helpers import SAMPLES
from tests.test_fleet_incremental import FAULT_NAMES, FAULTS, OPS, apply

# the label sets trace and diagnose select on (trace/kratix.py, trace/helm.py), and the kinds they list
SELECTORS = [
    ("Work", ("kratix.io/promise-name", "kratix.io/resource-name")),
    ("Job", ("kratix.io/promise-name", "kratix.io/resource-name")),
    ("WorkPlacement", ("kratix.io/work",)),
    ("Pod", ("job-name",)),
    ("Pod", ("app", "release")),
    ("Pod", ("k8s-app", "vcluster.loft.sh/managed-by")),
    ("Deployment", ("vcluster.loft.sh/managed-by",)),
]


def _group(obj: dict) -> str:
    return str(obj["apiVersion"]).rpartition("/")[0]


def _outcome(read):  # what a read gives, or which error it raises
    try:
        return ("answer", read())
    except Exception as e:
        return ("error", type(e))


def _one_shot(source: LabSource) -> tuple[list[VClusterStatus], list[dict]]:
    rows = FleetRows(source, track=False)
    return rows.refresh(), [tv.diagnosis_json(d) for d in rows.diagnoses()]


def _object_by_object(source: LabSource) -> tuple[list[VClusterStatus], list[dict]]:
    rows = fleet(source)
    return rows, [tv.diagnosis_json(diagnose(source, "VClusterOrchestrator", r.name, r.namespace)) for r in rows]


@pytest.fixture
def two(lab):
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    return lab


def test_the_snapshot_answers_as_the_lab_source(two):
    """Every get and list the trace asks — each kind in the store and one nobody serves, with and without group and
    namespace, every label set trace selects on, values present and absent — answers what the LabSource answers."""
    source = LabSource(two, read_only=True)
    snap = source.snapshot()
    assert isinstance(snap, LabSnapshot)
    store = two.store
    kinds = [*store.kinds(), "NoSuchKind"]
    for kind in kinds:
        objs = source.list(kind)
        assert snap.list(kind) == objs, kind
        for g in {None, "", "apps", "platform.kratix.io", "argoproj.io", *(_group(o) for o in objs[:1])}:
            assert snap.list(kind, group=g) == source.list(kind, group=g), (kind, g)
        for ns in {
            None,
            "",
            "platform-requests",
            "argocd",
            "no-such-ns",
            *(o["metadata"].get("namespace") for o in objs),
        }:
            assert snap.list(kind, ns) == source.list(kind, ns), (kind, ns)
        for o in objs:
            meta = o["metadata"]
            group = _group(o)
            for ns in (meta.get("namespace"), None, "elsewhere"):
                for g in (group, None, "other.group"):
                    assert snap.get(kind, meta["name"], ns, g) == source.get(kind, meta["name"], ns, g)
            for key, value in (meta.get("labels") or {}).items():
                for labels in ({key: value}, {key: value + "-no"}):
                    assert snap.list(kind, meta.get("namespace"), labels) == source.list(
                        kind, meta.get("namespace"), labels
                    )
                    assert snap.list(kind, None, labels) == source.list(kind, None, labels)
        assert snap.get(kind, "no-such-name", "platform-requests") is None
    for kind, keys in SELECTORS:
        for o in source.list(kind):
            labels = o["metadata"].get("labels") or {}
            if all(k in labels for k in keys):
                selector = {k: labels[k] for k in keys}
                for ns in (o["metadata"].get("namespace"), None):
                    got = snap.list(kind, ns, selector)
                    assert got == source.list(kind, ns, selector) and o in got
                assert snap.list(kind, "no-such-ns", selector) == []
    assert snap.list("Work", "platform-requests", {"kratix.io/promise-name": "x", "kratix.io/resource-name": ""}) == []
    # a LabelSelector is the store's to read (matchLabels / matchExpressions)
    selector = {"matchExpressions": [{"key": "kratix.io/work", "operator": "Exists"}]}
    assert snap.list("WorkPlacement", None, selector) == source.list("WorkPlacement", None, selector) != []
    assert [p.name for p in snap.promises()] == [p.name for p in source.promises()]
    assert snap.kinds() is snap.kinds()
    assert snap.now() == source.now() and snap.state_head() == source.state_head()
    assert snap.change_token() == source.change_token()


def test_an_object_deleted_after_the_snapshot_read_its_kind(two):
    """The snapshot answers as the lab was when it read a kind: an object deleted after that is still there for every
    get and list of the snapshot (no row sees it half-gone); a new snapshot, as the LabSource, no longer has it."""
    source = LabSource(two)
    snap = source.snapshot()
    wp = snap.list("WorkPlacement", "platform-requests")[0]
    meta = wp["metadata"]
    work = meta["labels"]["kratix.io/work"]
    two.store.update({**wp, "metadata": {**meta, "finalizers": []}})
    two.store.delete("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io")
    assert source.get("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io") is None
    assert snap.get("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io") == wp
    assert wp in snap.list("WorkPlacement", meta["namespace"], {"kratix.io/work": work})
    fresh = source.snapshot()
    assert fresh.get("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io") is None
    assert fresh.list("WorkPlacement", meta["namespace"], {"kratix.io/work": work}) == source.list(
        "WorkPlacement", meta["namespace"], {"kratix.io/work": work}
    )
    # the rows of a snapshot taken now are the rows read object by object (the placement missing from both)
    assert _one_shot(source) == _object_by_object(source)


def test_the_files_of_every_placement_read_in_one_batch_are_read_files(two):
    """``GitRepo.read_files_many`` answers what ``read_files`` answers, in the same order: every WorkPlacement's
    directory at its commit, the root, a file, a path that is not there, a commit that is not there, a branch."""
    repo = two.state_remote
    head = repo.head()
    specs = [
        (placement_dir("clusters/the-cluster", wp), wp["status"]["versionID"])
        for wp in two.store.list("WorkPlacement")
        if (wp.get("status") or {}).get("versionID")
    ]
    assert specs
    first_file = next(iter(repo.read_files(specs[0][0], specs[0][1])))
    specs += [
        ("", head),
        ("clusters", head),
        ("/clusters/the-cluster/", head),
        (first_file, specs[0][1]),
        ("no/such/path", head),
        ("clusters", "0" * 40),
        ("clusters", "main"),
        ("clusters/../clusters", head),
    ]
    tree_sha = repo.repo.commit(head).tree.hexsha  # not a commit: read_files decides what that means
    specs_odd = [("clusters", tree_sha), ("", tree_sha)]
    fresh = GitRepo(repo.path)
    many = fresh.read_files_many(specs)
    assert list(many) == list(dict.fromkeys(specs))
    for spec in specs:
        one = GitRepo(repo.path).read_files(*spec)
        assert many[spec] == one and list(many[spec]) == list(one), spec
    for spec in specs_odd:
        batch = _outcome(lambda spec=spec: GitRepo(repo.path).read_files_many([spec])[spec])
        assert batch == _outcome(lambda spec=spec: GitRepo(repo.path).read_files(*spec)), spec
    # the commits read on the way are kept: their headers are not read again
    assert fresh.commit_info(specs[0][1]) == GitRepo(repo.path).commit_info(specs[0][1])
    assert fresh.first_parent_chain(head)[0] == head and fresh.first_parent_chain("0" * 40) is None


def test_the_first_parent_chain_is_the_walk(two, monkeypatch):
    """``is_ancestor`` from one ``git rev-list --first-parent`` answers as following ``first_parent`` commit by
    commit (the walk it replaces, still there when git cannot list)."""
    head = two.state_remote.head()
    chain = two.state_remote.first_parent_chain(head)
    assert chain is not None and len(chain) > 3 and chain[0] == head
    pairs = [(a, d) for a in [*chain[::3], "0" * 40] for d in (head, chain[2], "0" * 40)]
    listed = LabSource(two)
    answers = [listed.is_ancestor(a, d) for a, d in pairs]
    monkeypatch.setattr(two.state_remote, "first_parent_chain", lambda sha: None)
    walked = LabSource(two)
    assert [walked.is_ancestor(a, d) for a, d in pairs] == answers
    assert answers.count(True) >= len(chain[::3])


def test_one_shot_rows_equal_rows_read_object_by_object(two):
    assert _one_shot(LabSource(two)) == _object_by_object(LabSource(two))


@pytest.mark.parametrize(("fault", "params"), FAULTS, ids=FAULT_NAMES)
def test_one_shot_rows_under_every_fault(two, fault, params):
    """Each fault of the diagnose scenarios, mid-flight and settled: the bulk rows and diagnoses are the ones read
    object by object."""
    source = LabSource(two)
    two.faults.inject(fault, **params)
    two.reconcile("VClusterCore", "sandbox", "platform-requests")
    for _ in range(3):
        two.step()
        assert _one_shot(source) == _object_by_object(source)
    two.run_for(60)
    assert _one_shot(source) == _object_by_object(source)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=2, max_size=6))
def test_one_shot_rows_after_random_changes(dev_lab_template, tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("cold") / "lab"
    shutil.copytree(dev_lab_template, path)
    with Lab(path, create=False) as lab:
        source = LabSource(lab)
        for op in ops:
            apply(lab, op)
            assert _one_shot(source) == _object_by_object(source), op
    shutil.rmtree(path, ignore_errors=True)


def _rows(rng: random.Random, n: int, columns: tuple[str, ...]) -> list[VClusterStatus]:
    messages = ["healthy: x", "stuck at sync: " + "y" * rng.randint(0, 150), "", "a  b ", "ünïcode", "two\nlines"]
    return [
        VClusterStatus(
            f"vc{i:03d}" * rng.randint(1, 3),
            rng.choice(["platform-requests", "ns", ""]),
            rng.choice(["prod", "", "dev"]),
            "v1.34.3",
            "pod",
            rng.choice(["Healthy", "Degraded"]),
            rng.choice([None, 100, 5]),
            rng.choice(messages[:4] if i % 3 else messages),
            columns,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("seed", range(12))
def test_the_piped_table_is_richs(seed, monkeypatch):
    """``status`` piped prints its table directly (Rich measuring every cell of a thousand rows takes seconds): the
    same bytes as Rich's table — header or not (``-w``'s updates), wide or not; rows Rich would draw differently (a
    wide character, a newline) are left to Rich."""
    from kratix_lab.cli import status as st_cli
    from kratix_lab.views.literal import LiteralConsole

    rng = random.Random(seed)
    rows = _rows(rng, rng.randint(1, 25), rng.choice([("Preset", "K8s"), (), ("Only",)]))
    for wide in (False, True):
        for widths in (None, [None] * 8):
            out = []
            for direct in (True, False):
                if not direct:
                    monkeypatch.setattr(st_cli, "_plain_cells", lambda lines: False)
                buf = io.StringIO()
                console = LiteralConsole(file=buf, highlight=False, soft_wrap=True, width=4096)
                st_cli._print_status(rows, 200, console, wide, widths)
                out.append(buf.getvalue())
                monkeypatch.undo()
            assert out[0] == out[1]


def test_two_workers_make_the_same_rows_and_diagnoses(two, monkeypatch):
    """A one-shot's rows computed by two processes (``workers=2``: each opens the lab again, read-only, and reads its
    share through its own snapshot) are the rows and diagnoses computed in this process, in the same order."""
    import kratix_lab.fleet.rows as fleet_rows

    source = LabSource(two)
    two.faults.inject("pipeline-fails", promise="vcluster-core")
    two.reconcile("VClusterCore", "sandbox", "platform-requests")
    two.run_for(60)
    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    parallel = FleetRows(source, track=False, workers=2)
    rows = parallel.refresh()
    assert parallel.changed == [("platform-requests", "media"), ("platform-requests", "sandbox")]
    assert (rows, [tv.diagnosis_json(d) for d in parallel.diagnoses()]) == _one_shot(source)
    assert {r.health for r in rows} == {"Healthy", "Degraded"}
    assert callable(source.reopen) and source.reopen().read_only
