"""vcluster-kubeconfig-sync: a CronJob that creates *or updates* the kubeconfig item in 1Password.

The seed's job ran ``op item create`` every five minutes and so made a new item each run. The
script here is a constant; every request value reaches it as an environment variable, never by
string templating, so no value can change the script.
"""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status

SYNC_SCRIPT = """\
set -eu
kubectl get secret "vc-${VCLUSTER_NAME}" -n "${VCLUSTER_NAMESPACE}" -o jsonpath='{.data.config}' \\
  | base64 -d > /tmp/kubeconfig
if op item get "${OP_ITEM_TITLE}" --vault "${OP_VAULT}" >/dev/null 2>&1; then
  op item edit "${OP_ITEM_TITLE}" --vault "${OP_VAULT}" "kubeconfig[password]=$(cat /tmp/kubeconfig)" >/dev/null
  echo "updated ${OP_VAULT}/${OP_ITEM_TITLE}"
else
  op item create --vault "${OP_VAULT}" --category login --title "${OP_ITEM_TITLE}" \\
    "kubeconfig[password]=$(cat /tmp/kubeconfig)" >/dev/null
  echo "created ${OP_VAULT}/${OP_ITEM_TITLE}"
fi
"""


def configure(sdk: ks.KratixSDK) -> None:
    resource = read_input(sdk)
    spec = spec_of(resource)
    name, namespace = need(spec, "name"), need(spec, "targetNamespace")
    title = spec.get("itemTitle") or f"vcluster-{name}-kubeconfig"
    vault = spec.get("vault", "homelab")
    account = f"{name}-kubeconfig-sync"
    connect = spec.get("connectSecretName", "onepassword-connect")
    out = Outputs(sdk, resource)
    out.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "namespace": namespace}})
    out.add(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": account, "namespace": namespace},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "resourceNames": [f"vc-{name}"],
                    "verbs": ["get"],
                }
            ],
        }
    )
    out.add(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": account, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        }
    )
    env = [
        {"name": "VCLUSTER_NAME", "value": name},
        {"name": "VCLUSTER_NAMESPACE", "value": namespace},
        {"name": "OP_VAULT", "value": vault},
        {"name": "OP_ITEM_TITLE", "value": title},
        {
            "name": "OP_CONNECT_HOST",
            "valueFrom": {"secretKeyRef": {"name": connect, "key": "OP_CONNECT_HOST"}},
        },
        {
            "name": "OP_CONNECT_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": connect, "key": "OP_CONNECT_TOKEN"}},
        },
    ]
    out.add(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": account, "namespace": namespace},
            "spec": {
                "schedule": spec.get("schedule", "*/5 * * * *"),
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 1,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 2,
                        "template": {
                            "spec": {
                                "serviceAccountName": account,
                                "restartPolicy": "OnFailure",
                                "containers": [
                                    {
                                        "name": "sync",
                                        "image": spec.get("image", "ghcr.io/integratn-tech/kubeconfig-sync:1.0.0"),
                                        "command": ["/bin/sh", "-c", SYNC_SCRIPT],
                                        "env": env,
                                    }
                                ],
                            }
                        },
                    }
                },
            },
        }
    )
    out.write()
    write_status(sdk, f"Rendered {', '.join(refs(out.objects))}", item=f"{vault}/{title}")


def delete(sdk: ks.KratixSDK) -> None:
    delete_pipeline(
        sdk,
        "the CronJob is removed with the Work; the 1Password item is kept (delete it by hand if unwanted)",
    )
