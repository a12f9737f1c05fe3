"""Real git repositories (gitpython) with deterministic commits: identity and dates from the lab clock."""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import git
from git.objects.fun import _validate_tree_entry_name
from gitdb import OStream
from gitdb.exc import BadObject
from gitdb.pack import PackEntity

from kratix_lab.errors import Conflict, Invalid
from kratix_lab.kube.times import EPOCH
from kratix_lab.sources import CommitInfo

T = TypeVar("T")

DEFAULT_BRANCH = "main"
_TREE_MODE = 0o040000
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_CAT_SPLIT_FROM = 2000  # names read by two runs of git at once (``GitRepo._cat_batch``)
_TREES_KEPT = 2048  # parsed trees kept (``GitRepo._tree_entries``)
_BLOB_MODE = 0o100644


NAME_MAX = 255  # bytes in one file name on Linux file systems (ext4, xfs, btrfs, tmpfs)


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")  # cannot be ".", "..", ".git" or carry a drive or "/"


def parse_tree(data: bytes) -> list[tuple[bytes, int, str]]:
    """A git tree object's entries as GitPython's ``tree_entries_from_data`` gives them (binsha, mode, name), and
    refusing what it refuses — faster: a name made only of letters, digits, ``_ . -`` that starts with neither a dot
    nor a dash cannot alias git's metadata, so only other names go through GitPython's checks
    (``git.objects.fun._validate_tree_entry_name``). A fleet's state repo has a directory of every request of a
    Promise that each commit rewrites; GitPython's per-name path checks were most of a tracked fleet row's time."""
    out = []
    offset, size = 0, len(data)
    while offset < size:
        mode_end = data.find(b" ", offset)
        if mode_end < 0:
            raise ValueError("Unterminated tree entry mode")
        mode_bytes = data[offset:mode_end]
        if not mode_bytes or mode_bytes.strip(b"01234567"):
            raise ValueError("Invalid tree entry mode")
        mode = int(mode_bytes, 8)
        if mode >> 12 not in (4, 8, 10, 14):
            raise ValueError("Invalid tree entry mode")
        name_end = data.find(b"\0", mode_end + 1)
        if name_end < 0 or name_end + 21 > size:
            raise ValueError("Truncated tree entry")
        name = data[mode_end + 1 : name_end].decode("utf-8", "surrogateescape")
        if not _PLAIN_NAME.fullmatch(name):
            _validate_tree_entry_name(name, mode)
        offset = name_end + 21
        out.append((bytes(data[name_end + 1 : offset]), mode, name))
    return out


# The git runs the lab starts (``_cat_batch``, ``first_parent_chain_started``) map the packs they read through small
# windows (git-config core.packedGitWindowSize, core.packedGitLimit; git's defaults on 64-bit: 1 GiB windows, 8 GiB in
# all): at 1,000 vClusters (a 98 MB state repo) a first-parent walk mapped 103 MB and a batch of 3,000 files 45 MB,
# counted in the dashboard's memory while git runs; with these, 12 MB each, in the same time or less.
_YEAR_10000 = 253402300800  # seconds since the epoch at 10000-01-01T00:00:00Z
_SMALL_PACK_WINDOWS = ("-c", "core.packedGitWindowSize=1m", "-c", "core.packedGitLimit=8m")


class GitPathError(Invalid):
    """A path the repository could hold but no checkout could: nothing was committed."""


def check_path(path: str) -> None:
    """Refuse a repository path with a component longer than NAME_MAX bytes (``git reset`` of a
    checkout fails on it with "File name too long", and so would every later checkout)."""
    for part in path.split("/"):
        if len(part.encode()) > NAME_MAX:
            raise GitPathError(
                f"{path}: file name {part[:40]}… is {len(part.encode())} bytes; file systems allow {NAME_MAX}"
            )


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


