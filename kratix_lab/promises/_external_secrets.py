"""ExternalSecret objects shared by the kubeconfig and cluster-registration Promises."""

from __future__ import annotations

from typing import Any

ESO_GROUP = "external-secrets.io"
# The platform's ClusterSecretStore (the real platform's kratixutil DefaultSecretStoreName, labelled
# integratn.tech/cluster-secret-store: onepassword-store, the selector the orchestrator's requests carry).
DEFAULT_STORE = "onepassword-store"
STORE_SELECTOR_LABEL = "integratn.tech/cluster-secret-store"
# The 1Password item the kubeconfig sync writes (its script's fields, in order) and the cluster registration reads.
KUBECONFIG_ITEM_FIELDS = ("kubeconfig", "ca", "cert", "key")


def external_secret(
    spec: dict[str, Any], name: str, namespace: str, data: list[dict[str, Any]], target: dict[str, Any]
) -> dict[str, Any]:
    """An ExternalSecret in the API version the request chose (v1 unless v1beta1 is asked for)."""
    store = spec.get("secretStoreRef") or {}
    return {
        "apiVersion": f"{ESO_GROUP}/{spec.get('externalSecretsApiVersion', 'v1')}",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "refreshInterval": spec.get("refreshInterval", "1h"),
            "secretStoreRef": {
                "name": store.get("name", DEFAULT_STORE),
                "kind": store.get("kind", "ClusterSecretStore"),
            },
            "target": target,
            "data": data,
        },
    }
