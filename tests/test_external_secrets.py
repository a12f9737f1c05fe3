"""External Secrets and the kubeconfig chain (issue 12 item 9), against external-secrets/external-secrets
``cc5bfbc`` (helm chart 2.9.0):

- ESO fails a sync as ``markAsFailed`` does (pkg/controllers/externalsecret/externalsecret_controller.go:85-86,
  417-420, 786-791): Ready=False reason ``SecretSyncedError`` message "could not get secret data from provider",
  and a Warning ``UpdateFailed`` event with the provider's error, wrapped by ``GetProviderSecretData``
  (externalsecret_controller_secret.go:116-119) as ``error processing spec.data[i] (key: K), err: …``;
- the 1Password provider's errors (providers/v1/onepassword/onepassword.go:67-72, 536-584): a missing item is
  ``key not found in 1Password Vaults: <key> in: map[homelab:1]``, a missing field ``expected one 1Password
  ItemField matching: '<property>' in '<title>', got 0``;
- a missing store (pkg/controllers/secretstore/client_manager.go:39, 190-207): ``could not get ClusterSecretStore
  "<name>", clustersecretstores.external-secrets.io "<name>" not found``;
- served versions (config/crds/bases/external-secrets.io_externalsecrets.yaml: v0.15.1 v1beta1 only; v0.16.2 v1 and
  v1beta1, line 1250; v0.17.0 v1beta1 ``served: false``, line 1251).
"""

from __future__ import annotations

import base64
import json

import pytest

from kratix_lab.diagnose import diagnose
from kratix_lab.platform.externalsecrets import Vaults, served_versions
from kratix_lab.promises._external_secrets import KUBECONFIG_ITEM_FIELDS
from kratix_lab.sources.lab import LabSource

ITEM = "vcluster-sandbox-kubeconfig"


def _request(kind, name, spec):
    return {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "platform-requests"},
        "spec": spec,
    }


def _ready(lab, name, ns):
    es = lab.get("ExternalSecret", name, ns)
    return next(c for c in es["status"]["conditions"] if c["type"] == "Ready")


def _failures(lab, name, ns):
    return [e["message"] for e in lab.events("ExternalSecret", name, ns) if e["reason"] == "UpdateFailed"]


