"""Intake benchmark (issue 18, done-when): the alias bomb and the oversized request are refused by
`validate`, `submit` and the create form, each measured here (never in a timed test); the budget is
100 ms. Prints the worst of N runs per entry point and hostile input.

Run: `.venv/bin/python bench/bench_intake.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAD = "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\nmetadata:\n  name: x\n"
BOMB_VALUE = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
HOSTILE = {
    "bomb in annotations": HEAD + "  annotations:\n" + "".join("    " + ln + "\n" for ln in BOMB_VALUE.splitlines()),
    "bomb in spec": HEAD + "spec:\n" + "".join("  " + ln + "\n" for ln in BOMB_VALUE.splitlines()),
    "35 MB request": HEAD + "spec:\n  name: x\n  vcluster:\n    helmOverrides:\n      big: " + "x" * 35_000_000 + "\n",
}


def worst(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return max(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from kratix_lab import forms
    from kratix_lab.cli import main as cli
    from kratix_lab.model import YamlError
    from kratix_lab.platform.lab import Lab, LabError
    from kratix_lab.promises import load_catalogue

    catalogue = load_catalogue()
    model = forms.form_for(catalogue.get("vcluster-orchestrator"))
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Path(tmp) / "lab")
        print(f"{'input':22} {'validate':>10} {'submit':>10} {'form':>10}   (worst of {args.repeat}, ms)")
        for name, text in HOSTILE.items():
            f = Path(tmp) / "req.yaml"
            f.write_text(text)
            messages = []

            def validate(f=f, messages=messages):
                err = io.StringIO()
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    assert cli(["validate", str(f)]) == 2
                messages.append(err.getvalue().strip())

            def submit(f=f):
                try:
                    lab.submit(f)
                except (YamlError, LabError):
                    return
                raise AssertionError("submitted")

            field = text.split("\n", 4)[4] if "annotations" not in name else text
            values = {"spec.name": "x", "spec.vcluster.helmOverrides": field}

            def form(values=values):
                assert forms.build_request(model, values).problems

            v, s, fm = worst(validate, args.repeat), worst(submit, args.repeat), worst(form, args.repeat)
            print(f"{name:22} {v:10.1f} {s:10.1f} {fm:10.1f}   {messages[-1][:110]}")
        lab.close()


if __name__ == "__main__":
    main()
