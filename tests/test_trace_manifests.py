"""One parsed-manifest cache per commit (issue 11): a trace parses each state-repo file of a commit once, and
diagnose's commit rules read the same documents instead of reading and parsing the files again."""

from __future__ import annotations

import pytest

import kratix_lab.diagnose.rules.outputs as outputs
import kratix_lab.model.doccache as doccache
from kratix_lab.diagnose import diagnose
from kratix_lab.model import YamlError
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import trace
from kratix_lab.trace.manifests import CommitManifests
from kratix_lab.views.trace_view import node_json


def _counting(monkeypatch, module) -> list[str]:
    doccache.close_cache()  # parses counted: none answered from a document cache a command left open
    calls: list[str] = []
    real = module.load_documents

    def counted(text, source="<string>"):
        calls.append(source)
        return real(text, source)

    monkeypatch.setattr(module, "load_documents", counted)
    return calls


def test_each_file_is_parsed_once_and_a_file_that_is_not_yaml_fails_alike_each_time(monkeypatch):
    calls = _counting(monkeypatch, doccache)  # what CommitManifests parses through (kept by content when open)
    files = CommitManifests(
        {"a.yaml": b"kind: ConfigMap\nmetadata: {name: a}\n", "b.yaml": b"a: [\n", "c.yaml": b"\xff"}
    )
    assert sorted(files) == ["a.yaml", "b.yaml", "c.yaml"] and files["a.yaml"].startswith(b"kind") and len(files) == 3
    first = files.documents("a.yaml")
    assert files.documents("a.yaml") is first and first[0].data["metadata"]["name"] == "a"
    for _ in range(2):
        with pytest.raises(YamlError, match="b.yaml"):
            files.documents("b.yaml")
        with pytest.raises(UnicodeDecodeError):
            files.documents("c.yaml")
    assert calls == ["a.yaml", "b.yaml"]  # c.yaml fails to decode before any parse
    with pytest.raises(KeyError):
        files.documents("missing.yaml")


def test_diagnose_reads_the_documents_its_trace_parsed(lab, monkeypatch):
    source = LabSource(lab)
    parsed = _counting(monkeypatch, doccache)
    reread = _counting(monkeypatch, outputs)
    root = trace(source, "VClusterOrchestrator", "sandbox", None)
    commits = [n for n, _ in root.walk() if n.stage == "commit"]
    files = [f for c in commits for f in c.evidence["files"]]
    assert commits and files and all(c.manifests is not None for c in commits)
    assert sorted(parsed) == sorted(files), "each file of each commit parsed once"
    assert "manifests" not in node_json(commits[0])  # not part of what a node says

    parsed.clear()
    d = diagnose(source, "VClusterOrchestrator", "sandbox", None)
    assert sorted(parsed) == sorted(files) and reread == [], "the rules parse nothing again"
    assert d.healthy
