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
from tests.test_fleet_incremental import FAULT_NAMES, FAULTS, OPS, apply, under_fault

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
    one_shot = source.snapshot()  # a one-shot's (prefetch): bodies parsed for the label index while git reads
    one_shot.prefetch()
    for kind, keys in SELECTORS:
        for o in source.list(kind):
            labels = o["metadata"].get("labels") or {}
            if all(k in labels for k in keys):
                selector = {k: labels[k] for k in keys}
                for ns in (o["metadata"].get("namespace"), None):
                    got = snap.list(kind, ns, selector)
                    assert got == source.list(kind, ns, selector) == one_shot.list(kind, ns, selector) and o in got
                assert snap.list(kind, "no-such-ns", selector) == one_shot.list(kind, "no-such-ns", selector) == []
    one_shot.ready()
    assert snap.list("Work", "platform-requests", {"kratix.io/promise-name": "x", "kratix.io/resource-name": ""}) == []
    # a LabelSelector is the store's to read (matchLabels / matchExpressions)
    selector = {"matchExpressions": [{"key": "kratix.io/work", "operator": "Exists"}]}
    assert snap.list("WorkPlacement", None, selector) == source.list("WorkPlacement", None, selector) != []
    assert [(p.name, p.doc, p.source) for p in snap.promises()] == [
        (p.name, p.doc, p.source) for p in source.promises()
    ]
    assert snap.kinds() is snap.kinds()
    for kind in [*store.kinds(), *(p.crd.kind for p in source.promises() if p.crd), "vco", "NoSuchKind"]:
        assert _outcome(lambda kind=kind: snap.kinds().resolve(kind)) == _outcome(
            lambda kind=kind: source.kinds().resolve(kind)
        ), kind
    # every pod's log (and one with no log), whole, by container and by tail, as the LabSource reads it
    containers = {
        c
        for p in source.list("Pod")
        for c in [None, "nope", *(x["name"] for x in p["spec"]["containers"] + p["spec"].get("initContainers", []))]
    }
    pods = [*source.list("Pod"), {"metadata": {"name": "no-such-pod", "namespace": "platform-requests"}}]
    assert any(source.logs(p) for p in pods)
    for pod in pods:
        for container in containers:
            for tail in (None, 0, 1, 10):
                assert snap.logs(pod, tail, container) == source.logs(pod, tail, container)
    assert snap.now() == source.now() and snap.state_head() == source.state_head()
    assert snap.change_token() == source.change_token()


def test_a_namespace_read_alone_answers_as_the_lab_source(two):
    """A get or list in one namespace of a kind the snapshot has not read whole reads that namespace alone (``_in``);
    asked first that way — every kind, every namespace its objects are in, the cluster scope, one nobody uses, with and
    without group, every label set trace selects on — it answers what the LabSource answers, reads no other namespace,
    and once the kind is read whole (a list of every namespace) the answers stay the same."""
    source = LabSource(two, read_only=True)
    for kind in [*two.store.kinds(), "NoSuchKind"]:
        snap = source.snapshot()
        objs = source.list(kind)
        namespaces = sorted({o["metadata"].get("namespace") or "" for o in objs} | {"", "no-such-ns"})
        for ns in namespaces:
            assert snap.list(kind, ns) == source.list(kind, ns), (kind, ns)
            assert kind not in snap._kinds and (kind, ns) in snap._parts
            assert [o.namespace for o in snap._parts[(kind, ns)].rows] == [ns] * len(snap._parts[(kind, ns)].rows)
            for g in {None, "other.group", *(_group(o) for o in objs[:1])}:
                assert snap.list(kind, ns, group=g) == source.list(kind, ns, group=g), (kind, ns, g)
        for o in objs:
            meta = o["metadata"]
            fresh = source.snapshot()  # a get first: the object's namespace (or the cluster scope) alone
            for ns in (meta.get("namespace"), None, "elsewhere"):
                for g in (_group(o), None, "other.group"):
                    assert fresh.get(kind, meta["name"], ns, g) == source.get(kind, meta["name"], ns, g)
            assert kind not in fresh._kinds
        for wanted, keys in SELECTORS:
            if wanted != kind:
                continue
            for o in objs:
                labels = o["metadata"].get("labels") or {}
                if all(k in labels for k in keys):
                    selector = {k: labels[k] for k in keys}
                    ns = o["metadata"].get("namespace") or ""
                    fresh = source.snapshot()
                    got = fresh.list(kind, ns, selector)
                    assert got == source.list(kind, ns, selector) and o in got
                    assert fresh.list(kind, ns, {k: labels[k] + "-no" for k in keys}) == []
        assert snap.list(kind) == objs  # read whole now: it answers from then on
        for ns in namespaces:
            assert snap.list(kind, ns) == source.list(kind, ns), (kind, ns)


def test_a_namespace_read_alone_selects_a_pod_without_labels_by_none(two):
    """Odd objects in a namespace read alone: a Pod with no labels at all, one whose labels are null, one with a label
    of another type — no label selector selects them, and a get and an unselected list find them as the store does."""
    source = LabSource(two)
    base = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "image": "i"}]}}
    two.store.create({**base, "metadata": {"name": "bare", "namespace": "odd"}})
    two.store.create({**base, "metadata": {"name": "nulls", "namespace": "odd", "labels": None}})
    two.store.create({**base, "metadata": {"name": "typed", "namespace": "odd", "labels": {"app": "x", "n": "1"}}})
    snap = source.snapshot()
    assert snap.list("Pod", "odd", {"app": "x"}) == source.list("Pod", "odd", {"app": "x"})
    assert [p["metadata"]["name"] for p in snap.list("Pod", "odd", {"app": "x"})] == ["typed"]
    assert snap.list("Pod", "odd", {"app": "y"}) == [] == snap.list("Pod", "odd", {"release": "x"})
    assert snap.list("Pod", "odd") == source.list("Pod", "odd") and len(snap.list("Pod", "odd")) == 3
    for name in ("bare", "nulls", "typed"):
        assert snap.get("Pod", name, "odd") == source.get("Pod", name, "odd") is not None
    assert "Pod" not in snap._kinds and [k for k in snap._parts if k[0] == "Pod"] == [("Pod", "odd")]


def test_a_namespace_read_alone_after_another_process_wrote(two, tmp_path):
    """A store written by another process while a snapshot reads: a namespace read before the write answers as it was
    read (each namespace in one query, so none is seen half-written), one read after sees the write — as a kind read
    before or after does (``test_an_object_deleted_after_the_snapshot_read_its_kind``)."""
    import subprocess
    import sys

    source = LabSource(two)
    snap = source.snapshot()
    pods = snap.list("Pod", "platform-requests")
    assert pods
    gone = pods[0]["metadata"]["name"]
    script = (
        "import sys\n"
        "from kratix_lab.platform.lab import Lab\n"
        "with Lab(sys.argv[1], create=False) as lab:\n"
        "    p = lab.store.get('Pod', sys.argv[2], 'platform-requests')\n"
        "    lab.store.update({**p, 'metadata': {**p['metadata'], 'finalizers': []}})\n"
        "    lab.store.delete('Pod', sys.argv[2], 'platform-requests')\n"
        "    lab.store.create({'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'later', 'namespace': 'later'},"
        " 'spec': {'containers': []}})\n"
    )
    subprocess.run([sys.executable, "-c", script, str(two.path), gone], check=True)
    assert snap.list("Pod", "platform-requests") == pods  # read before: as read
    assert snap.get("Pod", gone, "platform-requests") == pods[0]
    assert [p["metadata"]["name"] for p in snap.list("Pod", "later")] == ["later"]  # read after: the write seen
    fresh = source.snapshot()
    assert fresh.get("Pod", gone, "platform-requests") is None
    assert fresh.list("Pod", "platform-requests") == source.list("Pod", "platform-requests")


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
    pod = snap.list("Pod", "platform-requests")[0]
    before = snap.logs(pod)
    two.store.write_log("platform-requests", pod["metadata"]["name"], "status-writer", "a line written later\n")
    assert snap.logs(pod) == before != source.logs(pod) == source.snapshot().logs(pod)
    # the rows of a snapshot taken now are the rows read object by object (the placement missing from both)
    assert _one_shot(source) == _object_by_object(source)


