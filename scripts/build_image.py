"""``make image``: build the catalogue's pipeline image, tagged as the Promises reference it, on a machine with podman
(or docker) but no registry access.

    python scripts/build_image.py [--runtime podman|docker] [--base IMAGE] [--tag TAG] [--online]

Offline (the default here): the base is a Debian bookworm root filesystem made with mmdebstrap (``python3``,
``python3-venv``, ``ca-certificates``; cached as build/image/base-bookworm.tar and imported as
``localhost/kratix-lab-base:bookworm``) unless ``--base`` names one the engine has; the wheels of kratix-lab and of
what its pipelines import are built on the host (``pip wheel``) and installed in the image with ``--no-index``.
``--online`` builds exactly as anyone would with the Dockerfile's defaults (python:3.11-slim, the package index).
The image is labelled with a hash of its inputs; an image with the same hash is not rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kratix_lab.pipeline.image import PIPELINE_IMAGE  # noqa: E402

BUILD = ROOT / "build" / "image"
WHEELS = BUILD / "wheels"
BASE_TAR = BUILD / "base-bookworm.tar"
BASE_IMAGE = "localhost/kratix-lab-base:bookworm"
DOCKERFILE = ROOT / "kratix_lab" / "promises" / "Dockerfile"
PIPELINE_DEPS = ["pyyaml>=6", "jsonschema>=4.20", "kratix-sdk>=0.4.3,<0.5", "kubernetes>=33,<36"]
HASH_LABEL = "io.kratix-lab.inputs"


class ImageError(Exception):
    pass


def run(argv: list[str], what: str, **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise ImageError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{tail}")
    return proc


def runtime(name: str | None) -> str:
    from kratix_lab.pipeline.executors import container_runtime

    found = shutil.which(name) if name else container_runtime()
    if not found:
        raise ImageError(
            "no container engine answers (docker or podman); on this project's machines run "
            "`sudo scripts/setup-podman.sh` (installs and configures podman, runc and mmdebstrap)"
        )
    return found


def inputs_hash() -> str:
    digest = hashlib.sha256()
    files = [DOCKERFILE, ROOT / "pyproject.toml", *sorted((ROOT / "kratix_lab").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_hash(engine: str, tag: str) -> str | None:
    proc = subprocess.run(
        [engine, "image", "inspect", "--format", f'{{{{index .Config.Labels "{HASH_LABEL}"}}}}', tag],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_base(engine: str, log) -> str:
    if subprocess.run([engine, "image", "exists", BASE_IMAGE], capture_output=True).returncode == 0:
        return BASE_IMAGE
    if not BASE_TAR.is_file():
        if shutil.which("mmdebstrap") is None:
            raise ImageError("no base image and no mmdebstrap to make one: run `sudo scripts/setup-podman.sh`")
        log("making the Debian bookworm base with mmdebstrap (about 20 s)…")
        BUILD.mkdir(parents=True, exist_ok=True)
        partial = BASE_TAR.with_name("base-bookworm.partial.tar")  # mmdebstrap picks the format by the suffix
        run(
            ["mmdebstrap", "--variant=apt", "--include=python3,python3-venv,ca-certificates", "bookworm", str(partial)],
            "mmdebstrap",
        )
        partial.replace(BASE_TAR)
    run([engine, "import", str(BASE_TAR), BASE_IMAGE], "importing the base image")
    return BASE_IMAGE


def build_wheels(log) -> None:
    log("building the wheels on the host (pip wheel)…")
    if WHEELS.exists():
        shutil.rmtree(WHEELS)
    WHEELS.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELS)]
    run([*pip, "--no-deps", str(ROOT)], "pip wheel kratix-lab")
    run([*pip, *PIPELINE_DEPS], "pip wheel (the pipelines' dependencies)")


def build(
    engine: str | None = None, base: str | None = None, tag: str = PIPELINE_IMAGE, online: bool = False, log=print
) -> str:
    """Build the image (unless one with the same inputs exists); returns the tag."""
    engine = runtime(engine)
    want = inputs_hash()
    if image_hash(engine, tag) == want:
        log(f"{tag} is up to date (inputs {want})")
        return tag
    started = time.monotonic()
    argv = [engine, "build", "--file", str(DOCKERFILE), "--tag", tag, "--label", f"{HASH_LABEL}={want}"]
    if not online:
        base = base or ensure_base(engine, log)
        build_wheels(log)
        argv += ["--build-arg", f"BASE={base}", "--build-arg", "WHEELS=build/image/wheels"]
        argv += ["--build-arg", "PIP_ARGS=--no-index"]
        if Path(engine).name == "podman":
            argv += ["--network", "none"]  # nothing is fetched while building: the proof it is offline
    log(f"building {tag}…")
    run([*argv, str(ROOT)], f"{Path(engine).name} build")
    size = run([engine, "image", "inspect", "--format", "{{.Size}}", tag], "inspect").stdout.strip()
    log(f"built {tag} in {time.monotonic() - started:.0f} s ({int(size) / 1e6:.0f} MB)")
    return tag


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runtime", choices=["podman", "docker"])
    p.add_argument("--base", help="base image the engine has (default: the mmdebstrap bookworm base)")
    p.add_argument("--tag", default=PIPELINE_IMAGE)
    p.add_argument("--online", action="store_true", help="the Dockerfile's defaults: python:3.11-slim and PyPI")
    args = p.parse_args(argv)
    try:
        build(args.runtime, args.base, args.tag, args.online)
    except ImageError as e:
        print(f"make image: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
