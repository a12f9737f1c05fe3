"""vcluster-core: the vCluster's host Namespace and the ConfigMap with its Helm values.

The ConfigMap is the inspectable copy of the values; Argo CD reads the same values inline from
the Application's ``helm.valuesObject`` (it cannot read Helm values from a ConfigMap).
"""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.model import YamlError, load_one
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
    name, namespace = need(spec, "name"), need(spec, "targetNamespace")
    values_yaml = need(spec, "valuesYaml")
    try:
        values = load_one(values_yaml, "spec.valuesYaml")
    except YamlError as e:
        raise PipelineInputError(str(e)) from None
    if not isinstance(values, dict):
        raise PipelineInputError(
            f"spec.valuesYaml: must be a YAML mapping of chart values, got {type(values).__name__}"
        )
    level = spec.get("podSecurityLevel", "privileged")
    out = Outputs(sdk, resource)
    out.add(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": {
                    "app": "vcluster",
                    "instance": name,
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/audit": level,
                    "pod-security.kubernetes.io/warn": level,
                },
            },
        }
    )
    out.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-vcluster-values", "namespace": namespace},
            "data": {"values.yaml": values_yaml},
        }
    )
    out.write()
    write_status(
        sdk,
        f"Rendered {', '.join(refs(out.objects))}",
        namespace=namespace,
        valuesConfigMap=f"{name}-vcluster-values",
    )


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(sdk, "the namespace and values ConfigMap are removed with the Work (Argo CD prunes them)")