def _placement_specs(lab: Lab) -> list[tuple[str, str]]:
    """Every WorkPlacement's directory and commit in the state repo (what a trace reads of it)."""
    return [
        (placement_dir("clusters/the-cluster", wp), wp["status"]["versionID"])
        for wp in lab.store.list("WorkPlacement")
        if (wp.get("status") or {}).get("versionID")
    ]


def test_the_files_of_every_placement_read_in_one_batch_are_read_files(two):
    """``GitRepo.read_files_many`` answers what ``read_files`` answers, in the same order: every WorkPlacement's
    directory at its commit, the root, a file, a path that is not there, a commit that is not there, a branch."""
    repo = two.state_remote
    head = repo.head()
    specs = _placement_specs(two)
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


def test_the_batch_reads_its_answers_whole_and_falls_back_when_git_cannot_run(two, monkeypatch):
    """``GitRepo._cat_batch`` (git's answers through a file, not a pipe) answers each name in order — an object, a
    ``rev:path``, a name git cannot resolve (None) — whole, the big ones too; when git cannot run at all,
    ``read_files_many`` answers what ``read_files`` answers."""
    repo = two.state_remote
    head = repo.head()
    specs = _placement_specs(two)
    names = [head, f"{head}:clusters", "0" * 40, f"{head}:no/such/path", head]
    answers = GitRepo(repo.path)._cat_batch(names)
    assert [a[0] if a else None for a in answers] == [b"commit", b"tree", None, None, b"commit"]
    assert answers[0] == answers[4] and answers[0][1] == repo.repo.odb.stream(bytes.fromhex(head)).read()
    blobs = [f"{rev}:{name}" for path, rev in specs for name in repo.read_files(path, rev)]
    big = GitRepo(repo.path)._cat_batch(blobs * 40)  # megabytes of answers
    assert all(a is not None and a[0] == b"blob" for a in big) and len(big) == 40 * len(blobs)
    assert b"".join(a[1] for a in big) == b"".join(a[1] for a in big[: len(blobs)]) * 40
    expected = {spec: GitRepo(repo.path).read_files(*spec) for spec in specs}
    monkeypatch.setenv("PATH", "/nonexistent")  # no git to run: read one by one
    with pytest.raises(OSError):
        GitRepo(repo.path)._cat_batch([head])
    assert GitRepo(repo.path).read_files_many(specs) == expected


def test_many_names_read_by_two_runs_of_git_are_answered_in_order(two, monkeypatch):
    """``_cat_batch`` of many names (two runs of git at once, each every other name) answers each name in order, as
    one run answers them; either run failing raises in the caller."""
    import kratix_lab.platform.gitrepo as gitrepo

    repo = two.state_remote
    head = repo.head()
    specs = _placement_specs(two)
    names = [head, "0" * 40, f"{head}:clusters"]
    names += [f"{rev}:{p}" for path, rev in specs for p in [path.strip("/"), "no/such", *repo.read_files(path, rev)]]
    names = (names * (gitrepo._CAT_SPLIT_FROM // len(names) + 1))[: gitrepo._CAT_SPLIT_FROM + 1]  # an odd count
    runs: list[int] = []
    real = GitRepo._cat_run
    monkeypatch.setattr(GitRepo, "_cat_run", lambda self, n: runs.append(len(n)) or real(self, n))
    split = GitRepo(repo.path)._cat_batch(names)
    assert sorted(runs) == [len(names) // 2, len(names) // 2 + 1]
    assert split == real(GitRepo(repo.path), names) and split[1] is None and split[2] is not None
    calls = 0

    def failing(self: GitRepo, n: list[str]) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("git failed")
        return real(self, n)

    monkeypatch.setattr(GitRepo, "_cat_run", failing)
    with pytest.raises(OSError, match="git failed"):
        GitRepo(repo.path)._cat_batch(names)


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


def _history(parents: list[int]) -> tuple[list[str], dict[str, str | None]]:
    """Commits ``c0``… whose first parents are ``parents`` (an index before each, -1 for a root commit)."""
    shas = [f"c{i}" for i in range(len(parents))]
    return shas, {sha: (shas[p] if p >= 0 else None) for sha, p in zip(shas, parents, strict=True)}


def _chain(parent: dict[str, str | None], sha: str) -> list[str]:
    out: list[str] = []
    step: str | None = sha
    while step is not None:
        out.append(step)
        step = parent.get(step)
    return out


def test_the_lineage_learns_a_new_head_by_walking_back_to_the_line():
    """``Lineage``: the first head's chain comes from git (one listing, kept once as each commit's depth); a newer
    head is walked back commit by commit to the line's tip and extends it (no git run); a head that joins the line
    below its tip (history rewritten) keeps its own commits apart; a head beyond ``WALKED_AT_MOST`` commits is listed
    by git; an unknown SHA is on no chain but its own. Each answer is the walk's."""
    import kratix_lab.sources.lab as lab_module

    shas, parent = _history([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 4])  # c13: a second child of c4
    listings: list[str] = []

    def listed_for(sha):
        def listed():
            listings.append(sha)
            return _chain(parent, sha) if sha in parent else None

        return listed

    walked: list[str] = []

    def first_parent(sha):
        walked.append(sha)
        return parent.get(sha)

    lineage = lab_module.Lineage()
    lineage.learn("c5", first_parent, listed_for("c5"))
    assert listings == ["c5"] and walked == [] and lineage.tip == "c5"
    assert lineage.depth == {f"c{i}": i for i in range(6)}
    lineage.learn("c8", first_parent, listed_for("c8"))
    assert listings == ["c5"] and walked == ["c8", "c7", "c6"] and lineage.tip == "c8"
    lineage.learn("c13", first_parent, listed_for("c13"))  # joins the line at c4, below its tip
    assert lineage.tip == "c8" and lineage.branches["c13"] == (frozenset({"c13"}), 4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lab_module, "WALKED_AT_MOST", 2)
        lineage.learn("c12", first_parent, listed_for("c12"))  # 4 commits ahead: git lists them
    assert listings == ["c5", "c12"] and lineage.tip == "c12"
    lineage.learn("0" * 40, first_parent, listed_for("0" * 40))
    for d in ["c5", "c8", "c12", "c13", "0" * 40]:
        assert lineage.knows(d)
        for a in [*shas, "0" * 40]:
            assert lineage.holds(a, d) == (a in _chain(parent, d) or a == d), (a, d)


@settings(max_examples=200, deadline=None)
@given(
    parents=st.lists(st.integers(min_value=-1, max_value=40), min_size=1, max_size=40).map(
        lambda ps: [p if p < i else i - 1 for i, p in enumerate(ps)]
    ),
    asked=st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), min_size=1, max_size=30),
    unlisted=st.sets(st.integers(0, 45)),
    walk=st.integers(1, 6),
)
def test_the_lineage_answers_as_the_walk_on_any_history(parents, asked, unlisted, walk):
    """Whatever the history (commits with any earlier first parent: lines, forks, several roots), the heads asked in
    any order, git able to list some of them and not others, and however far a head may be walked: every answer is
    whether ``ancestor`` is on ``descendant``'s first-parent chain, and the branches kept stay bounded."""
    import kratix_lab.sources.lab as lab_module

    shas, parent = _history(parents)
    names = [*shas, *(f"x{i}" for i in range(len(shas), 46))]  # past the history: SHAs that are no commit here
    lineage = lab_module.Lineage()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lab_module, "WALKED_AT_MOST", walk)
        for a, d in asked:
            ancestor, descendant = names[a], names[d]
            if not lineage.knows(descendant):

                def listed(d=d, descendant=descendant):
                    return None if d in unlisted or descendant not in parent else _chain(parent, descendant)

                lineage.learn(descendant, parent.get, listed)
            chain = _chain(parent, descendant) if descendant in parent else [descendant]
            assert lineage.holds(ancestor, descendant) == (ancestor in chain), (ancestor, descendant)
            assert [n for n in names if lineage.holds(n, descendant)] == [n for n in names if n in chain]
    assert len(lineage.branches) <= lab_module.BRANCHES_KEPT


