"""The control plane: the config Secret, and the StatefulSet or Deployment running the distro and the syncer."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from kratix_lab.model import clone, dump
from kratix_lab.platform.helm.rbac import _service_account_name
from kratix_lab.platform.helm.release import _distro, _Release, _volume_claim
from kratix_lab.platform.helm.values import _int, _keys_sorted, _list, _map, _on


def _config_yaml(r: _Release) -> str:
    """The effective values with sorted keys (as Helm's `toYaml`), through the one YAML dumper."""
    try:
        canonical = json.dumps(r.values, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # values JSON cannot carry: dump them directly
        return dump(_keys_sorted(r.values))
    # not cached: a chart is rendered again only for new inputs (``helm.render``'s cache of renders)
    return dump(json.loads(canonical))


def _config_secret(r: _Release) -> dict:
    """vc-config-<release>: the chart writes the whole effective values as the vCluster config."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": r.meta(f"vc-config-{r.name}", r.labels(), r.global_annotations()),
        "type": "Opaque",
        "data": {"config.yaml": base64.b64encode(_config_yaml(r).encode()).decode()},
    }


def _config_hash(r: _Release) -> str:
    """vcluster.vClusterConfigHash: a digest of the config without privateNodes.autoNodes (modelled: JSON, not toYaml)."""
    values = dict(r.values)
    if isinstance(values.get("privateNodes"), dict):
        values["privateNodes"] = {k: v for k, v in values["privateNodes"].items() if k != "autoNodes"}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _scheduling(r: _Release, base: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if r.get(f"{base}.priorityClassName"):
        spec["priorityClassName"] = r.get(f"{base}.priorityClassName")
    for key in ("nodeSelector", "affinity", "topologySpreadConstraints", "tolerations"):
        value = r.get(f"{base}.{key}")
        if _on(value):
            spec[key] = clone(value)
    return spec


def _probe(r: _Release, kind: str, path: str) -> dict[str, Any] | None:
    probe = _map(r.values, f"controlPlane.statefulSet.probes.{kind}")
    if not _on(probe.get("enabled")):
        return None
    out: dict[str, Any] = {"httpGet": {"path": path, "port": 8443, "scheme": "HTTPS"}}
    keys = ["initialDelaySeconds"] if kind == "livenessProbe" else []
    for key in [*keys, "periodSeconds", "timeoutSeconds", "failureThreshold"]:
        if probe.get(key) is not None:
            out[key] = probe[key]
    return out


def _distro_image(r: _Release) -> str:
    if _distro(r) == "k3s":
        base = "controlPlane.distro.k3s.image"
        return r.image(r.get(f"{base}.registry") or "", r.get(f"{base}.repository"), r.get(f"{base}.tag"))
    base = "controlPlane.distro.k8s"
    tag = r.get(f"{base}.version") or r.get(f"{base}.image.tag")
    return r.image(r.get(f"{base}.image.registry") or "", r.get(f"{base}.image.repository"), tag)


def _init_containers(r: _Release) -> list[dict]:
    """The distro's binaries are copied into the syncer's pod by an init container."""
    distro = _distro(r)
    base = f"controlPlane.distro.{distro}"
    mounts = [{"name": "binaries", "mountPath": "/binaries"}]
    if distro == "k3s":
        c: dict[str, Any] = {
            "name": "vcluster",
            "image": _distro_image(r),
            "command": ["/bin/sh"],
            "args": ["-c", "cp /bin/k3s /binaries/k3s"],
        }
    else:
        c = {
            "name": "kubernetes",
            "image": _distro_image(r),
            "command": ["cp"],
            "args": ["-a", "/kubernetes/.", "/binaries/"],
        }
    c["volumeMounts"] = mounts
    if r.get(f"{base}.imagePullPolicy"):
        c["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")
    if _on(r.get(f"{base}.securityContext")):
        c["securityContext"] = _map(r.values, f"{base}.securityContext")
    c["resources"] = _map(r.values, f"{base}.resources")
    return [*_list(r.values, "controlPlane.statefulSet.initContainers"), c]


def _syncer_image(r: _Release) -> str:
    """The control plane runs vCluster's own image; its tag defaults to the chart version."""
    base = "controlPlane.statefulSet.image"
    tag = r.get(f"{base}.tag") or r.version
    return r.image(r.get(f"{base}.registry") or "", r.get(f"{base}.repository"), tag)


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _syncer(r: _Release) -> dict[str, Any]:
    base = "controlPlane.statefulSet"
    c: dict[str, Any] = {"name": "syncer", "image": _syncer_image(r)}
    if r.get(f"{base}.imagePullPolicy"):
        c["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")
    if r.get(f"{base}.workingDir"):
        c["workingDir"] = r.get(f"{base}.workingDir")
    for key in ("command", "args"):
        if _list(r.values, f"{base}.{key}"):
            c[key] = _list(r.values, f"{base}.{key}")
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/readyz")):
        probe = _probe(r, kind, path)
        if probe:
            c[kind] = probe
    security = _map(r.values, f"{base}.security.containerSecurityContext")
    if _on(r.get("controlPlane.advanced.kubeVip.enabled")):
        caps = security.setdefault("capabilities", {})
        caps["add"] = list(dict.fromkeys([*(caps.get("add") or []), "NET_ADMIN", "NET_RAW"]))
    if security:
        c["securityContext"] = security
    c["resources"] = _map(r.values, f"{base}.resources")
    env: list[dict[str, Any]] = [{"name": "VCLUSTER_NAME", "value": r.name}]
    if _on(r.get("logging")):
        env.append({"name": "LOFT_LOG_ENCODING", "value": str(r.get("logging.encoding") or "console")})
    env += [
        _field_env("POD_NAME", "metadata.name"),
        _field_env("POD_IP", "status.podIP"),
        _field_env("NODE_NAME", "spec.nodeName"),
        _field_env("NODE_IP", "status.hostIP"),
        *_list(r.values, f"{base}.env"),
        *_list(r.values, f"controlPlane.distro.{_distro(r)}.env"),
    ]
    c["env"] = env
    mounts = [
        {"name": "data", "mountPath": "/data"},
        {"name": "binaries", "mountPath": "/binaries"},
        {"name": "certs", "mountPath": "/pki"},
        {"name": "helm-cache", "mountPath": "/.cache/helm"},
    ]
    if _distro(r) == "k3s":
        mounts.append({"name": "k3s-config", "mountPath": "/etc/rancher"})
    mounts += [
        {"name": "vcluster-config", "mountPath": "/var/lib/vcluster"},
        {"name": "tmp", "mountPath": "/tmp"},
        *_list(r.values, f"{base}.persistence.addVolumeMounts"),
    ]
    c["volumeMounts"] = mounts
    return c


def _control_plane_volumes(r: _Release, claim: bool) -> list[dict]:
    base = "controlPlane.statefulSet.persistence"
    volumes: list[dict[str, Any]] = [
        {"name": "helm-cache", "emptyDir": {}},
        *_list(r.values, f"{base}.binariesVolume"),
        {"name": "tmp", "emptyDir": {}},
        {"name": "certs", "emptyDir": {}},
    ]
    if _distro(r) == "k3s":
        volumes.append({"name": "k3s-config", "emptyDir": {}})
    volumes.append({"name": "vcluster-config", "secret": {"secretName": f"vc-config-{r.name}"}})
    if _list(r.values, f"{base}.dataVolume"):
        volumes += _list(r.values, f"{base}.dataVolume")
    elif not claim:
        volumes.append({"name": "data", "emptyDir": {}})
    return volumes + _list(r.values, f"{base}.addVolumes")


def _claim_templates(r: _Release, base: str) -> list[dict]:
    templates = _list(r.values, f"{base}.persistence.volumeClaimTemplates")
    if templates:
        return templates
    claim = f"{base}.persistence.volumeClaim"
    spec: dict[str, Any] = {"accessModes": _list(r.values, f"{claim}.accessModes")}
    if r.get(f"{claim}.storageClass"):
        spec["storageClassName"] = r.get(f"{claim}.storageClass")
    spec["resources"] = {"requests": {"storage": str(r.get(f"{claim}.size"))}}
    return [{"metadata": {"name": "data"}, "spec": spec}]


def _control_plane(r: _Release, kind: str) -> dict:
    base = "controlPlane.statefulSet"
    replicas = _int(r.values, f"{base}.highAvailability.replicas")
    claim, _ = _volume_claim(r)
    selector = {"app": "vcluster", "release": r.name}
    pod_annotations = {"vClusterConfigHash": _config_hash(r), **_map(r.values, f"{base}.pods.annotations")}
    pod_spec: dict[str, Any] = {"terminationGracePeriodSeconds": 10}
    pod_spec.update(_scheduling(r, f"{base}.scheduling"))
    if _on(r.get(f"{base}.security.podSecurityContext")):
        pod_spec["securityContext"] = _map(r.values, f"{base}.security.podSecurityContext")
    if r.get(f"{base}.dnsPolicy"):
        pod_spec["dnsPolicy"] = r.get(f"{base}.dnsPolicy")
    if _on(r.get(f"{base}.dnsConfig")):
        pod_spec["dnsConfig"] = _map(r.values, f"{base}.dnsConfig")
    pod_spec["serviceAccountName"] = _service_account_name(r)
    pod_spec["volumes"] = _control_plane_volumes(r, claim)
    pod_spec["initContainers"] = _init_containers(r)
    pod_spec["enableServiceLinks"] = bool(r.get(f"{base}.enableServiceLinks"))
    pod_spec["containers"] = [_syncer(r), *_list(r.values, f"{base}.sidecarContainers")]
    spec: dict[str, Any] = {"selector": {"matchLabels": dict(selector)}}
    if kind == "StatefulSet":
        spec["persistentVolumeClaimRetentionPolicy"] = {
            "whenDeleted": r.get(f"{base}.persistence.volumeClaim.retentionPolicy")
        }
        spec["serviceName"] = f"{r.name}-headless"
        spec["podManagementPolicy"] = r.get(f"{base}.scheduling.podManagementPolicy")
        if claim:
            spec["volumeClaimTemplates"] = _claim_templates(r, base)
    else:
        spec["strategy"] = {
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0 if replicas == 1 else 1},
            "type": "RollingUpdate",
        }
    spec["replicas"] = replicas
    spec["template"] = {
        "metadata": {
            "annotations": pod_annotations,
            "labels": {**selector, **{str(k): str(v) for k, v in _map(r.values, f"{base}.pods.labels").items()}},
        },
        "spec": pod_spec,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": r.meta(
            r.name,
            r.labels(extra=_map(r.values, f"{base}.labels")),
            {**r.global_annotations(), **_map(r.values, f"{base}.annotations")},
        ),
        "spec": spec,
    }
