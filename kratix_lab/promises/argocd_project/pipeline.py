"""argocd-project: an Argo CD AppProject from structured inputs."""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name = need(spec, "name")
    project_spec: dict = {
        "description": spec.get("description", f"{name} project"),
        "sourceRepos": list(spec.get("sourceRepos") or []),
        "destinations": [dict(d) for d in need(spec, "destinations")],
    }
    for key in ("clusterResourceWhitelist", "namespaceResourceWhitelist"):
        if spec.get(key):
            project_spec[key] = [dict(x) for x in spec[key]]
    out = Outputs(sdk, resource)
    out.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": name, "namespace": spec.get("namespace", "argocd")},
            "spec": project_spec,
        }
    )
    out.write()
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))}", project=name)


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the AppProject is removed with the Work")