def test_a_lab_sources_newer_head_is_learnt_without_git(two):
    """After the lab steps and the state repo's head moves on, ``is_ancestor`` of the new head walks back the few
    new commits to the line it knows (no ``git rev-list``), and answers as a source that lists the whole chain."""
    source = LabSource(two)
    old = two.state_remote.head()
    assert source.is_ancestor(two.state_remote.first_parent_chain(old)[-1], old)
    text = (SAMPLES / "media.yaml").read_text().replace("media", "later")
    path = two.path / "later.yaml"
    path.write_text(text)
    two.submit(path)
    assert two.settle().quiescent
    new = two.state_remote.head()
    chain = two.state_remote.first_parent_chain(new)
    assert new != old and old in chain
    runs: list[str] = []
    listing = two.state_remote.first_parent_chain_started

    def counted(sha):
        runs.append(sha)
        return listing(sha)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(two.state_remote, "first_parent_chain_started", counted)
        answers = [source.is_ancestor(a, new) for a in [*chain, "0" * 40]]
    assert runs == [] and source._lineage.tip == new
    fresh = LabSource(two)
    assert answers == [fresh.is_ancestor(a, new) for a in [*chain, "0" * 40]] == [True] * len(chain) + [False]


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


@pytest.mark.parametrize(("fault", "params"), [(None, {}), *FAULTS], ids=["no-fault", *FAULT_NAMES])
def test_a_tracked_rows_garbage_has_no_cycles(two, fault, params):
    """A forked process streaming the dashboard's first rows runs without the cyclic collector
    (``parallel._stream_share``): the rows it computes — tracked, through a snapshot that forgets, mid-flight and
    settled under each fault of the diagnose scenarios — leave no garbage only that collector would free."""
    import gc

    from kratix_lab.diagnose.fleet import FleetMembers, fleet_columns
    from kratix_lab.fleet.deps import _compute
    from kratix_lab.trace import resolve

    moments = under_fault(two, fault, params) if fault else iter(["settled"])
    for _ in moments:
        snap = LabSource(two).snapshot()
        snap.forget_parsed()
        rk = resolve(snap, "VClusterOrchestrator")
        columns = fleet_columns(snap, rk)
        members = sorted(FleetMembers().whole(snap, rk).items())
        memo: dict = {}
        gc.collect()
        gc.disable()
        try:
            entries = [_compute(snap, rk, columns, key, live, True, False, memo) for key, live in members]
            snap.forget_parsed()
            assert entries and all(e.row for e in entries)
            del entries
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            cyclic = [type(o).__name__ for o in gc.garbage]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert cyclic == [], fault


@pytest.mark.parametrize(("fault", "params"), FAULTS, ids=FAULT_NAMES)
def test_status_rows_without_diagnoses_are_the_rows_with_them(two, fault, params):
    """``status`` keeps no diagnosis (``FleetRows(diagnoses=False)``: it does not read the logs of pipeline runs that
    succeeded nor send the diagnoses back from its forked processes): its rows are the ones ``diagnose --all`` makes,
    under every fault, mid-flight and settled."""
    source = LabSource(two)
    for _ in under_fault(two, fault, params):
        bare = FleetRows(source, track=False, diagnoses=False)
        assert bare.refresh() == _one_shot(source)[0]
        assert bare.diagnoses() == []


def test_only_a_one_shot_keeps_diagnoses(two):
    with pytest.raises(ValueError, match="one-shot"):
        FleetRows(LabSource(two), track=True, diagnoses=True)
    assert FleetRows(LabSource(two), track=True, diagnoses=False).refresh() == _one_shot(LabSource(two))[0]


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


def _until(condition, what: str, timeout: float = 120.0) -> None:
    """Wait until ``condition()`` holds (another process's step, seen through a file): the tests order their two
    processes by what each has done, not by sleeping and hoping the other is quick enough on a loaded machine."""
    import time

    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.01)


def _uneven(tmp_path, hold_here, dies_at: str | None = None):
    """A ``fleet.parallel._compute`` that keeps the names of the rows computed here (``computed``: each after
    ``hold_here(computed, taken_names)`` returns, ``taken_names()`` the rows the forked process has taken so far)
    and writes those a forked process computes to ``taken``, the forked process dying with the chunk of ``dies_at``
    it took."""
    import os

    import kratix_lab.fleet.parallel as fleet_parallel

    here, taken = os.getpid(), tmp_path / "taken"
    compute = fleet_parallel._compute
    computed: list[str] = []

    def uneven(s, rk, columns, key, *rest):
        if os.getpid() != here:
            with taken.open("a") as f:
                f.write(f"{key[1]}\n")
            if key[1] == dies_at:
                os._exit(3)
        else:
            hold_here(computed, lambda: taken.read_text().split() if taken.exists() else [])
            computed.append(key[1])
        return compute(s, rk, columns, key, *rest)

    return uneven, computed, taken


def _asked_one_by_one(monkeypatch, tmp_path):
    """``LabSource.state_files`` writing, in every process, each ``(path, rev)`` it is asked for (files a snapshot's
    batch did not read); the function returned gives what it was asked."""
    asked, state_files = tmp_path / "asked", LabSource.state_files

    def one_by_one(self, path, rev=None):
        with asked.open("a") as f:
            f.write(f"{path} {rev}\n")
        return state_files(self, path, rev)

    monkeypatch.setattr(LabSource, "state_files", one_by_one)
    return lambda: {tuple(line.split(" ")) for line in asked.read_text().splitlines()} if asked.exists() else set()


def _in_two_processes(monkeypatch, source, compute):
    """A one-shot's rows and diagnoses computed by two processes, a share of one-row chunks each, by ``compute``."""
    import kratix_lab.fleet.parallel as fleet_parallel
    import kratix_lab.fleet.rows as fleet_rows

    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(fleet_parallel, "ONE_SHOT_CHUNK", 1)
    monkeypatch.setattr(fleet_parallel, "_compute", compute)
    rows = FleetRows(source, track=False, workers=2)
    return rows.refresh(), [tv.diagnosis_json(d) for d in rows.diagnoses()]


@pytest.fixture
def three(two, tmp_path):
    """The two vClusters and a third (three rows: the first computed before the fork, one share each after)."""
    text = (SAMPLES / "media.yaml").read_text().replace("media", "news")
    (tmp_path / "news.yaml").write_text(text)
    two.submit(tmp_path / "news.yaml")
    assert two.settle().quiescent
    return two


def test_two_workers_make_the_same_rows_and_diagnoses(three, monkeypatch, tmp_path):
    """A one-shot's rows computed by two processes (``workers=2``: the first row here, then a forked process computes
    the last share with what this one read and the lab opened again for the rest) are the rows and diagnoses
    computed in one process, in the same order; a process that dies without its rows has them computed here."""
    import os

    import kratix_lab.fleet.parallel as fleet_parallel
    import kratix_lab.fleet.rows as fleet_rows

    source = LabSource(three)
    three.faults.inject("pipeline-fails", promise="vcluster-core")
    three.reconcile("VClusterCore", "sandbox", "platform-requests")
    three.run_for(60)
    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(fleet_parallel, "ONE_SHOT_CHUNK", 1)  # (a share of one row each)
    share, pids = fleet_parallel._share, tmp_path / "pids"

    def watched(*args):
        with pids.open("a") as f:
            f.write(f"{os.getpid()}\n")
        share(*args)

    monkeypatch.setattr(fleet_parallel, "_share", watched)
    parallel = FleetRows(source, track=False, workers=2)
    rows = parallel.refresh()
    keys = [("platform-requests", n) for n in ("media", "news", "sandbox")]
    assert parallel.changed == keys and [(r.namespace, r.name) for r in rows] == keys
    assert [int(p) for p in pids.read_text().split()] != [os.getpid()]  # one share, in another process
    assert len(pids.read_text().split()) == 1
    assert (rows, [tv.diagnosis_json(d) for d in parallel.diagnoses()]) == _one_shot(source)
    assert {r.health for r in rows} == {"Healthy", "Degraded"}
    assert callable(source.reopen) and source.reopen().read_only
    monkeypatch.setattr(fleet_parallel, "_share", lambda *args: os._exit(3))  # dies without its rows
    again = FleetRows(source, track=False, workers=2)
    assert again.refresh() == rows and [tv.diagnosis_json(d) for d in again.diagnoses()] == _one_shot(source)[1]


