"""Modelled cluster services the road depends on: namespaces, Services, Ingress, External Secrets.

None of these run for real in the lab; each sets what its real counterpart would so that the
rest of the road (Argo CD health, trace) sees a faithful cluster:
- the namespace controller deletes everything in a namespace that is gone;
- Services get a deterministic ClusterIP, Ingresses a load-balancer address;
- External Secrets (≥ 0.17 by default: only ``external-secrets.io/v1`` is served) syncs an
  ExternalSecret into its target Secret when the referenced store exists; the secret *values*
  are placeholders (no 1Password here), labelled as modelled.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kratix_lab.model import clone, get_condition, set_condition
from kratix_lab.platform.controller import Context

MODELLED = {"kratix-lab.io/modelled": "true"}
ESO_GROUP = "external-secrets.io"


def _ip(prefix: str, key: str) -> str:
    d = hashlib.sha256(key.encode()).digest()
    return f"{prefix}.{d[0]}.{max(d[1], 1)}"


class ClusterController:
    name = "cluster"

    def __init__(self) -> None:
        self._synced: set[tuple] = set()  # (app uid, generation, control plane uid) already synced
        self._synced_es: set[tuple[str, str]] = set()  # (uid, resourceVersion) of ExternalSecrets in sync

    def next_due(self, ctx: Context) -> int | None:
        return None

    def reconcile(self, ctx: Context) -> int:
        return (
            self._namespaces(ctx)
            + self._services(ctx)
            + self._ingresses(ctx)
            + self._external_secrets(ctx)
            + self._vcluster_syncer(ctx)
        )

    def _vcluster_syncer(self, ctx: Context) -> int:
        """vCluster's syncer, modelled: once a control plane is ready, what runs inside the virtual
        cluster (CoreDNS) appears in the host namespace, owned by the control plane."""
        from kratix_lab.platform.helm import ChartError, HelmSource, render_chart

        store = ctx.store
        writes = 0
        for app in store.list("Application", "argocd", group="argoproj.io", readonly=True):
            src = (app.get("spec") or {}).get("source") or {}
            if src.get("chart") != "vcluster" or app["metadata"].get("deletionTimestamp"):
                continue
            helm = src.get("helm") or {}
            release = helm.get("releaseName") or app["metadata"]["name"]
            ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace") or "default"
            control_plane = store.get("StatefulSet", release, ns, "apps", readonly=True) or store.get(
                "Deployment", release, ns, "apps", readonly=True
            )
            if control_plane is None:
                continue
            memo = (app["metadata"]["uid"], app["metadata"].get("generation"), control_plane["metadata"]["uid"])
            if memo in self._synced:
                continue
            want = (control_plane.get("spec") or {}).get("replicas", 1)
            if ((control_plane.get("status") or {}).get("readyReplicas") or 0) < want:
                continue
            try:
                rendered = render_chart(
                    HelmSource(
                        src.get("repoURL", ""),
                        "vcluster",
                        str(src.get("targetRevision", "")),
                        release,
                        ns,
                        helm.get("valuesObject") or {},
                    ),
                    ctx.lab.vcluster_schema,
                    shared=True,
                )
            except ChartError:
                continue
            owner = {
                "apiVersion": "apps/v1",
                "kind": control_plane["kind"],
                "name": release,
                "uid": control_plane["metadata"]["uid"],
            }
            for obj in rendered.synced_objects:
                m = obj["metadata"]
                group = obj["apiVersion"].rpartition("/")[0]
                if store.get(obj["kind"], m["name"], m.get("namespace"), group, readonly=True) is None:
                    obj = clone(obj)
                    obj["metadata"]["ownerReferences"] = [owner]
                    store.create(obj)
                    writes += 1
            self._synced.add(memo)
        return writes

    def _namespaces(self, ctx: Context) -> int:
        store = ctx.store
        writes = 0
        existing = set()
        for ns in store.list("Namespace", group="", readonly=True):
            existing.add(ns["metadata"]["name"])
            if (ns.get("status") or {}).get("phase") != "Active":
                store.update_status(ns | {"status": {"phase": "Active"}})
                writes += 1
        for namespace in store.namespaces_in_use():
            if namespace in existing:
                continue
            for obj in store.list(namespace=namespace, readonly=True):
                if not obj["metadata"].get("deletionTimestamp"):
                    store.delete(obj["kind"], obj["metadata"]["name"], namespace, obj["apiVersion"].rpartition("/")[0])
                    writes += 1
                elif obj["metadata"].get("finalizers"):
                    continue
        return writes

    def _services(self, ctx: Context) -> int:
        writes = 0
        for svc in ctx.store.list("Service", group="", readonly=True):
            spec = svc.get("spec") or {}
            if spec.get("clusterIP") or spec.get("type") == "ExternalName":
                continue
            new = clone(svc)
            m = svc["metadata"]
            new["spec"]["clusterIP"] = _ip("10.43", f"{m.get('namespace')}/{m['name']}")
            ctx.store.update(new)
            writes += 1
        return writes

    def _ingresses(self, ctx: Context) -> int:
        writes = 0
        for ing in ctx.store.list("Ingress", group="networking.k8s.io", readonly=True):
            if ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
                continue
            ctx.store.update_status(ing | {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}})
            writes += 1
        return writes

    def _external_secrets(self, ctx: Context) -> int:
        store, now = ctx.store, ctx.store.now()
        writes = 0
        for es in store.list("ExternalSecret", group=ESO_GROUP, readonly=True):
            memo = (es["metadata"]["uid"], es["metadata"]["resourceVersion"])
            if memo in self._synced_es:
                continue  # unchanged since it was last synced
            spec = es.get("spec") or {}
            ref = spec.get("secretStoreRef") or {}
            kind = ref.get("kind", "SecretStore")
            ns = es["metadata"]["namespace"]
            found = store.get(
                kind, ref.get("name", ""), None if kind == "ClusterSecretStore" else ns, ESO_GROUP, readonly=True
            )
            new = clone(es)
            target = spec.get("target") or {}
            secret_name = target.get("name") or es["metadata"]["name"]
            if found is None:
                set_condition(
                    new,
                    "Ready",
                    "False",
                    "SecretSyncedError",
                    f'could not get {kind} "{ref.get("name")}": not found',
                    now,
                )
            else:
                self._target_secret(ctx, es, secret_name, target, spec)
                set_condition(new, "Ready", "True", "SecretSynced", "secret synced (modelled: placeholder values)", now)
                new["status"]["binding"] = {"name": secret_name}
                new["status"]["syncedResourceVersion"] = f"{es['metadata'].get('generation', 1)}-modelled"
            if new.get("status") != es.get("status"):
                if (get_condition(es, "Ready") or {}).get("status") != (get_condition(new, "Ready") or {}).get(
                    "status"
                ):
                    ok = (get_condition(new, "Ready") or {}).get("status") == "True"
                    store.event(
                        es,
                        "Normal" if ok else "Warning",
                        "Updated" if ok else "UpdateFailed",
                        (get_condition(new, "Ready") or {}).get("message", ""),
                        "external-secrets",
                    )
                new["status"].setdefault("refreshTime", now)
                new = store.update_status(new)
                writes += 1
            if found is not None and (get_condition(new, "Ready") or {}).get("status") == "True":
                self._synced_es.add((new["metadata"]["uid"], new["metadata"]["resourceVersion"]))
        return writes

    def _target_secret(
        self, ctx: Context, es: dict[str, Any], name: str, target: dict[str, Any], spec: dict[str, Any]
    ) -> None:
        store = ctx.store
        ns = es["metadata"]["namespace"]
        template = target.get("template") or {}
        tmeta = template.get("metadata") or {}
        keys = [d["secretKey"] for d in spec.get("data") or []] + list((template.get("data") or {}).keys())
        data = {k: base64.b64encode(f"<modelled value of {k}>".encode()).decode() for k in sorted(set(keys))}
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": dict(tmeta.get("labels") or {}),
                "annotations": {**(tmeta.get("annotations") or {}), **MODELLED},
                "ownerReferences": [
                    {
                        "apiVersion": es["apiVersion"],
                        "kind": "ExternalSecret",
                        "name": es["metadata"]["name"],
                        "uid": es["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "type": template.get("type", "Opaque"),
            "data": data,
        }
        live = store.get("Secret", name, ns, "", readonly=True)
        if live is None:
            store.create(secret)
        elif {k: live.get(k) for k in ("type", "data")} != {k: secret[k] for k in ("type", "data")} or live[
            "metadata"
        ].get("labels") != secret["metadata"]["labels"]:
            store.update(
                live
                | {
                    "type": secret["type"],
                    "data": data,
                    "metadata": live["metadata"]
                    | {"labels": secret["metadata"]["labels"], "annotations": secret["metadata"]["annotations"]},
                }
            )