def _decode(secret):
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def test_the_kubeconfig_chain_works_end_to_end(lab):
    """kubeconfig sync → 1Password item → ExternalSecret → Secret → Argo CD cluster registration: the item holds
    exactly the fields the registration reads, and the cluster Secret's TLS data is the vCluster kubeconfig's."""
    item = Vaults(lab.store).item("homelab", ITEM)
    assert item is not None and tuple(sorted(item["fields"])) == tuple(sorted(KUBECONFIG_ITEM_FIELDS))
    kubeconfig = _decode(lab.get("Secret", "sandbox-kubeconfig", "vcluster-sandbox"))["kubeconfig"]
    assert kubeconfig == item["fields"]["kubeconfig"] and "certificate-authority-data: " in kubeconfig
    cluster = lab.get("Secret", "sandbox-cluster", "argocd")
    assert cluster["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
    data = _decode(cluster)
    tls = json.loads(data["config"])["tlsClientConfig"]
    assert (tls["caData"], tls["certData"], tls["keyData"]) == (
        item["fields"]["ca"],
        item["fields"]["cert"],
        item["fields"]["key"],
    )
    assert base64.b64decode(tls["caData"]).decode().startswith("-----BEGIN CERTIFICATE-----")
    assert "modelled" in base64.b64decode(tls["caData"]).decode(), "placeholder certificates say they are modelled"
    assert data["server"] == "https://sandbox.vcluster-sandbox.svc.cluster.local"
    for name, ns in (("sandbox-kubeconfig", "vcluster-sandbox"), ("sandbox-cluster", "argocd")):
        assert _ready(lab, name, ns)["reason"] == "SecretSynced" and _ready(lab, name, ns)["message"] == "secret synced"
    assert diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox").healthy


def test_a_missing_item_fails_as_eso_does_and_diagnose_follows_the_chain(lab):
    before = lab.get("Secret", "sandbox-cluster", "argocd")["data"]
    lab.faults.inject("secret-item-missing", item=ITEM)
    lab.settle()
    for name, ns in (("sandbox-kubeconfig", "vcluster-sandbox"), ("sandbox-cluster", "argocd")):
        ready = _ready(lab, name, ns)
        assert (ready["status"], ready["reason"], ready["message"]) == (
            "False",
            "SecretSyncedError",
            "could not get secret data from provider",
        )
        assert _failures(lab, name, ns)[-1] == (
            f"error processing spec.data[0] (key: {ITEM}), err: key not found in 1Password Vaults: {ITEM} in: "
            "map[homelab:1]"
        )
    assert lab.get("Secret", "sandbox-cluster", "argocd")["data"] == before, "a failed sync leaves the Secret as it was"
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    found = [f for f in d.findings if f.id == "external-secret-failed"]
    assert {f.object for f in found} >= {
        "ExternalSecret/vcluster-sandbox/sandbox-kubeconfig",
        "ExternalSecret/argocd/sandbox-cluster",
    } or any("sandbox-cluster" in o for f in found for o in f.objects)
    assert "key not found in 1Password Vaults" in found[0].message
    assert "kubeconfig sync CronJob vcluster-sandbox/sandbox-kubeconfig-sync" in found[0].fix
    lab.faults.clear("secret-item-missing")
    lab.settle()
    assert _ready(lab, "sandbox-cluster", "argocd")["reason"] == "SecretSynced"
    assert diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox").healthy


def test_a_missing_property_fails_naming_it_and_diagnose_lists_the_items_fields(lab):
    spec = {
        "name": "probe",
        "targetNamespace": "vcluster-sandbox",
        "remoteKey": ITEM,
        "remoteProperty": "kubeconf",
    }
    lab.apply(_request("VClusterKubeconfigExternalSecret", "probe", spec))
    lab.settle()
    ready = _ready(lab, "probe-kubeconfig", "vcluster-sandbox")
    assert (ready["status"], ready["reason"]) == ("False", "SecretSyncedError")
    assert _failures(lab, "probe-kubeconfig", "vcluster-sandbox")[-1] == (
        f"error processing spec.data[0] (key: {ITEM}), err: expected one 1Password ItemField matching: 'kubeconf' in "
        f"'{ITEM}', got 0"
    )
    assert lab.get("Secret", "probe-kubeconfig", "vcluster-sandbox") is None
    d = diagnose(LabSource(lab), "VClusterKubeconfigExternalSecret", "probe")
    assert d.findings[0].id == "external-secret-failed"
    assert "has no field 'kubeconf' (its writer writes: kubeconfig, ca, cert, key)" in d.findings[0].fix
    lab.apply(_request("VClusterKubeconfigExternalSecret", "probe", {**spec, "remoteProperty": "kubeconfig"}))
    lab.settle()
    assert _ready(lab, "probe-kubeconfig", "vcluster-sandbox")["reason"] == "SecretSynced"
    assert diagnose(LabSource(lab), "VClusterKubeconfigExternalSecret", "probe").healthy


def test_the_store_is_resolved_through_the_selector_labels(lab, catalogue):
    """The seed's storeRef says onepassword-connect, its selector label onepassword-store; the real platform names
    the store onepassword-store (kratixutil DefaultSecretStoreName). The lab's store carries the label, the
    orchestrator resolves the name from the request's clusterStoreSelectorLabels, and a store that does not exist
    fails as ESO does (client_manager.go:39, 190-207) with a diagnose fix listing the stores."""
    from kratix_lab.promises.vcluster_orchestrator.pipeline import resolve

    store = lab.get("ClusterSecretStore", "onepassword-store")
    assert store["metadata"]["labels"] == {"integratn.tech/cluster-secret-store": "onepassword-store"}
    assert lab.get("ExternalSecret", "sandbox-kubeconfig", "vcluster-sandbox")["spec"]["secretStoreRef"] == {
        "name": "onepassword-store",
        "kind": "ClusterSecretStore",
    }
    labels = {"integratn.tech/cluster-secret-store": "vault-store"}
    assert (
        resolve({"name": "a", "integrations": {"externalSecrets": {"clusterStoreSelectorLabels": labels}}}, "")[
            "store"
        ]["name"]
        == "vault-store"
    )
    explicit = {"clusterStoreSelectorLabels": labels, "storeName": "chosen"}
    assert resolve({"name": "a", "integrations": {"externalSecrets": explicit}}, "")["store"]["name"] == "chosen"
    assert resolve({"name": "a"}, "")["store"]["name"] == "onepassword-store"
    spec = {"name": "lost", "targetNamespace": "vcluster-sandbox", "remoteKey": ITEM}
    lab.apply(_request("VClusterKubeconfigExternalSecret", "lost", {**spec, "secretStoreRef": {"name": "vault-store"}}))
    lab.settle()
    assert _failures(lab, "lost-kubeconfig", "vcluster-sandbox")[-1] == (
        f'error processing spec.data[0] (key: {ITEM}), err: could not get ClusterSecretStore "vault-store", '
        'clustersecretstores.external-secrets.io "vault-store" not found'
    )
    d = diagnose(LabSource(lab), "VClusterKubeconfigExternalSecret", "lost")
    assert "onepassword-store (integratn.tech/cluster-secret-store=onepassword-store)" in d.findings[0].fix


@pytest.mark.parametrize(
    ("version", "served"),
    [("0.15.1", ["v1beta1"]), ("0.16.2", ["v1", "v1beta1"]), ("0.17.0", ["v1"]), ("2.9.0", ["v1"])],
)
def test_served_versions_follow_the_eso_release(version, served):
    assert served_versions(version) == served


def test_an_eso_016_lab_serves_v1beta1_so_no_finding(tmp_path):
    """The ESO version is a lab setting (lab.json ``externalSecretsVersion``): with 0.16 a v1beta1 ExternalSecret is
    served and syncs — the "v1beta1 not served" finding (tests/test_diagnose.py::test_sync_failed_then_fixed,
    default ESO) follows the setting."""
    from kratix_lab.platform.lab import Lab, LabError

    with Lab(tmp_path / "lab", external_secrets_version="0.16.2") as lab:
        assert json.loads((tmp_path / "lab" / "lab.json").read_text())["externalSecretsVersion"] == "0.16.2"
        spec = {"name": "old", "targetNamespace": "default", "externalSecretsApiVersion": "v1beta1"}
        lab.apply(_request("VClusterKubeconfigExternalSecret", "old", spec))
        lab.settle()
        es = lab.get("ExternalSecret", "old-kubeconfig", "default")
        assert es is not None and es["apiVersion"] == "external-secrets.io/v1beta1"
        d = diagnose(LabSource(lab), "VClusterKubeconfigExternalSecret", "old")
        assert "sync-failed" not in [f.id for f in d.findings]
        # served, and then failing only for the reason ESO would: nothing wrote the item
        assert [f.id for f in d.findings] == ["external-secret-failed"]
    with pytest.raises(LabError, match="models External Secrets 0.16.2"):
        Lab(tmp_path / "lab", create=False, external_secrets_version="2.9.0")
    with pytest.raises(LabError, match="expected MAJOR.MINOR"):
        Lab(tmp_path / "other", external_secrets_version="latest")


def test_an_eso_015_lab_defaults_the_promises_to_v1beta1(tmp_path):
    """Before 0.16 ESO served no v1: the catalogue Promises' API-version default follows the lab's ESO, and a v1
    ExternalSecret is refused as not served."""
    from kratix_lab.platform.lab import Lab

    with Lab(tmp_path / "lab", external_secrets_version="0.15.1") as lab:
        crd = lab.get("Promise", "vcluster-kubeconfig-external-secret")["spec"]["api"]
        props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        assert props["externalSecretsApiVersion"]["default"] == "v1beta1"
        orch = lab.get("Promise", "vcluster-orchestrator")["spec"]["api"]["spec"]["versions"][0]["schema"]
        eso = orch["openAPIV3Schema"]["properties"]["spec"]["properties"]["integrations"]["properties"]
        assert eso["externalSecrets"]["properties"]["apiVersion"]["default"] == "v1beta1"
        assert lab.get("ClusterSecretStore", "onepassword-store")["apiVersion"] == "external-secrets.io/v1beta1"
        spec = {"name": "new", "targetNamespace": "default", "externalSecretsApiVersion": "v1"}
        lab.apply(_request("VClusterKubeconfigExternalSecret", "new", spec))
        lab.settle()
        d = diagnose(LabSource(lab), "VClusterKubeconfigExternalSecret", "new")
        assert d.findings[0].id == "sync-failed"
        assert "(this cluster serves external-secrets.io/v1beta1)" in d.verdict


def test_lab_init_takes_the_eso_version(tmp_path, capsys):
    from kratix_lab.cli import main

    assert main(["lab", "init", "--lab", str(tmp_path / "lab"), "--external-secrets-version", "0.16.2"]) == 0
    assert "External Secrets 0.16.2" in capsys.readouterr().out
    assert json.loads((tmp_path / "lab" / "lab.json").read_text())["externalSecretsVersion"] == "0.16.2"
    assert main(["lab", "init", "--lab", str(tmp_path / "bad"), "--external-secrets-version", "latest"]) != 0
    assert "expected MAJOR.MINOR" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists(), "a refused setting creates nothing"


def test_an_item_stored_by_hand_is_synced(lab):
    """What a person puts in 1Password (``op item create``) is what an ExternalSecret reads: the notebook's
    credentials ExternalSecret syncs once its item exists, and not before."""
    es = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "app-credentials", "namespace": "default"},
        "spec": {
            "secretStoreRef": {"name": "onepassword-store", "kind": "ClusterSecretStore"},
            "target": {"name": "app-credentials"},
            "data": [{"secretKey": "password", "remoteRef": {"key": "app-credentials", "property": "password"}}],
        },
    }
    lab.apply(es)
    lab.settle()
    assert _ready(lab, "app-credentials", "default")["reason"] == "SecretSyncedError"
    lab.put_onepassword_item("app-credentials", {"password": "s3cret"})
    lab.settle()
    assert _ready(lab, "app-credentials", "default")["reason"] == "SecretSynced"
    assert _decode(lab.get("Secret", "app-credentials", "default")) == {"password": "s3cret"}
    assert lab.onepassword_items()["homelab"]["app-credentials"]["fields"] == {"password": "s3cret"}