def test_a_row_that_raises_in_a_worker_raises_here(three, monkeypatch):
    """A row whose computation raises in the forked process is computed again here, where it raises the same error
    (no row is lost or made up)."""
    import kratix_lab.fleet.parallel as fleet_parallel
    import kratix_lab.fleet.rows as fleet_rows

    compute = fleet_parallel._compute

    def failing(s, rk, columns, key, *rest):
        if key[1] == "sandbox":  # the last row: the forked process's share
            raise RuntimeError("row sandbox failed")
        return compute(s, rk, columns, key, *rest)

    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(fleet_parallel, "ONE_SHOT_CHUNK", 1)  # (sandbox: the forked process's share)
    monkeypatch.setattr(fleet_parallel, "_compute", failing)
    with pytest.raises(RuntimeError, match="row sandbox failed"):
        FleetRows(LabSource(three), track=False, workers=2).refresh()


def test_the_processes_share_the_rows_as_they_go_and_a_chunk_taken_by_one_that_died_is_computed_here(
    three, monkeypatch, tmp_path
):
    """The rows after the first are taken chunk by chunk (``ONE_SHOT_CHUNK``) by whichever process is free: this one
    slowed down, the forked one takes the chunks it does not; the forked one dies after taking the last chunk, which
    is then computed here. The rows and diagnoses are the ones computed in one process, in order."""
    import kratix_lab.fleet.parallel as fleet_parallel
    import kratix_lab.fleet.rows as fleet_rows

    source = LabSource(three)
    expected = _one_shot(source)

    # this process, after its first row: held until the forked one has taken sandbox (and died with it)
    def held(done, taken_names):
        if done:
            _until(lambda: "sandbox" in taken_names(), "the forked process to take sandbox")

    uneven, computed, taken = _uneven(tmp_path, held, dies_at="sandbox")

    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(fleet_parallel, "ONE_SHOT_CHUNK", 1)
    monkeypatch.setattr(fleet_parallel, "_compute", uneven)
    rows = FleetRows(source, track=False, workers=2)
    assert (rows.refresh(), [tv.diagnosis_json(d) for d in rows.diagnoses()]) == expected
    assert "sandbox" in taken.read_text().split()  # the forked process took it …
    assert computed.count("sandbox") == 1  # … and died: computed here once


def test_a_reopened_snapshot_answers_the_commits_its_batch_read_without_reading_them_again(two, monkeypatch):
    """A forked process's snapshot (``reopened``) answers ``state_commit`` of the commits the parent's batch read from
    what the batch read (not a pack look-up each); the headers are the ones read from the repo. A repository at
    another path takes none of them."""
    source = LabSource(two)
    snap = source.snapshot()
    snap.prefetch()
    snap.ready()
    revs = sorted({rev for _, rev in snap._placement_specs()})
    assert revs
    read = {rev: GitRepo(two.state_remote.path).commit_info(rev) for rev in revs}
    snap.reopened()
    repo = snap.source.lab.state_remote
    assert repo is not two.state_remote
    monkeypatch.setattr(repo, "_read", lambda binsha: pytest.fail(f"{binsha.hex()} read again"))
    assert {rev: snap.state_commit(rev) for rev in revs} == read
    monkeypatch.undo()
    other = GitRepo(two.gitops_repo.path)
    other.keep_commits_read_by(two.state_remote)
    assert other.commit_info(revs[0]) is None  # not a commit of that repository


@pytest.mark.parametrize("forgets", [False, True])
def test_a_snapshot_told_its_rows_reads_the_files_of_their_placements_only(two, monkeypatch, forgets):
    """``LabSnapshot.expect`` (a forked process streaming its share of the first rows): the files read in one batch
    are those of the placements labelled with its requests' names in their namespace; the rows of a request it was
    not told of read theirs when they ask, and every row is the lab source's."""
    source = LabSource(two)
    labelled = {
        name: sorted(
            (placement_dir("clusters/the-cluster", wp), wp["status"]["versionID"])
            for wp in two.store.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": name})
        )
        for name in ("media", "sandbox")
    }
    assert labelled["media"] and labelled["sandbox"]
    snap = source.snapshot()
    if forgets:
        snap.forget_parsed()
    snap.expect([("platform-requests", "media"), ("elsewhere", "sandbox")])  # (no sandbox in "elsewhere")
    assert sorted(snap._placement_specs()) == labelled["media"]
    expected = fleet(LabSource(two))
    asked: list[tuple[str, str]] = []
    read_files = source.state_files
    monkeypatch.setattr(
        source, "state_files", lambda path, rev=None: asked.append((path, rev)) or read_files(path, rev)
    )
    assert fleet(snap) == expected
    assert set(asked) & set(labelled["sandbox"]) == set(labelled["sandbox"])  # read when its row asked
    assert not set(asked) & set(labelled["media"])  # read in the batch


def test_a_reopened_snapshot_keeps_what_it_read_and_reads_the_rest_anew(two):
    """``LabSnapshot.reopened()`` (a forked worker's): what it read stays as it was read; what it reads after comes
    through the lab opened again — a write made in between is seen by a kind read after, never by one read before."""
    source = LabSource(two)
    snap = source.snapshot()
    works = snap.list("Work", "platform-requests")
    wp = snap.list("WorkPlacement", "platform-requests")[0]
    meta = wp["metadata"]
    two.store.update({**wp, "metadata": {**meta, "finalizers": []}})
    two.store.delete("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io")
    job = two.store.list("Job", "platform-requests")[0]
    two.store.delete("Job", job["metadata"]["name"], "platform-requests", "batch")
    again = snap.reopened()
    assert again is snap and snap.source is not source and snap.source.read_only
    assert snap.list("Work", "platform-requests") == works  # read before: kept
    assert snap.get("WorkPlacement", meta["name"], meta["namespace"], "platform.kratix.io") == wp
    assert snap.list("Job", "platform-requests") == source.list("Job", "platform-requests")  # read after: anew
    assert job not in snap.list("Job", "platform-requests")
    assert snap.state_head() == source.state_head() and snap.now() == source.now()


@pytest.mark.parametrize("forgets", [False, True])
def test_a_reopened_snapshot_takes_what_its_parent_parsed_at_the_version_it_reads(two, monkeypatch, forgets):
    """A forked process's snapshot takes the objects its parent had parsed (``LabSource``'s store: the fleet's worker
    parsed every Application for the members) at the version it reads — the very objects, shared, not parsed again
    — and reads anew one written since the parent parsed it; a kind the parent never parsed is parsed here. The
    parent reads as the fleet's worker does: a lab opened for reading, whose store keeps what it parses (a process
    whose controllers ran keeps none of the kinds they look at by resourceVersion: ``Store.keep_none_of``); where it
    parsed nothing, nothing is looked up (``Store.parsed_places``). A snapshot that forgets (a streaming process)
    takes big bodies only (``INHERITED_FROM``; 0 here: every one)."""
    import kratix_lab.sources.lab as lab_module

    monkeypatch.setattr(lab_module, "INHERITED_FROM", 0)
    source = LabSource(Lab.open_for_reading(two.path), read_only=True)
    apps = {a["metadata"]["name"]: a for a in source.list("Application", "argocd", group="argoproj.io")}
    assert len(apps) >= 2
    changed, *unchanged = sorted(apps)
    snap = source.snapshot()
    app = two.store.get("Application", changed, "argocd", "argoproj.io")
    app["metadata"].setdefault("labels", {})["probe"] = "written after the parent parsed it"
    two.store.update(app)
    snap.reopened()
    versions = snap._store.rvs_of
    monkeypatch.setattr(  # where the parent parsed nothing, no resourceVersion is read for a look-up
        snap._store,
        "rvs_of",
        lambda kind: versions(kind) if kind == "Application" else pytest.fail(f"{kind} looked up"),
    )
    if forgets:
        snap.forget_parsed()  # as a streaming process: the texts not kept
    for name in unchanged:
        assert snap.get("Application", name, "argocd", "argoproj.io") is apps[name]
    again = snap.get("Application", changed, "argocd", "argoproj.io")
    assert again is not apps[changed] and again["metadata"]["labels"]["probe"] == "written after the parent parsed it"
    assert again == snap.source.get("Application", changed, "argocd", "argoproj.io")
    work = snap.list("Work", "platform-requests")[0]
    assert work == source.list("Work", "platform-requests")[0]
    snap.forget_parsed()
    assert snap.get("Application", unchanged[0], "argocd", "argoproj.io") is apps[unchanged[0]]  # taken: kept


