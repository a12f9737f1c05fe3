"""Rules of the Helm + workloads stretch: the Helm render, workloads not ready, ExternalSecrets that do not sync."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kratix_lab.diagnose.model import Finding, _cmd_ref, fix_for
from kratix_lab.diagnose.rules.registry import _request_of, rule
from kratix_lab.errors import Forbidden
from kratix_lab.kube.health import DEGRADED
from kratix_lab.model import get_condition
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode

ETCD_ENDPOINT = "controlPlane.backingStore.etcd.external.endpoint"


def etcd_endpoint_missing(values: dict[str, Any]) -> bool:
    """``etcd.external.enabled`` with no endpoint: vCluster v0.30.5 dials ``"https://" + TrimPrefix(endpoint,
    "https://")`` (pkg/etcd/client.go:64-65), so an empty endpoint or ``https://`` alone dials ``https://``. The
    same test as the lab's chart model (``platform/helm/release.py`` ``external_etcd_host``, which diagnose may not
    import); tests/test_vcluster_runtime.py checks that the two agree."""
    cp = values.get("controlPlane") if isinstance(values, dict) else None
    etcd = (((cp or {}).get("backingStore") or {}).get("etcd") or {}) if isinstance(cp, dict) else {}
    ext = etcd.get("external") if isinstance(etcd, dict) else None
    if not isinstance(ext, dict) or ext.get("enabled") is not True:
        return False
    return not str(ext.get("endpoint") or "").strip().removeprefix("https://")


def _control_plane_pods(n: TraceNode) -> list[TraceNode]:
    """The pods of the release's control plane (its StatefulSet or Deployment named after the release)."""
    return [p for w in n.children if w.stage == "workload" and w.name == n.name for p in w.children if p.stage == "pod"]


