"""vcluster-kubeconfig-external-secret: the vCluster's kubeconfig from 1Password as a Secret."""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status
from kratix_lab.promises._external_secrets import external_secret


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name, namespace = need(spec, "name"), need(spec, "targetNamespace")
    secret_name = f"{name}-kubeconfig"
    key = spec.get("remoteKey") or f"vcluster-{name}-kubeconfig"
    out = Outputs(sdk, resource)
    out.add(
        external_secret(
            spec,
            secret_name,
            namespace,
            [
                {
                    "secretKey": "kubeconfig",
                    "remoteRef": {"key": key, "property": spec.get("remoteProperty") or "kubeconfig"},
                }
            ],
            {"name": secret_name, "creationPolicy": "Owner"},
        )
    )
    out.write()
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))}", secretName=secret_name)


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the ExternalSecret (and the Secret it owns) is removed with the Work")