def test_a_forgetting_snapshot_parses_a_small_body_anew_and_drops_it(two, monkeypatch):
    """A streaming process's snapshot (one that forgets) leaves the parent's copy of a body under ``INHERITED_FROM``
    bytes alone: the row it belongs to parses it (equal, not the parent's object), and it is dropped with that row
    (read again after ``forget_parsed``) — touching the parent's copy would copy its pages, and its neighbours',
    for good (issue 15); a body of that size or more is taken, and kept."""
    import json

    import kratix_lab.sources.lab as lab_module

    source = LabSource(Lab.open_for_reading(two.path), read_only=True)
    apps = {a["metadata"]["name"]: a for a in source.list("Application", "argocd", group="argoproj.io")}
    sizes = {name: len(two.store.body("Application", name, "argocd", "argoproj.io") or "") for name in apps}
    big = max(sizes, key=sizes.__getitem__)
    small = min(sizes, key=sizes.__getitem__)
    assert sizes[small] < sizes[big]
    monkeypatch.setattr(lab_module, "INHERITED_FROM", sizes[big])
    snap = source.snapshot()
    snap.reopened()
    snap.forget_parsed()
    assert snap.get("Application", big, "argocd", "argoproj.io") is apps[big]  # taken
    held = {o.name: o for o in snap._kinds.get("Application", snap._parts.get(("Application", "argocd"))).rows}
    assert held[small].value is None  # not taken: the parent's copy untouched
    first = snap.get("Application", small, "argocd", "argoproj.io")
    assert json.dumps(first, sort_keys=True) == json.dumps(apps[small], sort_keys=True)
    assert held[small].value is first  # parsed here when asked for
    snap.forget_parsed()  # the row is done: dropped
    assert held[small].value is None and held[big].value is apps[big] and held[big].seen  # taken: kept
    assert json.dumps(snap.get("Application", small, "argocd", "argoproj.io"), sort_keys=True) == json.dumps(
        apps[small], sort_keys=True
    )  # read again


def test_a_forgetting_snapshot_keeps_a_small_namespaces_texts_until_it_forgets(two, monkeypatch):
    """A streaming process's snapshot reads a kind in one namespace (the row at hand's) with its texts: the row's gets
    and label-selected lists read no body again, and ``forget_parsed`` drops them (a body asked for after is read from
    the store). A namespace over ``HELD_AT_MOST`` bytes keeps its texts up to there and every object's labels."""
    import kratix_lab.sources.lab as lab_module

    source = LabSource(Lab.open_for_reading(two.path), read_only=True)
    snap = source.snapshot()
    snap.forget_parsed()
    reads: list[str] = []
    body = snap._store.body
    monkeypatch.setattr(snap._store, "body", lambda kind, *a: reads.append(kind) or body(kind, *a))
    pods = source.list("Pod", "platform-requests")
    assert len(pods) > 1
    job = pods[0]["metadata"]["labels"]["job-name"]
    assert snap.list("Pod", "platform-requests", {"job-name": job}) == source.list(
        "Pod", "platform-requests", {"job-name": job}
    )
    name = pods[-1]["metadata"]["name"]
    assert snap.get("Pod", name, "platform-requests") == pods[-1]
    assert reads == []  # every text kept: nothing read again
    snap.forget_parsed()
    assert all(o.body is None and o.value is None for o in snap._parts[("Pod", "platform-requests")].rows)
    assert snap.get("Pod", pods[0]["metadata"]["name"], "platform-requests") == pods[0]
    assert reads == ["Pod"]  # dropped: read from the store when asked for

    sizes = sorted(
        len(two.store.body("Job", j["metadata"]["name"], "platform-requests", "batch") or "")
        for j in source.list("Job", "platform-requests")
    )
    assert len(sizes) > 2
    monkeypatch.setattr(lab_module, "HELD_AT_MOST", sizes[0] + 1)  # room for one text at most
    rows = snap._in("Job", "platform-requests").rows
    assert sum(o.body is not None for o in rows) <= 1 and len(rows) == len(sizes)
    jobs = source.list("Job", "platform-requests")
    selector = {"kratix.io/resource-name": jobs[0]["metadata"]["labels"]["kratix.io/resource-name"]}
    assert snap.list("Job", "platform-requests", selector) == source.list("Job", "platform-requests", selector)
    snap.forget_parsed()
    assert all(o.body is None for o in rows)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, ascii_only=st.booleans())
def test_parse_json_reads_what_json_reads(value, ascii_only):
    """``model.parse_json`` (the store's bodies: msgspec, json where msgspec refuses) gives ``json.loads``'s value —
    integers beyond 64 bits exactly, floats alike, any text (escaped or not)."""
    import json

    from kratix_lab.model import parse_json

    text = json.dumps(value, ensure_ascii=ascii_only)
    got, want = parse_json(text), json.loads(text)
    assert got == want and repr(got) == repr(want)
    assert parse_json(text.encode()) == want


@pytest.mark.parametrize(
    "text",
    [
        "[NaN, Infinity, -Infinity]",
        "1e400",
        '"\\ud800 lone"',
        '{"a": 1, "a": 2}',
        "123456789012345678901234567890",
        '"\\u0000\\/"',
        "-0",
        "-0.0",
        " [1] ",
    ],
)
def test_parse_json_where_msgspec_differs_or_refuses(text):
    import json

    from kratix_lab.model import parse_json

    assert repr(parse_json(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["[1,]", '{"a": 1}x', "", '"\t"', "{'a': 1}"])
def test_parse_json_refuses_what_json_refuses(text):
    import json

    from kratix_lab.model import parse_json

    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as ours:
        parse_json(text)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "body",
    [
        '{"metadata": {"name": "a", "labels": {"x": "1", "y": "2"}}, "spec": {"big": [1, 2, 3]}}',
        '{"metadata": {"name": "a"}}',
        "{}",
        '{"metadata": null}',
        '{"metadata": "text"}',
        '{"metadata": {"labels": null}}',
        '{"metadata": {"labels": ["a"]}}',
        '{"metadata": {"labels": {"x": NaN}}}',
        '{"metadata": {"labels": {"x": "\\ud800"}}, "spec": {"n": 123456789012345678901234567890}}',
    ],
)
def test_a_snapshot_object_reads_its_labels_as_its_parsed_body_holds_them(body):
    """``_Obj.labels()`` (the label indexes: metadata.labels alone, the rest skipped) is what the parsed body holds,
    before and after the body is parsed; the body parsed later is the whole object."""
    import json

    from kratix_lab.sources.lab import _Obj

    meta = json.loads(body).get("metadata")
    want = meta.get("labels") if isinstance(meta, dict) else None
    o = _Obj(("g", "ns", "a", body))
    assert repr(o.labels()) == repr(want)
    assert repr(o.obj()) == repr(json.loads(body))
    assert repr(o.labels()) == repr(want)


_PLACEMENT_FIELDS = {
    "metadata": ("name", "namespace", "labels"),
    "spec": ("targetDestinationName", "promiseName", "resourceName", "id"),
    "status": ("versionID",),
}
_PLACEMENTS = st.fixed_dictionaries(
    {},
    optional={
        part: _JSON | st.fixed_dictionaries({}, optional={f: _JSON for f in (*fields, "uid", "workloads")})
        for part, fields in _PLACEMENT_FIELDS.items()
    }
    | {"kind": _JSON},
)


@settings(max_examples=300, deadline=None)
@given(value=_PLACEMENTS)
def test_a_placement_read_for_the_batch_holds_its_fields_as_its_parsed_body(value):
    """``_Obj.head()`` (a WorkPlacement decoded without its files, for the placements' batch) holds the fields
    ``_placement_specs`` reads as the parsed body does; the body parsed later is the whole object."""
    import json

    from kratix_lab.sources.lab import _Obj

    body = json.dumps(value)
    o = _Obj(("g", "ns", "a", body))
    head = o.head()
    for part, fields in _PLACEMENT_FIELDS.items():
        whole, got = value.get(part), head.get(part)
        if isinstance(whole, dict):
            assert {f: whole[f] for f in fields if f in whole} == {f: got[f] for f in fields if f in got}
        else:
            assert repr(got) == repr(whole)
    assert repr(o.obj()) == repr(json.loads(body)) and o.head() is o.obj()


