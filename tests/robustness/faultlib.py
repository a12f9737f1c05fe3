"""Helpers of the fault suite: what a whole lab is (objects, readiness, state tree), integrity checks
(``git fsck --strict``, a ``--no-local`` clone, SQLite's ``integrity_check``), the trial count."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from kratix_lab.model import get_condition
from kratix_lab.platform.lab import Lab

# make soak sets KRATIX_LAB_SOAK=1 (or a number of trials); make test runs the short version.
SOAK = os.environ.get("KRATIX_LAB_SOAK", "")


def trials(short: int, soak: int) -> int:
    """``short`` in make test; under KRATIX_LAB_SOAK the number it gives (1 or "yes": ``soak``)."""
    if not SOAK or SOAK == "0":
        return short
    return int(SOAK) if SOAK.isdigit() and int(SOAK) > 1 else soak


def snapshot(lab: Lab) -> dict:
    """What a settled lab is, independent of timing: objects, their readiness, the state repo's tree."""
    objects = sorted(
        (o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"])
        for o in lab.store.list()
        if o["kind"] not in ("Job", "Pod") or not o["metadata"]["name"].startswith("kratix-")
    )
    ready = sorted(
        o["metadata"]["name"] + "/" + o["kind"]
        for o in lab.store.list()
        if (get_condition(o, "Reconciled") or {}).get("status") == "True"
    )
    return {"objects": objects, "reconciled": ready, "tree": ls_tree(lab.state_remote_path)}


def ls_tree(repo: Path) -> str:
    return subprocess.run(["git", "ls-tree", "-r", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout


def assert_intact(path: Path, tmp: Path) -> None:
    """Every repository passes ``git fsck --strict``, the state remote clones over git's protocol (not
    by hard links), and the store passes SQLite's integrity check."""
    for repo in ("state.git", "state", "gitops"):
        r = subprocess.run(["git", "fsck", "--strict"], cwd=path / repo, capture_output=True, text=True)
        assert r.returncode == 0, f"{repo}: {r.stdout}{r.stderr}"
    clone = tmp / f"clone-{os.getpid()}-{len(list(tmp.iterdir()))}"
    r = subprocess.run(
        ["git", "clone", "-q", "--no-local", str(path / "state.git"), str(clone)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(path / "store.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
