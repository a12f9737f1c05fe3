"""vcluster-orchestrator: resolve presets and defaults once, render the seven sub-requests.

The sub-requests are themselves resource requests of the catalogue's Promises; Kratix writes them
to the state repo and Argo CD syncs them back into the cluster, where each runs its own pipeline.
"""

from __future__ import annotations

from typing import Any

import kratix_sdk as ks

from kratix_lab.model import dump
from kratix_lab.promises._common import (
    REQUESTS_NAMESPACE,
    Outputs,
    deep_merge,
    delete_pipeline,
    need,
    read_input,
    refs,
    spec_of,
    write_status,
)
from kratix_lab.promises._external_secrets import DEFAULT_STORE, STORE_SELECTOR_LABEL

GROUP_VERSION = "platform.integratn.tech/v1alpha1"

# The platform's presets (design.md). Explicit request fields override them.
PRESETS: dict[str, dict[str, Any]] = {
    "dev": {
        "replicas": 1,
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"memory": "1Gi"},
        "backingStore": {"database": {"embedded": {"enabled": True}}},
        "persistence": {},
        "environment": "development",
    },
    "prod": {
        "replicas": 3,
        "requests": {"cpu": "500m", "memory": "2Gi"},
        "limits": {"memory": "4Gi"},
        "backingStore": {"etcd": {"deploy": {"enabled": True, "statefulSet": {"highAvailability": {"replicas": 3}}}}},
        # A claim per control-plane replica keeps the control plane a StatefulSet (as the seed's
        # architecture shows); with deployed etcd and "auto" persistence the chart would render a Deployment.
        "persistence": {"enabled": True},
        "environment": "production",
    },
}


def store_name(eso: dict[str, Any]) -> str:
    """The store the kubeconfig ExternalSecrets read from: ``storeName``, else the store the request's
    ``clusterStoreSelectorLabels`` select — the platform labels its ClusterSecretStore with its own name
    (``integratn.tech/cluster-secret-store: onepassword-store``), so the label's value names it. A pipeline only
    renders (it cannot list the cluster's stores); the lab checks the store exists and carries the labels
    (``diagnose``: external-secret-failed). ExternalSecret's ``secretStoreRef`` takes a name, not a selector
    (external-secrets apis/externalsecrets/v1/externalsecret_types.go ``SecretStoreRef``)."""
    if eso.get("storeName"):
        return str(eso["storeName"])
    labels = eso.get("clusterStoreSelectorLabels") or {}
    return str(labels.get(STORE_SELECTOR_LABEL) or DEFAULT_STORE)


def resolve(spec: dict[str, Any], request_namespace: str) -> dict[str, Any]:
    """Every decision of the orchestrator in one place: names, preset, values, integrations."""
    name = need(spec, "name")
    vc = spec.get("vcluster") or {}
    preset_name = vc.get("preset", "dev")
    preset = PRESETS[preset_name]
    target_ns = spec.get("targetNamespace") or f"vcluster-{name}"
    exposure = spec.get("exposure") or {}
    integrations = spec.get("integrations") or {}
    eso = integrations.get("externalSecrets") or {}
    argocd = integrations.get("argocd") or {}
    app = spec.get("argocdApplication") or {}
    hostname = exposure.get("hostname")
    api_port = exposure.get("apiPort", 443)
    in_cluster_server = f"https://{name}.{target_ns}.svc.cluster.local"
    server = f"https://{hostname}" + ("" if api_port == 443 else f":{api_port}") if hostname else in_cluster_server
    return {
        "name": name,
        "requestNamespace": request_namespace or REQUESTS_NAMESPACE,
        "targetNamespace": target_ns,
        "projectName": spec.get("projectName") or f"vcluster-{name}",
        "preset": preset_name,
        "values": helm_values(name, target_ns, vc, preset, hostname, server, integrations),
        "server": in_cluster_server,
        "externalServer": server,
        "environment": argocd.get("environment") or preset["environment"],
        "clusterLabels": dict(argocd.get("clusterLabels") or {}),
        "clusterAnnotations": dict(argocd.get("clusterAnnotations") or {}),
        "workloadRepo": argocd.get("workloadRepo"),
        "store": {
            "name": store_name(eso),
            "kind": eso.get("storeKind", "ClusterSecretStore"),
        },
        "esoApiVersion": eso.get("apiVersion", "v1"),
        "vault": eso.get("vault", "homelab"),
        "chart": {
            "repoURL": app.get("repoURL", "https://charts.loft.sh"),
            "chart": app.get("chart", "vcluster"),
            "targetRevision": str(app.get("targetRevision", "0.30.4")),
            "destinationServer": app.get("destinationServer", "https://kubernetes.default.svc"),
        },
        "coredns": vc.get("coredns") or {},
        "clusterDomain": (vc.get("networking") or {}).get("clusterDomain", "cluster.local"),
    }


