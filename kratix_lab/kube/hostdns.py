"""The host's CoreDNS as k3s deploys it: which server block answers a name, and why a name does not resolve.

k3s ships CoreDNS with this Corefile (k3s-io/k3s ``manifests/coredns.yaml`` at ``66c487bd``, lines 55-77)::

    .:53 {
        ...
        kubernetes cluster.local in-addr.arpa ip6.arpa { ... }
        ...
        forward . /etc/resolv.conf
        ...
        import /etc/coredns/custom/*.override
    }
    import /etc/coredns/custom/*.server

and mounts the ConfigMap ``kube-system/coredns-custom`` at ``/etc/coredns/custom`` (lines 134-137), the
volume ``optional: true`` (lines 187-190): every key of that one ConfigMap is a file there. So the host
CoreDNS reads server blocks from the keys of ``kube-system/coredns-custom`` whose names end ``.server``
(top level) and plugin lines from keys ending ``.override`` (inside the ``.:53`` block); any other key,
and any other ConfigMap, is never read. A query goes to the server block with the longest zone that is a
suffix of the name, ``.`` last (coredns/coredns ``core/dnsserver/server.go`` ``ServeDNS``: the zone
lookup label by label from the full name down, then the root zone).

The lab runs no CoreDNS: :func:`resolve` answers from the live objects what that Corefile would do — the
``kubernetes`` plugin from the host's Services, a custom block's ``forward`` from the Service holding the
address — and says why when the answer is no. Plain functions over objects, so ``diagnose`` (which may not
import the lab) explains a name the host cannot resolve with the same reason (rule ``host-dns-unresolved``);
``kratix_lab.platform.hostdns.resolve_in`` asks it about a lab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CUSTOM_NAMESPACE, CUSTOM_NAME = "kube-system", "coredns-custom"
CLUSTER_DOMAIN = "cluster.local"
# k3s's default --cluster-dns: the kube-dns Service's ClusterIP (the manifest's %{CLUSTER_DNS}%).
K3S_CLUSTER_DNS = "10.43.0.10"
CUSTOM_REF = f"ConfigMap {CUSTOM_NAMESPACE}/{CUSTOM_NAME}"


@dataclass(frozen=True)
class ServerBlock:
    zone: str  # normalised: lower case, no trailing dot
    port: int
    key: str  # the coredns-custom key it came from
    forward: tuple[str, ...]  # the ``forward .`` targets, if any


@dataclass(frozen=True)
class Resolution:
    name: str
    resolved: bool
    block: str  # which server block took the query: ``.:53`` or ``<zone>:53 (coredns-custom key <key>)``
    answer: str  # what answers it (the Service, or the forward target)
    reason: str  # why it does not resolve ("" when it does)


def _norm(name: str) -> str:
    return name.strip().lower().rstrip(".")


_BLOCK = re.compile(r"^\s*([^\s{#]+)\s*\{\s*$")


def parse_server_blocks(key: str, text: str) -> list[ServerBlock]:
    """The top-level server blocks of one ``.server`` file: ``zone[:port] {`` … ``}``, with the
    ``forward . <to>…`` line of each (the lab reads only the zone, the port and ``forward``)."""
    blocks: list[ServerBlock] = []
    depth, current, forward = 0, None, ()
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if depth == 0:
            m = _BLOCK.match(code)
            if m:
                current, forward, depth = m.group(1), (), 1
            continue
        if depth == 1 and code.split()[:2] == ["forward", "."]:
            forward = tuple(code.split()[2:])
        depth += code.count("{") - code.count("}")
        if depth == 0 and current is not None:
            for address in current.split(","):
                zone, _, port = address.removeprefix("dns://").partition(":")
                blocks.append(ServerBlock(_norm(zone) or ".", int(port) if port.isdigit() else 53, key, forward))
            current = None
    return blocks


def imported(configmap: dict[str, Any] | None) -> tuple[list[ServerBlock], list[str]]:
    """What the host CoreDNS imports from ``kube-system/coredns-custom``: the server blocks of its
    ``*.server`` keys, and the keys it does not read (neither ``.server`` nor ``.override``)."""
    data = (configmap or {}).get("data") or {}
    blocks = [b for key in sorted(data) if key.endswith(".server") for b in parse_server_blocks(key, str(data[key]))]
    ignored = [key for key in sorted(data) if not key.endswith((".server", ".override"))]
    return blocks, ignored


def _services_by_ip(services: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        str((s.get("spec") or {}).get("clusterIP")): s
        for s in services
        if (s.get("spec") or {}).get("clusterIP") not in (None, "", "None")
    }


def resolve(name: str, configmaps: list[dict[str, Any]], services: list[dict[str, Any]]) -> Resolution:
    """What k3s's CoreDNS answers for ``name``, from the live ConfigMaps and Services of the host.

    ``configmaps``: every ConfigMap the lab holds (only ``kube-system/coredns-custom`` is read);
    ``services``: the host's Services (with their ClusterIPs)."""
    fqdn = _norm(name)
    custom = next(
        (
            c
            for c in configmaps
            if c["metadata"].get("namespace") == CUSTOM_NAMESPACE and c["metadata"]["name"] == CUSTOM_NAME
        ),
        None,
    )
    blocks, _ignored = imported(custom)
    zones = {b.zone: b for b in blocks if b.port == 53}
    labels = fqdn.split(".")
    for i in range(len(labels)):  # ServeDNS: the longest zone first, label by label
        block = zones.get(".".join(labels[i:]))
        if block is not None:
            return _forward(fqdn, block, services)
    return _main_block(fqdn, services, custom, blocks)


