"""``repo log|show|files``: the git history of the state repo (default) or the gitops repo."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from gitdb.exc import ODBError

from kratix_lab.cli.common import EXIT_OK, CLIError, NotFoundError, _console, _open, add
from kratix_lab.platform.lab import Lab
from kratix_lab.views import lab_view as lv


def _repo(lab: Lab, args: argparse.Namespace) -> tuple[Any, str]:
    return (lab.gitops_repo, "gitops") if args.gitops else (lab.state_remote, "state")


def cmd_repo_log(args: argparse.Namespace) -> int:
    if args.max_count < 1:
        raise CLIError("-n must be 1 or more")
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        commits = repo.log(args.path.strip("/") if args.path else None, max_count=args.max_count)
    if not commits:
        print(f"no commits in the {which} repo" + (f" touch {args.path}" if args.path else ""), file=sys.stderr)
        return EXIT_OK
    if sys.stdout.isatty():
        _console().print(lv.repo_log_rich(commits))
    else:
        print(lv.repo_log_text(commits), end="")
    return EXIT_OK


@contextlib.contextmanager
def _revision(which: str, rev: str) -> Iterator[None]:
    """Any revision gitpython/gitdb cannot resolve (or whose objects are missing) → exit 2."""
    try:
        yield
    except (ODBError, ValueError) as e:
        raise CLIError(f"unknown revision {rev!r} in the {which} repo") from e


def cmd_repo_show(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        with _revision(which, args.rev):
            commit = repo.show(args.rev)
            text = lv.commit_text(commit)
    print(text, end="")
    return EXIT_OK


def cmd_repo_files(args: argparse.Namespace) -> int:
    path = (args.path or "").strip("/")
    with _open(args, reads_only=True) as lab:
        repo, which = _repo(lab, args)
        rev = args.rev or "main"
        if args.rev is None and repo.head() is None:
            print(f"the {which} repo has no commits yet", file=sys.stderr)
            return EXIT_OK
        with _revision(which, rev):
            if repo.head(rev) is None:
                raise ValueError(rev)
            tree = repo.tree_shas(path, rev)
            content = None if tree or not path else repo.read_files(path, rev).get(path)
    if tree:
        for rel in sorted(tree):
            print(f"{path}/{rel}" if path else rel)
        return EXIT_OK
    if content is None:
        raise NotFoundError(f'path "{path}" does not exist in the {which} repo at {rev}')
    try:
        sys.stdout.write(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise CLIError(f"{path}: binary file ({len(content)} bytes), not shown") from None
    return EXIT_OK


def register(sub: Any) -> None:
    """``repo log|show|files``."""
    repo = sub.add_parser("repo", help="the git history of the state repo (default) or the gitops repo")
    reposub = repo.add_subparsers(dest="repo_command", required=True, metavar="ACTION")
    p = add(
        reposub,
        "log",
        "commits: short SHA, date, author, subject, files",
        cmd_repo_log,
    )
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("path", metavar="PATH", nargs="?", help="only commits touching PATH")
    p.add_argument("-n", "--max-count", type=int, default=20, metavar="N")
    p = add(reposub, "show", "a commit's message and changed files", cmd_repo_show)
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("rev", metavar="REV")
    p = add(reposub, "files", "the files under PATH (a file's content when PATH is a file)", cmd_repo_files)
    p.add_argument("--gitops", action="store_true", help="the gitops repo instead of the state repo")
    p.add_argument("path", metavar="PATH", nargs="?")
    p.add_argument("--rev", metavar="REV", help="default: the head of main")
