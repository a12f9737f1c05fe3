"""`kratix-lab tui` when the lab cannot be opened: a clear message and exit code 2, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from kratix_lab.cli import main as cli_main
from tui.app import main


def test_a_missing_lab_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(argparse.Namespace(lab=str(missing), read_only=False)) == 2
    err = capsys.readouterr().err
    assert err == f"error: {missing}: no lab here (create one with `kratix-lab lab init`)\n"
    assert not missing.exists()  # nothing is created


@pytest.mark.parametrize("where", ["before", "after"])
def test_through_the_cli_with_lab_before_or_after_the_command(tmp_path, capsys, where):
    missing = tmp_path / "nope"
    argv = ["--lab", str(missing), "tui"] if where == "before" else ["tui", "--lab", str(missing), "--read-only"]
    assert cli_main(argv) == 2
    assert "no lab here" in capsys.readouterr().err


def test_a_file_or_a_directory_that_is_not_a_lab(tmp_path, capsys):
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(argparse.Namespace(lab=str(afile), read_only=True)) == 2
    assert "is a file, not a lab directory" in capsys.readouterr().err
    other = tmp_path / "dir"
    (other / "something").mkdir(parents=True)
    assert main(argparse.Namespace(lab=str(other), read_only=True)) == 2
    assert "no lab here" in capsys.readouterr().err


def test_the_default_lab_comes_from_kratix_lab_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KRATIX_LAB_DIR", str(tmp_path / "default-lab"))
    assert main(argparse.Namespace(lab=None, read_only=False)) == 2
    assert str(tmp_path / "default-lab") in capsys.readouterr().err
