"""Faults the lab can inject, each one showing up in objects, conditions, events and logs as on a
real cluster. Active faults are stored in the lab (so every process sees them) with their params.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kratix_lab.errors import Invalid
from kratix_lab.model import clone
from kratix_lab.pipeline.image import image_repository
from kratix_lab.platform.externalsecrets import Vaults

if TYPE_CHECKING:
    from kratix_lab.platform.store import Store


class FaultError(Invalid):
    pass


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    symptom: str
    params: dict[str, str] = field(default_factory=dict)  # name -> default ("" = optional, no default)
    inject: Callable[[Store, dict[str, Any]], dict[str, Any]] | None = None  # returns what clear needs
    clear: Callable[[Store, dict[str, Any]], None] | None = None
    required: tuple[str, ...] = ()  # parameters without a default that must be given (inject refuses without)


STALE_TAG = "v0.0.9"


def _unlabel_destination(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    dest = store.get("Destination", p["destination"], group="platform.kratix.io")
    if dest is None:
        raise FaultError(f"no Destination named {p['destination']!r}")
    labels = dest["metadata"].get("labels") or {}
    if p["label"] not in labels:
        raise FaultError(f"Destination {p['destination']} has no label {p['label']!r}")
    saved = {p["label"]: labels.pop(p["label"])}
    store.update(dest)
    return {"restore": saved}


def _relabel_destination(store: Store, p: dict[str, Any]) -> None:
    dest = store.get("Destination", p["destination"], group="platform.kratix.io")
    if dest is not None:
        dest["metadata"].setdefault("labels", {}).update(p.get("restore") or {})
        store.update(dest)


def _disable_autosync(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    app = store.get("Application", p["app"], "argocd", "argoproj.io")
    if app is None:
        raise FaultError(f"no Application {p['app']!r} in argocd")
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    saved = clone(policy.get("automated"))
    policy.pop("automated", None)
    app["spec"]["syncPolicy"] = policy
    store.update(app)
    return {"restore": json.dumps(saved)}


def _enable_autosync(store: Store, p: dict[str, Any]) -> None:
    app = store.get("Application", p["app"], "argocd", "argoproj.io")
    if app is not None and p.get("restore") not in (None, "null"):
        app.setdefault("spec", {}).setdefault("syncPolicy", {})["automated"] = json.loads(p["restore"])
        store.update(app)


def _set_pipeline_tag(
    store: Store, promise_name: str, tag: str | None, restore: dict[str, str] | None = None
) -> dict[str, str]:
    promise = store.get("Promise", promise_name, group="platform.kratix.io")
    if promise is None:
        raise FaultError(f"no Promise named {promise_name!r}")
    before: dict[str, str] = {}
    for action in ("configure", "delete"):
        for i, pl in enumerate(((promise["spec"].get("workflows") or {}).get("resource") or {}).get(action) or []):
            for j, c in enumerate(pl["spec"]["containers"]):
                key = f"{action}/{i}/{j}"
                before[key] = c["image"]
                c["image"] = restore[key] if restore else f"{image_repository(c['image'])}:{tag}"
    store.update(promise)
    return before


def _stale_image(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"restore": json.dumps(_set_pipeline_tag(store, p["promise"], STALE_TAG))}


def _fresh_image(store: Store, p: dict[str, Any]) -> None:
    _set_pipeline_tag(store, p["promise"], None, json.loads(p["restore"]))


def _delete_item(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    vaults = Vaults(store)
    held = sorted(vaults.items().get(p["vault"], {}))
    if not p.get("item"):
        raise FaultError(
            f"fault secret-item-missing: item= is required (items in {p['vault']}: {', '.join(held) or 'none'})"
        )
    if p["item"] not in held:
        close = difflib.get_close_matches(p["item"], held, n=1, cutoff=0.6)
        raise FaultError(
            f"fault secret-item-missing: item={p['item']}: no item {p['item']!r} in the 1Password vault {p['vault']!r} "
            f"(items: {', '.join(held) or 'none'})" + (f"; did you mean {close[0]}?" if close else "")
        )
    vaults.delete(p["vault"], p["item"])
    return {}


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault(
            "pipeline-fails",
            "a Promise's pipeline container exits non-zero",
            "Job failed, request Reconciled=False (ConfigureWorkflowFailed), message Failing, error in the pod logs",
            {"promise": "vcluster-core", "request": ""},
        ),
        Fault(
            "destination-unlabelled",
            "the Destination loses the label the Promises select on",
            "new Works stay Ready=False UnscheduledWorkloads; placed Works are labelled misplaced",
            {"destination": "the-cluster", "label": "integratn.tech/cluster-role"},
            _unlabel_destination,
            _relabel_destination,
        ),
        Fault(
            "statestore-push-rejected",
            "the state repository rejects Kratix's pushes",
            "WorkPlacements WriteSucceeded=False, no new commits in the state repo, Works failing",
            {"reason": "permission denied"},
        ),
        Fault(
            "argocd-autosync-disabled",
            "an Argo CD Application loses its automated sync policy",
            "the Application stays OutOfSync at an old revision while Kratix keeps committing",
            {"app": "kratix-state-reconciler"},
            _disable_autosync,
            _enable_autosync,
        ),
        Fault(
            "pipeline-image-stale",
            "a Promise runs an old pipeline image (the new one was never rolled out)",
            f"the Promise's pipeline image tag is {STALE_TAG}; outputs are the old release's (the cluster "
            "registration writes the seed's plain Secret; CoreDNS writes the seed's one shared coredns-custom; the "
            "orchestrator labels its sub-requests kratix.io/promise-name: vcluster-orchestrator, which flaps against Kratix)",
            {"promise": "vcluster-argocd-cluster-registration"},
            _stale_image,
            _fresh_image,
        ),
        Fault(
            "secret-item-missing",
            "a 1Password item is deleted and the kubeconfig sync cannot write it back",
            'ExternalSecrets reading the item turn Ready=False SecretSyncedError "could not get secret data from '
            'provider", a Warning UpdateFailed event "… key not found in 1Password Vaults: <item> …"; the Secret they '
            "own keeps its last data (Argo CD's cluster registration stops being refreshed)",
            {"item": "", "vault": "homelab"},
            _delete_item,
            required=("item",),
        ),
        Fault(
            "workload-crashloop",
            "a workload's containers crash and restart",
            "pods CrashLoopBackOff with growing restartCount and BackOff events; the pod is Degraded and its "
            "workload Progressing in Argo CD (a Deployment turns Degraded after its progress deadline); "
            "name matches a pod-name prefix",
            {"namespace": "", "name": ""},
        ),
        Fault(
            "workload-oomkilled",
            "a workload's containers are OOM-killed",
            "pods restart with lastState.terminated.reason OOMKilled (exit 137); the pod is Degraded and its "
            "workload Progressing in Argo CD; name matches a pod-name prefix",
            {"namespace": "", "name": ""},
        ),
    ]
}


# fault parameters that name an object: kind, namespace, group (checked by Faults.inject)
_REFERENCES = {
    "promise": ("Promise", None, "platform.kratix.io"),
    "destination": ("Destination", None, "platform.kratix.io"),
    "app": ("Application", "argocd", "argoproj.io"),
}


class Faults:
    """The lab's active faults: ``inject(name, **params)``, ``clear(name)``, ``active()``.

    Over the lab's ``Store`` alone (its objects, events and meta table): a fault changes objects as a person or a
    broken component would, so it needs nothing else of the lab, and the lab owns its ``Faults`` without a cycle
    (issue 10 item 5)."""

    META_KEY = "faults"

    def __init__(self, store: Store):
        self.store = store

    def available(self) -> list[Fault]:
        return list(FAULTS.values())

    def active(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.store.get_meta(self.META_KEY, "{}") or "{}")

    def _save(self, active: dict[str, dict[str, Any]]) -> None:
        self.store.set_meta(self.META_KEY, json.dumps(active, sort_keys=True))

    def inject(self, name: str, /, **params: Any) -> dict[str, Any]:
        fault = FAULTS.get(name)
        if fault is None:
            raise FaultError(f"unknown fault {name!r} (known: {', '.join(FAULTS)})")
        unknown = set(params) - set(fault.params)
        if unknown:
            raise FaultError(
                f"fault {name} has no parameter(s) {', '.join(sorted(unknown))} (it takes: {', '.join(fault.params) or 'none'})"
            )
        full = {k: v for k, v in fault.params.items() if v != ""} | {k: str(v) for k, v in params.items()}
        self._check_references(name, full)
        active = self.active()
        if name in active:
            raise FaultError(f"fault {name} is already active (clear it first)")
        with self.store.transaction():
            if fault.inject is not None:
                full |= fault.inject(self.store, full)
            active[name] = full
            self._save(active)
        self.store.event(
            {"kind": "Lab", "metadata": {"name": "faults"}},
            "Warning",
            "FaultInjected",
            f"{name} {json.dumps({k: v for k, v in full.items() if k != 'restore'})}",
            "kratix-lab",
        )
        return full

    def _check_references(self, name: str, params: dict[str, Any]) -> None:
        """A parameter naming a Promise, Destination or Argo CD Application must name one that exists: a fault aimed
        at nothing would be reported as injected and change nothing (issue 17 item 8). Refused with the known names
        and the closest one."""
        for key, (kind, namespace, group) in _REFERENCES.items():
            wanted = params.get(key)
            if not wanted:
                continue
            known = sorted(o["metadata"]["name"] for o in self.store.list(kind, namespace, group=group))
            if wanted in known:
                continue
            close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            where = f" in {namespace}" if namespace else ""
            raise FaultError(
                f"fault {name}: {key}={wanted}: no {kind} named {wanted!r}{where} "
                f"(known: {', '.join(known) or 'none'}){hint}"
            )

    def clear(self, name: str) -> None:
        active = self.active()
        if name not in active:
            raise FaultError(f"fault {name} is not active (active: {', '.join(active) or 'none'})")
        fault = FAULTS[name]
        with self.store.transaction():
            if fault.clear is not None:
                fault.clear(self.store, active[name])
            del active[name]
            self._save(active)
        self.store.event({"kind": "Lab", "metadata": {"name": "faults"}}, "Normal", "FaultCleared", name, "kratix-lab")

    def clear_all(self) -> None:
        for name in list(self.active()):
            self.clear(name)