def test_the_wait_for_the_placements_parses_the_bodies_read_and_leaves_a_bad_one_to_its_reader(two):
    """``parse_while_reading`` (before a one-shot's fork, while git still reads) parses the bodies of the kinds read so
    far, and stops when the reading thread ends; a body that is not JSON stays unparsed, for the row that reads it to
    raise (as it did before)."""
    import threading

    snap = LabSource(two).snapshot()
    snap.parse_meanwhile = True  # (a machine with a core left over while git reads)
    pods = snap._kind("Pod").rows  # read, not parsed
    pods[1].body = "{not json"
    go = threading.Event()
    reading = threading.Thread(target=go.wait)
    reading.start()
    snap._reading = (reading, {})
    snap.parse_while_reading()
    assert pods[1].value is None and all(o.value is not None for o in pods if o is not pods[1])
    go.set()
    reading.join()
    fresh = LabSource(two).snapshot()
    fresh.parse_meanwhile = True
    jobs = fresh._kind("Job").rows
    fresh._reading = (reading, {})  # ended: nothing is parsed
    fresh.parse_while_reading()
    assert jobs and all(o.value is None for o in jobs)


def test_a_label_index_built_while_git_reads_parses_the_bodies_it_reads(two):
    """While the placements' files are read (a one-shot's ``prefetch``: git on the other core), the first label-selected
    list of a kind parses each body and reads its labels from it (the rows parse them all, and each forked process
    would parse its own); with git done, the labels alone are decoded. Either way the same objects are selected, and a
    body that is not JSON raises where it did."""
    import threading

    selector = {"kratix.io/promise-name": "vcluster-core"}
    want = LabSource(two).list("Job", None, selector)
    go = threading.Event()
    reading = threading.Thread(target=go.wait)
    reading.start()
    during = LabSource(two).snapshot()
    during.parse_meanwhile = True  # (a machine with a core left over while git reads)
    during._reading = (reading, {})
    assert during.list("Job", None, selector) == want != []
    assert all(o.value is not None for o in during._kind("Job").rows)
    go.set()
    reading.join()
    after = LabSource(two).snapshot()
    after._reading = (reading, {})  # ended
    assert after.list("Job", None, selector) == want
    assert [o.value for o in after._kind("Job").rows if o.value is not None] == want  # the rest: labels only
    bad = LabSource(two).snapshot()
    bad.parse_meanwhile = True
    bad._kind("Job").rows[0].body = "{not json"
    go2 = threading.Event()
    alive = threading.Thread(target=go2.wait)
    alive.start()
    bad._reading = (alive, {})
    try:
        with pytest.raises(ValueError):
            bad.list("Job", None, selector)
    finally:
        go2.set()
        alive.join()


def test_with_no_core_left_over_nothing_is_parsed_while_git_reads(two, monkeypatch):
    """Git reads the placements' files in two runs at once (``GitRepo._cat_batch``): on a machine of two cores nothing
    is parsed meanwhile (``parse_meanwhile``: it would take a core from git, which the fork waits for), neither by
    ``parse_while_reading`` nor for a label index; with more cores it is. The answers are the same either way."""
    import os
    import threading

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert not LabSource(two).snapshot().parse_meanwhile
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert not LabSource(two).snapshot().parse_meanwhile
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert LabSource(two).snapshot().parse_meanwhile
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    selector = {"kratix.io/promise-name": "vcluster-core"}
    want = LabSource(two).list("Job", None, selector)
    go = threading.Event()
    reading = threading.Thread(target=go.wait)
    reading.start()
    try:
        snap = LabSource(two).snapshot()
        snap._reading = (reading, {})
        assert snap.list("Job", None, selector) == want != []
        snap.parse_while_reading()
        jobs = snap._kind("Job").rows
        assert [o.value for o in jobs if o.value is not None] == want  # the ones listed, parsed when listed
        assert any(o.value is None for o in jobs)
    finally:
        go.set()
        reading.join()


def test_the_placements_read_on_a_thread_are_the_ones_read_when_asked(two, monkeypatch):
    """``LabSnapshot.prefetch`` reads every placement's files on a thread while the caller goes on; a placement's
    files and commit are answered once its piece is read, whatever else touches the state repo waits for the whole
    batch, and the answers are the ones read when asked. A failed read on the thread is read again where the files
    are asked for (and raises there, as it did before the thread)."""
    source = LabSource(two)
    specs = _placement_specs(two)
    assert specs
    early, late = source.snapshot(), source.snapshot()
    early.prefetch()
    assert early._reading is not None
    assert early.state_commit(specs[0][1]) == source.state_commit(specs[0][1])
    assert early.state_head() == source.state_head() and early._reading is None
    for spec in specs:
        assert early.state_files(*spec) == late.state_files(*spec) == source.state_files(*spec)
    repo = two.state_remote
    calls = []

    def failing(specs):
        calls.append(len(specs))
        raise OSError("git is gone")

    monkeypatch.setattr(repo, "read_files_many", failing)
    broken = source.snapshot()
    broken.prefetch()
    broken.ready()
    with pytest.raises(OSError, match="git is gone"):
        broken.state_files(*specs[0])
    assert len(calls) == 2  # on the thread, then when asked
    monkeypatch.undo()
    assert broken.state_files(*specs[0]) == source.state_files(*specs[0])


def test_a_list_made_once_is_a_new_list_each_time(two):
    """An unselected list (every Application, each row) is made once per snapshot; each answer is a list of its own
    (a caller that changes it changes no other answer), the same objects in the same order."""
    snap = LabSource(two).snapshot()
    first = snap.list("Application", "argocd", group="argoproj.io")
    assert first
    first.pop()
    again = snap.list("Application", "argocd", group="argoproj.io")
    assert len(again) == len(first) + 1 and all(a is b for a, b in zip(first, again, strict=False))
    assert snap.list("Application", "argocd", group="argoproj.io") == again is not first


def test_a_pickled_diagnosis_leaves_the_parsed_files_behind(two):
    """A diagnosis sent from a worker process is the same diagnosis (everything shown, serialised or compared) without
    the commit nodes' parsed files, which only the rules read (where the trace was made)."""
    import pickle

    source = LabSource(two)
    d = diagnose(source, "VClusterOrchestrator", "media", "platform-requests")
    commits = [n for n, _ in d.trace.walk() if n.stage == "commit"]
    assert commits and all(n.manifests is not None for n in commits)
    back = pickle.loads(pickle.dumps(d))
    assert back == d and tv.diagnosis_json(back) == tv.diagnosis_json(d)
    assert all(n.manifests is None for n, _ in back.trace.walk())
    assert all(n.manifests is not None for n in commits)  # the original keeps them