def _forward(fqdn: str, block: ServerBlock, services: list[dict[str, Any]]) -> Resolution:
    where = f"{block.zone}:53 ({CUSTOM_REF} key {block.key})"
    if not block.forward:
        return Resolution(fqdn, False, where, "", f"the block for {block.zone} has no forward: nothing answers it")
    by_ip = _services_by_ip(services)
    kube_dns = next(
        (
            ip
            for ip, s in by_ip.items()
            if s["metadata"].get("namespace") == "kube-system" and s["metadata"]["name"] == "kube-dns"
        ),
        K3S_CLUSTER_DNS,
    )
    for target in block.forward:
        if target == kube_dns:
            return Resolution(
                fqdn,
                False,
                where,
                f"forward . {target}",
                f"{target} is the host's own kube-dns: the query comes back to this block (a forwarding loop)",
            )
        svc = by_ip.get(target.partition(":")[0])
        if svc is not None:
            m = svc["metadata"]
            return Resolution(fqdn, True, where, f"forward . {target} → Service {m.get('namespace')}/{m['name']}", "")
    return Resolution(
        fqdn, False, where, f"forward . {' '.join(block.forward)}", "no Service on the host has that ClusterIP"
    )


def _main_block(
    fqdn: str, services: list[dict[str, Any]], custom: dict[str, Any] | None, blocks: list[ServerBlock]
) -> Resolution:
    where = ".:53 (k3s Corefile)"
    if not fqdn.endswith("." + CLUSTER_DOMAIN):
        return Resolution(fqdn, False, where, "forward . /etc/resolv.conf", "outside the cluster: not modelled")
    parts = fqdn.removesuffix("." + CLUSTER_DOMAIN).split(".")
    if len(parts) == 3 and parts[2] == "svc":
        svc, ns = parts[0], parts[1]
        if any(s["metadata"]["name"] == svc and s["metadata"].get("namespace") == ns for s in services):
            return Resolution(fqdn, True, where, f"kubernetes plugin → Service {ns}/{svc}", "")
        why = f"the kubernetes plugin finds no Service {ns}/{svc} on the host (NXDOMAIN)"
    else:
        why = "the kubernetes plugin answers <service>.<namespace>.svc names only (NXDOMAIN)"
    if custom is None:
        why += f"; {CUSTOM_REF} does not exist, so no custom server block is imported"
    elif not blocks:
        why += f"; {CUSTOM_REF} has no key ending .server"
    return Resolution(fqdn, False, where, "", why)
