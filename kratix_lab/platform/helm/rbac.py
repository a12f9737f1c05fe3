"""ServiceAccounts and RBAC: the control plane's Role/RoleBinding and, when needed, ClusterRole/ClusterRoleBinding."""

from __future__ import annotations

from typing import Any

from kratix_lab.platform.helm.release import _distro, _Release
from kratix_lab.platform.helm.values import _int, _list, _map, _on, _str_bool

_ALL_VERBS = ["create", "delete", "patch", "update", "get", "list", "watch"]


def _service_account_name(r: _Release) -> str:
    return r.get("controlPlane.advanced.serviceAccount.name") or f"vc-{r.name}"


def _service_accounts(r: _Release) -> list[dict]:
    out = []
    pull = _list(r.values, "controlPlane.advanced.serviceAccount.imagePullSecrets")
    for key, default, pull_secrets in (
        ("serviceAccount", f"vc-{r.name}", pull),
        (
            "workloadServiceAccount",
            f"vc-workload-{r.name}",
            pull + _list(r.values, "controlPlane.advanced.workloadServiceAccount.imagePullSecrets"),
        ),
    ):
        base = f"controlPlane.advanced.{key}"
        if not _on(r.get(f"{base}.enabled")):
            continue
        sa: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": r.meta(
                r.get(f"{base}.name") or default,
                r.labels(extra=_map(r.values, f"{base}.labels")),
                {**r.global_annotations(), **_map(r.values, f"{base}.annotations")},
            ),
        }
        if pull_secrets:
            sa["imagePullSecrets"] = pull_secrets
        out.append(sa)
    return out


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _role_rules(r: _Release) -> list[dict]:
    overwrite = _list(r.values, "rbac.role.overwriteRules")
    if overwrite:
        return overwrite
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    rules = []
    if on("privateNodes.enabled"):
        rules += [
            _rule([""], ["secrets", "configmaps"], _ALL_VERBS),
            _rule([""], ["services", "pods", "persistentvolumeclaims"], ["get", "list", "watch"]),
        ]
    else:
        core = ["configmaps", "secrets", "services", "pods", "pods/attach", "pods/portforward", "pods/exec"]
        rules += [
            _rule([""], [*core, "persistentvolumeclaims"], _ALL_VERBS),
            _rule([""], ["pods/status", "pods/ephemeralcontainers"], ["patch", "update"]),
        ]
    rules += [
        _rule(["apps"], ["statefulsets", "replicasets", "deployments"], ["get", "list", "watch"]),
        _rule([""], ["endpoints", "events", "pods/log"], ["get", "list", "watch"]),
    ]
    if on("sync.toHost.endpoints.enabled"):
        rules.append(_rule([""], ["endpoints"], ["create", "delete", "patch", "update"]))
    if on("privateNodes.enabled") or _int(r.values, "controlPlane.statefulSet.highAvailability.replicas") > 1:
        rules.append(_rule(["coordination.k8s.io"], ["leases"], _ALL_VERBS))
    if on("integrations.metricsServer.enabled") and on("integrations.metricsServer.pods"):
        rules.append(_rule(["metrics.k8s.io"], ["pods"], ["get", "list"]))
    for dotted, group, resource in (
        ("sync.toHost.ingresses.enabled", "networking.k8s.io", "ingresses"),
        ("sync.toHost.networkPolicies.enabled", "networking.k8s.io", "networkpolicies"),
        ("sync.toHost.volumeSnapshots.enabled", "snapshot.storage.k8s.io", "volumesnapshots"),
        ("sync.toHost.serviceAccounts.enabled", "", "serviceaccounts"),
        ("sync.toHost.podDisruptionBudgets.enabled", "policy", "poddisruptionbudgets"),
    ):
        if on(dotted):
            rules.append(_rule([group], [resource], _ALL_VERBS))
    if on("integrations.externalSecrets.enabled"):
        rules.append(_rule(["external-secrets.io"], ["externalsecrets"], _ALL_VERBS))
        if on("integrations.externalSecrets.sync.toHost.stores.enabled"):
            rules.append(_rule(["external-secrets.io"], ["secretstores"], _ALL_VERBS))
    if on("integrations.certManager.enabled"):
        for kind in ("certificates", "issuers"):
            if on(f"integrations.certManager.sync.toHost.{kind}.enabled"):
                rules.append(_rule(["cert-manager.io"], [kind], _ALL_VERBS))
    if on("integrations.istio.enabled"):
        rules += [
            _rule(
                ["networking.istio.io"],
                ["destinationrules", "gateways", "serviceentries", "virtualservices"],
                _ALL_VERBS,
            ),
            _rule(["gateway.networking.k8s.io"], ["referencegrants"], _ALL_VERBS),
        ]
    return rules + _list(r.values, "rbac.role.extraRules")


