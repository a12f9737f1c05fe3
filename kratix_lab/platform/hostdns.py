"""The host's CoreDNS (k3s), asked about a lab: :func:`resolve_in`. The model itself is
``kratix_lab/kube/hostdns.py`` (plain functions over objects, shared with ``diagnose``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kratix_lab.kube.hostdns import Resolution, resolve

if TYPE_CHECKING:
    from kratix_lab.platform.lab import Lab


def resolve_in(lab: Lab, name: str) -> Resolution:
    """:func:`kratix_lab.kube.hostdns.resolve` against a lab's live objects."""
    return resolve(
        name, lab.store.list("ConfigMap", group="", readonly=True), lab.store.list("Service", group="", readonly=True)
    )
