"""``kratix-lab-pipeline PROMISE``: the entrypoint of the catalogue's one pipeline image.

Inside a Kratix pipeline pod it reads ``/kratix/input`` and writes ``/kratix/output`` and
``/kratix/metadata`` through the official ``kratix-sdk``; the action comes from
``KRATIX_WORKFLOW_ACTION``. Outside a pod (the lab's subprocess executor) the three
directories can be pointed elsewhere with ``KRATIX_LAB_INPUT_DIR`` / ``_OUTPUT_DIR`` / ``_METADATA_DIR``.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from kratix_lab.startup import skip_slow_optional_imports

# Before kratix_sdk imports jsonschema, not in main(): by then the import below had compiled rfc3987-syntax's
# grammars (kratix_lab.startup) — 2-6 s of every `python -m kratix_lab.pipeline.entrypoint` the subprocess executor
# starts, eight per media render.
skip_slow_optional_imports()

import kratix_sdk as ks  # noqa: E402

from kratix_lab.errors import NotFound  # noqa: E402
from kratix_lab.promises import CATALOGUE_PROMISES  # noqa: E402
from kratix_lab.promises._common import PipelineInputError  # noqa: E402


class UnknownPipeline(NotFound):
    pass


def handler_module(promise_name: str) -> ModuleType:
    if promise_name not in CATALOGUE_PROMISES:
        raise UnknownPipeline(
            f"no pipeline named {promise_name!r} in this image (known: {', '.join(CATALOGUE_PROMISES)})"
        )
    return importlib.import_module(f"kratix_lab.promises.{promise_name.replace('-', '_')}.pipeline")


def handler(promise_name: str, action: str) -> Callable[[ks.KratixSDK], None]:
    module = handler_module(promise_name)
    fn = getattr(module, action, None)
    if fn is None:
        raise UnknownPipeline(f"pipeline {promise_name!r} has no {action!r} action")
    return fn


def point_sdk_at(input_dir: Path, output_dir: Path, metadata_dir: Path) -> None:
    ks.set_input_dir(input_dir)
    ks.set_output_dir(output_dir)
    ks.set_metadata_dir(metadata_dir)


def run(argv: list[str]) -> int:
    """Run one catalogue pipeline; the exit code is what the container would exit with."""
    if argv in (["--version"], ["version"]):
        from kratix_lab.pipeline.image import PIPELINE_IMAGE, image_tag

        print(f"kratix-lab-pipeline {image_tag(PIPELINE_IMAGE)} ({PIPELINE_IMAGE})")
        return 0
    if len(argv) != 1:
        print("usage: kratix-lab-pipeline PROMISE_NAME  (action from KRATIX_WORKFLOW_ACTION)", file=sys.stderr)
        return 2
    action = os.environ.get("KRATIX_WORKFLOW_ACTION", "")
    if action not in ("configure", "delete"):
        print(f"KRATIX_WORKFLOW_ACTION is {action!r}; expected configure or delete", file=sys.stderr)
        return 2
    try:
        fn = handler(argv[0], action)
    except UnknownPipeline as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return call(fn)


def call(fn: Callable[[ks.KratixSDK], None]) -> int:
    """Run one pipeline function as a container would: its exit code, errors printed to stderr."""
    try:
        fn(ks.KratixSDK())
    except SystemExit as e:  # as the interpreter exits: None is success, a message is printed and fails
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except PipelineInputError as e:  # a request the pipeline cannot render: say which field, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a pipeline bug must fail the container with its traceback in the logs
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return 1
    return 0


def main() -> None:
    env = os.environ
    if "KRATIX_LAB_INPUT_DIR" in env:
        point_sdk_at(
            Path(env["KRATIX_LAB_INPUT_DIR"]),
            Path(env["KRATIX_LAB_OUTPUT_DIR"]),
            Path(env["KRATIX_LAB_METADATA_DIR"]),
        )
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
