"""The Helm source of an Argo CD Application and the registry of charts the lab models.

The lab cannot download or run charts: it models one chart (vCluster 0.30.x from charts.loft.sh)
and refuses any other (``supported``; ``ChartError`` names what is modelled). ``ChartRender`` is
what the modelled `helm template` produced, with the annotations that say who makes each object
in a real cluster: the chart, or vCluster's syncer at runtime.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import KratixLabError

CHART = "vcluster"
CHART_REPO = "https://charts.loft.sh"
MODELLED_VERSIONS = "0.30.x"
_VERSION = re.compile(r"0\.30\.(0|[1-9][0-9]?)")

# Who creates the object in a real cluster: the chart (`helm template`) or vCluster's syncer at runtime.
RENDERED_BY_ANNOTATION = "kratix-lab.io/rendered-by"
BY_CHART = "helm-template"
BY_SYNCER = "vcluster-syncer"
# vCluster marks host objects it syncs with the owning vCluster's name (translate.MarkerLabel).
MANAGED_BY_LABEL = "vcluster.loft.sh/managed-by"


class ChartError(KratixLabError):
    """The chart cannot be rendered: not a modelled chart/version, or values the chart refuses."""

    def __init__(self, message: str, errors: Iterable[str] = ()):
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class HelmSource:
    """The Helm source of an Argo CD Application (`helm.valuesObject`, already merged)."""

    repo_url: str
    chart: str
    target_revision: str
    release_name: str
    namespace: str
    values: dict = field(default_factory=dict)


@dataclass
class ChartRender:
    """What the modelled `helm template` produced, and what it was produced from."""

    objects: list[dict]
    values: dict
    modelled: bool = True
    notes: list[str] = field(default_factory=list)
    source: HelmSource | None = None

    @property
    def chart_objects(self) -> list[dict]:
        """Objects the chart itself renders (what Argo CD applies and lists in status.resources)."""
        return [o for o in self.objects if _annotation(o, RENDERED_BY_ANNOTATION) == BY_CHART]

    @property
    def synced_objects(self) -> list[dict]:
        """Objects vCluster's syncer creates in the host namespace at runtime (not chart output)."""
        return [o for o in self.objects if _annotation(o, RENDERED_BY_ANNOTATION) == BY_SYNCER]


def _annotation(obj: Mapping[str, Any], key: str) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


def supported(repo_url: str, chart: str, version: str) -> bool:
    """True only for chart ``vcluster`` 0.30.0–0.30.99 from https://charts.loft.sh."""
    return (
        str(repo_url).strip().rstrip("/").lower() == CHART_REPO
        and chart == CHART
        and _VERSION.fullmatch(str(version).strip()) is not None
    )


def _not_modelled(source: HelmSource) -> ChartError:
    return ChartError(
        f"chart {source.chart} {source.target_revision} from {source.repo_url} is not modelled by kratix-lab "
        f"(modelled: {CHART} {MODELLED_VERSIONS} from {CHART_REPO})"
    )
