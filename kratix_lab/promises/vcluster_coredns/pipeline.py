"""vcluster-coredns: how host pods reach a vCluster's Services — with no patch to the host's CoreDNS.

On a k3s host the only custom CoreDNS configuration is the keys of the one ConfigMap
``kube-system/coredns-custom`` (k3s ``manifests/coredns.yaml`` lines 75-77, 134-137, 187-190; the lab's
model is ``kratix_lab/kube/hostdns.py``). The seed wrote that whole object from every vCluster's
Work: two vClusters clobber each other, and its ``forward . 10.43.0.10`` is k3s's own kube-dns (a loop).
Per-vCluster keys in that one object would need a single writer that sees every vCluster (a Promise
workflow poked by every request), which Kratix does not re-run on request changes.

vCluster needs none of it: its syncer creates every virtual Service in the host namespace as
``<service>-x-<namespace>-x-<vcluster>`` (loft-sh/vcluster v0.30.5 ``pkg/util/translate/single_namespace.go:35-44,
59-64``; its DNS as ``kube-dns-x-kube-system-x-<vcluster>``), which
k3s's CoreDNS answers through its ``kubernetes`` plugin; the names exist exactly while the vCluster's
Services do, and no object is shared. So this pipeline renders nothing on the host: it records the host
names in the request's status. See docs/upstream.md ("CoreDNS on a k3s host").
"""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import delete_pipeline, need, read_input, spec_of, write_status

HOST_CLUSTER_DOMAIN = "cluster.local"  # k3s's default --cluster-domain: the host's, not the vCluster's


def host_names(name: str, target_namespace: str) -> dict[str, str]:
    """The names host pods use for a vCluster (vCluster's syncer naming: ``<name>-x-<namespace>-x-<vcluster>``)."""
    svc = f"svc.{HOST_CLUSTER_DOMAIN}"
    return {
        "services": f"<service>-x-<namespace>-x-{name}.{target_namespace}.{svc}",
        "dns": f"kube-dns-x-kube-system-x-{name}.{target_namespace}.{svc}",
        "apiServer": f"{name}.{target_namespace}.{svc}",
    }


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name, target = need(spec, "name"), need(spec, "targetNamespace")
    names = host_names(name, target)
    print(f"no host CoreDNS patch for {name}: kube-system/coredns-custom is left alone")
    for what, fqdn in names.items():
        print(f"host name ({what}): {fqdn}")
    write_status(
        sdk,
        f"No host CoreDNS patch: host pods reach {name}'s Services as {names['services']}",
        hostNames=names,
    )


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "nothing on the host to undo (vCluster deletes its synced Services)")
