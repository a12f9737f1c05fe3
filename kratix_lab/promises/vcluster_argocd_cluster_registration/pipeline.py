"""vcluster-argocd-cluster-registration: an Argo CD cluster Secret, produced by External Secrets.

The seed wrote a plain ``Secret`` with the kubeconfig to git. Here an ExternalSecret's target
template carries Argo CD's cluster labels, so the credentials stay in 1Password and only the
recipe is in git.
"""

from __future__ import annotations

import json

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status
from kratix_lab.promises._external_secrets import KUBECONFIG_ITEM_FIELDS, external_secret

# External Secrets renders this with Go templates from the 1Password item's fields.
CLUSTER_CONFIG = json.dumps(
    {"tlsClientConfig": {"caData": "{{ .ca }}", "certData": "{{ .cert }}", "keyData": "{{ .key }}"}}
)


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name, server = need(spec, "name"), need(spec, "server")
    labels = {
        **(spec.get("clusterLabels") or {}),
        "argocd.argoproj.io/secret-type": "cluster",
        "cluster_name": name,
        "cluster_role": "vcluster",
        "environment": spec.get("environment", "development"),
    }
    key = spec.get("remoteKey") or f"vcluster-{name}-kubeconfig"
    template_meta: dict = {"labels": labels}
    if spec.get("clusterAnnotations"):
        template_meta["annotations"] = dict(spec["clusterAnnotations"])
    target = {
        "name": f"{name}-cluster",
        "creationPolicy": "Owner",
        "template": {
            "type": "Opaque",
            "metadata": template_meta,
            "data": {"name": name, "server": server, "config": CLUSTER_CONFIG},
        },
    }
    # the fields the kubeconfig sync writes to the item (KUBECONFIG_ITEM_FIELDS): its base64 CA, certificate, key
    data = [
        {"secretKey": field, "remoteRef": {"key": key, "property": field}}
        for field in KUBECONFIG_ITEM_FIELDS
        if field != "kubeconfig"
    ]
    out = Outputs(sdk, resource)
    out.add(external_secret(spec, f"{name}-cluster", spec.get("argocdNamespace", "argocd"), data, target))
    out.write()
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))} registering {server}", server=server)


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the registration ExternalSecret and its cluster Secret are removed with the Work")
