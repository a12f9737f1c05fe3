"""External Secrets as the lab models it: which ``external-secrets.io`` versions the cluster serves (a lab
setting), the 1Password vault behind the ClusterSecretStore, and how an ExternalSecret reads it.

Read against external-secrets/external-secrets ``cc5bfbc`` (helm chart 2.9.0):

- served versions: ``config/crds/bases/external-secrets.io_externalsecrets.yaml`` — v0.15.1 serves
  ``v1alpha1``/``v1beta1`` only, v0.16.2 serves ``v1`` and ``v1beta1`` (line 1250 ``served: true``), v0.17.0 and
  later mark ``v1beta1`` deprecated and ``served: false`` (v0.17.0 line 1251; 2.9.0 lines 858, 1490);
- an ExternalSecret's data: ``pkg/controllers/externalsecret/externalsecret_controller_secret.go:44-122``
  (``GetProviderSecretData``: ``error processing spec.data[%d] (key: %s), err: %w``, lines 116-119;
  ``spec.dataFrom[%d].extract``, lines 89-92), the store from ``pkg/controllers/secretstore/client_manager.go``
  (``could not get ClusterSecretStore %q, %w``, lines 39, 190-207);
- the 1Password provider: ``providers/v1/onepassword/onepassword.go`` — ``findItem`` (lines 536-561: the item by
  title in each vault in order, else ``key not found in 1Password Vaults: <key> in: map[...]``), ``getField``
  (lines 563-584: the property, default ``password``, must match exactly one field label, else ``expected one
  1Password ItemField matching: '<property>' in '<title>', got 0``), ``getFields`` (lines 586-601, dataFrom
  extract: every field by label);
- template engine v2 (``runtime/template/v2/template.go:231-251``): Go templates over the data map with
  ``missingkey=error``; the lab renders ``{{ .key }}`` and ``{{ index . "key" }}``.

The vault's items live in the lab's store (meta key ``onepassword``), written by what writes them on a real
platform — the kubeconfig-sync CronJob's ``op item create/edit``, modelled in ``cluster.py`` — and read only
through a ClusterSecretStore's ``onepassword`` provider. Values the lab cannot have (a vCluster's client
certificate) are modelled placeholders, said so in the value itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

DEFAULT_ESO_VERSION = "2.9.0"  # a current External Secrets Operator (serves only external-secrets.io/v1)
ESO_GROUP = "external-secrets.io"
ESO_KINDS = ("ExternalSecret", "ClusterSecretStore", "SecretStore", "ClusterExternalSecret", "PushSecret")
VAULT_META = "onepassword"
VAULT_REV_META = "onepassword-rev"


class ExternalSecretError(Exception):
    """What ESO's GetProviderSecretData returns: the message is upstream's wording."""


def parse_version(version: str) -> tuple[int, ...]:
    """``"0.16.2"`` / ``"v2.9.0"`` → (0, 16, 2); a bad version is a ValueError naming it."""
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", str(version).strip())
    if not m:
        raise ValueError(f"external-secrets version {version!r}: expected MAJOR.MINOR[.PATCH], e.g. 0.16.2 or 2.9.0")
    return tuple(int(g or 0) for g in m.groups())


def served_versions(version: str) -> list[str]:
    """The ``external-secrets.io`` versions an ESO release serves, newest first (see the module docstring)."""
    v = parse_version(version)
    if v < (0, 16):
        return ["v1beta1"]
    if v < (0, 17):
        return ["v1", "v1beta1"]
    return ["v1"]


def served_map(version: str) -> dict[str, list[str]]:
    """``{kind: versions}`` for the lab's admission (``Lab.admit``)."""
    return {kind: served_versions(version) for kind in ESO_KINDS}


# ---- the 1Password vault --------------------------------------------------------------------


