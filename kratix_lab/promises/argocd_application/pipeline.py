"""argocd-application: an Argo CD Application; Helm values travel inline in ``helm.valuesObject``."""

from __future__ import annotations

import copy

import kratix_sdk as ks

from kratix_lab.promises._common import (
    Outputs,
    PipelineInputError,
    delete_pipeline,
    need,
    read_input,
    refs,
    spec_of,
    write_status,
)


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name = need(spec, "name")
    source = copy.deepcopy(need(spec, "source"))
    if bool(source.get("chart")) == bool(source.get("path")):
        raise PipelineInputError(
            "spec.source: exactly one of chart (a Helm chart) or path (a git directory) is required"
        )
    destination = dict(need(spec, "destination"))
    destination.setdefault("server", "https://kubernetes.default.svc")
    sync = spec.get("syncPolicy") or {}
    automated = sync.get("automated") or {}
    app_spec = {
        "project": need(spec, "project"),
        "source": source,
        "destination": destination,
        "syncPolicy": {
            "automated": {"prune": automated.get("prune", True), "selfHeal": automated.get("selfHeal", True)},
            "syncOptions": list(sync.get("syncOptions") or ["CreateNamespace=false", "ServerSideApply=true"]),
        },
    }
    out = Outputs(sdk, resource)
    out.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": name,
                "namespace": spec.get("namespace", "argocd"),
                "finalizers": ["resources-finalizer.argocd.argoproj.io"],
            },
            "spec": app_spec,
        }
    )
    out.write()
    what = f"chart {source['chart']} {source['targetRevision']}" if source.get("chart") else f"path {source['path']}"
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))} deploying {what} into {destination['namespace']}")


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(
        sdk, "the Application is removed with the Work; its finalizer makes Argo CD delete what it deployed"
    )
