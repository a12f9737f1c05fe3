"""What a kratix-lab process does first (the CLI, the pipeline entry point, notebook kernels, the tests).

jsonschema (the lab's Helm values check and, through kubernetes-validate, the pipeline SDK's client) imports
rfc3987-syntax whenever it is installed — Jupyter's jupyter-events brings it — and that import compiles ~40
Lark grammars: 3.5–6 s per process, for the "iri" format checks kratix-lab never makes (formats are not
enforced, see the README's schema section). Hidden before jsonschema is first imported, jsonschema behaves
as when the package is absent: it skips those two format checkers. A process that already imported
jsonschema is left alone.
"""

from __future__ import annotations

import sys


def skip_slow_optional_imports() -> None:
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
