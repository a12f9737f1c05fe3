"""The lab's modelled Helm stage: what `helm template` of the vCluster chart 0.30.x gives Argo CD.

The lab cannot download or run charts. Argo CD renders a Helm source with `helm template` and
applies the objects itself (no Helm release Secret), so for the one chart the platform deploys we
build those objects in Python — names, labels, selectors, replicas, resources and images as the
chart's templates at v0.30.5 make them — mark every one as modelled, and refuse any other chart.

Where each stage lives:

- ``source``: the Helm source, ``ChartRender``, ``ChartError`` and which charts are modelled;
- ``reference``: the chart's values.schema.json and values.yaml (package data in ``chart/`` or an
  explicit setting) and values validation;
- ``values``: Helm's coalescing and Go-template truthiness;
- ``release`` and ``render``: one release's effective values and ``render_chart`` itself;
- the templates, by what they render: ``rbac`` (ServiceAccounts, Roles, ClusterRoles),
  ``services``, ``control_plane`` (config Secret, the StatefulSet/Deployment), ``etcd``,
  ``coredns``, ``policies`` (Ingress, ResourceQuota, LimitRange, NetworkPolicies);
- ``syncer``: what vCluster's syncer creates in the host namespace at runtime.
"""

from kratix_lab.model import MODELLED_ANNOTATION
from kratix_lab.platform.helm.reference import (
    SCHEMA_ENV,
    VALUES_ENV,
    find_schema_file,
    find_values_file,
    schema_available,
    validate_values,
)
from kratix_lab.platform.helm.render import render_chart
from kratix_lab.platform.helm.source import (
    BY_CHART,
    BY_SYNCER,
    CHART,
    CHART_REPO,
    MANAGED_BY_LABEL,
    MODELLED_VERSIONS,
    RENDERED_BY_ANNOTATION,
    ChartError,
    ChartRender,
    HelmSource,
    supported,
)
from kratix_lab.platform.helm.syncer import synced_name

__all__ = [
    "BY_CHART",
    "BY_SYNCER",
    "CHART",
    "CHART_REPO",
    "MANAGED_BY_LABEL",
    "MODELLED_ANNOTATION",
    "MODELLED_VERSIONS",
    "RENDERED_BY_ANNOTATION",
    "SCHEMA_ENV",
    "VALUES_ENV",
    "ChartError",
    "ChartRender",
    "HelmSource",
    "find_schema_file",
    "find_values_file",
    "render_chart",
    "schema_available",
    "supported",
    "synced_name",
    "validate_values",
]
