"""What the vCluster chart and its syncer put in the host namespace beyond the chart's own objects (issue 12
item 11), against loft-sh/vcluster ``v0.30.5``:

- the backing store: chart/templates/_backingstore.tpl:4-26 counts five stores (etcd embedded, deploy and
  external; database embedded and external), fails on more than one and falls back to the embedded database
  when none is on; chart/templates/_persistence.tpl:34-43 gives the control plane a volume (a StatefulSet)
  only for the embedded database or embedded etcd; config/config.go:888-909 ``BackingStoreType`` /
  ``EmbeddedDatabase``; pkg/etcd/client.go:64-65 dials ``https://<endpoint>`` for an external etcd;
- the kubeconfig Secret ``vc-<name>``: pkg/setup/controllers.go:285-326 ``WriteKubeConfigToSecret`` and
  pkg/util/kubeconfig/kubeconfig.go:28-104 ``WriteKubeConfig`` (keys ``config``, ``certificate-authority``,
  ``client-certificate``, ``client-key``, ``token``; labels ``app: vcluster``, ``vcluster-name``); the server
  and context from pkg/setup/controller_context.go:244-330;
- the synced ``kube-dns`` Service: pkg/coredns/template.go:308-345 (the virtual Service),
  pkg/controllers/resources/services/translate.go:10-29 and pkg/util/translate/labels.go:43-70,
  single_namespace.go:35-45 (its host form).
"""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import pytest

from kratix_lab.diagnose.rules.workloads import etcd_endpoint_missing
from kratix_lab.model import load_one, matches_selector
from kratix_lab.platform.cluster import ClusterController
from kratix_lab.platform.externalsecrets import Vaults, kubeconfig_value
from kratix_lab.platform.helm import ChartError, HelmSource, render_chart
from kratix_lab.platform.helm.syncer import start_failure

REPO = "https://charts.loft.sh"


def render(values: dict[str, Any], name: str = "media", namespace: str = "vcluster-media"):
    return render_chart(HelmSource(REPO, "vcluster", "0.30.5", name, namespace, values))


def find(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def kinds(objects):
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


EXTERNAL = {"etcd": {"external": {"enabled": True, "endpoint": "etcd.example.internal:2379"}}}


# ---- the backing store ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        {"etcd": {"deploy": {"enabled": True}}},
        {"etcd": {"embedded": {"enabled": True}}},
        {"database": {"embedded": {"enabled": True}}},
        {"database": {"external": {"enabled": True}}},
    ],
)
def test_external_etcd_counts_as_a_backing_store(other):
    """_backingstore.tpl:12-14 counts etcd.external.enabled; :21-22 fails when more than one store is on."""
    store = {**EXTERNAL, **other} if "etcd" not in other else {"etcd": {**EXTERNAL["etcd"], **other["etcd"]}}
    with pytest.raises(ChartError, match="you can only enable one backingStore at the same time"):
        render({"controlPlane": {"backingStore": store}})


def test_external_etcd_is_not_the_embedded_database():
    """_backingstore.tpl:23-24: the embedded database only when no store is on; with an external etcd the control
    plane keeps no data (volumeClaim auto → no claim, _persistence.tpl:38) and is a Deployment
    (_persistence.tpl:5); no etcd StatefulSet is deployed (etcd-statefulset.yaml needs etcd.deploy)."""
    r = render({"controlPlane": {"backingStore": EXTERNAL}})
    assert ("Deployment", "media") in kinds(r.objects)
    assert ("StatefulSet", "media") not in kinds(r.objects)
    assert not any(o["metadata"]["name"].startswith("media-etcd") for o in r.objects)
    assert "backing store: external etcd at https://etcd.example.internal:2379" in r.notes
    # the same values without etcd.external: the embedded database, which needs a volume → StatefulSet
    assert ("StatefulSet", "media") in kinds(render({}).objects)
    assert "backing store: embedded database" in render({}).notes


def test_external_etcd_endpoint_with_scheme_is_not_doubled():
    """pkg/etcd/client.go:65 strips a leading https:// before adding it."""
    store = {"etcd": {"external": {"enabled": True, "endpoint": "https://etcd:2379"}}}
    assert (
        "backing store: external etcd at https://etcd:2379" in render({"controlPlane": {"backingStore": store}}).notes
    )