class Vaults:
    """The 1Password vaults the lab's Connect server holds: ``{vault: {title: {"fields": {label: value}}}}``."""

    def __init__(self, store: Any):
        self.store = store
        self._read: tuple[str, dict[str, dict[str, dict[str, Any]]]] | None = None  # (the stored text, its parse)

    def _all(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The vaults as stored, parsed once per text (a round looks up an item per ExternalSecret: 4,000 parses of
        the whole vault at 1,000 vClusters were half the cluster controller's first round). Read-only: what
        changes them parses its own copy (``_mine``)."""
        text = self.store.get_meta(VAULT_META, "{}") or "{}"
        if self._read is None or self._read[0] != text:
            self._read = (text, json.loads(text))
        return self._read[1]

    def _mine(self) -> dict[str, dict[str, dict[str, Any]]]:
        return json.loads(self.store.get_meta(VAULT_META, "{}") or "{}")

    def revision(self) -> int:
        return int(self.store.get_meta(VAULT_REV_META, "0") or 0)

    def _save(self, vaults: dict[str, Any]) -> None:
        self.store.set_meta(VAULT_META, json.dumps(vaults, sort_keys=True))
        self.store.set_meta(VAULT_REV_META, str(self.revision() + 1))

    def item(self, vault: str, title: str) -> dict[str, Any] | None:
        return self._all().get(vault, {}).get(title)

    def items(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self._all()

    def put(self, vault: str, title: str, fields: dict[str, str], by: str, at: str) -> bool:
        """Create or update an item (``op item create`` / ``op item edit``); False when nothing changed."""
        vaults = self._mine()
        old = vaults.get(vault, {}).get(title)
        if old is not None and old.get("fields") == fields:
            return False
        vaults.setdefault(vault, {})[title] = {"fields": dict(fields), "by": by, "updated": at}
        self._save(vaults)
        return True

    def delete(self, vault: str, title: str) -> dict[str, Any] | None:
        vaults = self._mine()
        item = vaults.get(vault, {}).pop(title, None)
        if item is not None:
            self._save(vaults)
        return item


def _vault_map(vaults: dict[str, int]) -> str:
    """Go's ``%v`` of ``map[string]int`` (keys sorted): ``map[homelab:1]``."""
    return "map[" + " ".join(f"{k}:{vaults[k]}" for k in sorted(vaults)) + "]"


def find_item(backend: Vaults, store_vaults: dict[str, int], key: str) -> dict[str, Any]:
    """onepassword.go ``findItem`` (lines 536-561): vaults in their order, the item by title."""
    for vault in sorted(store_vaults, key=lambda v: (store_vaults[v], v)):
        item = backend.item(vault, key)
        if item is not None:
            return {"title": key, **item}
    raise ExternalSecretError(f"key not found in 1Password Vaults: {key} in: {_vault_map(store_vaults)}")


def get_field(item: dict[str, Any], prop: str) -> str:
    """onepassword.go ``getField`` (lines 563-584): the property (default ``password``) names one field label."""
    label = prop or "password"
    if prop.startswith("field/"):
        label = prop[len("field/") :]
    fields = item.get("fields") or {}
    if label not in fields:
        raise ExternalSecretError(f"expected one 1Password ItemField matching: '{label}' in '{item['title']}', got 0")
    return str(fields[label])


def provider_data(backend: Vaults, store: dict[str, Any], es: dict[str, Any]) -> dict[str, str]:
    """``GetProviderSecretData`` for a store whose provider is ``onepassword``: ``dataFrom`` extracts first, then
    ``data`` (externalsecret_controller_secret.go:78-122). Raises ExternalSecretError with upstream's wording."""
    spec = es.get("spec") or {}
    provider = ((store.get("spec") or {}).get("provider")) or {}
    op = provider.get("onepassword")
    out: dict[str, str] = {}
    for i, ref in enumerate(spec.get("dataFrom") or []):
        extract = (ref or {}).get("extract")
        if not extract:
            continue
        try:
            if op is None:
                raise ExternalSecretError(_not_modelled(provider))
            item = find_item(backend, op.get("vaults") or {}, extract.get("key", ""))
            prop = extract.get("property", "")
            fields = item.get("fields") or {}
            out.update({k: str(v) for k, v in fields.items() if not prop or k == prop})
        except ExternalSecretError as e:
            raise ExternalSecretError(f"error processing spec.dataFrom[{i}].extract, err: {e}") from None
    for i, ref in enumerate(spec.get("data") or []):
        remote = ref.get("remoteRef") or {}
        try:
            if op is None:
                raise ExternalSecretError(_not_modelled(provider))
            item = find_item(backend, op.get("vaults") or {}, remote.get("key", ""))
            out[ref.get("secretKey", "")] = get_field(item, remote.get("property", ""))
        except ExternalSecretError as e:
            raise ExternalSecretError(
                f"error processing spec.data[{i}] (key: {remote.get('key', '')}), err: {e}"
            ) from None
    return out


def _not_modelled(provider: dict[str, Any]) -> str:
    return f"the lab models only the onepassword provider (this store uses {', '.join(sorted(provider)) or 'none'})"


_TEMPLATE = re.compile(r"\{\{-?\s*(?:\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\.\s+\"([^\"]+)\")\s*-?\}\}")


def render_template(key: str, text: str, data: dict[str, str]) -> str:
    """A template.data value with ESO's v2 engine, for the lab's subset (``{{ .k }}``, ``{{ index . "k" }}``);
    a missing key fails as Go's ``missingkey=error`` does (runtime/template/v2/template.go:231-251)."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in data:
            raise ExternalSecretError(
                f'unable to execute template at key {key}: template: {key}: executing "{key}" at <{m.group(0)}>: '
                f'map has no entry for key "{name}"'
            )
        return data[name]

    return _TEMPLATE.sub(sub, text)


# ---- the vCluster kubeconfig the sync CronJob reads (modelled) --------------------------------


def _pem(kind: str, seed: str) -> str:
    body = base64.b64encode(hashlib.sha256(f"{kind}/{seed}".encode()).digest() * 2).decode()
    return f"-----BEGIN {kind}-----\n{body}\n(kratix-lab: modelled, not a real {kind.lower()})\n-----END {kind}-----\n"


def modelled_kubeconfig(name: str, namespace: str, server: str, context: str = "my-vcluster") -> str:
    """The kubeconfig vCluster writes to ``vc-<name>`` (its syncer's ``config`` key), with modelled certificates:
    the lab runs no vCluster, so no real CA or client certificate exists. Deterministic per vCluster. ``context``
    names the context, cluster and user (``exportKubeConfig.context``, vcluster pkg/setup/controller_context.go:
    295-330 at v0.30.5)."""
    seed = f"{namespace}/{name}"

    def b64(s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    return (
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        f"    certificate-authority-data: {b64(_pem('CERTIFICATE', 'ca/' + seed))}\n"
        f"    server: {server}\n  name: {context}\ncontexts:\n- context:\n    cluster: {context}\n"
        f"    user: {context}\n  name: {context}\ncurrent-context: {context}\nusers:\n- name: {context}\n"
        f"  user:\n    client-certificate-data: {b64(_pem('CERTIFICATE', 'client/' + seed))}\n"
        f"    client-key-data: {b64(_pem('PRIVATE KEY', 'client/' + seed))}\n"
    )


def kubeconfig_value(kubeconfig: str, key: str) -> str:
    """The first ``<key>: value`` of a kubeconfig, as the sync script's ``awk`` reads it ("" when absent)."""
    for line in kubeconfig.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == f"{key}:":
            return parts[1]
    return ""


def promise_for_eso(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """The catalogue Promise as a platform engineer installs it on a cluster running ESO ``version``: the default
    of every ``external-secrets.io`` API-version field (``externalSecretsApiVersion``, the orchestrator's
    ``integrations.externalSecrets.apiVersion``) is the newest version that ESO serves. Returns a new document."""
    import copy

    out = copy.deepcopy(doc)
    preferred = served_versions(version)[0]

    def walk(schema: Any, parent: str) -> None:
        if not isinstance(schema, dict):
            return
        props = schema.get("properties")
        if isinstance(props, dict):
            for key, sub in props.items():
                if isinstance(sub, dict) and (
                    key == "externalSecretsApiVersion" or (key == "apiVersion" and parent == "externalSecrets")
                ):
                    sub["default"] = preferred
                walk(sub, key)
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), parent)

    for v in (((out.get("spec") or {}).get("api") or {}).get("spec") or {}).get("versions") or []:
        walk((v.get("schema") or {}).get("openAPIV3Schema"), "")
    return out
