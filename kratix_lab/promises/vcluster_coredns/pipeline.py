"""vcluster-coredns: a host CoreDNS server block for one vCluster, in a ConfigMap of its own.

The seed patched the single ``kube-system/coredns-custom``; with two vClusters two Works write that
one object and one entry is lost. Here each vCluster owns ``coredns-custom-<name>``, labelled
``integratn.tech/coredns-server-block: "true"``; the host CoreDNS imports every labelled ConfigMap's
``*.server`` keys (a config sidecar writes them into its ``import`` directory).
"""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status

SERVER_BLOCK_LABEL = "integratn.tech/coredns-server-block"


def server_block(zone: str, upstream: str, cache_seconds: int) -> str:
    return f"{zone}:53 {{\n    errors\n    cache {cache_seconds}\n    forward . {upstream}\n}}\n"


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name = need(spec, "name")
    zone = f"{name}.svc.{spec.get('clusterDomain', 'cluster.local')}"
    out = Outputs(sdk, resource)
    out.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"coredns-custom-{name}",
                "namespace": "kube-system",
                "labels": {SERVER_BLOCK_LABEL: "true", "app": "vcluster", "instance": name},
            },
            "data": {
                f"{name}.server": server_block(zone, spec.get("upstream", "10.43.0.10"), spec.get("cacheSeconds", 30))
            },
        }
    )
    out.write()
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))} for zone {zone}", zone=zone)


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the vCluster's CoreDNS server block is removed with the Work")
