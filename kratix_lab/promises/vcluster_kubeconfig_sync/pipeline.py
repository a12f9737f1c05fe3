"""vcluster-kubeconfig-sync: a CronJob that creates *or updates* the kubeconfig item in 1Password.

The seed's job ran ``op item create`` every five minutes and so made a new item each run. The
script here is a constant; every request value reaches it as an environment variable, never by
string templating, so no value can change the script.
"""

from __future__ import annotations

import kratix_sdk as ks

from kratix_lab.promises._common import Outputs, delete_pipeline, need, read_input, refs, spec_of, write_status

# The script fails closed and keeps the secret off every command line:
# - no pipeline (``kubectl … | base64 -d`` under ``set -eu`` ignores kubectl's failure, as /bin/sh may
#   lack ``pipefail``): each step writes a file and ``set -e`` stops at the first failure; an empty
#   kubeconfig is refused, so a failed read never overwrites the stored item with nothing;
# - the kubeconfig reaches ``op`` in a JSON item template file (``--template``), never as an
#   assignment argument (arguments are readable in /proc by every process; 1Password's CLI docs:
#   "If you're assigning sensitive values, use a JSON template instead");
# - files are made under ``umask 077`` in a private ``mktemp -d`` directory and removed on exit;
# - the item's fields are exactly what the cluster registration's ExternalSecret reads (``ITEM_FIELDS``): the
#   whole kubeconfig, and its base64 CA, client certificate and key for Argo CD's ``tlsClientConfig``
#   (as the real platform's sync-kubeconfig.sh extracts them with grep/awk);
# - ``--`` ends ``op``'s options before the item title, and values are passed as ``--flag=value``,
#   so a title or vault starting with ``-`` is never read as an option.
SYNC_SCRIPT = r"""set -eu
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kubectl get secret "vc-${VCLUSTER_NAME}" -n "${VCLUSTER_NAMESPACE}" -o 'jsonpath={.data.config}' > "$work/config.b64"
base64 -d < "$work/config.b64" > "$work/kubeconfig"
if [ ! -s "$work/kubeconfig" ]; then
  echo "error: secret vc-${VCLUSTER_NAME} in ${VCLUSTER_NAMESPACE} has no kubeconfig (data.config); item left unchanged" >&2
  exit 1
fi
awk 'function esc(s,  o, i, c) {
    o = ""
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (c == "\\") o = o "\\\\"; else if (c == "\"") o = o "\\\""; else if (c == "\t") o = o "\\t"
      else if (c == "\r") o = o "\\r"; else o = o c
    }
    return o
  }
  { v = v (NR > 1 ? "\\n" : "") esc($0) }
  $1 == "certificate-authority-data:" && ca == "" { ca = $2 }
  $1 == "client-certificate-data:" && cert == "" { cert = $2 }
  $1 == "client-key-data:" && key == "" { key = $2 }
  END {
    if (ca == "" || cert == "" || key == "") {
      print "error: the kubeconfig has no certificate-authority-data, client-certificate-data or client-key-data; item left unchanged" > "/dev/stderr"
      exit 1
    }
    printf "{\"title\": \"%s\", \"category\": \"LOGIN\", \"fields\": [", esc(ENVIRON["OP_ITEM_TITLE"])
    printf "{\"id\": \"kubeconfig\", \"label\": \"kubeconfig\", \"type\": \"CONCEALED\", \"value\": \"%s\"}, ", v
    printf "{\"id\": \"ca\", \"label\": \"ca\", \"type\": \"CONCEALED\", \"value\": \"%s\"}, ", esc(ca)
    printf "{\"id\": \"cert\", \"label\": \"cert\", \"type\": \"CONCEALED\", \"value\": \"%s\"}, ", esc(cert)
    printf "{\"id\": \"key\", \"label\": \"key\", \"type\": \"CONCEALED\", \"value\": \"%s\"}]}\n", esc(key)
  }' "$work/kubeconfig" > "$work/item.json"
if op item get --vault="${OP_VAULT}" -- "${OP_ITEM_TITLE}" >/dev/null 2>&1; then
  op item edit --vault="${OP_VAULT}" --template="$work/item.json" -- "${OP_ITEM_TITLE}" >/dev/null
  echo "updated ${OP_VAULT}/${OP_ITEM_TITLE}"
else
  op item create --vault="${OP_VAULT}" --template="$work/item.json" >/dev/null
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