def test_external_etcd_without_an_endpoint_renders_but_the_control_plane_cannot_start():
    """The schema (values.schema.json $defs.EtcdExternal) requires no endpoint and the chart has no `fail` for it,
    so `helm template` succeeds; vCluster then dials ``https://`` (pkg/etcd/client.go:64-65) and never starts, so
    it writes no kubeconfig Secret. The lab says so in the render's notes."""
    r = render({"controlPlane": {"backingStore": {"etcd": {"external": {"enabled": True}}}}})
    assert ("Deployment", "media") in kinds(r.objects)
    warning = next(n for n in r.notes if "etcd.external.endpoint is empty" in n)
    assert "pkg/etcd/client.go:64-65" in warning and "vc-media" in warning
    assert ("Secret", "vc-media") not in kinds(r.synced_objects)
    assert "backing store: external etcd (no endpoint)" in r.notes


NO_ENDPOINT = [{}, {"endpoint": ""}, {"endpoint": "https://"}, {"endpoint": "  "}]


@pytest.mark.parametrize("external", NO_ENDPOINT, ids=["no-key", "empty", "scheme-only", "blank"])
def test_the_syncer_without_an_etcd_endpoint_fails_at_start_as_vcluster_does(external):
    """vcluster v0.30.5: nothing refuses the config (values.schema.json ``EtcdExternal``; pkg/config/validation.go
    has no etcd check); the k8s distro's API server dials ``"https://" + TrimPrefix(endpoint, "https://")``
    (pkg/k8s/k8s.go:307-313), ``etcd.WaitForEtcd`` logs ``Couldn't connect to etcd (will retry in a second): …``
    every second (pkg/etcd/util.go:27-48) — with the chart's empty tls files, loading the client certificate fails
    (util.go:78-84, 90-96: ``open : no such file or directory``) — and ``waitForAPI`` gives up after 5 minutes
    (k8s.go:128-131, 368-401): ``Error running k8s: …`` and exit 1 (pkg/setup/initialize.go:131-142)."""
    values = render({"controlPlane": {"backingStore": {"etcd": {"external": {"enabled": True, **external}}}}}).values
    failure = start_failure(values)
    assert failure is not None
    assert failure.seconds == 300 and failure.cause == "controlPlane.backingStore.etcd.external.endpoint"
    assert "Couldn't connect to etcd (will retry in a second): open : no such file or directory\n" in failure.log
    assert failure.error.startswith("Error running k8s: waited until timeout for the api to be up: error waiting")
    assert failure.log.endswith(failure.error + "\n")
    assert etcd_endpoint_missing(values), "diagnose's test agrees with the chart model"


def test_the_k3s_syncer_without_an_etcd_endpoint_gives_up_after_ten_minutes():
    """pkg/k3s/k3s.go:75-86: StartK3S waits for the external etcd (WaitForEtcd, 10 minutes: pkg/etcd/util.go:17-19)
    and returns its error: ``Error running k3s: error waiting for etcd: …`` (pkg/setup/initialize.go:89-97)."""
    values = {
        "controlPlane": {
            "distro": {"k3s": {"enabled": True}},
            "backingStore": {"etcd": {"external": {"enabled": True, "endpoint": ""}}},
        }
    }
    failure = start_failure(values)
    assert failure is not None and failure.seconds == 600
    assert failure.error == "Error running k3s: error waiting for etcd: open : no such file or directory"


def test_with_tls_files_the_etcd_error_is_not_the_missing_certificate():
    """util.go:78-84: the client certificate is loaded only from the files named; with them set the dial itself
    fails (the lab does not word the etcd client's error)."""
    tls = {"caFile": "/certs/ca.crt", "certFile": "/certs/tls.crt", "keyFile": "/certs/tls.key"}
    failure = start_failure({"controlPlane": {"backingStore": {"etcd": {"external": {"enabled": True, "tls": tls}}}}})
    assert failure is not None and "open : no such file or directory" not in failure.log
    assert 'dialling "https://"' in failure.log


