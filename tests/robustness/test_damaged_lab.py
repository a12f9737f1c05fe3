"""A damaged lab is reported, never re-initialised; ``lab init --force`` deletes only a lab
(issue 18 items 4 and 14)."""

from __future__ import annotations

import json
import shutil

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import Lab, LabError


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "lab"
    Lab(path).close()
    return path


@pytest.fixture
def lab_dir(template, tmp_path):
    shutil.copytree(template, tmp_path / "lab")
    return tmp_path / "lab"


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "damage", ["empty-store", "missing-store", "missing-state.git", "missing-gitops", "missing-state"]
)
@pytest.mark.parametrize("command", [["get", "pods"], ["lab", "status"], ["settle"], ["tui", "--read-only"]])
def test_a_damaged_lab_is_reported_and_left_as_it_is(lab_dir, capsys, damage, command):
    part = lab_dir / {"empty-store": "store.sqlite", "missing-store": "store.sqlite"}.get(damage, damage[8:])
    if damage == "empty-store":
        part.write_bytes(b"")
    elif part.is_dir():
        shutil.rmtree(part)
    else:
        part.unlink()
    before = sorted(p.name for p in lab_dir.iterdir())
    code, out, err = cli(capsys, "--lab", str(lab_dir), *command)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {part}: ") and "the lab is damaged" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in lab_dir.iterdir()) == before, "nothing re-created"
    if damage == "empty-store":
        assert part.stat().st_size == 0
    with pytest.raises(LabError, match="damaged"):
        Lab(lab_dir)  # not even the library's create=True re-initialises a damaged lab


@pytest.mark.parametrize("text", ["{}", "not json", '{"seed": 3}', "[]"])
def test_a_bad_lab_json_is_an_error_naming_it(lab_dir, capsys, text):
    (lab_dir / "lab.json").write_text(text)
    code, _, err = cli(capsys, "--lab", str(lab_dir), "get", "pods")
    assert code == 2 and err.startswith(f"error: {lab_dir / 'lab.json'}: ") and len(err.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["2", '"1"', "0", "true", "1.5"])
def test_a_lab_json_format_this_version_cannot_read_is_an_error_naming_the_field(lab_dir, capsys, fmt):
    """A lab written in a newer format is refused (never read wrong); a damaged number names the field."""
    info = json.loads((lab_dir / "lab.json").read_text())
    assert info["format"] == 1
    (lab_dir / "lab.json").write_text(json.dumps({**info, "format": json.loads(fmt)}))
    code, _, err = cli(capsys, "--lab", str(lab_dir), "get", "pods")
    assert code == 2 and err.startswith(f"error: {lab_dir / 'lab.json'}: format: ") and len(err.splitlines()) == 1
    assert ("upgrade kratix-lab" in err) == (fmt == "2"), err


def test_a_lab_json_without_a_format_is_format_1(lab_dir, capsys):
    """Labs made before the number existed open as they did."""
    info = json.loads((lab_dir / "lab.json").read_text())
    del info["format"]
    (lab_dir / "lab.json").write_text(json.dumps(info))
    code, _, err = cli(capsys, "--lab", str(lab_dir), "get", "pods")
    assert code == 0, err


@pytest.mark.parametrize("text", ["{}", "not json"])
def test_init_force_refuses_a_directory_that_only_has_a_lab_json(tmp_path, capsys, text):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "lab.json").write_text(text)
    (d / "thesis.tex").write_text("years of work\n")
    code, _, err = cli(capsys, "--lab", str(d), "lab", "init", "--force")
    assert code == 2 and "refusing to delete" in err
    assert (d / "thesis.tex").read_text() == "years of work\n"


def test_init_force_refuses_a_lab_holding_other_files_and_names_them(lab_dir, capsys):
    (lab_dir / "notes.md").write_text("mine\n")
    code, _, err = cli(capsys, "--lab", str(lab_dir), "lab", "init", "--force")
    assert code == 2 and "notes.md" in err and "refusing to delete" in err and "store.sqlite" in err
    assert (lab_dir / "notes.md").exists()
    code, _, err = cli(capsys, "--lab", str(lab_dir), "lab", "reset", "--yes")
    assert code == 2 and "notes.md" in err
    (lab_dir / "notes.md").unlink()
    code, out, _ = cli(capsys, "--lab", str(lab_dir), "lab", "init", "--force")
    assert code == 0 and "created lab" in out


def test_a_corrupt_store_is_one_line(lab_dir, capsys):
    (lab_dir / "store.sqlite").write_bytes(b"this is not a database" * 100)
    for f in ("store.sqlite-wal", "store.sqlite-shm"):
        (lab_dir / f).unlink(missing_ok=True)
    code, _, err = cli(capsys, "--lab", str(lab_dir), "get", "pods")
    assert code == 2 and err.startswith(f"error: {lab_dir / 'store.sqlite'}: ") and len(err.splitlines()) == 1
