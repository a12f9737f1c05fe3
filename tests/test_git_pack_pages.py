"""The pages of pack files a lab repository has read are given back to the kernel (``GitRepo.release_pack_pages``):
gitdb maps each pack whole for its life, so without it every page ever read stays in the process's memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kratix_lab.platform import gitrepo
from kratix_lab.platform.gitrepo import GitRepo, Identity

ME = Identity("lab", "lab@example.com")


def resident_kb(pack_dir: Path) -> int:
    """The resident size of this process's mappings of the pack files in ``pack_dir`` (``/proc/self/smaps``)."""
    total, ours = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):
            ours = len(head) > 5 and head[5].startswith(str(pack_dir)) and head[5].endswith(".pack")
        elif ours and head[0] == "Rss:":
            total += int(head[1])
    return total


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    writer = GitRepo.init_bare(tmp_path / "r.git")
    # incompressible contents, so the pack is as big as what is read: 48 files of 64 KiB
    files = {f"d/f{i:02}.bin": os.urandom(64 << 10) for i in range(48)}
    writer.write_files(files, "files", ME, 0)
    writer.flush()
    return GitRepo(tmp_path / "r.git")  # a reader of its own, as the writer's rounds read packs others wrote


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads /proc/self/smaps (Linux)")
def test_released_pages_leave_the_process_and_reads_still_answer(repo: GitRepo, monkeypatch) -> None:
    monkeypatch.setattr(gitrepo, "RELEASE_PACK_PAGES_EVERY", 1 << 40)  # only the explicit release below
    pack_dir = Path(repo.repo.git_dir) / "objects" / "pack"
    first = repo.read_files("d")
    assert len(first) == 48
    assert resident_kb(pack_dir) >= 48 * 64 * 0.9, "reading every file brings the pack's pages in"
    assert repo.release_pack_pages() == 1
    assert resident_kb(pack_dir) < 64, "the pages went back to the kernel"
    fresh = GitRepo(repo.path)
    assert fresh.read_files("d") == first  # and the pack reads the same afterwards, in this and another reader
    assert repo.read_files("d") == first


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads /proc/self/smaps (Linux)")
def test_a_long_read_releases_as_it_goes(repo: GitRepo, monkeypatch) -> None:
    monkeypatch.setattr(gitrepo, "RELEASE_PACK_PAGES_EVERY", 256 << 10)
    pack_dir = Path(repo.repo.git_dir) / "objects" / "pack"
    peak = 0
    for sha in repo.tree_shas("d").values():
        assert len(repo.raw_object(sha) or b"") == 64 << 10
        peak = max(peak, resident_kb(pack_dir))
    assert peak < 3 * 64 * 1.5 + 64, f"at most about 256 KiB of pages stay between two releases (saw {peak} KiB)"


def test_a_repository_without_packs_has_nothing_to_release(tmp_path: Path) -> None:
    empty = GitRepo.init_bare(tmp_path / "e.git")
    assert empty.release_pack_pages() == 0
    assert empty.head() is None


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads /proc/self/smaps (Linux)")
def test_each_object_read_counts_for_the_pages_it_may_touch_not_only_its_size(repo: GitRepo, monkeypatch) -> None:
    """A small object can be a delta whose bases lie elsewhere in the pack (a repacked repository's trees): each read
    counts ``PAGES_AN_OBJECT_TOUCHES`` besides its size, so many small reads release too."""
    monkeypatch.setattr(gitrepo, "RELEASE_PACK_PAGES_EVERY", 1 << 20)
    monkeypatch.setattr(gitrepo, "PAGES_AN_OBJECT_TOUCHES", 1 << 20)  # here: every read releases
    pack_dir = Path(repo.repo.git_dir) / "objects" / "pack"
    peak = 0
    for sha in repo.tree_shas("d").values():
        repo.raw_object(sha)
        peak = max(peak, resident_kb(pack_dir))
    assert peak < 2 * 64, f"released after each read (saw {peak} KiB)"


def test_a_pack_repacked_away_by_another_process_is_passed_over(repo: GitRepo) -> None:
    """A reader whose pack list names a pack another process has since folded into a new one (``git repack -ad``)
    releases it (gitdb mapped it as it entered it: the mapping outlives the file) and raises nothing; reads answer."""
    before = repo.read_files("d")
    unread = GitRepo(repo.path)
    unread.repo.odb.update_cache(force=True)  # knows the pack, has read nothing of it
    other = GitRepo(repo.path)
    other.write_files({"e/new.txt": b"new"}, "more", ME, 1)
    other.flush()
    other.repo.git.repack("-adq")  # the pack both readers know is gone
    assert unread.release_pack_pages() == 1
    assert repo.release_pack_pages() == 1
    assert GitRepo(repo.path).read_files("d") == before
