"""The kratix-lab command: promises, explain, validate, render output modes and exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from kratix_lab.cli import main
from kratix_lab.model import load_documents, load_one
from tests.helpers import SAMPLES


def test_promises_lists_the_catalogue(capsys):
    assert main(["promises", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    orch = next(r for r in rows if r["name"] == "vcluster-orchestrator")
    assert orch["kind"] == "VClusterOrchestrator"
    assert {"name", "vcluster", "exposure", "integrations", "argocdApplication"} <= set(orch["fields"])
    assert main(["promises"]) == 0
    assert "VClusterKubeconfigExternalSecret" in capsys.readouterr().out


def test_explain_shows_constraints(capsys):
    assert main(["explain", "VClusterOrchestrator.spec.vcluster.preset"]) == 0
    out = capsys.readouterr().out
    assert "FIELD: preset <string>" in out
    assert 'allowed values: "dev", "prod"' in out and 'default: "dev"' in out


def test_explain_root_and_recursive(capsys):
    assert main(["explain", "vclusterorchestrator", "--recursive"]) == 0
    out = capsys.readouterr().out
    assert "KIND:       VClusterOrchestrator" in out and "clusterIssuerSelectorLabels" in out


def test_explain_unknown_field_and_kind(capsys):
    assert main(["explain", "VClusterOrchestrator.spec.colour"]) == 2
    assert 'field "spec.colour" does not exist' in capsys.readouterr().err
    assert main(["explain", "Pizza"]) == 2
    assert 'no Promise serves kind "Pizza"' in capsys.readouterr().err


def test_validate_prints_defaults(capsys):
    assert main(["validate", str(SAMPLES / "dev.yaml")]) == 0
    obj = load_one(capsys.readouterr().out)
    assert obj["spec"]["vcluster"]["preset"] == "dev"
    assert obj["spec"]["argocdApplication"]["targetRevision"] == "0.30.4"
    assert obj["spec"]["integrations"]["externalSecrets"]["apiVersion"] == "v1"


def test_validate_reports_pruned_fields_and_every_error(tmp_path, capsys):
    f = tmp_path / "r.yaml"
    f.write_text(
        "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\nmetadata: {name: x}\n"
        "spec:\n  name: X\n  colour: blue\n  vcluster: {preset: huge, replicas: 0}\n"
    )
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "unknown field 'spec.colour' pruned" in err
    assert "(3 errors)" in err
    assert "spec.vcluster.preset: Unsupported value" in err and "spec.vcluster.replicas: Invalid value: 0" in err


def test_render_yaml_is_every_object(capsys):
    assert main(["render", str(SAMPLES / "media.yaml"), "-o", "yaml"]) == 0
    objs = [d.data for d in load_documents(capsys.readouterr().out)]
    assert sum(o["apiVersion"].startswith("platform.integratn.tech") for o in objs) == 8
    assert {"Namespace", "ConfigMap", "ExternalSecret", "CronJob", "AppProject", "Application"} <= {
        o["kind"] for o in objs
    }


def test_render_output_is_plain_when_piped():
    res = subprocess.run(
        [sys.executable, "-m", "kratix_lab.cli", "render", str(SAMPLES / "dev.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "\x1b[" not in res.stdout, "no colour codes in a pipe"
    assert "VClusterOrchestrator/platform-requests/sandbox" in res.stdout


def test_missing_file_is_an_error(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("tokens", "command"),
    [
        (["status"], "status"),
        (["--lab", "x", "status", "-w"], "status"),
        (["--lab=x", "status"], "status"),
        (["--la", "trace", "tui"], "tui"),  # (an abbreviation of --lab takes its value, as argparse reads it)
        (["--promise", "p", "--pro", "q", "--lab", "l", "tui", "--lab", "x"], "tui"),
        (["--version"], None),
        (["-h"], None),
        ([], None),
        (["--", "status"], "status"),
    ],
)
def test_the_command_a_line_names(tokens, command):
    """``cli._command_of``: the command a command line names, as argparse reads it."""
    from kratix_lab.cli import _command_of

    assert _command_of(tokens) == command


def test_the_front_ends_commands_are_found_only_when_the_line_names_none_of_kratix_labs(monkeypatch):
    """A command of kratix_lab's own is parsed without looking for the front ends' commands (the installed packages'
    entry points); the front ends' (``tui``) and the help, which lists them, look for them."""
    import importlib.metadata

    from kratix_lab.cli import build_parser

    def subcommands(parser):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices

    looked: list[str] = []
    entry_points = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda **kw: looked.append(kw["group"]) or entry_points(**kw)
    )
    args = build_parser(["--lab", "x", "status", "-o", "json"]).parse_args(["--lab", "x", "status", "-o", "json"])
    assert args.command == "status" and not looked
    for line in (["tui", "--lab", "x"], ["--help"], ["nonsense"]):
        assert "tui" in subcommands(build_parser(line)) and looked.pop() == "kratix_lab.commands"
    assert "tui" not in subcommands(build_parser(["status"]))
