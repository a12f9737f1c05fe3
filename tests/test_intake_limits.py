"""Issue 18 items 6-10: the one YAML intake refuses what the API server and go-yaml refuse, at once,
naming the line (kratix_lab/model/yamlio.py cites the upstream limits)."""

from __future__ import annotations

import pytest

from kratix_lab import forms
from kratix_lab.cli import main
from kratix_lab.model import YamlError, load_documents
from kratix_lab.model.yamlio import MAX_DEPTH, MAX_REQUEST_BYTES
from tests.helpers import SAMPLES
from tests.test_argocd import GITOPS, app, gitops_file

# The billion-laughs document of CVE-2019-11253 (what crashed the API server): 9 levels of 9 aliases.
BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
REQUEST_HEAD = "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\nmetadata: {name: x}\n"


def refused(text: str) -> str:
    with pytest.raises(YamlError) as e:
        load_documents(text, "req.yaml")
    return str(e.value)


def test_an_alias_bomb_is_excessive_aliasing_as_go_yaml_says():
    assert refused(BOMB) == "req.yaml:1:8: invalid YAML: document contains excessive aliasing"
    # in annotations the message does not expand it either
    msg = refused(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n"
        + "".join("    " + ln + "\n" for ln in BOMB.splitlines())
    )
    assert "excessive aliasing" in msg and len(msg) < 200


def test_a_recursive_alias_is_refused_not_walked_forever():
    assert "nested more than" in refused("a: &a [*a, *a]\n") or "aliasing" in refused("a: &a [*a, *a]\n")


def test_ordinary_aliases_and_merge_keys_still_load():
    docs = load_documents("base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2\n")
    assert docs[0].data == {"base": {"x": 1}, "use": {"x": 1}, "merged": {"x": 1, "y": 2}}


