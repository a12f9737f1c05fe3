"""Deployed etcd: the StatefulSet and its Services when ``controlPlane.backingStore.etcd.deploy`` is on."""

from __future__ import annotations

from typing import Any

from kratix_lab.model import clone
from kratix_lab.platform.helm.control_plane import _claim_templates, _field_env
from kratix_lab.platform.helm.rbac import _service_account_name
from kratix_lab.platform.helm.release import _Release
from kratix_lab.platform.helm.values import _int, _list, _map, _on


def _etcd_statefulset(r: _Release) -> list[dict]:
    base = "controlPlane.backingStore.etcd.deploy.statefulSet"
    if not _on(r.get("controlPlane.backingStore.etcd.deploy.enabled")) or not _on(r.get(f"{base}.enabled")):
        return []
    replicas = _int(r.values, f"{base}.highAvailability.replicas")
    name, ns, headless = f"{r.name}-etcd", r.namespace, f"{r.name}-etcd-headless"
    selector = {"app": "vcluster-etcd", "release": r.name}
    peers = ",".join(f"{name}-{i}=https://{name}-{i}.{headless}.{ns}:2380" for i in range(replicas))
    command = [
        "etcd",
        "--cert-file=/run/config/pki/etcd-server.crt",
        "--client-cert-auth=true",
        "--data-dir=/var/lib/etcd",
        f"--advertise-client-urls=https://$(NAME).{headless}.{ns}:2379",
        f"--initial-advertise-peer-urls=https://$(NAME).{headless}.{ns}:2380",
        f"--initial-cluster={peers}",
        f"--initial-cluster-token={r.name}",
        "--initial-cluster-state=new",
        "--listen-client-urls=https://0.0.0.0:2379",
        "--listen-metrics-urls=http://0.0.0.0:2381",
        "--listen-peer-urls=https://0.0.0.0:2380",
        "--key-file=/run/config/pki/etcd-server.key",
        "--name=$(NAME)",
        "--peer-cert-file=/run/config/pki/etcd-peer.crt",
        "--peer-client-cert-auth=true",
        "--peer-key-file=/run/config/pki/etcd-peer.key",
        "--peer-trusted-ca-file=/run/config/pki/etcd-ca.crt",
        "--snapshot-count=10000",
        "--trusted-ca-file=/run/config/pki/etcd-ca.crt",
        *(str(a) for a in _list(r.values, f"{base}.extraArgs")),
    ]
    container: dict[str, Any] = {
        "name": "etcd",
        "image": r.image(
            r.get(f"{base}.image.registry") or "", r.get(f"{base}.image.repository"), r.get(f"{base}.image.tag")
        ),
        "command": command,
    }
    if _on(r.get(f"{base}.security.containerSecurityContext")):
        container["securityContext"] = _map(r.values, f"{base}.security.containerSecurityContext")
    container["env"] = [_field_env("NAME", "metadata.name"), *_list(r.values, f"{base}.env")]
    container["volumeMounts"] = [
        {"name": "data", "mountPath": "/var/lib/etcd"},
        {"mountPath": "/run/config/pki", "name": "certs", "readOnly": True},
        *_list(r.values, f"{base}.persistence.addVolumeMounts"),
    ]
    container["resources"] = _map(r.values, f"{base}.resources")
    probe = {"initialDelaySeconds": 10, "timeoutSeconds": 15, "periodSeconds": 10, "successThreshold": 1}
    container["livenessProbe"] = {
        "httpGet": {"path": "/livez", "port": 2381, "scheme": "HTTP"},
        **probe,
        "failureThreshold": 8,
    }
    container["startupProbe"] = {
        "httpGet": {"path": "/readyz", "port": 2381, "scheme": "HTTP"},
        **probe,
        "failureThreshold": 24,
    }
    if r.get(f"{base}.imagePullPolicy"):
        container["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")

    def anti_affinity(weight: int, topology: str) -> dict[str, Any]:
        expressions = [{"key": k, "operator": "In", "values": [v]} for k, v in selector.items()]
        term = {"labelSelector": {"matchExpressions": expressions}, "topologyKey": topology}
        return {"weight": weight, "podAffinityTerm": term}

    pod_spec: dict[str, Any] = {"terminationGracePeriodSeconds": 10}
    pod_spec["affinity"] = _map(r.values, f"{base}.scheduling.affinity") or {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                anti_affinity(100, "kubernetes.io/hostname"),
                anti_affinity(50, "topology.kubernetes.io/zone"),
            ]
        }
    }
    for key in ("topologySpreadConstraints", "nodeSelector", "tolerations"):
        if _on(r.get(f"{base}.scheduling.{key}")):
            pod_spec[key] = clone(r.get(f"{base}.scheduling.{key}"))
    pod_spec["automountServiceAccountToken"] = False
    pod_spec["serviceAccountName"] = _service_account_name(r)
    volumes: list[dict[str, Any]] = [{"name": "certs", "secret": {"secretName": f"{r.name}-certs"}}]
    volumes += _list(r.values, f"{base}.persistence.addVolumes")
    claim = _on(r.get(f"{base}.persistence.volumeClaim.enabled"))
    if not claim:
        volumes.append({"name": "data", "emptyDir": {}})
    pod_spec["volumes"] = volumes
    if r.get(f"{base}.scheduling.priorityClassName"):
        pod_spec["priorityClassName"] = r.get(f"{base}.scheduling.priorityClassName")
    if _on(r.get(f"{base}.security.podSecurityContext")):
        pod_spec["securityContext"] = _map(r.values, f"{base}.security.podSecurityContext")
    pod_spec["enableServiceLinks"] = bool(r.get(f"{base}.enableServiceLinks"))
    pod_spec["containers"] = [container]

    spec: dict[str, Any] = {
        "replicas": replicas,
        "podManagementPolicy": r.get(f"{base}.scheduling.podManagementPolicy"),
        "serviceName": headless,
    }
    if r.get(f"{base}.persistence.volumeClaim.retentionPolicy") == "Delete":
        spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete"}
    spec["selector"] = {"matchLabels": dict(selector)}
    if _list(r.values, f"{base}.persistence.volumeClaimTemplates"):
        spec["volumeClaimTemplates"] = _list(r.values, f"{base}.persistence.volumeClaimTemplates")
    elif claim:
        spec["volumeClaimTemplates"] = _claim_templates(r, base)
    pod_meta: dict[str, Any] = {}
    if _on(r.get(f"{base}.pods.annotations")):
        pod_meta["annotations"] = {str(k): str(v) for k, v in _map(r.values, f"{base}.pods.annotations").items()}
    pod_meta["labels"] = {**selector, **{str(k): str(v) for k, v in _map(r.values, f"{base}.pods.labels").items()}}
    spec["template"] = {"metadata": pod_meta, "spec": pod_spec}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": r.meta(
                name,
                r.labels("vcluster-etcd", _map(r.values, f"{base}.labels")),
                {**_map(r.values, f"{base}.annotations"), **r.global_annotations()},
            ),
            "spec": spec,
        }
    ]
