"""Upstream CRDs whose rules the lab enforces when it admits their kinds (``upstream_crds/``, unmodified
copies: Kratix ``Destination``, External Secrets v2.9.0 ``ClusterSecretStore``).

The API server validates such an object against its CRD's schema, ``format``s and ``x-kubernetes-validations``
(CEL, with the stored object as ``oldSelf`` on an update): ``Lab.admit`` and serve refuse it with the same
message. The lab stores the object as it was sent (it does not prune or default these kinds; a documented
divergence), so the objects the lab writes itself are unchanged.
"""

from __future__ import annotations

import functools
from pathlib import Path

from kratix_lab.schema.crd import CRD

_DIR = Path(__file__).parent / "upstream_crds"
_FILES = {
    ("platform.kratix.io", "Destination"): "platform.kratix.io_destinations.yaml",
    ("external-secrets.io", "ClusterSecretStore"): "external-secrets.io_clustersecretstores.yaml",
}


@functools.cache
def upstream_crd(group: str, kind: str) -> CRD | None:
    """The bundled upstream CRD of ``kind`` in ``group``, loaded on first use (the ESO one is ~700 KB)."""
    name = _FILES.get((group, kind))
    if name is None:
        return None
    from kratix_lab.model.yamlio import load_file

    (doc,) = load_file(_DIR / name)
    return CRD.from_dict(doc.data, f"kratix_lab/schema/upstream_crds/{name}")