@pytest.mark.parametrize(
    "backing",
    [
        {"etcd": {"external": {"enabled": True, "endpoint": "etcd.example.internal:2379"}}},
        {"etcd": {"external": {"enabled": True, "endpoint": "https://etcd.example.internal:2379"}}},
        {"etcd": {"external": {"enabled": False}}},
        {"etcd": {"deploy": {"enabled": True}}},
        {},
    ],
    ids=["endpoint", "endpoint-with-scheme", "external-off", "deployed-etcd", "default"],
)
def test_the_syncer_starts_with_an_endpoint_or_another_backing_store(backing):
    values = render({"controlPlane": {"backingStore": backing}}).values
    assert start_failure(values) is None
    assert not etcd_endpoint_missing(values)


def test_unknown_external_etcd_key_is_refused_by_the_schema():
    """$defs.EtcdExternal has additionalProperties: false."""
    bad = {"etcd": {"external": {"enabled": True, "endpoints": ["a:2379"]}}}
    with pytest.raises(ChartError) as e:
        render({"controlPlane": {"backingStore": bad}})
    assert "controlPlane.backingStore.etcd.external.endpoints: unknown field" in str(e.value)


def test_external_etcd_enabled_must_be_a_boolean():
    with pytest.raises(ChartError, match=r"controlPlane.backingStore.etcd.external.enabled: 'yes' is not of type"):
        render({"controlPlane": {"backingStore": {"etcd": {"external": {"enabled": "yes"}}}}})


# ---- vc-<name> ---------------------------------------------------------------------------------------