def _snapshot_rules_on(r: _Release) -> bool:
    enabled = _str_bool(r.get("rbac.enableVolumeSnapshotRules.enabled"))
    return enabled == "true" or (enabled == "auto" and not _on(r.get("privateNodes.enabled")))


def _cluster_role_needed(r: _Release) -> bool:
    """vcluster.createClusterRole (the triggers the model knows; see _rbac.tpl)."""
    enabled = _str_bool(r.get("rbac.clusterRole.enabled"))
    if enabled != "auto":
        return enabled == "true"
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    is_true = lambda dotted: _str_bool(r.get(dotted)) == "true"  # noqa: E731
    return any(
        [
            on("rbac.clusterRole.overwriteRules"),
            on("rbac.clusterRole.extraRules"),
            on("networking.replicateServices.fromHost"),
            on("pro"),
            *(
                on(f"sync.toHost.{k}.enabled")
                for k in (
                    "storageClasses",
                    "persistentVolumes",
                    "priorityClasses",
                    "volumeSnapshotContents",
                    "namespaces",
                )
            ),
            *(
                on(f"sync.fromHost.{k}.enabled")
                for k in (
                    "priorityClasses",
                    "volumeSnapshotClasses",
                    "ingressClasses",
                    "runtimeClasses",
                    "nodes",
                    "configMaps",
                    "secrets",
                )
            ),
            *(
                is_true(f"sync.fromHost.{k}.enabled")
                for k in ("storageClasses", "csiNodes", "csiDrivers", "csiStorageCapacities")
            ),
            _distro(r) == "k8s" and on("controlPlane.distro.k8s.scheduler.enabled"),
            on("controlPlane.advanced.virtualScheduler.enabled"),
            on("sync.toHost.pods.hybridScheduling.enabled"),
            on("integrations.kubeVirt.enabled"),
            on("integrations.externalSecrets.enabled"),
            on("integrations.certManager.enabled")
            and on("integrations.certManager.sync.fromHost.clusterIssuers.enabled"),
            on("integrations.metricsServer.enabled") and on("integrations.metricsServer.nodes"),
            on("integrations.istio.enabled"),
            _snapshot_rules_on(r),
        ]
    )


