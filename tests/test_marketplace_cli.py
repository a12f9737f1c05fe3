"""`validate` and `render` agree on Promises we did not write (the Kratix marketplace corpus)."""

from __future__ import annotations

import json

import pytest

from kratix_lab.cli import main
from kratix_lab.model import load_one
from kratix_lab.pipeline.executors import container_runtime
from tests.helpers import SHARED

MARKETPLACE = SHARED / "reference" / "marketplace"
if not MARKETPLACE.is_dir():
    pytest.skip(f"{MARKETPLACE} is absent: the marketplace corpus lives in ../shared", allow_module_level=True)

CASES = sorted(d for d in MARKETPLACE.iterdir() if (d / "resource-request.yaml").exists())


@pytest.mark.parametrize("folder", CASES, ids=lambda d: d.name)
def test_validate_and_render_agree(folder, capsys):
    promise, request = folder / "promise.yaml", folder / "resource-request.yaml"
    assert main(["--promise", str(promise), "validate", str(request)]) == 0
    validated = load_one(capsys.readouterr().out)
    code = main(["--promise", str(promise), "render", str(request), "--executor", "container", "-o", "json"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["object"] == validated, "render admits exactly what validate prints"
    assert summary["pruned"] == []
    if container_runtime() is None:
        assert code == 1
        assert "no container runtime (docker or podman with a running engine)" in captured.err
        assert summary["outputs"] == []
    else:  # pragma: no cover - only where an engine runs
        assert code in (0, 1)


def test_in_process_executor_explains_foreign_images(capsys):
    folder = MARKETPLACE / "redis"
    code = main(["--promise", str(folder / "promise.yaml"), "render", str(folder / "resource-request.yaml")])
    assert code == 1
    assert "is not the kratix-lab pipeline image" in capsys.readouterr().err


def _has_marketplace_image() -> bool:
    import subprocess

    import yaml

    engine = container_runtime()
    if engine is None:
        return False
    text = (MARKETPLACE / "namespace" / "promise.yaml").read_text()
    images = [line.split("image:", 1)[1].strip() for line in text.splitlines() if "image:" in line]
    return bool(images) and all(
        subprocess.run([engine, "image", "inspect", yaml.safe_load(i)], capture_output=True).returncode == 0
        for i in images
    )


@pytest.mark.skipif(
    not _has_marketplace_image(),
    reason="the marketplace's pipeline image is not in a local engine (the executor never pulls; no registry here)",
)
def test_container_executor_runs_a_marketplace_pipeline(capsys):  # pragma: no cover - needs the image
    folder = MARKETPLACE / "namespace"
    code = main(
        [
            "--promise",
            str(folder / "promise.yaml"),
            "render",
            str(folder / "resource-request.yaml"),
            "--executor",
            "container",
        ]
    )
    assert code == 0