@rule("vcluster-etcd-endpoint-missing", stages=("helm",))
def _etcd_endpoint(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """A vCluster whose values turn on an external etcd without its endpoint: the chart renders (the schema requires
    nothing), but the control plane dials ``https://`` and never starts — vcluster v0.30.5 pkg/etcd/util.go:27-48
    (``Couldn't connect to etcd (will retry in a second)``), pkg/k8s/k8s.go:128-131 and pkg/setup/initialize.go:
    131-142 (``Error running k8s``, exit 1), so the syncer container restarts for ever and is never Ready (the lab's
    kubelet runs it so: ``platform/helm/syncer.py`` ``start_failure``)."""
    if n.stage != "helm" or not etcd_endpoint_missing(n.evidence.get("values") or {}):
        return
    pods = _control_plane_pods(n)
    pod = pods[0] if pods else None
    root = next((p for p in parents if p.stage == "request"), None)
    orchestrated = root is not None and root.kind == "VClusterOrchestrator"
    field_ = "spec.vcluster.backingStore.etcd.external.endpoint" if orchestrated else f"helm values {ETCD_ENDPOINT}"
    where = f"{field_} of {_cmd_ref(root)}" if root else ETCD_ENDPOINT
    logs = f"`kratix-lab logs pod/{pod.name} -n {pod.namespace} -c syncer`" if pod else None
    gitops = f"platform/vclusters/{root.name}.yaml" if orchestrated and root else None
    fix = fix_for(
        s,
        lab=f"set {where} to your etcd (host:port), or turn controlPlane.backingStore.etcd.external off"
        + (
            f": `kratix-lab repo files --gitops {gitops} > {root.name}.yaml`, edit it, `kratix-lab submit "
            f"{root.name}.yaml`, `kratix-lab settle`"
            if gitops and root
            else ", submit it again and `kratix-lab settle`"
        )
        + (f" ({logs} shows the syncer's `Couldn't connect to etcd`)" if logs else ""),
        live=f"set {where} to your etcd (host:port), or turn controlPlane.backingStore.etcd.external off: edit "
        f"{gitops or 'its file'} in the gitops repo, `git commit` and `git push`"
        + (
            f" (`kubectl logs {pod.name} -n {pod.namespace} -c syncer` shows `Couldn't connect to etcd`)" if pod else ""
        ),
    )
    state = f"; {pod.ref}: {pod.message}" if pod else ""
    yield Finding(
        "vcluster-etcd-endpoint-missing",
        "error",
        "helm",
        n.ref,
        f"the control plane cannot start: controlPlane.backingStore.etcd.external.enabled is true but {ETCD_ENDPOINT} "
        f"is empty, so vCluster dials https:// (`Couldn't connect to etcd`), its syncer exits 1 and restarts and is "
        f"never Ready{state}",
        fix,
        min((p.since for p in pods if p.since is not None), default=n.since),
        depth,
        {"missing": ETCD_ENDPOINT, "pods": [p.ref for p in pods]},
        keys=f"press `e` to edit the request and set {field_}",
    )


@rule("helm-render-failed", stages=("helm",))
def _helm_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "helm" or n.health != DEGRADED:
        return
    if etcd_endpoint_missing(n.evidence.get("values") or {}):
        return  # rendered; vcluster-etcd-endpoint-missing says why its control plane is Degraded
    app = s.get("Application", parents[-1].name if parents else n.name, "argocd", "argoproj.io")
    conditions = ((app or {}).get("status") or {}).get("conditions") or []
    if any(c.get("type") == "InvalidSpecError" for c in conditions):
        return  # app-invalid-spec says it; the chart was never rendered
    if n.message.startswith("Failed sync attempt"):
        yield Finding(
            "sync-failed",
            "error",
            "helm",
            n.ref,
            n.message,
            "fix the objects the API server refused (the message names them); Argo CD retries on the next change",
            n.since,
            depth,
        )
        return
    not_modelled = "not modelled by kratix-lab" in n.message
    req = _request_of(parents)
    reconcile = (
        fix_for(
            s,
            lab=f"`kratix-lab reconcile {_cmd_ref(req)}`",
            live=f"`kubectl label {_cmd_ref(req)} kratix.io/manual-reconciliation=true --overwrite`",
        )
        if req
        else "reconcile the request"
    )
    yield Finding(
        "helm-values-invalid" if "schema" in n.message or "values" in n.message else "helm-render-failed",
        "error",
        "helm",
        n.ref,
        f"the chart cannot be rendered: {n.message}",
        "the lab models only vcluster 0.30.x from https://charts.loft.sh"
        if not_modelled
        else f"fix the values it names (vcluster.helmOverrides / the orchestrator fields), then {reconcile}",
        n.since,
        depth,
        keys="" if not_modelled or not req else "fix the values it names in the request, then press `r` to reconcile",
    )


@rule("workload-not-ready", stages=("pod",))
def _workload(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "pod" or n.health != DEGRADED:
        return
    helm = next((p for p in reversed(parents) if p.stage == "helm"), None)
    if helm is not None and n in _control_plane_pods(helm) and etcd_endpoint_missing(helm.evidence.get("values") or {}):
        return  # its cause is vcluster-etcd-endpoint-missing, on the release
    last = n.evidence.get("lastTermination") or []
    oom = "OOMKilled" in last
    root = next((p for p in parents if p.stage == "request"), None)
    if oom:
        memory = "spec.vcluster.resources.limits.memory"
        gitops = f"platform/vclusters/{root.name}.yaml" if root and root.kind == "VClusterOrchestrator" else None
        fix = fix_for(
            s,
            lab=f"raise the memory limit ({memory} in the request): `kratix-lab repo files --gitops {gitops} > "
            f"{root.name}.yaml`, edit it, `kratix-lab submit {root.name}.yaml`, `kratix-lab settle` (Argo CD rolls "
            "it out)"
            if gitops and root
            else f"raise the memory limit ({memory} in the request), submit it again and let Argo CD roll it out",
            live=f"raise the memory limit ({memory} in the request): edit {gitops or 'its file'} in the gitops repo, "
            "`git commit` and `git push` (or `kratix-lab submit FILE --write`); Argo CD rolls it out",
        )
        keys = f"press `e` to edit the request and raise {memory}; Argo CD rolls it out"
    else:
        fix = fix_for(
            s,
            lab=f"see why it exits (`kratix-lab describe pod/{n.name} -n {n.namespace}`: its last state and events; the "
            "lab models the pod, so it has no logs) and fix the cause; it restarts on its own",
            live=f"read its logs (`kubectl logs {n.name} -n {n.namespace} --previous`) and fix the cause; it restarts "
            "on its own",
        )
        keys = "press `d` to describe the pod (its last state and events), fix the cause; it restarts on its own"
    yield Finding(
        "pod-oomkilled" if oom else "pod-crashloop",
        "error",
        "pod",
        n.ref,
        f"CrashLoopBackOff: {n.message}" + (" — the container ran out of memory (OOMKilled)" if oom else ""),
        fix,
        n.since,
        depth,
        {"restarts": n.evidence.get("restarts"), "lastTermination": last},
        keys=keys,
    )


_ITEM_MISSING = re.compile(r"key not found in 1Password Vaults: (.+) in: map\[")
_FIELD_MISSING = re.compile(r"expected one 1Password ItemField matching: '([^']*)' in '([^']*)', got 0")
_STORE_MISSING = re.compile(r'could not get (ClusterSecretStore|SecretStore) "([^"]*)"')
_SCRIPT_LABEL = re.compile(r'\\"label\\": \\"([^"\\]+)\\"')


def _item_writers(s: Source, title: str) -> list[tuple[dict[str, Any], list[str], dict[str, Any]]]:
    """CronJobs whose container writes the 1Password item ``title`` (``OP_ITEM_TITLE``), with the fields its
    script writes (the kubeconfig sync's item template) and the container's env."""
    out = []
    for cj in s.list("CronJob", None, None, group="batch"):
        pod = ((((cj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get(
            "spec"
        ) or {}
        for c in pod.get("containers") or []:
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            if env.get("OP_ITEM_TITLE") == title:
                script = " ".join(str(a) for a in [*(c.get("command") or []), *(c.get("args") or [])])
                out.append((cj, list(dict.fromkeys(_SCRIPT_LABEL.findall(script))), env))
    return out


def _sync_source(s: Source, env: dict[str, Any]) -> tuple[str, str] | None:
    """The Secret a kubeconfig sync reads (``vc-$VCLUSTER_NAME`` in ``$VCLUSTER_NAMESPACE``: its script's ``kubectl get
    secret``, promises/vcluster_kubeconfig_sync/pipeline.py) when it does not exist, else None."""
    name, namespace = env.get("VCLUSTER_NAME"), env.get("VCLUSTER_NAMESPACE")
    if not isinstance(name, str) or not isinstance(namespace, str) or not name or not namespace:
        return None
    try:
        if s.get("Secret", f"vc-{name}", namespace, "") is not None:
            return None
    except Forbidden:  # an identity that may not read Secrets cannot tell: say nothing
        return None
    return f"vc-{name}", namespace


@rule("external-secret-failed", stages=("object",))
def _external_secret(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """An ExternalSecret ESO cannot sync: Ready=False SecretSyncedError, the provider's error in its latest Warning
    UpdateFailed event (external-secrets pkg/controllers/externalsecret/externalsecret_controller.go ``markAsFailed``,
    lines 786-791). The fix follows the chain: the store, the 1Password item and who writes it, the field."""
    if n.stage != "object" or n.kind != "ExternalSecret" or n.health != DEGRADED:
        return
    es = s.get("ExternalSecret", n.name, n.namespace, "external-secrets.io")
    if es is None:
        return
    ready = get_condition(es, "Ready") or {}
    if ready.get("reason") != "SecretSyncedError":
        return
    failed = [e for e in s.events(es) if e.get("reason") == "UpdateFailed"]
    error = failed[-1]["message"] if failed else ready.get("message", "")
    req = _request_of(parents)
    request = f"{req.kind}/{req.name}" if req else "the request"
    item, field_, store = _ITEM_MISSING.search(error), _FIELD_MISSING.search(error), _STORE_MISSING.search(error)
    if store:
        stores = s.list(store.group(1), None, None, group="external-secrets.io")
        known = ", ".join(
            f"{o['metadata']['name']} ({', '.join(f'{k}={v}' for k, v in (o['metadata'].get('labels') or {}).items())})"
            for o in stores
        )
        fix = (
            f"no {store.group(1)} {store.group(2)!r} (there are: {known or 'none'}): point {request} at an existing "
            "store — the orchestrator resolves it from spec.integrations.externalSecrets.clusterStoreSelectorLabels "
            "(integratn.tech/cluster-secret-store: <store name>) or storeName — and submit it again"
        )
    elif item:
        title = item.group(1).strip()
        writers = _item_writers(s, title)
        source = _sync_source(s, writers[0][2]) if writers else None
        if writers and source:
            cj, (secret, namespace) = writers[0][0], source

            def waits(get_pods: str) -> str:
                return (
                    f"the 1Password item {title} is missing because its writer, the kubeconfig sync CronJob "
                    f"{cj['metadata'].get('namespace')}/{cj['metadata']['name']}, has nothing to write: it reads "
                    f"Secret {secret} in {namespace}, which the vCluster's syncer writes once the control plane runs, "
                    f"and it does not exist — fix the control plane first (`{get_pods} -n {namespace}`); the item and "
                    "this ExternalSecret follow"
                )

            fix = fix_for(s, lab=waits("kratix-lab get pods"), live=waits("kubectl get pods"))
        elif writers:
            cj = writers[0][0]
            where = f"{cj['metadata'].get('namespace')}/{cj['metadata']['name']}"
            fix = fix_for(
                s,
                lab=f"the 1Password item {title} is missing and its writer, the kubeconfig sync CronJob {where}, has "
                f"not written it back: see its runs (`kratix-lab get jobs -n {cj['metadata'].get('namespace')}`, "
                f"`kratix-lab describe cronjob/{cj['metadata']['name']} -n {cj['metadata'].get('namespace')}`) and "
                "`kratix-lab fault list` (secret-item-missing); once the item exists ESO syncs it",
                live=f"the 1Password item {title} is missing and its writer, the kubeconfig sync CronJob {where}, has "
                f"not written it back: read its last Job's logs (`kubectl logs job/<last> -n "
                f"{cj['metadata'].get('namespace')}`), fix what it reports (Connect token, vault), or run it now: "
                f"`kubectl create job --from=cronjob/{cj['metadata']['name']} {cj['metadata']['name']}-now -n "
                f"{cj['metadata'].get('namespace')}`",
            )
        else:
            fix = (
                f"nothing on the cluster writes the 1Password item {title}: create it in 1Password, or correct the "
                f"item name (spec.remoteKey) in {request}"
            )
    elif field_:
        prop, title = field_.group(1), field_.group(2)
        writers = _item_writers(s, title)
        fields = writers[0][1] if writers else []
        fix = (
            f"the 1Password item {title} has no field {prop!r}"
            + (f" (its writer writes: {', '.join(fields)})" if fields else "")
            + f": correct the property {request} asks for (remoteRef.property) or make the writer write it, and "
            "submit it again"
        )
    else:
        fix = "read the ExternalSecret's events (`describe`) for the provider's error and fix what it names"
    yield Finding(
        "external-secret-failed",
        "error",
        "object",
        n.ref,
        f"External Secrets cannot sync {n.name}: {ready.get('message', '')}: {error}",
        fix,
        n.since,
        depth,
        {"error": error},
    )
