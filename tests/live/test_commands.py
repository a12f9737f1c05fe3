"""get, describe, logs and events in live mode print what the lab prints (against the same lab, served)."""

from __future__ import annotations

from kratix_lab.cli import main
from tests.live.conftest import live_args, served

COMMANDS = [
    ["logs", "vco/sandbox", "-n", "platform-requests"],
    ["logs", "vclustercore/sandbox", "-n", "platform-requests", "--tail", "3"],
    ["logs", "statefulset/sandbox", "-n", "vcluster-sandbox"],
    ["events", "-n", "platform-requests"],
    ["events", "--for", "vco/sandbox", "-n", "platform-requests"],
    ["events", "-A"],
    ["get", "vco", "-n", "platform-requests"],
    ["get", "vco,works", "-A", "-o", "wide"],
    ["get", "pods", "-n", "platform-requests", "-l", "kratix.io/promise-name=vcluster-core"],
    ["get", "pods", "-A", "-l", "kratix.io/promise-name!=vcluster-core,!nothere"],
    ["get", "vco/sandbox", "-n", "platform-requests", "-o", "yaml"],
    ["get", "destinations", "-o", "name"],
    ["describe", "vco", "sandbox", "-n", "platform-requests"],
    ["describe", "statefulset/sandbox", "-n", "vcluster-sandbox"],
]


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out


def test_logs_and_events_through_the_api_equal_the_lab(lab, tmp_path, capsys):
    path = lab.path
    lab.close()
    from_lab = [_run(capsys, [*c, "--lab", str(path)]) for c in COMMANDS]
    with served(path, tmp_path / "kubeconfig") as run:
        args = live_args(run.kubeconfig, path, tmp_path / "cache")
        from_api = [_run(capsys, [*c, *args]) for c in COMMANDS]
        assert _run(capsys, ["logs", "vco/nope", "-n", "platform-requests", *args])[0] == 2
        assert main(["logs", "configmap/sandbox-vcluster-values", "-n", "vcluster-sandbox", *args]) == 2
        assert "has no logs" in capsys.readouterr().err
    for c, lab_out, api_out in zip(COMMANDS, from_lab, from_api, strict=True):
        assert api_out == lab_out, c
        assert lab_out[0] == 0 and (lab_out[1].strip() or c[1].startswith("statefulset/")), (
            c
        )  # vCluster pods log nothing in the lab
