"""StatefulSets: ordered pods, their PersistentVolumeClaims from volumeClaimTemplates, updates and status.

Follows kube-controller-manager's statefulset controller (pkg/controller/statefulset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.model import MODELLED_ANNOTATION, clone, labels_of, name_of, namespace_of
from kratix_lab.platform.workloads.base import _ControllerBase
from kratix_lab.platform.workloads.objects import (
    STS_POD_INDEX,
    STS_POD_NAME,
    STS_REVISION,
    Obj,
    _available,
    _deleting,
    _meta,
    _omit_zero,
    _phase,
    _replicas,
    _running_and_ready,
    _spec,
    _status,
    _uid,
    owner_reference,
    template_hash,
)


class StatefulSetReconciler(_ControllerBase):
    """StatefulSets: pods by ordinal and the claims they keep."""

    # -- StatefulSet

    def _sync_statefulset(self, sts: Obj) -> None:
        if _deleting(sts):
            return
        spec = _spec(sts)
        name = name_of(sts)
        desired = _replicas(sts)
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods: dict[int, Obj] = {}
        for pod in self._world.children(sts, "Pod"):
            ordinal = _ordinal(name, name_of(pod))
            if ordinal is not None:
                pods[ordinal] = pod
        if any(_deleting(p) for p in pods.values()) and not parallel:
            return  # OrderedReady waits for a terminating pod
        for i in range(desired):
            pod = pods.get(i)
            if pod is not None and _phase(pod) in ("Failed", "Succeeded"):
                self._delete_sts_pod(sts, pod, claims=False)
                pods.pop(i, None)
                pod = None
            if pod is None:
                created = self._create_sts_pod(sts, i, revision)
                if created is not None:
                    pods[i] = created
                if not parallel:
                    return
                continue
            if not parallel and not _running_and_ready(pod):
                return  # OrderedReady: nothing more until this pod is Running and Ready
        # Scale down from the highest ordinal; OrderedReady one pod per round, once the rest are Ready.
        condemned = sorted((o for o in pods if o >= desired), reverse=True)
        when_scaled = (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenScaled", "Retain")
        for o in condemned:
            self._delete_sts_pod(sts, pods.pop(o), claims=when_scaled == "Delete")
            if not parallel:
                return
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for i in range(desired - 1, partition - 1, -1):
            pod = pods.get(i)
            if pod is None:
                return
            if labels_of(pod).get(STS_REVISION) != revision:
                self._delete_sts_pod(sts, pod, claims=False)
                return
            if not _running_and_ready(pod):
                return

    def _create_sts_pod(self, sts: Obj, ordinal: int, revision: str) -> Obj | None:
        spec = _spec(sts)
        name = name_of(sts)
        ns = namespace_of(sts) or ""
        pod_name = f"{name}-{ordinal}"
        template = spec.get("template") or {}
        volumes = [v for v in (template.get("spec") or {}).get("volumes") or []]
        for vct in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{name_of(vct)}-{pod_name}"
            missing = self._world.get(("PersistentVolumeClaim", ns, claim_name)) is None
            if missing and self._create_claim(sts, vct, claim_name) is not None:
                message = f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name} success"
                self._event(sts, "Normal", "SuccessfulCreate", message, "statefulset-controller")
            volumes = [v for v in volumes if v.get("name") != name_of(vct)]
            volumes.append({"name": name_of(vct), "persistentVolumeClaim": {"claimName": claim_name}})
        overrides: Obj = {"hostname": pod_name}
        if spec.get("serviceName"):
            overrides["subdomain"] = spec["serviceName"]
        if volumes:
            overrides["volumes"] = volumes
        labels = {STS_REVISION: revision, STS_POD_NAME: pod_name, STS_POD_INDEX: str(ordinal)}
        pod = self._new_pod(sts, template, name=pod_name, labels=labels, spec=overrides)
        if pod is not None:
            message = f"create Pod {pod_name} in StatefulSet {name} successful"
            self._event(sts, "Normal", "SuccessfulCreate", message, "statefulset-controller")
        return pod

    def _create_claim(self, sts: Obj, vct: Mapping[str, Any], claim_name: str) -> Obj | None:
        """A PVC from a volumeClaimTemplate, Bound at once (modelled dynamic provisioning)."""
        spec = _spec(sts)
        vmeta = vct.get("metadata") or {}
        vspec = clone(vct.get("spec") or {})
        vspec.setdefault("volumeMode", "Filesystem")
        meta: Obj = {
            "name": claim_name,
            "namespace": namespace_of(sts),
            "labels": {**(vmeta.get("labels") or {}), **((spec.get("selector") or {}).get("matchLabels") or {})},
            "annotations": {
                **(vmeta.get("annotations") or {}),
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                MODELLED_ANNOTATION: "true",
            },
        }
        if (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenDeleted") == "Delete":
            meta["ownerReferences"] = [owner_reference(sts)]
        storage = ((vspec.get("resources") or {}).get("requests") or {}).get("storage")
        status: Obj = {"phase": "Bound", "accessModes": list(vspec.get("accessModes") or ["ReadWriteOnce"])}
        if storage:
            status["capacity"] = {"storage": storage}
        claim = self._create(
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": vspec, "status": status}
        )
        if claim is None:
            return None
        claim = clone(claim)
        claim["spec"]["volumeName"] = f"pvc-{_uid(claim)}"  # the name a dynamic provisioner gives the volume
        return self._update(claim)

    def _delete_sts_pod(self, sts: Obj, pod: Obj, claims: bool) -> None:
        self._delete(pod)
        message = f"delete Pod {name_of(pod)} in StatefulSet {name_of(sts)} successful"
        self._event(sts, "Normal", "SuccessfulDelete", message, "statefulset-controller")
        if claims:
            ns = namespace_of(sts) or ""
            for vct in _spec(sts).get("volumeClaimTemplates") or []:
                claim = self._world.get(("PersistentVolumeClaim", ns, f"{name_of(vct)}-{name_of(pod)}"))
                if claim is not None:
                    self._delete(claim)

    def _statefulset_status(self, sts: Obj) -> None:
        spec = _spec(sts)
        name = name_of(sts)
        update_revision = f"{name}-{template_hash(spec.get('template') or {})}"
        pods = [
            p for p in self._world.children(sts, "Pod") if _ordinal(name, name_of(p)) is not None and not _deleting(p)
        ]
        min_ready = int(spec.get("minReadySeconds") or 0)
        old = _status(sts)
        current_revision = old.get("currentRevision") or update_revision
        replicas = len(pods)
        ready = sum(_running_and_ready(p) for p in pods)
        updated = sum(labels_of(p).get(STS_REVISION) == update_revision for p in pods)
        current = sum(labels_of(p).get(STS_REVISION) == current_revision for p in pods)
        if updated == replicas and ready == replicas:
            current_revision, current = update_revision, updated
        st: Obj = {
            "observedGeneration": int(_meta(sts).get("generation") or 1),
            "replicas": replicas,
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": update_revision,
            "collisionCount": 0,
            "availableReplicas": sum(_available(p, min_ready, self._now) for p in pods),
        }
        self._write_status(sts, _omit_zero(st, "readyReplicas", "currentReplicas", "updatedReplicas"))


def _ordinal(set_name: str, pod_name: str) -> int | None:
    prefix = f"{set_name}-"
    if pod_name.startswith(prefix) and pod_name[len(prefix) :].isdigit():
        return int(pod_name[len(prefix) :])
    return None
