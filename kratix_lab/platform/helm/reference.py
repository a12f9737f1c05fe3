"""The chart's reference files: values.schema.json and values.yaml, and values validation.

Both ship with the package (``chart/``: loft-sh/vcluster v0.30.5 ``chart/``, unchanged, see
``chart/PROVENANCE.md``), so an installed kratix-lab validates values and coalesces them over the
chart's own defaults. An explicit setting comes first: ``$KRATIX_LAB_VCLUSTER_SCHEMA`` and
``$KRATIX_LAB_VCLUSTER_VALUES`` name other copies. Without a values.yaml the render falls back to
``chart/modelled-defaults.yaml``, the defaults of every key the model reads.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from kratix_lab.model import load_one
from kratix_lab.platform.helm.source import ChartError

SCHEMA_ENV = "KRATIX_LAB_VCLUSTER_SCHEMA"
VALUES_ENV = "KRATIX_LAB_VCLUSTER_VALUES"
# The chart's files as package data (pyproject.toml [tool.setuptools.package-data]), never a path outside the package.
CHART_FILES = Path(__file__).resolve().parent / "chart"
DEFAULT_SCHEMA_PATHS: tuple[Path, ...] = (CHART_FILES / "values.schema.json",)
DEFAULT_VALUES_PATHS: tuple[Path, ...] = (CHART_FILES / "values.yaml",)
MODELLED_DEFAULTS = CHART_FILES / "modelled-defaults.yaml"


def _first_existing(env: str, defaults: tuple[Path, ...]) -> Path | None:
    candidates = [Path(os.environ[env])] if os.environ.get(env) else []
    for p in [*candidates, *defaults]:
        if p.is_file():
            return p.resolve()
    return None


def find_schema_file() -> Path | None:
    """The chart's values.schema.json: ``$KRATIX_LAB_VCLUSTER_SCHEMA``, then DEFAULT_SCHEMA_PATHS."""
    return _first_existing(SCHEMA_ENV, DEFAULT_SCHEMA_PATHS)


def schema_available() -> bool:
    """Whether values can be validated (callers say "values not validated: no schema" otherwise)."""
    return find_schema_file() is not None


def find_values_file() -> Path | None:
    """The chart's values.yaml: ``$KRATIX_LAB_VCLUSTER_VALUES``, then DEFAULT_VALUES_PATHS."""
    return _first_existing(VALUES_ENV, DEFAULT_VALUES_PATHS)


@lru_cache(maxsize=8)
def _validator(path: str, mtime_ns: int) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=8)
def _chart_defaults(path: str, mtime_ns: int) -> dict[str, Any]:
    data = load_one(Path(path).read_text(encoding="utf-8"), path)
    if not isinstance(data, dict):
        raise ChartError(f"{path}: chart values.yaml is not a mapping")
    return data


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _unknown_keys(error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties") or {}
    patterns = error.schema.get("patternProperties") or {}
    return [k for k in error.instance if k not in props and not any(re.search(p, k) for p in patterns)]


def validate_values(values: dict, schema_path: Path | None = None) -> list[str]:
    """Every error of ``values`` against the chart's values.schema.json, as ``path.to.field: message``.

    Returns [] when no schema file is found (see ``schema_available``).
    """
    path = Path(schema_path) if schema_path is not None else find_schema_file()
    if path is None or not path.is_file():
        return []
    validator = _validator(str(path), path.stat().st_mtime_ns)
    errors: list[str] = []
    for e in validator.iter_errors(values):
        where = list(e.absolute_path)
        if e.validator == "additionalProperties" and e.validator_value is False and isinstance(e.instance, dict):
            errors += [
                f"{_json_path([*where, k])}: unknown field, not in the chart's values.schema.json"
                for k in _unknown_keys(e)
            ]
        else:
            errors.append(f"{_json_path(where) or '<root>'}: {e.message}")
    return sorted(set(errors))


# --- chart defaults when values.yaml is not at hand: chart/modelled-defaults.yaml ---------------------


@lru_cache(maxsize=1)
def _builtin_defaults_cached() -> dict[str, Any]:
    data = load_one(MODELLED_DEFAULTS.read_text(encoding="utf-8"), str(MODELLED_DEFAULTS))
    return data if isinstance(data, dict) else {}


def _builtin_defaults() -> dict[str, Any]:
    return _builtin_defaults_cached()