def test_the_fault_names_an_item_that_exists(lab):
    from kratix_lab.platform.faults import FaultError

    with pytest.raises(FaultError, match="item= is required .*vcluster-sandbox-kubeconfig"):
        lab.faults.inject("secret-item-missing")
    with pytest.raises(FaultError, match="did you mean vcluster-sandbox-kubeconfig"):
        lab.faults.inject("secret-item-missing", item="vcluster-sandbox-kubeconfg")
    assert lab.faults.active() == {}


def test_a_vaults_reader_parses_the_vaults_once_and_sees_every_change(lab, monkeypatch):
    vaults, other = Vaults(lab.store), Vaults(lab.store)
    parses: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text, *a, **k: parses.append(text) or real_loads(text, *a, **k))
    first = vaults.item("homelab", ITEM)
    assert first is not None and vaults.item("homelab", ITEM) is first and len(parses) == 1, "parsed once"
    assert other.put("homelab", "another", {"password": "x"}, "test", lab.store.now())  # another reader writes
    assert vaults.item("homelab", "another") == {"fields": {"password": "x"}, "by": "test", "updated": lab.store.now()}
    assert other.delete("homelab", "another") is not None
    assert vaults.item("homelab", "another") is None
    assert vaults.item("homelab", ITEM) == first, "what a writer parsed for itself left the reader's parse alone"