def test_a_request_over_3_mib_is_refused_with_the_api_servers_message(tmp_path, capsys):
    big = REQUEST_HEAD + "spec:\n  name: " + "x" * MAX_REQUEST_BYTES + "\n"
    assert refused(big) == "req.yaml: Request entity too large: limit is 3145728"
    f = tmp_path / "big.yaml"
    f.write_text(big)
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "Request entity too large: limit is 3145728" in err and len(err) < 500
    # multi-byte characters count as bytes, as the API server counts them
    assert "too large" in refused("a: " + "é" * (MAX_REQUEST_BYTES // 2 + 1))
    load_documents("a: " + "x" * (MAX_REQUEST_BYTES - 100))  # just under: accepted


def test_depth_is_refused_with_the_line_not_a_recursion_error(tmp_path, capsys):
    assert refused("a:\n  b: " + "[" * 400 + "]" * 400) == (
        f"req.yaml:2:{MAX_DEPTH + 4}: invalid YAML: nested more than {MAX_DEPTH} levels deep"
    )
    f = tmp_path / "deep.yaml"
    f.write_text(REQUEST_HEAD + "spec:\n  name: x\n  vcluster:\n    helmOverrides: " + "{a: " * 330 + "1" + "}" * 330)
    assert main(["validate", str(f)]) == 2
    assert "levels deep" in capsys.readouterr().err
    load_documents("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))  # the limit itself: accepted


def test_huge_integers_are_refused_with_the_line_and_a_truncated_value():
    msg = refused("spec:\n  replicas: " + "9" * 5000 + "\n")
    assert msg.startswith("req.yaml:2:13: invalid YAML: integer '999") and "(4968 more characters)" in msg
    assert len(msg) < 200
    assert "out of range" in refused("a: 18446744073709551616\n")  # 2**64
    assert "out of range" in refused("a: -9223372036854775809\n")
    assert load_documents("a: 18446744073709551615\nb: -9223372036854775808\nc: 0x1F\n")[0].data == {
        "a": 18446744073709551615,
        "b": -9223372036854775808,
        "c": 31,
    }


def test_duplicate_keys_are_refused_with_both_lines(tmp_path, capsys):
    text = REQUEST_HEAD + "spec:\n  name: x\n  vcluster:\n    preset: huge\n    preset: dev\n"
    assert refused(text) == "req.yaml:8:5: invalid YAML: mapping key 'preset' already defined at line 7"
    assert "already defined at line 1" in refused("{a: 1, a: 2}")
    f = tmp_path / "dup.yaml"
    f.write_text(text)
    assert main(["validate", str(f)]) == 2
    assert "mapping key 'preset' already defined at line 7" in capsys.readouterr().err
    # the same text as a key and as a different type is not a duplicate; equal keys in two maps are fine
    assert load_documents("a: {k: 1}\nb: {k: 2}\n'1': x\n1: y\n")[0].data == {
        "a": {"k": 1},
        "b": {"k": 2},
        "1": "x",
        1: "y",
    }


def test_values_json_cannot_hold_are_refused_and_dates_stay_text():
    assert (
        refused("b: !!binary aGVsbG8=\n")
        == "req.yaml:1:4: invalid YAML: 'aGVsbG8=' is !!binary data, which JSON cannot hold"
    )
    assert refused("s: !!set {a, b}\n") == "req.yaml:1:4: invalid YAML: a !!set, which JSON cannot hold"
    assert "!!omap" in refused("o: !!omap [{a: 1}]\n")
    # go-yaml v2 keeps a timestamp's text when decoding into interface{} (as kubectl and Argo CD do)
    assert load_documents("t: 2026-01-01\nu: 2001-12-14t21:59:43.10-05:00\n")[0].data == {
        "t": "2026-01-01",
        "u": "2001-12-14t21:59:43.10-05:00",
    }


def test_submit_refuses_hostile_files_with_the_line_and_commits_nothing(lab, tmp_path):
    from kratix_lab.platform.lab import LabError

    before = lab.gitops_repo.head() if hasattr(lab.gitops_repo, "head") else None
    f = tmp_path / "dup.yaml"
    f.write_text(REQUEST_HEAD + "spec:\n  name: x\n  name: y\n")
    with pytest.raises((YamlError, LabError)) as e:
        lab.submit(f)
    assert "already defined at line 5" in str(e.value)
    f.write_text(BOMB)
    with pytest.raises((YamlError, LabError)) as e:
        lab.submit(f)
    assert "excessive aliasing" in str(e.value)
    if before is not None:
        assert lab.gitops_repo.head() == before


def test_the_form_refuses_an_oversized_paste_and_a_bomb(catalogue):
    model = forms.form_for(catalogue.for_object(load_documents((SAMPLES / "dev.yaml").read_text())[0].data))
    built = forms.build_request(
        model, {"spec.name": "demo", "spec.vcluster.helmOverrides": "x: " + "y" * MAX_REQUEST_BYTES}
    )
    assert [(p.field, p.message) for p in built.problems] == [
        ("spec.vcluster.helmOverrides", "Request entity too large: limit is 3145728")
    ]
    built = forms.build_request(model, {"spec.name": "demo", "spec.vcluster.helmOverrides": BOMB})
    assert [p.message for p in built.problems] == [
        "spec.vcluster.helmOverrides:1:8: invalid YAML: document contains excessive aliasing"
    ]


@pytest.mark.parametrize(
    "hostile",
    ["blob: !!binary aGVsbG8=\n", "s: !!set {a, b}\n", "a: 1\na: 2\n"],
    ids=["binary", "set", "duplicate"],
)
def test_a_hostile_gitops_file_is_a_comparison_error_on_its_application_only(lab, hostile):
    """Argo CD's repo-server fails to unmarshal that file: ComparisonError naming it on that
    Application (controller/state.go), while every other Application keeps syncing."""
    gitops_file(
        lab,
        "bad/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  " + hostile.replace("\n", "\n  "),
    )
    gitops_file(lab, "good/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\ndata:\n  k: v\n")
    lab.apply(app("bad", {"repoURL": GITOPS, "path": "bad", "targetRevision": "HEAD"}))
    lab.apply(app("good", {"repoURL": GITOPS, "path": "good", "targetRevision": "HEAD"}))
    lab.settle()
    bad = lab.get("Application", "bad", "argocd")
    cond = bad["status"]["conditions"][0]
    assert cond["type"] == "ComparisonError" and "bad/cm.yaml" in cond["message"]
    assert lab.get("ConfigMap", "good", "default")["data"] == {"k": "v"}
    assert lab.get("Application", "good", "argocd")["status"]["sync"]["status"] == "Synced"


def test_error_messages_quote_values_truncated(tmp_path, capsys):
    f = tmp_path / "long.yaml"
    f.write_text(
        REQUEST_HEAD.replace("{name: x}", "{name: x, labels: {a: " + "-" * 2_000_000 + "}}") + "spec: {name: x}\n"
    )
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "... (1998976 more characters)" in err and len(err) < 10_000


@pytest.mark.parametrize(
    "hostile",
    ["  blob: !!binary aGVsbG8=\n", "  tags: !!set {a, b}\n", "  name: bad\n  name: again\n"],
    ids=["binary", "set", "duplicate"],
)
def test_a_hostile_request_in_git_is_shown_by_diagnose_and_the_rest_keeps_running(tmp_path, capsys, hostile):
    """Issue 18 item 10: a request file Argo CD cannot unmarshal stops the ``platform`` Application
    (ComparisonError naming the file, argo-cd controller/state.go) — settle goes on, the vClusters already
    running stay Healthy at every stage, and diagnose says where the problem is: on the missing request, on
    every request that Application applies (their changes in git wait), and in ``diagnose --all``."""
    from kratix_lab.diagnose import diagnose
    from kratix_lab.platform.lab import Lab
    from kratix_lab.sources.lab import LabSource

    path = tmp_path / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        gitops_file(
            lab,
            "platform/vclusters/bad.yaml",
            "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\n"
            "metadata:\n  name: bad\n  namespace: platform-requests\n  annotations:\n    t: 2026-01-01\nspec:\n"
            + hostile,
        )
        assert lab.settle().quiescent
        source = LabSource(lab)
        media = diagnose(source, "VClusterOrchestrator", "media", "platform-requests")
        assert {n.health for n, _ in media.trace.walk()} == {"Healthy"}  # the vCluster keeps running
        assert [f.id for f in media.findings] == ["app-comparison-error"]
        assert media.findings[0].severity == "warning" and "platform/vclusters/bad.yaml" in media.findings[0].message
        bad = diagnose(source, "VClusterOrchestrator", "bad", "platform-requests")
        assert bad.findings[0].id == "request-missing"
        assert "cannot read git" in bad.verdict and "platform/vclusters/bad.yaml" in bad.verdict
        assert "fix or remove the file" in bad.findings[0].fix
    assert main(["--lab", str(path), "diagnose", "--all"]) == 1
    out = capsys.readouterr().out
    assert "== the platform's Argo CD applications" in out and "Application/argocd/platform" in out
