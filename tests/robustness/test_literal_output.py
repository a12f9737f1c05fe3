"""Data is printed literally by every command (issue 18 item 11): Rich markup in data is text (``status -o wide``
raised ``MarkupError: closing tag '[/]'``), and terminal control characters in annotations, helmOverrides keys and
messages are escaped (``\\x1b``), never sent to the terminal — ``describe`` printed them raw. One helper does it:
``kratix_lab/views/literal.py``."""

from __future__ import annotations

import io
import re

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import Lab
from kratix_lab.views.literal import LiteralConsole, LiteralStream, literal, printable

EVIL = {
    "apiVersion": "platform.integratn.tech/v1alpha1",
    "kind": "VClusterOrchestrator",
    "metadata": {
        "name": "evil",
        "namespace": "platform-requests",
        "annotations": {"note": "esc \x1b[31mRED\x1b[0m \x9b2J [bold]markup[/] and [/]"},
    },
    "spec": {
        "name": "evil",
        "vcluster": {"helmOverrides": {"[/]": "x", "k\x1b]0;title\x07": "y"}},
        "argocdApplication": {"targetRevision": "[/]"},
    },
}
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("literal") / "lab"
    with Lab(path) as lab:
        lab.submit(EVIL)
        lab.settle()
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "-o", "wide"],
        ["get", "vco", "-A", "-o", "wide"],
        ["get", "applications", "-A", "-o", "wide"],
        ["get", "vco/evil", "-n", "platform-requests", "-o", "yaml"],
        ["describe", "vco/evil", "-n", "platform-requests"],
        ["describe", "vcc/evil", "-n", "platform-requests"],
        ["trace", "vco/evil", "-n", "platform-requests"],
        ["trace", "vco/evil", "-n", "platform-requests", "-o", "wide"],
        ["diagnose", "vco/evil", "-n", "platform-requests"],
        ["diagnose", "--all"],
        ["events", "-A"],
    ],
    ids=" ".join,
)
def test_every_command_prints_data_literally(lab_dir, capsys, command):
    code = main(["--lab", str(lab_dir), *command])
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert not RAW.search(out.out), [m.group() for m in RAW.finditer(out.out)]
    assert not RAW.search(out.err)
    assert "Traceback" not in out.err


def test_describe_shows_the_escapes_and_the_markup_as_text(lab_dir, capsys):
    assert main(["--lab", str(lab_dir), "describe", "vco/evil", "-n", "platform-requests"]) == 0
    out = capsys.readouterr().out
    assert r"note: esc \x1b[31mRED\x1b[0m \x9b2J [bold]markup[/] and [/]" in out
    assert r"k\x1b]0;title\x07:" in out and "[/]:" in out


def test_status_wide_shows_a_markup_like_revision_as_text(lab_dir, capsys):
    assert main(["--lab", str(lab_dir), "status", "-o", "wide"]) in (0, 1)
    assert "chart vcluster [/]" in capsys.readouterr().out


def test_printable_escapes_c0_c1_and_del_but_keeps_newlines_and_tabs():
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[2J\x07\x00\x7f\x9b\x85") == r"\x1b[2J\x07\x00\x7f\x9b\x85"
    assert printable(printable("\x1b")) == r"\x1b"  # idempotent: a backslash is not a control character
    assert literal("[/]").plain == "[/]"


def test_the_console_keeps_its_own_colours_on_a_terminal_and_escapes_the_data():
    buf = io.StringIO()
    console = LiteralConsole(file=buf, force_terminal=True, color_system="standard", width=80)
    console.print(literal("[bold]x[/] \x1b]0;t\x07", style="red"))
    text = buf.getvalue()
    assert "\x1b[31m" in text  # the console's style code
    assert r"[bold]x[/] \x1b]0;t\x07" in text and "\x07" not in text


def test_the_stream_escapes_what_is_written_through_it():
    buf = io.StringIO()
    stream = LiteralStream(buf)
    print("name: x\x1b[2Jy", file=stream)
    assert buf.getvalue() == "name: x\\x1b[2Jy\n"
