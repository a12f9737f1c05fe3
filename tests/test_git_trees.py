"""The state repo's tree parser (``kratix_lab.platform.gitrepo.parse_tree``) gives what GitPython's
``tree_entries_from_data`` gives and refuses what it refuses (issue 15: GitPython's per-name checks were most of a
tracked fleet row's time)."""

from __future__ import annotations

import pytest
from git.objects.fun import tree_entries_from_data
from hypothesis import given
from hypothesis import strategies as st

from kratix_lab.platform.gitrepo import parse_tree

SHA = bytes(range(20))


def entry(mode: bytes, name: bytes, sha: bytes = SHA) -> bytes:
    return mode + b" " + name + b"\0" + sha


def same(data: bytes) -> None:
    try:
        expected = tree_entries_from_data(data)
    except ValueError as e:
        with pytest.raises(ValueError) as got:
            parse_tree(data)
        assert str(got.value) == str(e)
        return
    assert parse_tree(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        entry(b"40000", b"destinations") + entry(b"100644", b"vc007.yaml") + entry(b"120000", b"link"),
        entry(b"100644", "héllo-wörld.yaml".encode()),
        entry(b"100644", b"\xff\xfe"),  # not UTF-8: surrogate-escaped, as GitPython does
        entry(b"100644", b".git"),
        entry(b"100644", b".GIT"),
        entry(b"100644", b"git~1"),
        entry(b"100644", b".gitmodules"),
        entry(b"120000", b".gitmodules"),
        entry(b"100644", b".."),
        entry(b"100644", b"."),
        entry(b"100644", b"a/b"),
        entry(b"100644", b"c:evil"),
        entry(b"100644", b".git."),
        entry(b"100644", b"-dash"),
        entry(b"100644", b"x") + b"100644 truncated",
        b"100644",
        entry(b"", b"x"),
        entry(b"99x", b"x"),
        entry(b"777", b"x"),
        entry(b"100644", b"x", SHA[:5]),
    ],
)
def test_the_parser_agrees_with_gitpython(data):
    same(data)


NAMES = st.one_of(
    st.from_regex(rb"[A-Za-z0-9._~:\\ -]{1,12}", fullmatch=True),
    st.sampled_from([b".git", b"GIT~1", b".Git ", b"git.", b"..", b".", b"\xe2\x80\x8c.git", b"a\\.git"]),
)


@given(st.lists(st.tuples(st.sampled_from([b"40000", b"100644", b"100755", b"120000", b"160000"]), NAMES), max_size=6))
def test_any_tree_parses_as_gitpython_parses_it(entries):
    same(b"".join(entry(mode, name) for mode, name in entries))


def test_a_repo_keeps_at_most_so_many_parsed_trees_and_reads_the_same_after(tmp_path, monkeypatch):
    """``GitRepo._tree_entries`` keeps at most ``_TREES_KEPT`` parsed trees (the lab's clock read ~21,000 in its first
    round at 1,000 vClusters and kept them all: 11 MB of its memory after the round), then starts again; what is read
    and written after a clear is what it was."""
    from kratix_lab.platform import gitrepo
    from kratix_lab.platform.gitrepo import GitRepo, Identity

    monkeypatch.setattr(gitrepo, "_TREES_KEPT", 4)
    repo = GitRepo.init_bare(tmp_path / "state.git")
    who = Identity("lab", "lab@example.com")
    files = {f"dir{i}/sub/file{i}.yaml": f"n: {i}\n".encode() for i in range(6)}
    repo.write_files(files, "six directories", who, 0)
    repo.flush()
    sizes = []
    for i in range(6):
        assert repo.read_files(f"dir{i}") == {f"dir{i}/sub/file{i}.yaml": f"n: {i}\n".encode()}
        sizes.append(len(repo._trees))
    assert max(sizes) <= 5 and min(sizes) < max(sizes)  # a clear happened: never more than the limit and one
    repo.write_files({"dir0/sub/file0.yaml": b"n: again\n"}, "one changed", who, 1)
    repo.flush()
    fresh = GitRepo(tmp_path / "state.git")
    assert {p: fresh.read_files(p) for p in ("dir0", "dir5")} == {p: repo.read_files(p) for p in ("dir0", "dir5")}
    assert fresh.read_files("dir0") == {"dir0/sub/file0.yaml": b"n: again\n"}