def blob_sha(content: bytes) -> str:
    """The git object id of a blob with this content (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def git_date(seconds: int) -> str:
    return f"{int(EPOCH.timestamp()) + seconds} +0000"


# One commit type (issue 10 item 5): the seam's CommitInfo, what a lab repo's log and show give too.
Commit = CommitInfo


# Bytes of objects read (inflated) after which the pages of the packs they came from are given back to the kernel
# (``GitRepo.release_pack_pages``). Each object counts for the pages its read may touch besides its own bytes (16 KiB):
# a small object of a repacked repository is a delta whose bases lie elsewhere in the pack — Argo CD's first walk
# of the state repo's trees at 1,000 vClusters touched the whole 82 MB pack in 4 MB of trees read.
RELEASE_PACK_PAGES_EVERY = 32 << 20
PAGES_AN_OBJECT_TOUCHES = 16 << 10


def _files_of(
    trees: dict[bytes, list[tuple[str, int, bytes]]],
    blobs: dict[bytes, bytes],
    tree: bytes,
    base: str,
    files: dict[str, bytes],
) -> bool:
    """``read_files_many``'s walk of a tree it read: every file under it put in ``files`` by path (False: a gitlink, a
    symlink or an unreadable object, for ``read_files`` to decide). A function of the module: one nested in the
    method, calling itself, would be a cycle holding the trees and blobs read until the cyclic collector ran."""
    for name, mode, sub in trees[tree]:
        path = f"{base}/{name}" if base else name
        if mode == _TREE_MODE and sub in trees:
            if not _files_of(trees, blobs, sub, path, files):
                return False
        elif sub in blobs and mode != _TREE_MODE:
            files[path] = blobs[sub]
        else:
            return False
    return True


class GitRepo:
    """One working clone (or a bare remote) with the few operations the lab needs."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # Objects and the branch head written by this process but not yet on disk: flush() writes
        # them as one pack, then moves the ref (readers never see a ref to a missing object).
        self._pending: dict[bytes, tuple[bytes, bytes]] = {}
        self._pending_head: str | None = None
        self._base_head: str | None = None
        self._trees: dict[bytes, dict[str, tuple[int, bytes]]] = {}
        self._commits: dict[str, bytes] = {}  # commit objects read by read_files_many, by SHA
        self._read_bytes = 0  # of objects read from the packs since their pages were last released
        with warnings.catch_warnings():
            # GitDB reads objects in-process (no git subprocess per object); the lab opens only its own repos.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.repo = git.Repo(self.path, odbt=git.GitDB)

    # ---- creation ------------------------------------------------------------------------

    @classmethod
    def init_bare(cls, path: str | Path) -> GitRepo:
        git.Repo.init(path, bare=True, initial_branch=DEFAULT_BRANCH)
        return cls(path)

    @classmethod
    def init(cls, path: str | Path) -> GitRepo:
        git.Repo.init(path, initial_branch=DEFAULT_BRANCH)
        return cls(path)

    @classmethod
    def clone(cls, remote: str | Path, path: str | Path) -> GitRepo:
        git.Repo.clone_from(str(remote), str(path), branch=None)
        r = cls(path)
        r.repo.git.checkout("-B", DEFAULT_BRANCH)
        return r

    # ---- reading -------------------------------------------------------------------------

    def head(self, ref: str = DEFAULT_BRANCH) -> str | None:
        if ref == DEFAULT_BRANCH and self._pending_head:
            return self._pending_head
        if ref == DEFAULT_BRANCH:
            loose = Path(self.repo.git_dir) / "refs" / "heads" / DEFAULT_BRANCH
            if loose.exists():  # the common case, read without resolving through gitpython
                return loose.read_text().strip()
        if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
            return ref if self._has(bytes.fromhex(ref)) else None
        try:
            sha = self.repo.commit(ref).hexsha
        except (git.BadName, BadObject, ValueError):
            self.repo.odb.update_cache(force=True)
            try:
                sha = self.repo.commit(ref).hexsha
            except (git.BadName, BadObject, ValueError):
                return None
        return sha if self._has(bytes.fromhex(sha)) else None

    def _root_tree(self, rev: str) -> bytes | None:
        sha = self.head(rev)
        if sha is None:
            return None
        data = self._read(bytes.fromhex(sha))
        return bytes.fromhex(data[5:45].decode())  # "tree <40 hex>"

    def _walk(self, tree: bytes, base: str) -> Iterator[tuple[str, bytes]]:
        for name, (mode, sha) in self._tree_entries(tree).items():
            path = f"{base}/{name}" if base else name
            if mode == _TREE_MODE:
                yield from self._walk(sha, path)
            else:
                yield path, sha

    def _lookup(self, rev: str, prefix: str) -> tuple[int, bytes] | None:
        """(mode, sha) of the tree or blob at ``prefix`` (the root tree for "")."""
        root = self._root_tree(rev)
        if root is None:
            return None
        node = (_TREE_MODE, root)
        for part in (p for p in prefix.strip("/").split("/") if p):
            if node[0] != _TREE_MODE:
                return None
            node = self._tree_entries(node[1], copy=False).get(part)
            if node is None:
                return None
        return node

    def tree_shas(self, prefix: str, rev: str = DEFAULT_BRANCH) -> dict[str, str]:
        """``{path relative to prefix: blob sha}`` of every file under ``prefix`` at ``rev``."""
        node = self._lookup(rev, prefix)
        if node is None or node[0] != _TREE_MODE:
            return {}
        return {path: sha.hex() for path, sha in self._walk(node[1], "")}

    def read_files(self, prefix: str, rev: str = DEFAULT_BRANCH) -> dict[str, bytes]:
        """``{repo path: content}`` of every file under ``prefix`` at ``rev``."""
        prefix = prefix.strip("/")
        node = self._lookup(rev, prefix)
        if node is None:
            return {}
        if node[0] != _TREE_MODE:
            return {prefix: self._read(node[1])}
        return {path: self._read(sha) for path, sha in self._walk(node[1], prefix)}

    def read_files_many(self, specs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, bytes]]:
        """``read_files(prefix, rev)`` of many ``(prefix, rev)`` at once, keyed by ``(prefix, rev)`` as given; each
        ``rev`` a full commit SHA (issue 15: the files of every WorkPlacement's commit, for a cold ``status``).

        ``git cat-file --batch`` resolves every ``rev:prefix`` in C and the trees under it and their blobs are read in
        a few more runs of it: a fleet's state repo has a directory of every request of a Promise, which each commit
        rewrites, and parsing those trees here (``_lookup``) costs a thousand entries a commit. The answers are
        ``read_files``'s; what a batch cannot say exactly (another kind of object, an unusual path, a gitlink, objects
        this process has not flushed yet, git failing) is read by ``read_files`` itself."""
        wanted = list(dict.fromkeys(specs))
        out: dict[tuple[str, str], dict[str, bytes]] = {}
        batch: list[tuple[tuple[str, str], str]] = []
        for spec in wanted:
            prefix, rev = spec[0].strip("/"), spec[1]
            plain = all(p not in ("", ".", "..") for p in prefix.split("/")) if prefix else True
            if self._pending or not _FULL_SHA.fullmatch(rev) or not plain or "\n" in prefix:
                out[spec] = self.read_files(*spec)
            else:
                batch.append((spec, prefix))
        revs = list(dict.fromkeys(spec[1] for spec, _ in batch))
        try:
            found = self._cat_batch(revs + [f"{spec[1]}:{prefix}" for spec, prefix in batch])
        except (OSError, subprocess.SubprocessError):
            return out | {spec: self.read_files(*spec) for spec, _ in batch}
        commits = {rev for rev, obj in zip(revs, found, strict=False) if obj is not None and obj[0] == b"commit"}
        for rev, obj in zip(revs, found, strict=False):
            if obj is not None and obj[0] == b"commit":
                self._commits[rev] = obj[1]  # a commit never changes: its header is read from here (commit_info)
        roots: dict[tuple[str, str], tuple[bytes, bytes] | None] = {}
        for (spec, _), obj in zip(batch, found[len(revs) :], strict=True):
            if spec[1] not in commits:
                out[spec] = self.read_files(*spec)  # not a commit here: read_files says what that means
            else:
                roots[spec] = obj
        trees: dict[bytes, list[tuple[str, int, bytes]]] = {}
        blobs: dict[bytes, bytes] = {}

        def entries(data: bytes) -> list[tuple[str, int, bytes]]:
            return [(name, mode, sha) for sha, mode, name in parse_tree(data)]

        todo: list[bytes] = []
        for obj in roots.values():
            if obj is not None and obj[0] == b"tree":
                sha = hashlib.sha1(b"tree %d\0" % len(obj[1]) + obj[1]).digest()
                trees[sha] = entries(obj[1])
                todo.append(sha)
        while todo:  # the trees under each prefix, level by level, then every blob
            need: list[bytes] = []
            for sha in todo:
                for _, mode, sub in trees[sha]:
                    if mode == _TREE_MODE and sub not in trees:
                        need.append(sub)
            need = list(dict.fromkeys(need))
            todo = []
            for sub, obj in zip(need, self._cat_batch([s.hex() for s in need]), strict=True):
                if obj is not None and obj[0] == b"tree":
                    trees[sub] = entries(obj[1])
                    todo.append(sub)
        want_blobs = list(
            dict.fromkeys(sub for t in trees.values() for _, mode, sub in t if mode in (_BLOB_MODE, 0o100755))
        )
        for sub, obj in zip(want_blobs, self._cat_batch([s.hex() for s in want_blobs]), strict=True):
            if obj is not None and obj[0] == b"blob":
                blobs[sub] = obj[1]

        for spec, obj in roots.items():
            prefix = spec[0].strip("/")
            if obj is None:
                out[spec] = {}  # no such path at that commit
            elif obj[0] == b"blob":
                out[spec] = {prefix: obj[1]}
            else:
                files: dict[str, bytes] = {}
                sha = hashlib.sha1(b"tree %d\0" % len(obj[1]) + obj[1]).digest()
                whole = obj[0] == b"tree" and _files_of(trees, blobs, sha, prefix, files)
                out[spec] = files if whole else self.read_files(*spec)
        return {spec: out[spec] for spec in wanted}

    def _cat_batch(self, names: list[str]) -> list[tuple[bytes, bytes] | None]:
        """``(type, content)`` of each object name (a SHA, ``rev:path``) from ``git cat-file --batch``; None for a name
        git cannot resolve (``missing``, ``ambiguous``). Many names are read by two runs of git at once, each every
        other name, where the machine has two cores: a cold ``status`` of 1,000 vClusters waits for git's 14,000 look-ups
        (a second of one core) before its first row, its own core idle meanwhile."""
        if len(names) < _CAT_SPLIT_FROM or (os.cpu_count() or 1) < 2:
            return self._cat_run(names)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="kratix-lab-cat-file") as pool:
            # every other name: a batch's costly names are together; a run's error is raised here, in the caller
            first = pool.submit(self._cat_run, names[0::2])
            second = self._cat_run(names[1::2])
            out: list[tuple[bytes, bytes] | None] = [None] * len(names)
            out[0::2], out[1::2] = first.result(), second
        return out

    def _cat_run(self, names: list[str]) -> list[tuple[bytes, bytes] | None]:
        """``_cat_batch`` of ``names`` in one run of git."""
        if not names:
            return []
        import tempfile

        # the names and the answers through files, not pipes: git answers at its own pace. Through a pipe it waits
        # for this process to take each 64 KB, and the thread that reads it (``LabSnapshot.prefetch``) gets the GIL
        # every few milliseconds from a process busy parsing: a cold status of 1,000 vClusters (18 MB of answers)
        # waited seconds for git that git does in one
        with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as answers:
            given.write("".join(n + "\n" for n in names).encode())
            given.seek(0)
            subprocess.run(
                ["git", *_SMALL_PACK_WINDOWS, f"--git-dir={self.repo.git_dir}", "cat-file", "--batch"],
                stdin=given,
                stdout=answers,
                stderr=subprocess.DEVNULL,
                check=True,
            )
            answers.seek(0)
            data = answers.read()
        pos, out = 0, []
        for _ in names:
            end = data.index(b"\n", pos)
            head = data[pos:end].split(b" ")
            pos = end + 1
            if len(head) == 3 and len(head[0]) == 40 and head[2].isdigit():
                size = int(head[2])
                out.append((head[1], data[pos : pos + size]))
                pos += size + 1
            else:
                out.append(None)
        return out

    def log(self, path: str | None = None, max_count: int = 50, rev: str = DEFAULT_BRANCH) -> list[Commit]:
        if self.head(rev) is None:
            return []
        kwargs = {"max_count": max_count}

        def read() -> list[Commit]:
            commits = (
                self.repo.iter_commits(rev, paths=path, **kwargs) if path else self.repo.iter_commits(rev, **kwargs)
            )
            return [self._commit(c) for c in commits]

        return self._fresh(read)

    def show(self, rev: str) -> Commit:
        return self._fresh(lambda: self._commit(self.repo.commit(rev)))

    def _fresh(self, read: Callable[[], T]) -> T:
        """Run a gitpython read; when a pack written since (a push, another process) is not yet in its
        object cache, refresh the cache and read again."""
        try:
            return read()
        except (BadObject, ValueError):
            self.repo.odb.update_cache(force=True)
            return read()

    def _commit(self, c: git.Commit) -> Commit:
        files = (
            tuple(sorted(c.stats.files))
            if c.parents
            else tuple(sorted(b.path for b in c.tree.traverse() if b.type == "blob"))
        )
        return Commit(
            c.hexsha,
            c.message.rstrip("\n"),
            f"{c.author.name} <{c.author.email}>",
            c.authored_datetime.isoformat(),
            files,
            tuple(p.hexsha for p in c.parents),
        )

    def commit_info(self, sha: str) -> CommitInfo | None:
        """A commit's message, author, date (RFC 3339, UTC) and parents, read from its object alone (no diff:
        ``files`` is empty; a tree's files come from ``read_files``). None when the SHA is not a commit here.

        The one parser of a commit's header (``tree``/``parent``/``author`` lines, then the message)."""
        header = self._commit_header(sha)
        if header is None:
            return None
        lines, message = header
        author = next((line[7:] for line in lines if line.startswith("author ")), "")
        who, _, stamp = author.rpartition(">")
        seconds = int(stamp.split()[0]) if stamp.strip() else 0
        # (time's formatting: a third of datetime's, for a fleet's thousands of commits; years 1970-9999 alike)
        date = (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
            if 0 <= seconds < _YEAR_10000
            else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        parents = tuple(line[7:] for line in lines if line.startswith("parent "))
        return CommitInfo(sha, message.rstrip("\n"), who + ">", date, (), parents)

    def first_parent(self, sha: str) -> str | None:
        """The commit's first parent (None for a root commit, or when the SHA is not a commit here)."""
        header = self._commit_header(sha)
        if header is None:
            return None
        return next((line[7:] for line in header[0] if line.startswith("parent ")), None)

    def first_parent_chain(self, sha: str) -> list[str] | None:
        """``sha`` and its first parents back to the root (``git rev-list --first-parent``: one run, where following
        ``first_parent`` reads every commit of a fleet's history here); None when git cannot say (not a commit here,
        objects not flushed yet): then the caller follows ``first_parent`` itself."""
        return self.first_parent_chain_started(sha)()

    def first_parent_chain_started(self, sha: str) -> Callable[[], list[str] | None]:
        """``first_parent_chain(sha)`` started now, answered when called: git walks the history in its own process
        (on another core) while the caller goes on."""
        if self._pending or not _FULL_SHA.fullmatch(sha):
            return lambda: None
        try:
            proc = subprocess.Popen(
                [
                    "git",
                    *_SMALL_PACK_WINDOWS,
                    f"--git-dir={self.repo.git_dir}",
                    "rev-list",
                    "--first-parent",
                    sha,
                    "--",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return lambda: None

        box: list[list[str] | None] = []

        def answer() -> list[str] | None:
            if not box:
                out, _ = proc.communicate()
                box.append(out.decode().split() if proc.returncode == 0 else None)
            return box[0]

        return answer

    def _commit_header(self, sha: str) -> tuple[list[str], str] | None:
        raw = self.raw_object(sha)
        if raw is None:
            return None
        header, _, message = raw.decode("utf-8", "replace").partition("\n\n")
        lines = header.splitlines()
        if not lines or not lines[0].startswith("tree "):
            return None  # a blob or a tree, not a commit
        return lines, message

    # ---- writing -------------------------------------------------------------------------

    def replace_dir(
        self, prefix: str, files: dict[str, bytes], message: str, identity: Identity, when: int
    ) -> str | None:
        """Make ``prefix`` hold exactly ``files`` (relative paths) in one commit; None when unchanged.

        Objects are written straight into the object database (no index, no working tree), so a
        commit costs well under a millisecond; ``sync_worktree`` brings the checkout up to date.
        """
        prefix = prefix.strip("/")
        for rel in files:
            check_path(f"{prefix}/{rel}" if prefix else rel)
        current = self.tree_shas(prefix)
        if current == {p: blob_sha(c) for p, c in files.items()}:
            return None
        head = self.head()
        root = self._root_tree(DEFAULT_BRANCH) if head else None
        new_sub = self._write_files_tree(files) if files else None
        parts = [p for p in prefix.split("/") if p]
        new_root = self._replace_path(root, parts, (_TREE_MODE, new_sub) if new_sub else None) if parts else new_sub
        return self._commit_tree(new_root or self._store(b"tree", b""), head, message, identity, when)

    def write_files(self, files: dict[str, bytes | None], message: str, identity: Identity, when: int) -> str | None:
        """Set (or, with None, delete) individual files in one commit, leaving everything else alone.

        Returns the new commit, or None when nothing changed.
        """
        for path in files:
            check_path(path)
        head = self.head()
        root = self._root_tree(DEFAULT_BRANCH) if head else None
        new_root = root
        for path, content in sorted(files.items()):
            entry = None if content is None else (_BLOB_MODE, self._store(b"blob", content))
            new_root = self._replace_path(new_root, [p for p in path.split("/") if p], entry)
        if new_root == root:
            return None
        return self._commit_tree(new_root or self._store(b"tree", b""), head, message, identity, when)

    def remove_dir(self, prefix: str, message: str, identity: Identity, when: int) -> str | None:
        return self.replace_dir(prefix, {}, message, identity, when)

    def sync_worktree(self) -> None:
        """Make the checkout (index and files) match HEAD after commits made in the object database."""
        self.flush()
        if self.head() and not self.repo.bare:
            self.repo.git.reset("--hard", "-q", "HEAD")

    # ---- object-database plumbing ----------------------------------------------------------

    def _store(self, kind: bytes, data: bytes) -> bytes:
        binsha = hashlib.sha1(b"%s %d\0" % (kind, len(data)) + data).digest()
        if binsha not in self._pending:
            self._pending[binsha] = (kind, data)
        return binsha

    def _has(self, binsha: bytes) -> bool:
        if binsha in self._pending:
            return True
        if self.repo.odb.has_object(binsha):
            return True
        self.repo.odb.update_cache(force=True)  # another process (or a push) may have added a pack
        return self.repo.odb.has_object(binsha)

    def keep_commits_read_by(self, other: GitRepo) -> None:
        """Answer from the commit objects ``other`` (the same repository, opened by the process this one was forked
        from: ``LabSnapshot.reopened``) read in its batch: a commit never changes, and reading it again here is a
        pack look-up in Python per commit (three thousand in a forked process's rows at 1,000 vClusters)."""
        if other is not self and other.path.resolve() == self.path.resolve():
            self._commits = other._commits | self._commits

    def holds_header(self, sha: str) -> bool:
        """Whether the commit's object is kept (read by ``read_files_many``): ``commit_info`` then reads no object
        (a thread reading a batch meanwhile: ``LabSnapshot.state_commit``)."""
        return sha in self._commits

    def raw_object(self, sha: str) -> bytes | None:
        """An object's content by SHA (a commit's header and message, a tree, a blob); None when unknown."""
        known = self._commits.get(sha)
        if known is not None:
            return known
        try:
            return self._read(bytes.fromhex(sha))
        except (BadObject, ValueError, OSError):
            return None

    def _read(self, binsha: bytes) -> bytes:
        pending = self._pending.get(binsha)
        if pending is not None:
            return pending[1]
        try:
            data = self.repo.odb.stream(binsha).read()
        except (BadObject, ValueError):
            self.repo.odb.update_cache(force=True)
            data = self.repo.odb.stream(binsha).read()
        self._read_bytes += len(data) + PAGES_AN_OBJECT_TOUCHES
        if self._read_bytes >= RELEASE_PACK_PAGES_EVERY:
            self.release_pack_pages()  # a long read (a first round, every file of a commit) keeps few pages
        return data

    def release_pack_pages(self) -> int:
        """Give the process's pages of this repository's pack files back to the kernel; the number of packs advised.

        gitdb maps each pack file whole (smmap's window on 64-bit is larger than any pack) for the pack's life, so
        every page a read has touched stays resident in the process: ~95 MB of the lab's writer after its first
        round at 1,000 vClusters (Argo CD reads every manifest once). ``MADV_DONTNEED`` unmaps them from the process
        only — the file's pages stay in the kernel's page cache, and the next read of one maps it again (a minor
        fault, no disk read). The packs' indexes (~2 % of the size, read by every look-up) are left mapped."""
        advised = self._read_bytes = 0
        dontneed = getattr(mmap, "MADV_DONTNEED", None)  # (not on every OS: there, nothing is given back)
        if dontneed is None:
            return advised
        for db in self.repo.odb.databases():
            for entity in getattr(db, "entities", list)():
                # (gitdb maps a pack as it enters it: one repacked away since is still mapped)
                data = entity.pack().data()
                if isinstance(data, mmap.mmap) and len(data):
                    data.madvise(dontneed)
                    advised += 1
        return advised

    def flush(self) -> None:
        """Write pending objects as one pack (then its index), then move the branch ref."""
        if self._pending:
            pack_dir = Path(self.repo.git_dir) / "objects" / "pack"
            pack_dir.mkdir(parents=True, exist_ok=True)
            streams = [OStream(sha, kind, len(data), io.BytesIO(data)) for sha, (kind, data) in self._pending.items()]
            PackEntity.create(streams, str(pack_dir), object_count=len(streams))
            self._pending.clear()
            self.repo.odb.update_cache(force=True)
        if self._pending_head:
            head, base = self._pending_head, self._base_head
            self._pending_head = self._base_head = None  # refused or not, the next commit starts from the ref
            _write_ref(Path(self.repo.git_dir) / "refs" / "heads" / DEFAULT_BRANCH, head, base)
        if len(list((Path(self.repo.git_dir) / "objects" / "pack").glob("*.pack"))) > 48:
            self.repo.git.repack("-adq")  # many small packs slow every lookup: fold them into one
            self.repo.odb.update_cache(force=True)

    def _tree_entries(self, binsha: bytes | None, *, copy: bool = True) -> dict[str, tuple[int, bytes]]:
        """A tree's entries by name (a copy to change, unless ``copy=False``: the cached dict, only to read).

        At most ``_TREES_KEPT`` parsed trees are kept, then the cache starts again: the lab's clock reads ~21,000 trees
        in its first round at 1,000 vClusters, each once (Argo CD's first reads of every state path), and kept them
        all cost 11 MB of the dashboard's memory for the process's life; what a commit writes next is the few trees on
        its paths, parsed again at most once after a clear."""
        if binsha is None:
            return {}
        cached = self._trees.get(binsha)
        if cached is None:  # trees are immutable: parse each one once
            cached = {name: (mode, sha) for sha, mode, name in parse_tree(self._read(binsha))}
            self._remember_tree(binsha, cached)
        return dict(cached) if copy else cached

    def _remember_tree(self, binsha: bytes, entries: dict[str, tuple[int, bytes]]) -> None:
        if len(self._trees) > _TREES_KEPT:
            self._trees.clear()
        self._trees[binsha] = entries

    def _write_tree(self, entries: dict[str, tuple[int, bytes]]) -> bytes | None:
        if not entries:
            return None

        def order(name: str) -> bytes:  # git sorts a directory as if its name ended in "/"
            return (name + "/" if entries[name][0] == _TREE_MODE else name).encode()

        data = b"".join(b"%o %s\0" % (entries[n][0], n.encode()) + entries[n][1] for n in sorted(entries, key=order))
        binsha = self._store(b"tree", data)
        if binsha not in self._trees:  # what parsing it back would give: the next commit reads it at once
            self._remember_tree(binsha, dict(entries))
        return binsha

    def _write_files_tree(self, files: dict[str, bytes]) -> bytes | None:
        nested: dict = {}
        for path, content in files.items():
            node = nested
            *dirs, name = path.split("/")
            for d in dirs:
                node = node.setdefault(d, {})
            node[name] = content
        return self._write_nested(nested)

    def _write_nested(self, node: dict) -> bytes | None:
        entries: dict[str, tuple[int, bytes]] = {}
        for name, value in node.items():
            if isinstance(value, dict):
                sub = self._write_nested(value)
                if sub is not None:
                    entries[name] = (_TREE_MODE, sub)
            else:
                entries[name] = (_BLOB_MODE, self._store(b"blob", value))
        return self._write_tree(entries)

    def _replace_path(self, tree: bytes | None, parts: list[str], new: tuple[int, bytes] | None) -> bytes | None:
        """The tree ``tree`` with the entry at ``parts`` set to ``new`` (None removes it); None if empty."""
        entries = self._tree_entries(tree)
        if len(parts) == 1:
            if new is None:
                entries.pop(parts[0], None)
            else:
                entries[parts[0]] = new
            return self._write_tree(entries)
        child = entries.get(parts[0])
        child_tree = child[1] if child and child[0] == _TREE_MODE else None
        replaced = self._replace_path(child_tree, parts[1:], new)
        if replaced is None:
            entries.pop(parts[0], None)
        else:
            entries[parts[0]] = (_TREE_MODE, replaced)
        return self._write_tree(entries)

    def _commit_tree(self, tree: bytes, parent: str | None, message: str, identity: Identity, when: int) -> str:
        who = f"{identity.name} <{identity.email}> {git_date(when)}"
        lines = [f"tree {tree.hex()}", *([f"parent {parent}"] if parent else []), f"author {who}", f"committer {who}"]
        sha = self._store(b"commit", ("\n".join([*lines, "", message]) + "\n").encode()).hex()
        if self._pending_head is None:
            self._base_head = parent  # what the ref must still hold when flush() moves it
        self._pending_head = sha
        return sha

    def accept_pushes(self) -> None:
        """Let ``git push`` update this non-bare repo's checked-out branch and its files
        (``receive.denyCurrentBranch=updateInstead``, git-config(1)): the lab's gitops repo then takes pushes
        from a clone as a hosted repo does; ``flush`` never writes over a ref a push moved (``RefMoved``)."""
        with self.repo.config_reader() as r:
            if r.get_value("receive", "denyCurrentBranch", default="") == "updateInstead":
                return
        with self.repo.config_writer() as w:
            w.set_value("receive", "denyCurrentBranch", "updateInstead")

    def point_origin_at(self, remote: Path) -> None:
        origin = self.repo.remote("origin")
        if Path(origin.url) != Path(remote).resolve():
            origin.set_url(str(Path(remote).resolve()))

    def push(self, remote: str = "origin", branch: str = DEFAULT_BRANCH) -> None:
        """Push ``branch``. To a local bare remote this is done in-process, as git's local transport
        does: copy every pack the remote lacks, then move the remote's ref if it is a fast-forward.

        Every local pack whose name the remote lacks is sent, not only the packs this process wrote:
        a process killed (or a push failed) after writing objects here and before copying them must
        not let a later push move the remote's ref to commits whose objects never arrived. Each file
        is written under a temporary name and renamed into place, index before pack (gitdb finds a
        pack by its ``.pack``, git by its ``.idx`` and only when the ``.pack`` exists), so a full
        disk or a kill never leaves a partial pack that readers would see. Errors (``OSError``) and a
        non-fast-forward (``GitCommandError``) leave the remote's ref where it was.
        """
        self.flush()
        target = Path(self.repo.remote(remote).url)
        local = self.head(branch)
        if local is None:
            return
        ref = target / "refs" / "heads" / branch
        if not (target / "objects").is_dir():
            self.repo.git.push(remote, f"{branch}:{branch}")
            return
        remote_head = ref.read_text().strip() if ref.exists() else GitRepo(target).head(branch)
        if remote_head == local:
            return
        if remote_head is not None and not self._descends_from(local, remote_head):
            raise git.GitCommandError(["push"], 1, stderr=f"! [rejected] {branch} -> {branch} (non-fast-forward)")
        dst_dir = target / "objects" / "pack"
        dst_dir.mkdir(parents=True, exist_ok=True)
        src_dir = Path(self.repo.git_dir) / "objects" / "pack"
        for pack in sorted(src_dir.glob("pack-*.pack")):
            idx = pack.with_suffix(".idx")
            if (dst_dir / pack.name).exists() or not idx.exists():
                continue
            _install(idx, dst_dir / idx.name)
            _install(pack, dst_dir / pack.name)
        _write_ref(ref, local, remote_head)
        _write_ref(Path(self.repo.git_dir) / "refs" / "remotes" / remote / branch, local)

    def repair(self) -> list[str]:
        """Set aside what an interrupted write can leave in the pack directory, so reads work again.

        A pack shorter than a pack's header and trailer, or one whose index is missing or empty, is
        what a full disk or a kill during an older, non-atomic copy left; gitdb fails on every read
        while it is there (``'NoneType' object has no attribute 'map'``). Its index is rebuilt with
        ``git index-pack`` when the pack is whole; otherwise the files are renamed to ``*.damaged``
        (kept, not deleted, and invisible to git and gitdb). Temporary files of an interrupted
        copy are removed. Returns what was done, one line each. Call it holding the lab's lock.
        """
        pack_dir = Path(self.repo.git_dir) / "objects" / "pack"
        done: list[str] = []
        if not pack_dir.is_dir():
            return done
        for tmp in pack_dir.iterdir():
            # ours, and gitdb's mkstemp files of a pack write that failed (``pack*``/``index*``, no dot)
            if tmp.name.startswith(_TMP_PREFIX) or re.fullmatch(r"(pack|index)[a-z0-9_]{8}", tmp.name):
                tmp.unlink(missing_ok=True)
                done.append(f"removed {tmp}")
        for pack in sorted(pack_dir.glob("pack-*.pack")):
            idx = pack.with_suffix(".idx")
            if pack.stat().st_size >= 32 and idx.exists() and idx.stat().st_size >= 8 + 256 * 4:
                continue
            if pack.stat().st_size >= 32:
                try:
                    tmp_idx = pack_dir / f"{_TMP_PREFIX}{idx.name}"
                    self.repo.git.execute(["git", "index-pack", "-o", str(tmp_idx), str(pack)])
                    os.replace(tmp_idx, idx)
                    done.append(f"rebuilt {idx}")
                    continue
                except (git.GitCommandError, OSError):
                    (pack_dir / f"{_TMP_PREFIX}{idx.name}").unlink(missing_ok=True)
            for f in (pack, idx):
                if f.exists():
                    os.replace(f, f.with_name(f.name + ".damaged"))
            done.append(f"set aside {pack} (incomplete)")
        if done:
            self.repo.odb.update_cache(force=True)
        return done

    def _descends_from(self, sha: str, ancestor: str) -> bool:
        for _ in range(100_000):
            if not sha:
                return False
            if sha == ancestor:
                return True
            sha = self.first_parent(sha) or ""
        return False

    def reset_to_remote(self, remote: str = "origin", branch: str = DEFAULT_BRANCH) -> None:
        """Drop local commits that could not be pushed (nothing half-written stays)."""
        self._pending.clear()
        self._pending_head = None
        self.repo.git.fetch(remote)
        if self.head(f"{remote}/{branch}"):
            self.repo.git.reset("--hard", f"{remote}/{branch}")
        self.repo.git.clean("-fdq")


_TMP_PREFIX = "tmp_kratix_lab_"


def _install(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` all at once: link or copy to a temporary name, then rename. On any
    error (a full disk: ``ENOSPC``) the temporary file is removed and nothing appears at ``dst``."""
    tmp = dst.with_name(_TMP_PREFIX + dst.name)
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RefMoved(Conflict):
    """The branch moved (a ``git push``, another process) between reading it and writing a commit on it."""


_ANY = object()
LOCK_WAIT = 2.0  # seconds to wait for git's lock on a ref (git itself holds it for milliseconds)


def _read_ref(ref: Path) -> str | None:
    """A branch's SHA: the loose ref, else its line in ``packed-refs`` (git pack-refs, gc), else None."""
    if ref.exists():
        return ref.read_text().strip() or None
    refs = next((p for p in ref.parents if p.name == "refs"), None)
    git_dir = refs.parent if refs is not None else None
    if git_dir is None or not (git_dir / "packed-refs").exists():
        return None
    packed = git_dir / "packed-refs"
    name = ref.relative_to(git_dir).as_posix()
    for line in packed.read_text().splitlines():
        sha, _, refname = line.partition(" ")
        if refname == name:
            return sha
    return None


def _write_ref(ref: Path, sha: str, expected: object = _ANY) -> None:
    """Move a loose ref atomically as git does: take ``<ref>.lock`` exclusively (``O_EXCL``: git's own lock,
    so a ``git push`` into the repo and the lab never both move the ref), check the ref still holds
    ``expected`` (compare-and-swap: a commit made on a head that moved since is refused, never written over
    the push), write the lock, rename it over the ref. Raises ``RefMoved`` when the ref moved, ``Conflict``
    when the lock stays taken for ``LOCK_WAIT`` seconds."""
    import time

    ref.parent.mkdir(parents=True, exist_ok=True)
    lock = ref.with_name(ref.name + ".lock")
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise Conflict(
                    f"{lock}: another git process is updating the branch (or a stale lock: remove the file)"
                ) from None
            time.sleep(0.01)
    try:
        with os.fdopen(fd, "w") as f:
            if expected is not _ANY and _read_ref(ref) != expected:
                raise RefMoved(
                    f"{ref.name} of {ref.parents[2] if len(ref.parents) > 2 else ref.parent} moved to "
                    f"{(_read_ref(ref) or 'nothing')[:8]} while this commit was made on {str(expected)[:8]} "
                    "(a push?): nothing was written over it; try again"
                )
            f.write(sha + "\n")
        os.replace(lock, ref)
    except BaseException:
        lock.unlink(missing_ok=True)  # a stale lock would make git refuse every later update of the ref
        raise