def _cluster_role_rules(r: _Release) -> list[dict]:
    overwrite = _list(r.values, "rbac.clusterRole.overwriteRules")
    if overwrite:
        return overwrite
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    watch = ["get", "watch", "list"]
    rules = []
    if on("pro") or on("sync.fromHost.nodes.enabled"):
        rules.append(_rule([""], ["pods", "nodes", "nodes/status"], watch))
    if on("sync.fromHost.nodes.enabled") and (
        on("networking.advanced.proxyKubelets.byIP") or on("networking.advanced.proxyKubelets.byHostname")
    ):
        rules.append(_rule([""], ["nodes/metrics", "nodes/stats", "nodes/proxy"], ["get"]))
    if on("sync.fromHost.nodes.enabled") and on("sync.fromHost.nodes.syncBackChanges"):
        rules.append(_rule([""], ["nodes", "nodes/status"], ["update", "patch"]))
    if on("controlPlane.distro.k8s.scheduler.enabled") or on("controlPlane.advanced.virtualScheduler.enabled"):
        rules.append(
            _rule(["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities"], watch)
        )
    for key, resource in (
        ("storageClasses", "storageclasses"),
        ("csiNodes", "csinodes"),
        ("csiDrivers", "csidrivers"),
        ("csiStorageCapacities", "csistoragecapacities"),
    ):
        if _str_bool(r.get(f"sync.fromHost.{key}.enabled")) == "true":
            rules.append(_rule(["storage.k8s.io"], [resource], watch))
    snapshots = _snapshot_rules_on(r)
    if on("sync.toHost.persistentVolumes.enabled") or snapshots:
        rules.append(_rule([""], ["persistentvolumes"], ["get", "list"]))
    if on("sync.toHost.persistentVolumes.enabled"):
        rules.append(_rule([""], ["persistentvolumes"], ["create", "delete", "patch", "update", "watch"]))
    if on("sync.fromHost.ingressClasses.enabled"):
        rules.append(_rule(["networking.k8s.io"], ["ingressclasses"], watch))
    if on("sync.fromHost.runtimeClasses.enabled"):
        rules.append(_rule(["node.k8s.io"], ["runtimeclasses"], watch))
    if on("sync.toHost.storageClasses.enabled"):
        rules.append(_rule(["storage.k8s.io"], ["storageclasses"], _ALL_VERBS))
    if on("sync.toHost.priorityClasses.enabled") or on("sync.fromHost.priorityClasses.enabled"):
        rules.append(_rule(["scheduling.k8s.io"], ["priorityclasses"], _ALL_VERBS))
    if on("sync.fromHost.volumeSnapshotClasses.enabled") or snapshots:
        rules.append(_rule(["snapshot.storage.k8s.io"], ["volumesnapshotclasses"], ["get", "list"]))
    if on("sync.toHost.volumeSnapshotContents.enabled") or snapshots:
        rules.append(
            _rule(
                ["snapshot.storage.k8s.io"],
                ["volumesnapshotcontents"],
                ["create", "delete", "patch", "update", "get", "list"],
            )
        )
    if on("networking.replicateServices.fromHost"):
        rules.append(_rule([""], ["services", "endpoints"], watch))
    if on("sync.toHost.namespaces.enabled"):
        rules.append(_rule([""], ["namespaces", "serviceaccounts"], _ALL_VERBS))
    if on("integrations.metricsServer.enabled") and on("integrations.metricsServer.nodes"):
        rules.append(_rule(["metrics.k8s.io"], ["nodes"], ["get", "list"]))
    if any(on(f"integrations.{i}.enabled") for i in ("kubeVirt", "externalSecrets", "certManager", "istio")):
        rules.append(_rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], ["get", "list", "watch"]))
    if on("integrations.externalSecrets.enabled") and on(
        "integrations.externalSecrets.sync.fromHost.clusterStores.enabled"
    ):
        rules.append(_rule(["external-secrets.io"], ["clustersecretstores"], ["get", "list", "watch"]))
    if on("integrations.certManager.enabled") and on("integrations.certManager.sync.fromHost.clusterIssuers.enabled"):
        rules.append(_rule(["cert-manager.io"], ["clusterissuers"], ["get", "list", "watch"]))
    return rules + _list(r.values, "rbac.clusterRole.extraRules")


def _rbac(r: _Release) -> list[dict]:
    out: list[dict] = []
    subject = {"kind": "ServiceAccount", "name": _service_account_name(r), "namespace": r.namespace}
    annotations = r.global_annotations()
    if _on(r.get("rbac.role.enabled")):
        if _on(r.get("sync.toHost.namespaces.enabled")):  # the role becomes cluster-wide
            name, kind, namespaced = f"vc-mn-{r.name}-v-{r.namespace}"[:63].rstrip("-"), "ClusterRole", False
        else:
            name, kind, namespaced = f"vc-{r.name}", "Role", True
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": r.meta(name, r.labels(), annotations, namespaced=namespaced),
                "rules": _role_rules(r),
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": f"{kind}Binding",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=namespaced),
                "subjects": [subject],
                "roleRef": {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"},
            }
        )
    if _cluster_role_needed(r):
        name = f"vc-{r.name}-v-{r.namespace}"[:63].rstrip("-")
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=False),
                "rules": _cluster_role_rules(r),
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=False),
                "subjects": [subject],
                "roleRef": {"kind": "ClusterRole", "name": name, "apiGroup": "rbac.authorization.k8s.io"},
            }
        )
    return out
