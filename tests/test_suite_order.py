"""tests/suite_order.py: the order ``pytest -n 2`` hands files out in, and the record it comes from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.helpers import ROOT
from tests.suite_order import DURATIONS, file_of, merged, read_durations, slowest_first, write_durations

LEAN = ["-o", "addopts=", "-p", "no:nbval", "-p", "no:xdist"]  # a collection only: 5 s instead of 10 s


@dataclass
class Item:
    nodeid: str


COLLECTED = [
    Item("tests/a.py::test_1"),
    Item("tests/new.py::test_1"),
    Item("tests/a.py::test_2[x]"),
    Item("notebooks/n.ipynb::Cell 0"),
    Item("tests/b.py::test_1"),
    Item("tests/new.py::test_2"),
    Item("tests/other_new.py::test_1"),
]
SECONDS = {"tests/a.py": 3.0, "tests/b.py": 40.0, "notebooks/n.ipynb": 3.0, "tests/gone.py": 99.0}


def test_files_not_recorded_run_first_then_the_slowest_and_no_test_is_lost_or_reordered_within_its_file():
    ordered = slowest_first(COLLECTED, SECONDS)
    assert [i.nodeid for i in ordered] == [
        "tests/new.py::test_1",
        "tests/new.py::test_2",
        "tests/other_new.py::test_1",
        "tests/b.py::test_1",
        "tests/a.py::test_1",  # a tie with the notebook: collection order
        "tests/a.py::test_2[x]",
        "notebooks/n.ipynb::Cell 0",
    ]
    assert sorted(map(id, ordered)) == sorted(map(id, COLLECTED))


def test_without_a_record_the_collection_order_is_kept():
    assert slowest_first(COLLECTED, {}) == COLLECTED


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]", '{"tests/a.py": "slow"}', '{"tests/a.py": null}'])
def test_a_missing_or_damaged_record_reads_as_no_record(tmp_path, text):
    path = tmp_path / "durations.json"
    if text is not None:
        path.write_text(text)
    assert read_durations(path) == {}


def test_a_run_updates_the_files_it_ran_keeps_the_others_and_drops_files_that_are_gone(tmp_path):
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / "tests").mkdir(exist_ok=True)
        (tmp_path / "tests" / name).write_text("")
    recorded = {"tests/a.py": 5.0, "tests/b.py": 1.0, "tests/gone.py": 9.0}
    seconds = merged(recorded, {"tests/b.py": 7.04, "tests/c.py": 0.26}, root=tmp_path)
    assert list(seconds.items()) == [("tests/b.py", 7.0), ("tests/a.py", 5.0), ("tests/c.py", 0.3)]
    write_durations(seconds, tmp_path / "durations.json")
    assert read_durations(tmp_path / "durations.json") == seconds


def test_the_record_in_the_repository_is_well_formed():
    """A damaged record would silently order nothing: it must read back whole."""
    raw = json.loads(DURATIONS.read_text())
    assert raw and read_durations() == raw and all(v >= 0 for v in raw.values())


def test_pytest_collects_a_file_missing_from_the_record_first_and_the_recorded_ones_slowest_first(tmp_path):
    """The hook as pytest runs it (tests/conftest.py), on three real files, one not in the record it is given."""
    record = tmp_path / "durations.json"
    write_durations({"tests/test_cel.py": 1.0, "tests/test_yamlio.py": 2.0}, record)
    files = ["tests/test_cel.py", "tests/test_suite_order.py", "tests/test_yamlio.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *LEAN, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KRATIX_LAB_DURATIONS": str(record)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seen = [file_of(line) for line in done.stdout.splitlines() if "::" in line]
    assert list(dict.fromkeys(seen)) == ["tests/test_suite_order.py", "tests/test_yamlio.py", "tests/test_cel.py"]
    assert seen.count("tests/test_suite_order.py") >= 6 and seen.count("tests/test_cel.py") >= 10