def helm_values(
    name: str,
    target_ns: str,
    vc: dict[str, Any],
    preset: dict[str, Any],
    hostname: str | None,
    server: str,
    integrations: dict[str, Any],
) -> dict[str, Any]:
    """vCluster chart 0.30 values for this request (keys as in the chart's values.yaml)."""
    resources = vc.get("resources") or {}
    requests = {**preset["requests"], **(resources.get("requests") or {})}
    limits = {**preset["limits"], **(resources.get("limits") or {})}
    version = vc.get("k8sVersion", "v1.34.3")
    stateful_set: dict[str, Any] = {
        "highAvailability": {"replicas": vc.get("replicas", preset["replicas"])},
        "resources": {"requests": requests, "limits": limits},
    }
    persistence = {**preset["persistence"], **(vc.get("persistence") or {})}
    if persistence:
        claim: dict[str, Any] = {}
        if "enabled" in persistence:
            claim["enabled"] = persistence["enabled"]
        if "size" in persistence:
            claim["size"] = str(persistence["size"])
        if "storageClass" in persistence:
            claim["storageClass"] = persistence["storageClass"]
        stateful_set["persistence"] = {"volumeClaim": claim}
    control_plane: dict[str, Any] = {
        "distro": {"k8s": {"enabled": True, "image": {"tag": version}}},
        "backingStore": vc.get("backingStore") or preset["backingStore"],
        "statefulSet": stateful_set,
        "coredns": {"deployment": {"replicas": (vc.get("coredns") or {}).get("replicas", 1)}},
    }
    if hostname:
        control_plane["proxy"] = {"extraSANs": [hostname]}
        control_plane["ingress"] = {"enabled": True, "host": hostname}
    values: dict[str, Any] = {"controlPlane": control_plane}
    cluster_domain = (vc.get("networking") or {}).get("clusterDomain")
    if cluster_domain:
        values["networking"] = {"advanced": {"clusterDomain": cluster_domain}}
    export = dict(vc.get("exportKubeConfig") or {})
    export.setdefault("server", server)
    export.setdefault("context", name)
    values["exportKubeConfig"] = export
    if vc.get("isolationMode") == "strict":
        values["policies"] = {
            "resourceQuota": {"enabled": True},
            "limitRange": {"enabled": True},
            "networkPolicy": {"enabled": True},
        }
    cm = (integrations.get("certManager") or {}).get("clusterIssuerSelectorLabels")
    eso = (integrations.get("externalSecrets") or {}).get("clusterStoreSelectorLabels")
    if cm or eso:
        values["integrations"] = {}
    if cm:
        values["integrations"]["certManager"] = {
            "enabled": True,
            "sync": {"fromHost": {"clusterIssuers": {"enabled": True, "selector": {"labels": dict(cm)}}}},
        }
    if eso:
        values["integrations"]["externalSecrets"] = {
            "enabled": True,
            "sync": {"fromHost": {"clusterStores": {"enabled": True, "selector": {"matchLabels": dict(eso)}}}},
        }
    return deep_merge(values, vc.get("helmOverrides") or {})


def sub_requests(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The seven sub-requests (the seed's six plus the ArgocdProject the Application needs)."""
    name, ns, target = r["name"], r["requestNamespace"], r["targetNamespace"]
    remote_key = f"vcluster-{name}-kubeconfig"

    def request(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": GROUP_VERSION,
            "kind": kind,
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }

    store = {"secretStoreRef": dict(r["store"]), "externalSecretsApiVersion": r["esoApiVersion"]}
    coredns: dict[str, Any] = {"name": name, "targetNamespace": target}
    registration: dict[str, Any] = {
        "name": name,
        "targetNamespace": target,
        "server": r["server"],
        "environment": r["environment"],
        **store,
        "remoteKey": remote_key,
    }
    if r["clusterLabels"]:
        registration["clusterLabels"] = r["clusterLabels"]
    if r["clusterAnnotations"]:
        registration["clusterAnnotations"] = r["clusterAnnotations"]
    chart = r["chart"]
    source_repos = [chart["repoURL"]]
    if r["workloadRepo"]:
        source_repos.append(r["workloadRepo"]["repoURL"])
    return [
        request("VClusterCore", {"name": name, "targetNamespace": target, "valuesYaml": dump(r["values"])}),
        request("VClusterCoreDNS", coredns),
        request(
            "VClusterKubeconfigSync",
            {"name": name, "targetNamespace": target, "vault": r["vault"], "itemTitle": remote_key},
        ),
        request(
            "VClusterKubeconfigExternalSecret",
            {"name": name, "targetNamespace": target, **store, "remoteKey": remote_key},
        ),
        request("VClusterArgocdClusterRegistration", registration),
        request(
            "ArgocdProject",
            {
                "name": r["projectName"],
                "namespace": "argocd",
                "description": f"vCluster {name} platform project",
                "sourceRepos": source_repos,
                "destinations": [{"namespace": target, "server": chart["destinationServer"]}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        ),
        request(
            "ArgocdApplication",
            {
                "name": name,
                "namespace": "argocd",
                "project": r["projectName"],
                "source": {
                    "repoURL": chart["repoURL"],
                    "chart": chart["chart"],
                    "targetRevision": chart["targetRevision"],
                    "helm": {"releaseName": name, "valuesObject": r["values"]},
                },
                "destination": {"server": chart["destinationServer"], "namespace": target},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        ),
    ]


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    resolved = resolve(spec_of(resource), resource.get_namespace())
    print(
        f"vCluster {resolved['name']}: preset {resolved['preset']}, namespace {resolved['targetNamespace']}, "
        f"project {resolved['projectName']}, chart {resolved['chart']['chart']} {resolved['chart']['targetRevision']}"
    )
    out = Outputs(sdk, resource)
    for req in sub_requests(resolved):
        out.add(req)
    out.write()
    values = resolved["values"]["controlPlane"]
    write_status(
        sdk,
        f"Rendered {len(out.objects)} sub-requests: {', '.join(refs(out.objects))}",
        preset=resolved["preset"],
        targetNamespace=resolved["targetNamespace"],
        projectName=resolved["projectName"],
        k8sVersion=values["distro"]["k8s"]["image"]["tag"],
        replicas=values["statefulSet"]["highAvailability"]["replicas"],
        subRequests=refs(out.objects),
    )


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the seven sub-requests are removed with the Work; each runs its own delete pipeline")
