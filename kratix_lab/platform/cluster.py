"""Modelled cluster services the road depends on: namespaces, Services, Ingress, External Secrets.

None of these run for real in the lab; each sets what its real counterpart would so that the
rest of the road (Argo CD health, trace) sees a faithful cluster:
- the namespace controller deletes everything in a namespace that is gone;
- Services get a deterministic ClusterIP, Ingresses a load-balancer address;
- External Secrets (the version is a lab setting, ``externalSecretsVersion`` in lab.json; by default a current
  ESO serving only ``external-secrets.io/v1``) syncs an ExternalSecret into its target Secret from the lab's
  modelled 1Password vault (``platform/externalsecrets.py``), and fails as ESO does — Ready=False
  ``SecretSyncedError`` "could not get secret data from provider", a Warning ``UpdateFailed`` event with the
  provider's error naming the missing item or field — when the store, item or property is missing;
- the kubeconfig-sync CronJob's ``op item create/edit`` is modelled: the fields its script writes are written to
  the vault once the vCluster's kubeconfig exists (the fault ``secret-item-missing`` removes an item and stops it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from kratix_lab.model import MODELLED_ANNOTATION, clone, get_condition, name_of, set_condition
from kratix_lab.model import namespace_of as ns_of
from kratix_lab.platform.controller import Concluded, Context
from kratix_lab.platform.externalsecrets import (
    ExternalSecretError,
    Vaults,
    kubeconfig_value,
    provider_data,
    render_template,
)

MODELLED = {MODELLED_ANNOTATION: "true"}
ESO_GROUP = "external-secrets.io"


def _ip(prefix: str, key: str) -> str:
    d = hashlib.sha256(key.encode()).digest()
    return f"{prefix}.{d[0]}.{max(d[1], 1)}"


class ClusterController:
    name = "cluster"

    def __init__(self) -> None:
        self._synced: set[tuple] = set()  # (app uid, generation, control plane uid) already synced
        self._written: set[tuple[Any, ...]] = set()  # (CronJob uid, resourceVersion, container, vault revision)
        # (namespace, name) -> (resourceVersion, backend token) of each ExternalSecret reconciled
        self._synced_es: dict[tuple[str, str], tuple[int, Any]] = {}
        # what each round looks at every object of these kinds for, remembered by resourceVersion (never kept parsed)
        self._services_seen = Concluded("Service", "", _has_cluster_ip)
        self._ingresses_seen = Concluded("Ingress", "networking.k8s.io", _has_address)
        self._external_secrets_seen = Concluded("ExternalSecret", ESO_GROUP, _deleting)
        self._vcluster_apps = Concluded("Application", "argoproj.io", _vcluster_release)
        self._namespaces_seen = Concluded("Namespace", "", lambda ns: (ns.get("status") or {}).get("phase") == "Active")

    def next_due(self, ctx: Context) -> int | None:
        return None

    def reconcile(self, ctx: Context) -> int:
        return (
            self._namespaces(ctx)
            + self._services(ctx)
            + self._ingresses(ctx)
            + self._kubeconfig_sync(ctx)
            + self._external_secrets(ctx)
            + self._vcluster_syncer(ctx)
        )

    def _vcluster_syncer(self, ctx: Context) -> int:
        """vCluster's syncer, modelled: once a control plane is ready, what it writes to the host namespace appears
        there (``ChartRender.synced_objects``): the synced CoreDNS, owned by the control plane; the synced
        ``kube-dns`` Service and the kubeconfig Secret ``vc-<name>``, owned by the vCluster's Service as
        ``experimental.syncSettings.setOwner`` (default on) makes them (vcluster pkg/setup/config/config.go:237-257,
        pkg/util/kubeconfig/kubeconfig.go:93-96 at v0.30.5). Each is written once per control plane, as the syncer
        does at start (pkg/setup/controllers.go:285-326)."""
        from kratix_lab.platform.helm import ChartError, HelmSource, render_chart

        store = ctx.store
        writes = 0
        for seen in self._vcluster_apps.each(store):
            if seen.namespace != "argocd" or seen.conclusion is None:
                continue
            uid, generation, release, ns = seen.conclusion
            control_plane = store.get("StatefulSet", release, ns, "apps", readonly=True) or store.get(
                "Deployment", release, ns, "apps", readonly=True
            )
            if control_plane is None:
                continue
            memo = (uid, generation, control_plane["metadata"]["uid"])
            if memo in self._synced:
                continue
            app = self._vcluster_apps.read(store, seen)
            if app is None:
                continue
            src = (app.get("spec") or {}).get("source") or {}
            helm = src.get("helm") or {}
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
            service = store.get("Service", release, ns, "", readonly=True)
            service_owner = (
                {"apiVersion": "v1", "kind": "Service", "name": release, "uid": service["metadata"]["uid"]}
                if service is not None
                else owner
            )
            for obj in rendered.synced_objects:
                m = obj["metadata"]
                group = obj["apiVersion"].rpartition("/")[0]
                if store.get(obj["kind"], m["name"], m.get("namespace"), group, readonly=True, keep=False) is None:
                    obj = clone(obj)
                    obj["metadata"]["ownerReferences"] = [owner if obj["kind"] == "Deployment" else service_owner]
                    store.create(obj)
                    writes += 1
            self._synced.add(memo)
        return writes

    def _namespaces(self, ctx: Context) -> int:
        store = ctx.store
        writes = 0
        existing = set()
        for seen in self._namespaces_seen.each(store):
            existing.add(seen.name)
            ns = None if seen.conclusion else self._namespaces_seen.read(store, seen)
            if ns is not None:
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
        for seen in self._services_seen.each(ctx.store):
            svc = None if seen.conclusion else self._services_seen.read(ctx.store, seen)
            if svc is None:
                continue
            new = clone(svc)
            m = svc["metadata"]
            new["spec"]["clusterIP"] = _ip("10.43", f"{m.get('namespace')}/{m['name']}")
            ctx.store.update(new)
            writes += 1
        return writes

    def _ingresses(self, ctx: Context) -> int:
        writes = 0
        for seen in self._ingresses_seen.each(ctx.store):
            ing = None if seen.conclusion else self._ingresses_seen.read(ctx.store, seen)
            if ing is None:
                continue
            ctx.store.update_status(
                ing | {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}, readonly=True
            )
            writes += 1
        return writes

    # ---- External Secrets ---------------------------------------------------------------------

    def _kubeconfig_sync(self, ctx: Context) -> int:
        """The kubeconfig-sync CronJob's effect, modelled: its script (``op item create/edit``) writes the fields it
        names (``"label": "…"`` in its item template) to the 1Password item ``OP_VAULT/OP_ITEM_TITLE``, from the
        vCluster's kubeconfig — the ``config`` key of the ``vc-<name>`` Secret in the vCluster's namespace, which
        the modelled syncer writes once the control plane is ready (``_vcluster_syncer``), as the script's
        ``kubectl get secret vc-<name> -o jsonpath={.data.config}`` reads it on a real cluster. No Secret, no
        ``config`` key, or a kubeconfig without client certificates makes the script fail (nothing written).
        Written as soon as the kubeconfig exists, not at the next schedule."""
        store = ctx.store
        vaults = Vaults(store)
        missing = ctx.faults.get("secret-item-missing")
        writes = 0
        for cj in store.list("CronJob", group="batch", readonly=True):
            if (cj.get("spec") or {}).get("suspend") or cj["metadata"].get("deletionTimestamp"):
                continue
            pod = ((((cj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get(
                "spec"
            ) or {}
            for c in pod.get("containers") or []:
                env = {e.get("name"): e.get("value") for e in c.get("env") or [] if "value" in e}
                needed = ("OP_VAULT", "OP_ITEM_TITLE", "VCLUSTER_NAME", "VCLUSTER_NAMESPACE")
                if not all(env.get(k) for k in needed):
                    continue
                vault, title = env["OP_VAULT"], env["OP_ITEM_TITLE"]
                if missing and missing.get("item") == title and missing.get("vault", vault) == vault:
                    continue
                memo = (cj["metadata"]["uid"], cj["metadata"]["resourceVersion"], c.get("name"), vaults.revision())
                if memo in self._written:
                    continue  # written, and neither the CronJob nor the vault has changed since
                kubeconfig = self._vcluster_kubeconfig(ctx, env["VCLUSTER_NAME"], env["VCLUSTER_NAMESPACE"])
                if kubeconfig is None:
                    continue
                script = " ".join(str(a) for a in [*(c.get("command") or []), *(c.get("args") or [])])
                labels = list(dict.fromkeys(re.findall(r'\\"label\\": \\"([^"\\]+)\\"', script)))
                values = {
                    "kubeconfig": kubeconfig.rstrip("\n"),
                    "ca": kubeconfig_value(kubeconfig, "certificate-authority-data"),
                    "cert": kubeconfig_value(kubeconfig, "client-certificate-data"),
                    "key": kubeconfig_value(kubeconfig, "client-key-data"),
                }
                if not labels or any(not values.get(label) for label in labels if label in values):
                    continue  # the script refuses a kubeconfig without client certificates
                fields = {label: values.get(label, f"<modelled value of {label}>") for label in labels}
                wrote = vaults.put(
                    vault, title, fields, f"CronJob/{cj['metadata'].get('namespace')}/{name_of(cj)}", store.now()
                )
                self._written.add((*memo[:3], vaults.revision()))
                if wrote:
                    store.event(
                        cj,
                        "Normal",
                        "ItemWritten",
                        f"modelled run: {vault}/{title} written with fields {', '.join(labels)}",
                        "kratix-lab",
                    )
                    writes += 1
        return writes

    def _vcluster_kubeconfig(self, ctx: Context, name: str, namespace: str) -> str | None:
        """The ``config`` of Secret ``vc-<name>`` (vcluster pkg/util/kubeconfig/kubeconfig.go:30, 88), or None."""
        # not kept parsed: read once per CronJob version and vault revision (``_written``)
        secret = ctx.store.get("Secret", f"vc-{name}", namespace, "", readonly=True, keep=False)
        if secret is not None and (secret.get("data") or {}).get("config"):
            try:
                return base64.b64decode(secret["data"]["config"]).decode()
            except (ValueError, UnicodeDecodeError):
                return None
        return None

    def _external_secrets(self, ctx: Context) -> int:
        """ESO's ExternalSecret reconcile (external-secrets pkg/controllers/externalsecret/externalsecret_controller.go
        ``Reconcile``/``markAsFailed``/``markAsDone``, lines 172-425, 765-791): the provider data, then the target
        Secret; a failure leaves the Secret as it was."""
        store, now = ctx.store, ctx.store.now()
        vaults = Vaults(store)
        token = (
            vaults.revision(),
            tuple(store.versions("ClusterSecretStore", ESO_GROUP)),
            tuple(store.versions("SecretStore", ESO_GROUP)),
        )
        writes = 0
        synced, self._synced_es = self._synced_es, {}
        for seen in self._external_secrets_seen.each(store):
            where = (seen.namespace, seen.name)
            if synced.get(where) == (seen.rv, token):
                self._synced_es[where] = synced[where]
                continue  # nothing it reads has changed since it was last reconciled
            es = None if seen.conclusion else self._external_secrets_seen.read(store, seen)
            if es is None:
                continue  # being deleted: the garbage collector's
            spec = es.get("spec") or {}
            target = spec.get("target") or {}
            secret_name = target.get("name") or es["metadata"]["name"]
            new = clone(es)
            new.setdefault("status", {})
            try:
                data = self._provider_data(ctx, vaults, es)
                created = self._target_secret(ctx, es, secret_name, target, data)
            except ExternalSecretError as e:
                # ESO records the provider's error as a Warning event on every failed reconcile (markAsFailed); the
                # lab records it once per distinct error
                error = str(e)
                last = [
                    ev
                    for ev in store.events("ExternalSecret", name_of(es), ns_of(es))
                    if ev["reason"] == "UpdateFailed"
                ]
                if (
                    (get_condition(es, "Ready") or {}).get("reason") != "SecretSyncedError"
                    or not last
                    or last[-1]["message"] != error
                ):
                    store.event(es, "Warning", "UpdateFailed", error, "external-secrets")
                set_condition(
                    new, "Ready", "False", "SecretSyncedError", "could not get secret data from provider", now
                )
            else:
                if created is not None:
                    store.event(
                        es,
                        "Normal",
                        "Created" if created else "Updated",
                        "secret created" if created else "secret updated",
                        "external-secrets",
                    )
                set_condition(new, "Ready", "True", "SecretSynced", "secret synced", now)
                new["status"]["binding"] = {"name": secret_name}
                new["status"]["refreshTime"] = (
                    now if created is not None else es.get("status", {}).get("refreshTime", now)
                )
                new["status"]["syncedResourceVersion"] = f"{es['metadata'].get('generation', 1)}-modelled"
            if new.get("status") != es.get("status"):
                new = store.update_status(new)
                writes += 1
            self._synced_es[where] = (int(new["metadata"]["resourceVersion"]), token)
        return writes

    def _provider_data(self, ctx: Context, vaults: Vaults, es: dict[str, Any]) -> dict[str, str]:
        spec = es.get("spec") or {}
        ref = spec.get("secretStoreRef") or {}
        kind = ref.get("kind") or "SecretStore"
        ns = es["metadata"]["namespace"]
        found = ctx.store.get(
            kind, ref.get("name", ""), None if kind == "ClusterSecretStore" else ns, ESO_GROUP, readonly=True
        )
        if found is None:
            # client_manager.go:39-40, 190-207, wrapped by GetProviderSecretData (externalsecret_controller_secret.go)
            plural = "clustersecretstores" if kind == "ClusterSecretStore" else "secretstores"
            err = (
                f'could not get {kind} "{ref.get("name", "")}", {plural}.{ESO_GROUP} "{ref.get("name", "")}" not found'
            )
            for i, r in enumerate(spec.get("dataFrom") or []):
                if (r or {}).get("extract"):
                    raise ExternalSecretError(f"error processing spec.dataFrom[{i}].extract, err: {err}")
            for i, r in enumerate(spec.get("data") or []):
                key = (r.get("remoteRef") or {}).get("key", "")
                raise ExternalSecretError(f"error processing spec.data[{i}] (key: {key}), err: {err}")
            raise ExternalSecretError(err)
        return provider_data(vaults, found, es)

    def _target_secret(
        self, ctx: Context, es: dict[str, Any], name: str, target: dict[str, Any], data: dict[str, str]
    ) -> bool | None:
        """Create or update the target Secret (ApplyTemplate, externalsecret_controller_template.go:40-117).
        Returns True when created, False when updated, None when it was already as it should be."""
        store = ctx.store
        ns = es["metadata"]["namespace"]
        template = target.get("template")
        values = dict(data)
        if template is not None:
            tdata = template.get("data") or {}
            if tdata or template.get("templateFrom"):
                values = dict(data) if template.get("mergePolicy") == "Merge" else {}
            for key in sorted(tdata):
                values[key] = render_template(key, str(tdata[key]), data)
        tmeta = (template or {}).get("metadata") or {}
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())}
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
            "type": (template or {}).get("type", "Opaque"),
            "data": encoded,
        }
        live = store.get("Secret", name, ns, "", readonly=True, keep=False)  # read again only when its ES changed
        if live is None:
            store.create(secret)
            return True
        if {k: live.get(k) for k in ("type", "data")} != {k: secret[k] for k in ("type", "data")} or live[
            "metadata"
        ].get("labels") != secret["metadata"]["labels"]:
            store.update(
                live
                | {
                    "type": secret["type"],
                    "data": encoded,
                    "metadata": live["metadata"]
                    | {"labels": secret["metadata"]["labels"], "annotations": secret["metadata"]["annotations"]},
                }
            )
            return False
        return None


def _has_cluster_ip(svc: dict[str, Any]) -> bool:
    """A Service the modelled IP allocator is done with: it has its ClusterIP, or needs none (ExternalName)."""
    spec = svc.get("spec") or {}
    return bool(spec.get("clusterIP")) or spec.get("type") == "ExternalName"


def _has_address(ing: dict[str, Any]) -> bool:
    """An Ingress the modelled load balancer has given its address."""
    return bool(((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress"))


def _deleting(obj: dict[str, Any]) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _vcluster_release(app: dict[str, Any]) -> tuple[str, Any, str, str] | None:
    """(uid, generation, release, namespace) of an Application of the vcluster chart not being deleted, else None."""
    spec = app.get("spec") or {}
    src = spec.get("source") or {}
    if src.get("chart") != "vcluster" or app["metadata"].get("deletionTimestamp"):
        return None
    release = (src.get("helm") or {}).get("releaseName") or app["metadata"]["name"]
    namespace = (spec.get("destination") or {}).get("namespace") or "default"
    return app["metadata"]["uid"], app["metadata"].get("generation"), release, namespace