def test_two_cold_runs_see_the_change_made_between_them(three, monkeypatch):
    """``status`` and ``diagnose --all`` are one-shots over a snapshot read by each run (nothing kept between runs):
    a change made between two runs is in the second, whose output is the rows read object by object — with the
    rows computed by two processes (PARALLEL_FROM lowered so three rows fork)."""
    import contextlib
    import json

    import kratix_lab.fleet.parallel as fleet_parallel
    import kratix_lab.fleet.rows as fleet_rows
    from kratix_lab.cli import main

    monkeypatch.setattr(fleet_rows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(fleet_parallel, "one_shot_workers", lambda: 2)
    path = str(three.path)

    def run(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["--lab", path, *args])
        return code, out.getvalue()

    code, before = run("status", "-o", "json")
    assert code == 0 and {r["health"] for r in json.loads(before)} == {"Healthy"}
    three.faults.inject("pipeline-fails", promise="vcluster-core")
    three.reconcile("VClusterCore", "sandbox", "platform-requests")
    three.run_for(60)
    code, after = run("status", "-o", "json")
    rows = {r["name"]: r for r in json.loads(after)}
    assert code == 1 and rows["sandbox"]["health"] == "Degraded" and rows["media"]["health"] == "Healthy"
    want = fleet(LabSource(three))
    assert [(r["name"], r["stage"], r["health"], r["message"]) for r in rows.values()] == [
        (r.name, r.stage, r.health, r.message) for r in want
    ]
    code, text = run("diagnose", "--all")
    assert code == 1 and "pipeline-failed" in text and text.count("== VClusterOrchestrator/") == 3


def test_the_pipeline_image_needs_no_msgspec():
    """The pipeline image holds only what pipelines import (promises/Dockerfile: no msgspec); ``kratix_lab.model``
    imports there, and ``parse_json`` is ``json.loads`` without msgspec."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('msgspec', 'git', 'rich', 'textual', 'cryptography'): sys.modules[m] = None\n"
        "import kratix_lab.pipeline.entrypoint\n"
        "from kratix_lab.model import parse_json\n"
        "assert repr(parse_json('[1, 2.5, NaN, 123456789012345678901234567890]')) == "
        "'[1, 2.5, nan, 123456789012345678901234567890]'\n"
        "try:\n"
        "    parse_json('[1,]')\n"
        "except ValueError as e:\n"
        "    print(type(e).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "JSONDecodeError", done.stderr


def test_a_one_shot_prefetch_starts_the_history_walk(two):
    """A one-shot's ``prefetch`` starts git walking the state repo's history (``is_ancestor``'s first answer) beside
    the placements' read; the answers are the ones read when asked."""
    source = LabSource(two)
    snap = source.snapshot()
    snap.prefetch()
    assert source._history is not None and source._history[0] == two.state_remote.head()
    snap.ready()
    head = two.state_remote.head()
    chain = two.state_remote.first_parent_chain(head)
    assert chain and len(chain) > 2
    fresh = LabSource(two)
    for sha in [chain[0], chain[1], chain[-1], "0" * 40]:
        assert snap.is_ancestor(sha, head) == fresh.is_ancestor(sha, head)


def test_labels_read_from_bodies_keep_each_key_and_value_once():
    """A snapshot keeps the labels of every object of a kind it selects on (at 1,000 vClusters ~30,000 objects, the
    first paint's forked processes 23 MB each): read from the bodies, equal keys and values are one string (a request's
    name on its Works, placements, Jobs and Pods), as ``parse_json`` would give them otherwise."""
    import json

    from kratix_lab.sources.lab import labels_of_text

    def body(name: str, n: int) -> str:
        labels = {"kratix.io/resource-name": "".join(["vc", "042"]), "kratix.io/work": f"w{n}", "index": n}
        return json.dumps({"metadata": {"name": name, "labels": labels}})

    a, b = labels_of_text(body("a", 1)), labels_of_text(body("b", 2))
    assert a == {"kratix.io/resource-name": "vc042", "kratix.io/work": "w1", "index": 1}
    assert a["kratix.io/resource-name"] is b["kratix.io/resource-name"]
    assert [k for k in a] == [k for k in b] and all(x is y for x, y in zip(a, b, strict=True))
    assert labels_of_text(json.dumps({"metadata": {"name": "c"}})) is None
    odd = labels_of_text('{"metadata": {"labels": {"x": NaN}}}')  # msgspec refuses NaN: parse_json reads it
    assert list(odd) == ["x"] and odd["x"] != odd["x"]


@pytest.mark.parametrize("forgets", [False, True])
def test_a_told_snapshot_reads_its_requests_objects_in_the_shared_namespace_by_label(two, monkeypatch, forgets):
    """A snapshot told its rows (``expect``: a cold ``status``'s process) reads the Jobs, Works and WorkPlacements its
    rows list by label in the namespace every request shares by that label's value (``Store.read_labelled``):
    its requests' names, the names of the Works read so, and a value asked for after that alone — never the
    namespace whole. Every answer is the lab source's, whatever else the selector holds; a list without such a
    label reads the namespace whole, and the label-selected lists are answered from it after. A snapshot that
    forgets (a streaming process) reads as before: by namespace."""
    from kratix_lab.platform import store as store_module

    source = LabSource(two)
    snap = source.snapshot()
    if forgets:
        snap.forget_parsed()
    snap.expect([("platform-requests", "media")])
    wholes: list[tuple[str, str | None]] = []
    labelled: list[tuple[str, str, list[str]]] = []
    read_kind, read_labelled = store_module.Store.read_kind, store_module.Store.read_labelled

    def whole(self, kind, body=None, namespace=None):
        wholes.append((kind, namespace))
        return read_kind(self, kind, body, namespace)

    def by_label(self, kind, namespace, key, values):
        labelled.append((kind, key, sorted(values)))
        return read_labelled(self, kind, namespace, key, values)

    monkeypatch.setattr(store_module.Store, "read_kind", whole)
    monkeypatch.setattr(store_module.Store, "read_labelled", by_label)
    ns = "platform-requests"
    works = {n: source.list("Work", ns, {"kratix.io/resource-name": n}) for n in ("media", "sandbox")}
    assert works["media"] and works["sandbox"]
    selectors = [
        ("Job", {"kratix.io/promise-name": "vcluster-core", "kratix.io/resource-name": "media"}),
        ("Job", {"kratix.io/resource-name": "media"}),
        ("Work", {"kratix.io/resource-name": "media", "kratix.io/promise-name": "vcluster-orchestrator"}),
        *(("WorkPlacement", {"kratix.io/work": w["metadata"]["name"]}) for w in works["media"]),
        ("Job", {"kratix.io/resource-name": "sandbox", "kratix.io/promise-name": "vcluster-core"}),  # not told
        ("WorkPlacement", {"kratix.io/work": works["sandbox"][0]["metadata"]["name"]}),
        ("Job", {"kratix.io/resource-name": "nobody"}),
        ("Job", {"kratix.io/resource-name": "media", "kratix.io/promise-name": 7}),  # not a label's value: none
        ("Work", {"kratix.io/resource-name": "media", "missing": "label"}),
    ]
    for kind, selector in selectors:
        assert snap.list(kind, ns, selector) == source.list(kind, ns, selector), (kind, selector)
    assert any(snap.list("Job", ns, {"kratix.io/resource-name": "media"}))
    if forgets:
        assert not labelled and ("Job", ns) in wholes
        return
    assert not wholes
    media_works = sorted(w["metadata"]["name"] for w in works["media"])
    assert labelled == [
        ("Job", "kratix.io/resource-name", ["media"]),
        ("Work", "kratix.io/resource-name", ["media"]),
        ("WorkPlacement", "kratix.io/work", media_works),  # the told request's Works' names, at once
        ("Job", "kratix.io/resource-name", ["sandbox"]),  # a value not told: alone
        ("WorkPlacement", "kratix.io/work", [works["sandbox"][0]["metadata"]["name"]]),
        ("Job", "kratix.io/resource-name", ["nobody"]),
    ]
    assert snap.list("Job", ns) == source.list("Job", ns)  # no label: the namespace whole …
    assert wholes == [("Job", ns)]
    labelled.clear()
    selector = {"kratix.io/resource-name": "news"}
    assert snap.list("Job", ns, selector) == source.list("Job", ns, selector)
    assert not labelled  # … which answers from then on


def test_a_told_snapshot_without_the_label_index_reads_the_namespace_whole(two, monkeypatch):
    """A store without the labels' expression indexes (``Store.read_labelled`` raises: a lab no writer has opened
    since it came) is read as a snapshot not told reads it: the namespace whole, the same answers."""
    import sqlite3

    from kratix_lab.platform import store as store_module

    def no_index(self, kind, namespace, key, values):
        raise sqlite3.OperationalError("no such index: objects_label_ns_0")

    source = LabSource(two)
    expected = fleet(LabSource(two))
    snap = source.snapshot()
    snap.expect([("platform-requests", "media")])
    monkeypatch.setattr(store_module.Store, "read_labelled", no_index)
    selector = {"kratix.io/resource-name": "media"}
    assert snap.list("Job", "platform-requests", selector) == source.list("Job", "platform-requests", selector)
    assert fleet(snap) == expected


def test_the_store_reads_objects_by_a_labels_values_in_read_kinds_order(two, monkeypatch):
    """``Store.read_labelled``: the objects of a kind in a namespace whose indexed label holds one of the values,
    in ``read_kind``'s order, however many values (bound ``_IN_AT_MOST`` at a time); a label not indexed is refused."""
    from kratix_lab.platform import store as store_module

    monkeypatch.setattr(store_module, "_IN_AT_MOST", 2)
    store = two.store
    jobs = store.read_kind("Job", None, "platform-requests")
    names = sorted(
        {store.get("Job", n, ns, g)["metadata"]["labels"]["kratix.io/resource-name"] for g, ns, n, _ in jobs}
    )
    assert len(names) >= 2
    got = store.read_labelled("Job", "platform-requests", "kratix.io/resource-name", [*names, "nobody", names[0]])
    assert [row[:4] for row in got] == jobs
    assert {row[4] for row in got} == set(names)
    assert store.read_labelled("Job", "platform-requests", "kratix.io/resource-name", []) == []
    with pytest.raises(ValueError):
        store.read_labelled("Job", "platform-requests", "app", ["x"])


def test_each_process_reads_the_files_of_its_own_rows_placements_in_one_batch(three, monkeypatch, tmp_path):
    """A one-shot's processes (``_in_workers``) are each told their share of the rows: each reads the files of its
    own rows' placements in one batch (the first row's before the fork, then each share's), none through the
    source one placement at a time; the rows and diagnoses are the ones computed in one process."""
    import os

    import kratix_lab.fleet.parallel as fleet_parallel

    source = LabSource(three)
    expected = _one_shot(source)
    placements = {
        name: {
            (placement_dir("clusters/the-cluster", wp), wp["status"]["versionID"])
            for wp in three.store.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": name})
        }
        for name in ("media", "news", "sandbox")
    }
    assert all(placements.values())
    asked = _asked_one_by_one(monkeypatch, tmp_path)
    batched, read_files_many = tmp_path / "batched", GitRepo.read_files_many

    def in_a_batch(self, specs):
        specs = list(specs)
        with batched.open("a") as f:
            f.write(f"{os.getpid()} {' '.join(f'{p}@{r}' for p, r in specs)}\n")
        return read_files_many(self, specs)

    compute = fleet_parallel._compute
    other = {"news": "sandbox", "sandbox": "news"}  # the row of each share (this process's, the forked one's)

    def unhurried(s, rk, columns, key, *rest):
        # each process computes its share's row once the other has taken its own: neither takes the other's
        if key[1] in other:
            (tmp_path / f"taken-{key[1]}").touch()
            _until((tmp_path / f"taken-{other[key[1]]}").exists, f"the other process to take {other[key[1]]}")
        return compute(s, rk, columns, key, *rest)

    monkeypatch.setattr(GitRepo, "read_files_many", in_a_batch)
    assert _in_two_processes(monkeypatch, source, unhurried) == expected
    assert not asked() & set().union(*placements.values())
    batches = [line.split(" ") for line in batched.read_text().splitlines()]
    by_batch = [{tuple(spec.split("@")) for spec in specs} for _, *specs in batches]
    assert by_batch == [placements["media"], placements["news"], placements["sandbox"]]  # first, then a share each
    assert batches[0][0] == batches[1][0] == str(os.getpid()) != batches[2][0]


@pytest.fixture
def five(three, tmp_path):
    """Five vClusters: after the first row, two chunks of one row for each of two processes."""
    for name in ("alpha", "omega"):
        (tmp_path / f"{name}.yaml").write_text((SAMPLES / "media.yaml").read_text().replace("media", name))
        three.submit(tmp_path / f"{name}.yaml")
    assert three.settle().quiescent
    return three


def test_a_process_done_with_its_share_takes_the_rest_of_anothers(five, monkeypatch, tmp_path):
    """A process that is done with its own share takes the chunks another has not taken yet (their placements' files
    read in a batch as it takes them: ``read_ahead``): this one slowed down at its first chunk, the forked one
    computes the other row of this one's share. Every row is computed once, and the rows and diagnoses are the ones
    computed in one process."""

    source = LabSource(five)
    expected = _one_shot(source)

    def held(done, taken_names):  # this process's first chunk of its share: held until the other has taken news
        if done == ["alpha"]:
            _until(lambda: "news" in taken_names(), "the forked process to take news")

    uneven, computed, taken = _uneven(tmp_path, held)

    asked = _asked_one_by_one(monkeypatch, tmp_path)
    placements = {
        (placement_dir("clusters/the-cluster", wp), wp["status"]["versionID"])
        for wp in five.store.list("WorkPlacement", "platform-requests")
    }
    assert _in_two_processes(monkeypatch, source, uneven) == expected
    assert not asked() & placements  # the row taken from the other's share: its files read in a batch too
    assert computed == ["alpha", "media"]  # the first row, then the first of this one's share (media, news)
    elsewhere = taken.read_text().split()
    assert elsewhere == ["omega", "sandbox", "news"]  # its share, then the rest of this one's
    assert sorted(computed + elsewhere) == ["alpha", "media", "news", "omega", "sandbox"]


def test_the_batch_answers_a_placement_as_soon_as_its_piece_is_read(two, monkeypatch):
    """The batch (``prefetch``) is read in pieces in the rows' order (``BATCH_FIRST`` placements, then twice as many
    each time): a placement's files and commit are answered once its piece is read, while the thread still reads the
    rest; a commit outside the batch, and the state head, wait for the whole batch. The answers are the source's."""
    import threading

    import kratix_lab.sources.lab as lab_module

    monkeypatch.setattr(lab_module, "BATCH_FIRST", 1)
    source = LabSource(two)
    snap = source.snapshot()
    repo = two.state_remote
    read_files_many, pieces, go_on = repo.read_files_many, [], threading.Event()

    def held(specs):
        pieces.append(len(specs))
        if len(pieces) > 1:
            assert go_on.wait(30)
        return read_files_many(specs)

    monkeypatch.setattr(repo, "read_files_many", held)
    snap.prefetch()
    first, *rest = snap._reading[1].specs
    assert rest
    assert snap.state_files(*first) == source.state_files(*first)
    assert snap.state_commit(first[1]) == source.state_commit(first[1])
    assert snap._reading is not None and snap._reading[0].is_alive()  # the rest still being read
    go_on.set()
    assert snap.state_files(*rest[-1]) == source.state_files(*rest[-1])
    assert snap.state_head() == source.state_head() and snap._reading is None
    assert pieces[:2] == [1, 2] and sum(pieces) == len(rest) + 1


@pytest.mark.parametrize("told", [True, False])
def test_a_told_snapshot_reads_the_kinds_rows_read_in_their_namespace_at_once(two, monkeypatch, told):
    """A snapshot told its rows (``expect``) reads, at its first read in a vCluster's namespace, every kind the rows
    before read in theirs in one query (``Store.read_kinds_in``), each kind's objects as ``read_kind`` reads them;
    a kind no row read before is read alone; the requests' namespace and cluster-scoped objects are read kind by
    kind. A snapshot not told reads kind by kind. Every answer is the lab source's."""
    from kratix_lab.platform import store as store_module

    source = LabSource(two)
    snap = source.snapshot()
    if told:
        snap.expect([("platform-requests", "media"), ("platform-requests", "sandbox")])
    one, together = [], []
    read_kind, read_kinds_in = store_module.Store.read_kind, store_module.Store.read_kinds_in

    def alone(self, kind, body=None, namespace=None):
        one.append((kind, namespace))
        return read_kind(self, kind, body, namespace)

    def at_once(self, namespace, kinds):
        kinds = sorted(kinds)
        together.append((namespace, kinds))
        got = read_kinds_in(self, namespace, kinds)
        assert got == {kind: read_kind(self, kind, None, namespace) for kind in kinds}
        return got

    monkeypatch.setattr(store_module.Store, "read_kind", alone)
    monkeypatch.setattr(store_module.Store, "read_kinds_in", at_once)
    first, second = (f"vcluster-{name}" for name in ("media", "sandbox"))
    kinds = ["ConfigMap", "Pod", "Service"]
    for ns in (first, second):
        for kind in kinds:
            assert snap.list(kind, ns) == source.list(kind, ns) and any(source.list(kind, ns)) is not None
    assert snap.get("ServiceAccount", "default", second) == source.get("ServiceAccount", "default", second)
    assert snap.get("Namespace", first) == source.get("Namespace", first)
    assert snap.get("Destination", "the-cluster") == source.get("Destination", "the-cluster")
    assert snap.list("VClusterCore", "platform-requests") == source.list("VClusterCore", "platform-requests")
    assert snap.list("Pod", "platform-requests") == source.list("Pod", "platform-requests")
    if told:
        assert together == [(second, kinds)]
        assert [k for k, ns in one if ns == second] == ["ServiceAccount"]  # no row read it before
    else:
        assert not together and [k for k, ns in one if ns == second] == [*kinds, "ServiceAccount"]
    assert [k for k, ns in one if ns == first] == kinds
    assert {ns for _, ns in one} >= {"", "platform-requests"}
