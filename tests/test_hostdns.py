"""The host's CoreDNS as k3s deploys it (``kratix_lab/kube/hostdns.py``): a vCluster's zone resolves only
through a ``*.server`` key of the one ``kube-system/coredns-custom``.

Upstream: k3s-io/k3s ``manifests/coredns.yaml`` at ``66c487bd``: the Corefile (lines 55-77) ends the ``.:53``
block with ``import /etc/coredns/custom/*.override`` (75) and imports ``/etc/coredns/custom/*.server`` at the top
level (77); the Deployment mounts ``coredns-custom`` at ``/etc/coredns/custom`` (134-137), the volume
``optional: true`` (187-190). coredns/coredns ``core/dnsserver/server.go`` ``ServeDNS`` picks the longest
zone, label by label, ``.`` last.
"""

from __future__ import annotations

from kratix_lab.kube.hostdns import K3S_CLUSTER_DNS, imported, resolve
from kratix_lab.platform.hostdns import resolve_in


def cm(name, data, namespace="kube-system"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


def svc(name, namespace, ip):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"clusterIP": ip},
    }


def block(zone, to):
    return f"{zone}:53 {{\n    errors\n    cache 30\n    forward . {to}\n}}\n"


SERVICES = [
    svc("kube-dns", "kube-system", K3S_CLUSTER_DNS),
    svc("kube-dns-x-kube-system-x-media", "vcluster-media", "10.43.7.1"),
    svc("kube-dns-x-kube-system-x-studio", "vcluster-studio", "10.43.7.2"),
]


def test_a_zone_resolves_through_a_server_key_of_the_one_coredns_custom():
    """manifests/coredns.yaml:77 (import *.server) and :187-190 (the coredns-custom volume): per-vCluster keys
    in the one ConfigMap are both served, each by its own block (server.go ServeDNS: longest zone)."""
    custom = cm(
        "coredns-custom",
        {
            "media.server": block("media.svc.cluster.local", "10.43.7.1"),
            "studio.server": block("studio.svc.cluster.local", "10.43.7.2"),
        },
    )
    a = resolve("web.media.svc.cluster.local.", [custom], SERVICES)
    b = resolve("api.studio.svc.cluster.local", [custom], SERVICES)
    assert a.resolved and "Service vcluster-media/kube-dns-x-kube-system-x-media" in a.answer
    assert a.block == "media.svc.cluster.local:53 (ConfigMap kube-system/coredns-custom key media.server)"
    assert b.resolved and "vcluster-studio" in b.answer


def test_a_key_not_ending_server_is_not_read():
    """The import glob is *.server (coredns.yaml:77): a key named otherwise is a file CoreDNS never reads."""
    custom = cm("coredns-custom", {"media.conf": block("media.svc.cluster.local", "10.43.7.1")})
    blocks, ignored = imported(custom)
    assert blocks == [] and ignored == ["media.conf"]
    r = resolve("web.media.svc.cluster.local", [custom], SERVICES)
    assert not r.resolved and r.block == ".:53 (k3s Corefile)"
    assert "no Service media/web" in r.reason and "has no key ending .server" in r.reason


def test_another_configmap_is_not_read():
    """Only the ConfigMap named coredns-custom in kube-system is mounted (coredns.yaml:187-190): the lab's
    previous coredns-custom-<name> objects are never seen by k3s's CoreDNS."""
    other = cm("coredns-custom-media", {"media.server": block("media.svc.cluster.local", "10.43.7.1")})
    r = resolve("web.media.svc.cluster.local", [other], SERVICES)
    assert not r.resolved
    assert "ConfigMap kube-system/coredns-custom does not exist" in r.reason
    elsewhere = cm("coredns-custom", {"media.server": block("media.svc.cluster.local", "10.43.7.1")}, "default")
    assert not resolve("web.media.svc.cluster.local", [elsewhere], SERVICES).resolved


def test_forwarding_to_the_hosts_own_kube_dns_loops():
    """The seed's `forward . 10.43.0.10` is k3s's default cluster DNS (the kube-dns ClusterIP), not the
    vCluster's: the query comes back to the same block."""
    custom = cm("coredns-custom", {"media.server": block("media.svc.cluster.local", "10.43.0.10")})
    r = resolve("web.media.svc.cluster.local", [custom], SERVICES)
    assert not r.resolved and "forwarding loop" in r.reason


def test_a_forward_to_an_address_no_service_holds_does_not_resolve():
    custom = cm("coredns-custom", {"media.server": block("media.svc.cluster.local", "10.43.99.99")})
    r = resolve("web.media.svc.cluster.local", [custom], SERVICES)
    assert not r.resolved and r.reason == "no Service on the host has that ClusterIP"


def test_the_kubernetes_plugin_answers_host_services_with_no_custom_config():
    """The .:53 block's kubernetes plugin (coredns.yaml:60-63) answers <svc>.<ns>.svc.cluster.local from the
    host's Services; the volume is optional (:190), so no coredns-custom is fine."""
    r = resolve("kube-dns-x-kube-system-x-media.vcluster-media.svc.cluster.local", [], SERVICES)
    assert r.resolved and r.answer == "kubernetes plugin → Service vcluster-media/kube-dns-x-kube-system-x-media"
    gone = resolve("kube-dns-x-kube-system-x-gone.vcluster-gone.svc.cluster.local", [], SERVICES)
    assert not gone.resolved and "no Service vcluster-gone/kube-dns-x-kube-system-x-gone" in gone.reason


def test_a_block_on_another_port_is_not_on_the_hosts_server():
    """k3s's CoreDNS serves :53; a block for :1053 (vCluster's own CoreDNS port) is another server."""
    custom = cm("coredns-custom", {"media.server": "media.svc.cluster.local:1053 {\n  forward . 10.43.7.1\n}\n"})
    assert not resolve("web.media.svc.cluster.local", [custom], SERVICES).resolved


def test_in_the_lab_a_vclusters_host_names_resolve_with_no_coredns_custom(lab):
    """The current release patches nothing (docs/upstream.md): no coredns-custom (the volume is optional,
    coredns.yaml:190); the vCluster's Service, synced into its host namespace, resolves through the kubernetes
    plugin, and the seed's zone name does not."""
    assert lab.get("ConfigMap", "coredns-custom", "kube-system") is None
    api = resolve_in(lab, "sandbox.vcluster-sandbox.svc.cluster.local")
    assert api.resolved and api.answer == "kubernetes plugin → Service vcluster-sandbox/sandbox"
    seed_zone = resolve_in(lab, "web.sandbox.svc.cluster.local")
    assert not seed_zone.resolved and "coredns-custom does not exist" in seed_zone.reason