def _data(secret):
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def test_kubeconfig_secret_has_upstream_name_labels_and_keys():
    """kubeconfig.go:29-38 (prefix vc-, keys, labels) and :80-93 (Opaque; config, CA, cert, key, token)."""
    values = {"exportKubeConfig": {"server": "https://media.integratn.tech", "context": "media"}}
    secret = find(render(values).synced_objects, "Secret", "vc-media")
    assert secret["metadata"]["namespace"] == "vcluster-media"
    assert secret["type"] == "Opaque"
    assert {k: v for k, v in secret["metadata"]["labels"].items()} == {"app": "vcluster", "vcluster-name": "media"}
    data = _data(secret)
    assert sorted(data) == ["certificate-authority", "client-certificate", "client-key", "config", "token"]
    config = load_one(data["config"], "vc-media")
    assert config["clusters"][0]["cluster"]["server"] == "https://media.integratn.tech"
    assert config["current-context"] == "media" and config["contexts"][0]["name"] == "media"
    # the raw PEMs are the kubeconfig's *-data, decoded (clientConfig.CAData / CertData / KeyData)
    assert (
        data["certificate-authority"]
        == base64.b64decode(kubeconfig_value(data["config"], "certificate-authority-data")).decode()
    )
    assert data["client-key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert data["token"] == ""


def test_kubeconfig_server_defaults_to_localhost_8443():
    """controller_context.go:264: ``https://localhost:<controlPlane.proxy.port>`` unless exportKubeConfig.server."""
    config = load_one(_data(find(render({}).synced_objects, "Secret", "vc-media"))["config"], "vc-media")
    assert config["clusters"][0]["cluster"]["server"] == "https://localhost:8443"


def test_insecure_kubeconfig_has_no_certificate_authority():
    """controllers.go:242-252: insecure sets insecure-skip-tls-verify and drops the CA data."""
    data = _data(find(render({"exportKubeConfig": {"insecure": True}}).synced_objects, "Secret", "vc-media"))
    assert "insecure-skip-tls-verify: true" in data["config"]
    assert "certificate-authority-data" not in data["config"] and data["certificate-authority"] == ""


def test_the_kubeconfig_is_not_chart_output():
    r = render({})
    assert ("Secret", "vc-media") not in kinds(r.chart_objects)
    assert any("vc-media" in n and "syncer" in n for n in r.notes)


# ---- the synced kube-dns Service ------------------------------------------------------------------


def test_kube_dns_service_in_the_host_namespace():
    """template.go:308-345 (ports, labels, annotations) as translate.go:10-29 writes it to the host."""
    r = render({})
    svc = find(r.synced_objects, "Service", "kube-dns-x-kube-system-x-media")
    assert svc["metadata"]["namespace"] == "vcluster-media"
    assert [(p["name"], p["port"], p.get("targetPort"), p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("dns", 53, 1053, "UDP"),
        ("dns-tcp", 53, 1053, "TCP"),
        ("metrics", 9153, None, "TCP"),
    ]
    marker = {"vcluster.loft.sh/managed-by": "media", "vcluster.loft.sh/namespace": "kube-system"}
    assert svc["spec"]["selector"] == {"k8s-app": "vcluster-kube-dns", **marker}
    assert svc["spec"]["type"] == "ClusterIP" and "clusterIP" not in svc["spec"]
    labels = svc["metadata"]["labels"]
    assert labels["kubernetes.io/name"] == "CoreDNS" and labels["vcluster.loft.sh/managed-by"] == "media"
    annotations = svc["metadata"]["annotations"]
    assert annotations["vcluster.loft.sh/object-name"] == "kube-dns"
    assert annotations["vcluster.loft.sh/object-namespace"] == "kube-system"
    assert annotations["vcluster.loft.sh/object-host-namespace"] == "vcluster-media"
    assert annotations["prometheus.io/port"] == "9153"
    # it selects the synced CoreDNS pods
    dns = find(r.synced_objects, "Deployment", "coredns-x-kube-system-x-media")
    assert matches_selector(dns["spec"]["template"]["metadata"]["labels"], {"matchLabels": svc["spec"]["selector"]})


def test_kube_dns_service_values_and_node_ports():
    """controlPlane.coredns.service.{labels,annotations,spec}; the syncer strips node ports (StripNodePorts)."""
    ports = [{"name": "dns", "port": 53, "targetPort": 1053, "protocol": "UDP", "nodePort": 30053}]
    values = {
        "controlPlane": {
            "coredns": {
                "service": {
                    "labels": {"team": "dns"},
                    "annotations": {"note": "x"},
                    "spec": {"type": "NodePort", "ports": ports},
                }
            }
        }
    }
    svc = find(render(values).synced_objects, "Service", "kube-dns-x-kube-system-x-media")
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"] == [{"name": "dns", "port": 53, "targetPort": 1053, "protocol": "UDP"}]
    assert svc["metadata"]["labels"]["team"] == "dns" and svc["metadata"]["annotations"]["note"] == "x"


def test_no_kube_dns_service_without_coredns():
    r = render({"controlPlane": {"coredns": {"enabled": False}}})
    assert ("Service", "kube-dns-x-kube-system-x-media") not in kinds(r.objects)


# ---- in the lab -------------------------------------------------------------------------------------


def test_lab_syncer_writes_vc_secret_and_the_kubeconfig_sync_reads_it(lab):
    """The dev vCluster ``sandbox``: the syncer wrote vc-sandbox (owned by the vCluster's Service,
    config.go:237-257), and the 1Password item's kubeconfig is that Secret's ``config``."""
    secret = lab.get("Secret", "vc-sandbox", "vcluster-sandbox")
    assert secret is not None
    (owner,) = secret["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"]) == ("Service", "sandbox")
    assert owner["uid"] == lab.get("Service", "sandbox", "vcluster-sandbox")["metadata"]["uid"]
    config = _data(secret)["config"]
    item = Vaults(lab.store).item("homelab", "vcluster-sandbox-kubeconfig")
    assert item["fields"]["kubeconfig"] == config.rstrip("\n")
    svc = lab.get("Service", "kube-dns-x-kube-system-x-sandbox", "vcluster-sandbox")
    assert svc is not None and svc["spec"]["clusterIP"].startswith("10.43.")


def test_lab_kubeconfig_sync_reads_nothing_without_the_secret(lab):
    """No vc-<name> Secret (or no ``config`` key): the sync script's ``kubectl get secret`` finds no kubeconfig
    (kubeconfig.go:110-117 words the same failure), even though the control plane is ready."""
    ctx = SimpleNamespace(store=lab.store)
    sync = ClusterController()
    assert sync._vcluster_kubeconfig(ctx, "sandbox", "vcluster-sandbox") is not None
    secret = lab.get("Secret", "vc-sandbox", "vcluster-sandbox")
    lab.store.update(secret | {"data": {k: v for k, v in secret["data"].items() if k != "config"}})
    assert sync._vcluster_kubeconfig(ctx, "sandbox", "vcluster-sandbox") is None
    lab.store.delete("Secret", "vc-sandbox", "vcluster-sandbox", "")
    assert sync._vcluster_kubeconfig(ctx, "sandbox", "vcluster-sandbox") is None
    assert lab.get("StatefulSet", "sandbox", "vcluster-sandbox") or lab.get("Deployment", "sandbox", "vcluster-sandbox")
