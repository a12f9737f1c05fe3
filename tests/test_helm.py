"""The modelled Helm stage: the vCluster chart 0.30.x rendered as `helm template` would for Argo CD."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from kratix_lab.model import dump, load_file, load_one, matches_selector
from kratix_lab.platform import helm
from kratix_lab.platform.helm import ChartError, HelmSource, render_chart, supported, validate_values
from kratix_lab.platform.helm import reference as helm_reference
from kratix_lab.platform.helm.rbac import _ALL_VERBS
from kratix_lab.platform.helm.render import _INSTALL_ORDER
from kratix_lab.platform.helm.values import _coalesce
from tests.helpers import SAMPLES, SHARED, needs_shared, run_validator

REPO = "https://charts.loft.sh"
REFERENCE_VALUES = SHARED / "reference" / "vcluster" / "values.yaml"

needs_schema = pytest.mark.skipif(
    not helm.schema_available(), reason="no vCluster values.schema.json (../shared absent): values cannot be validated"
)
needs_reference_values = pytest.mark.skipif(
    not REFERENCE_VALUES.exists(), reason=f"{REFERENCE_VALUES} is absent: nothing to compare the built-in defaults with"
)

# What the orchestrator writes into the Application for the seed's `media` request (prod preset).
MEDIA_VALUES: dict[str, Any] = {
    "controlPlane": {
        "distro": {"k8s": {"enabled": True, "image": {"tag": "v1.34.3"}}},
        "backingStore": {"etcd": {"deploy": {"enabled": True, "statefulSet": {"highAvailability": {"replicas": 3}}}}},
        "statefulSet": {
            "highAvailability": {"replicas": 3},
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        },
        "coredns": {"deployment": {"replicas": 1}},
        "proxy": {"extraSANs": ["media.integratn.tech"]},
        "ingress": {"enabled": True, "host": "media.integratn.tech"},
    },
    "exportKubeConfig": {"server": "https://media.integratn.tech", "context": "media"},
}
# The dev preset: one replica on the embedded database (SQLite).
DEV_VALUES: dict[str, Any] = {
    "controlPlane": {
        "distro": {"k8s": {"enabled": True, "image": {"tag": "v1.34.3"}}},
        "backingStore": {"database": {"embedded": {"enabled": True}}},
        "statefulSet": {
            "highAvailability": {"replicas": 1},
            "resources": {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        },
    }
}
NO_PERSISTENCE = {
    "controlPlane": {
        "backingStore": {"database": {"embedded": {"enabled": True}}},
        "statefulSet": {"persistence": {"volumeClaim": {"enabled": False}}},
    }
}
EMBEDDED_ETCD = {
    "controlPlane": {
        "backingStore": {"etcd": {"embedded": {"enabled": True}}},
        "statefulSet": {"highAvailability": {"replicas": 3}},
    }
}
STRICT = {
    "policies": {
        "resourceQuota": {"enabled": True},
        "limitRange": {"enabled": True},
        "networkPolicy": {"enabled": True},
    }
}
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "media": ("media", MEDIA_VALUES),
    "dev": ("sandbox", DEV_VALUES),
    "no-persistence": ("ephemeral", NO_PERSISTENCE),
    "embedded-etcd": ("ha", EMBEDDED_ETCD),
    "strict": ("strict", STRICT),
    "chart-defaults": ("plain", {}),
}


def source(values: dict[str, Any], release: str = "media", **kw: Any) -> HelmSource:
    args = {
        "repo_url": REPO,
        "chart": "vcluster",
        "target_revision": "0.30.4",
        "release_name": release,
        "namespace": f"vcluster-{release}",
        "values": values,
    }
    return HelmSource(**{**args, **kw})


def render(values: dict[str, Any], release: str = "media", **kw: Any) -> helm.ChartRender:
    return render_chart(source(values, release, **kw))


def find(objects: list[dict], kind: str, name: str) -> dict:
    hits = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(hits) == 1, (
        f"{kind}/{name}: {len(hits)} found in {[(o['kind'], o['metadata']['name']) for o in objects]}"
    )
    return hits[0]


def names(objects: list[dict], kind: str | None = None) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects if kind in (None, o["kind"])}


def container(workload: dict, name: str, init: bool = False) -> dict:
    key = "initContainers" if init else "containers"
    return next(c for c in workload["spec"]["template"]["spec"][key] if c["name"] == name)


# --- which charts are modelled ------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.30.0", "0.30.4", "0.30.5", "0.30.99"])
def test_supported_vcluster_030(version):
    assert supported(REPO, "vcluster", version)
    assert supported(REPO + "/", "vcluster", version)


@pytest.mark.parametrize(
    ("repo", "chart", "version"),
    [
        (REPO, "vcluster", "0.29.0"),
        (REPO, "vcluster", "0.31.0"),
        (REPO, "vcluster", "0.30.100"),
        (REPO, "vcluster", "0.30.4-rc.1"),
        (REPO, "vcluster", "~0.30"),
        (REPO, "vcluster-k8s", "0.30.4"),
        ("https://charts.example.com", "vcluster", "0.30.4"),
    ],
)
def test_not_supported(repo, chart, version):
    assert not supported(repo, chart, version)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"chart": "nginx", "target_revision": "1.2.3", "repo_url": "https://x"},
            "chart nginx 1.2.3 from https://x is not modelled by kratix-lab "
            "(modelled: vcluster 0.30.x from https://charts.loft.sh)",
        ),
        (
            {"target_revision": "0.29.0"},
            "chart vcluster 0.29.0 from https://charts.loft.sh is not modelled by kratix-lab "
            "(modelled: vcluster 0.30.x from https://charts.loft.sh)",
        ),
        (
            {"repo_url": "https://charts.example.com"},
            "chart vcluster 0.30.4 from https://charts.example.com is not modelled by kratix-lab "
            "(modelled: vcluster 0.30.x from https://charts.loft.sh)",
        ),
    ],
)
def test_unmodelled_chart_is_an_error_never_a_pretend_render(kw, message):
    with pytest.raises(ChartError) as err:
        render({}, **kw)
    assert str(err.value) == message


@pytest.mark.parametrize("release", ["Media", "media_1", "-media", "m" * 54, ""])
def test_invalid_release_name(release):
    with pytest.raises(ChartError, match="release name .* is invalid"):
        render({}, release="x", release_name=release)


def test_values_must_be_a_mapping():
    with pytest.raises(ChartError, match="expected a mapping, got list"):
        render([])  # type: ignore[arg-type]


# --- the media request (prod preset) ------------------------------------------------------------


@pytest.fixture(scope="module")
def media() -> helm.ChartRender:
    return render(MEDIA_VALUES)


def test_media_control_plane_replicas_resources_and_images(media):
    # Deployed etcd keeps the data, so the volume claim ("auto") is off and the chart renders a
    # Deployment (vcluster.kind in the chart's _persistence.tpl), not a StatefulSet.
    assert ("StatefulSet", "media") not in names(media.objects)
    cp = find(media.objects, "Deployment", "media")
    assert cp["spec"]["replicas"] == 3
    assert cp["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 1}
    syncer = container(cp, "syncer")
    assert syncer["resources"]["requests"] == {"ephemeral-storage": "1Gi", "cpu": "500m", "memory": "2Gi"}
    assert syncer["resources"]["limits"] == {"ephemeral-storage": "10Gi", "memory": "4Gi"}
    assert syncer["image"] == "ghcr.io/loft-sh/vcluster-pro:0.30.4"  # tag defaults to the chart version
    assert container(cp, "kubernetes", init=True)["image"] == "ghcr.io/loft-sh/kubernetes:v1.34.3"
    assert {"name": "VCLUSTER_NAME", "value": "media"} in syncer["env"]
    assert cp["spec"]["template"]["spec"]["serviceAccountName"] == "vc-media"
    volumes = {v["name"]: v for v in cp["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"] == {"name": "data", "emptyDir": {}}
    assert volumes["vcluster-config"]["secret"] == {"secretName": "vc-config-media"}
    assert "control plane: Deployment media" in " ".join(media.notes)


def test_media_deployed_etcd(media):
    etcd = find(media.objects, "StatefulSet", "media-etcd")
    assert etcd["spec"]["replicas"] == 3
    assert etcd["spec"]["serviceName"] == "media-etcd-headless"
    assert etcd["spec"]["selector"]["matchLabels"] == {"app": "vcluster-etcd", "release": "media"}
    c = container(etcd, "etcd")
    assert c["image"] == "registry.k8s.io/etcd:3.6.4-0"
    assert c["resources"] == {"requests": {"cpu": "20m", "memory": "150Mi"}}
    peers = [f"media-etcd-{i}=https://media-etcd-{i}.media-etcd-headless.vcluster-media:2380" for i in range(3)]
    assert f"--initial-cluster={','.join(peers)}" in c["command"]
    claim = etcd["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_media_etcd_resources_follow_values():
    values = _coalesce(
        MEDIA_VALUES,
        {
            "controlPlane": {
                "backingStore": {
                    "etcd": {
                        "deploy": {
                            "statefulSet": {"resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}}}
                        }
                    }
                }
            }
        },
    )
    etcd = find(render(values).objects, "StatefulSet", "media-etcd")
    assert container(etcd, "etcd")["resources"] == {
        "requests": {"cpu": "100m", "memory": "150Mi"},
        "limits": {"memory": "1Gi"},
    }


def test_media_every_named_object(media):
    assert names(media.objects) == {
        ("ServiceAccount", "vc-media"),
        ("ServiceAccount", "vc-workload-media"),
        ("Secret", "vc-config-media"),
        ("ConfigMap", "vc-coredns-media"),
        ("ClusterRole", "vc-media-v-vcluster-media"),
        ("ClusterRoleBinding", "vc-media-v-vcluster-media"),
        ("Role", "vc-media"),
        ("RoleBinding", "vc-media"),
        ("Service", "media"),
        ("Service", "media-etcd"),
        ("Service", "media-etcd-headless"),
        ("Deployment", "media"),
        ("StatefulSet", "media-etcd"),
        ("Ingress", "media"),
        ("Deployment", "coredns-x-kube-system-x-media"),
        ("Service", "kube-dns-x-kube-system-x-media"),
        ("Secret", "vc-media"),
    }


def test_media_services(media):
    svc = find(media.objects, "Service", "media")
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [
        ("https", 443, 8443),
        ("kubelet", 10250, 8443),
    ]
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["metadata"]["labels"]["vcluster.loft.sh/service"] == "true"
    for name in ("media-etcd", "media-etcd-headless"):
        etcd_svc = find(media.objects, "Service", name)
        assert [p["port"] for p in etcd_svc["spec"]["ports"]] == [2379, 2380]
        assert etcd_svc["spec"]["selector"] == {"app": "vcluster-etcd", "release": "media"}
    assert find(media.objects, "Service", "media-etcd-headless")["spec"]["clusterIP"] == "None"


def test_media_ingress(media):
    ingress = find(media.objects, "Ingress", "media")
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "media.integratn.tech"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "media", "port": {"name": "https"}}}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"] == "true"


def test_media_rbac(media):
    role = find(media.objects, "Role", "vc-media")
    assert {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": _ALL_VERBS} in role[
        "rules"
    ]  # 3 replicas elect a leader
    binding = find(media.objects, "RoleBinding", "vc-media")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vc-media", "namespace": "vcluster-media"}]
    assert binding["roleRef"] == {"kind": "Role", "name": "vc-media", "apiGroup": "rbac.authorization.k8s.io"}
    cluster_role = find(media.objects, "ClusterRole", "vc-media-v-vcluster-media")
    assert "namespace" not in cluster_role["metadata"]


def test_media_coredns_synced_deployment(media):
    dns = find(media.objects, "Deployment", "coredns-x-kube-system-x-media")
    assert dns["spec"]["replicas"] == 1
    assert dns["metadata"]["namespace"] == "vcluster-media"
    assert dns["spec"]["template"]["metadata"]["labels"]["k8s-app"] == "vcluster-kube-dns"
    assert dns["metadata"]["annotations"][helm.RENDERED_BY_ANNOTATION] == helm.BY_SYNCER
    assert media.synced_objects[0] == dns
    assert names(media.synced_objects) == {
        ("Deployment", "coredns-x-kube-system-x-media"),
        ("Service", "kube-dns-x-kube-system-x-media"),
        ("Secret", "vc-media"),
    }
    assert dns not in media.chart_objects
    assert len(media.chart_objects) == len(media.objects) - 3


def test_config_secret_holds_the_effective_values(media):
    secret = find(media.objects, "Secret", "vc-config-media")
    assert secret["type"] == "Opaque"
    config = load_one(base64.b64decode(secret["data"]["config.yaml"]).decode())
    assert config == media.values
    assert media.values["controlPlane"]["statefulSet"]["resources"]["requests"]["cpu"] == "500m"
    assert media.values["controlPlane"]["statefulSet"]["probes"]["livenessProbe"]["enabled"] is True  # a default


def test_notes_say_modelled(media):
    assert media.modelled is True
    assert media.notes[0].startswith("modelled render of vcluster 0.30.4 (release media, namespace vcluster-media)")
    assert any("no Helm release Secret" in n for n in media.notes)


# --- control plane kind ------------------------------------------------------------------------


def test_dev_embedded_database_is_a_statefulset_with_a_volume_claim():
    r = render(DEV_VALUES, release="sandbox")
    cp = find(r.objects, "StatefulSet", "sandbox")
    assert cp["spec"]["replicas"] == 1
    assert cp["spec"]["serviceName"] == "sandbox-headless"
    assert cp["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain"}
    assert cp["spec"]["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
        }
    ]
    assert "data" not in {v["name"] for v in cp["spec"]["template"]["spec"]["volumes"]}
    assert container(cp, "syncer")["resources"]["requests"]["memory"] == "512Mi"
    assert ("Service", "sandbox-headless") in names(r.objects)
    assert not [o for o in r.objects if "etcd" in o["metadata"]["name"]]
    assert "Role" in {o["kind"] for o in r.objects}
    role = find(r.objects, "Role", "vc-sandbox")
    assert not [rule for rule in role["rules"] if "leases" in rule["resources"]]  # one replica: no election


def test_chart_defaults_alone_render_the_embedded_database_statefulset():
    r = render({}, release="plain")
    assert find(r.objects, "StatefulSet", "plain")["spec"]["volumeClaimTemplates"]
    assert container(find(r.objects, "StatefulSet", "plain"), "kubernetes", init=True)["image"] == (
        "ghcr.io/loft-sh/kubernetes:v1.34.0"
    )


def test_no_persistence_with_embedded_database_is_a_deployment():
    r = render(NO_PERSISTENCE, release="ephemeral")
    cp = find(r.objects, "Deployment", "ephemeral")
    assert "volumeClaimTemplates" not in cp["spec"]
    assert {"name": "data", "emptyDir": {}} in cp["spec"]["template"]["spec"]["volumes"]
    assert cp["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert ("Service", "ephemeral-headless") not in names(r.objects)
    assert ("StatefulSet", "ephemeral") not in names(r.objects)


def test_embedded_etcd_is_a_statefulset_with_etcd_ports_on_the_headless_service():
    r = render(EMBEDDED_ETCD, release="ha")
    assert find(r.objects, "StatefulSet", "ha")["spec"]["replicas"] == 3
    headless = find(r.objects, "Service", "ha-headless")
    assert [p["name"] for p in headless["spec"]["ports"]] == ["https", "etcd", "peer"]
    assert ("StatefulSet", "ha-etcd") not in names(r.objects)


def test_explicit_volume_claim_with_deployed_etcd_is_a_statefulset():
    values = _coalesce(
        MEDIA_VALUES,
        {"controlPlane": {"statefulSet": {"persistence": {"volumeClaim": {"enabled": True, "size": "9Gi"}}}}},
    )
    cp = find(render(values).objects, "StatefulSet", "media")
    assert cp["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "9Gi"


def test_two_backing_stores_fail_like_the_chart():
    values = {"controlPlane": {"backingStore": {"etcd": {"deploy": {"enabled": True}, "embedded": {"enabled": True}}}}}
    with pytest.raises(ChartError, match="you can only enable one backingStore at the same time"):
        render(values)


# --- CoreDNS, ingress, policies ------------------------------------------------------------------


def test_coredns_replicas_from_values():
    values = {"controlPlane": {"coredns": {"deployment": {"replicas": 2}}}}
    dns = find(render(values).objects, "Deployment", "coredns-x-kube-system-x-media")
    assert dns["spec"]["replicas"] == 2


def test_no_synced_coredns_when_disabled():
    r = render({"controlPlane": {"coredns": {"enabled": False}}})
    assert names(r.synced_objects) == {("Secret", "vc-media")}  # no CoreDNS, no kube-dns; the kubeconfig still
    assert ("ConfigMap", "vc-coredns-media") not in names(r.objects)


def test_embedded_coredns_runs_in_the_control_plane():
    r = render({"controlPlane": {"coredns": {"embedded": True}}})
    # no CoreDNS Deployment; the kube-dns Service (no selector: pkg/coredns/template.go:75-107) and the kubeconfig
    assert names(r.synced_objects) == {("Service", "kube-dns-x-kube-system-x-media"), ("Secret", "vc-media")}
    assert "Corefile" in find(r.objects, "ConfigMap", "vc-coredns-media")["data"]


def test_synced_name_is_shortened_like_vcluster():
    assert helm.synced_name("coredns", "kube-system", "media") == "coredns-x-kube-system-x-media"
    long = helm.synced_name("coredns", "kube-system", "a-very-long-vcluster-name-that-goes-on-and-on")
    assert len(long) == 63
    assert long.startswith("coredns-x-kube-system-x-a-very-long-vcluster-name-th-")


def test_no_ingress_by_default():
    assert not names(render({}).objects, "Ingress")


def test_policies_when_enabled():
    r = render(STRICT, release="strict")
    assert names(r.objects, "ResourceQuota") == {("ResourceQuota", "vc-strict")}
    assert names(r.objects, "LimitRange") == {("LimitRange", "vc-strict")}
    assert names(r.objects, "NetworkPolicy") == {("NetworkPolicy", "vc-cp-strict"), ("NetworkPolicy", "vc-work-strict")}
    quota = find(r.objects, "ResourceQuota", "vc-strict")
    assert quota["spec"]["hard"]["requests.cpu"] == "10"  # the chart quotes every quantity
    work = find(r.objects, "NetworkPolicy", "vc-work-strict")
    assert work["spec"]["podSelector"] == {"matchLabels": {"vcluster.loft.sh/managed-by": "strict"}}


def test_policies_auto_follow_each_other():
    only_limits = render({"policies": {"limitRange": {"enabled": True}}})
    assert {o["kind"] for o in only_limits.objects} >= {"ResourceQuota", "LimitRange"}
    no_quota = render({"policies": {"limitRange": {"enabled": True}, "resourceQuota": {"enabled": False}}})
    assert "LimitRange" in {o["kind"] for o in no_quota.objects}
    assert "ResourceQuota" not in {o["kind"] for o in no_quota.objects}
    assert not {"ResourceQuota", "LimitRange", "NetworkPolicy"} & {o["kind"] for o in render({}).objects}


# --- what every object carries -------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario_renders() -> dict[str, helm.ChartRender]:
    return {key: render(values, release=release) for key, (release, values) in SCENARIOS.items()}


def test_every_object_is_marked_modelled_and_namespaced(scenario_renders):
    for key, r in scenario_renders.items():
        release = SCENARIOS[key][0]
        for obj in r.objects:
            meta = obj["metadata"]
            assert meta["annotations"][helm.MODELLED_ANNOTATION] == "true", obj["kind"]
            if obj["kind"] in ("ClusterRole", "ClusterRoleBinding"):
                assert "namespace" not in meta
            else:
                assert meta["namespace"] == f"vcluster-{release}"
        for obj in r.chart_objects:
            labels = obj["metadata"]["labels"]
            assert labels["chart"] == "vcluster-0.30.4"
            assert labels["release"] == release
            assert labels["heritage"] == "Helm"
            assert labels["app"] in ("vcluster", "vcluster-etcd")


def test_selectors_match_pod_templates(scenario_renders):
    for r in scenario_renders.values():
        workloads = [o for o in r.objects if o["kind"] in ("Deployment", "StatefulSet")]
        assert workloads
        for w in workloads:
            pod_labels = w["spec"]["template"]["metadata"]["labels"]
            assert matches_selector(pod_labels, w["spec"]["selector"]), w["metadata"]["name"]
        # each workload's pods are selected by their own workload only
        for w in workloads:
            others = [o for o in workloads if o is not w]
            for o in others:
                assert not matches_selector(o["spec"]["template"]["metadata"]["labels"], w["spec"]["selector"])


def test_services_select_the_right_pods(media):
    pods = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
        for w in media.objects
        if w["kind"] in ("Deployment", "StatefulSet")
    }
    selected = {
        svc["metadata"]["name"]: sorted(
            n for n, labels in pods.items() if matches_selector(labels, {"matchLabels": svc["spec"]["selector"]})
        )
        for svc in media.objects
        if svc["kind"] == "Service"
    }
    assert selected == {
        "media": ["media"],
        "media-etcd": ["media-etcd"],
        "media-etcd-headless": ["media-etcd"],
        "kube-dns-x-kube-system-x-media": ["coredns-x-kube-system-x-media"],  # the synced Service, the synced CoreDNS
    }


def test_objects_follow_helm_install_order(scenario_renders):
    order = {k: i for i, k in enumerate(_INSTALL_ORDER)}
    for r in scenario_renders.values():
        keys = [(order[o["kind"]], o["metadata"]["name"]) for o in r.chart_objects]
        assert keys == sorted(keys)
        assert r.objects == r.chart_objects + r.synced_objects


def test_render_is_deterministic_and_leaves_the_input_alone():
    before = dump(MEDIA_VALUES)
    first, second = render(MEDIA_VALUES), render(MEDIA_VALUES)
    assert first.objects == second.objects
    assert first.values == second.values
    assert dump(first.objects) == dump(second.objects)
    assert dump(MEDIA_VALUES) == before
    first.values["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] = 99
    assert find(render(MEDIA_VALUES).objects, "Deployment", "media")["spec"]["replicas"] == 3


def test_values_merge_like_helm():
    merged = _coalesce(
        {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "x": 1},
        {"a": {"c": [3], "d": {"f": 2}}, "x": None},
    )
    assert merged == {"a": {"b": 1, "c": [3], "d": {"e": 1, "f": 2}}}


def test_user_values_override_chart_defaults():
    r = render(
        {
            "controlPlane": {
                "statefulSet": {"image": {"tag": "0.30.5"}},
                "advanced": {"defaultImageRegistry": "mirror.local"},
            }
        }
    )
    cp = find(r.objects, "StatefulSet", "media")
    assert container(cp, "syncer")["image"] == "mirror.local/loft-sh/vcluster-pro:0.30.5"
    assert container(cp, "kubernetes", init=True)["image"] == "mirror.local/loft-sh/kubernetes:v1.34.0"


# --- values validation -----------------------------------------------------------------------------


@needs_schema
def test_valid_values_have_no_errors():
    assert validate_values(MEDIA_VALUES) == []
    assert validate_values(DEV_VALUES) == []


@needs_schema
def test_wrong_type_names_the_path():
    errors = validate_values({"controlPlane": {"statefulSet": {"highAvailability": {"replicas": "three"}}}})
    assert errors == ["controlPlane.statefulSet.highAvailability.replicas: 'three' is not of type 'integer'"]


@needs_schema
def test_invalid_values_refuse_the_render_listing_every_error():
    values = {
        "controlPlane": {"statefulSet": {"highAvailability": {"replicas": "three"}}},
        "vcluster": {"image": "rancher/k3s:v1.23.5-k3s1"},  # pre-0.20 values
        "sync": {"toHost": {"pods": {"enabledd": True}}},
    }
    with pytest.raises(ChartError) as err:
        render(values)
    message = str(err.value)
    assert "values don't meet the specifications of the schema(s)" in message
    assert "controlPlane.statefulSet.highAvailability.replicas: 'three' is not of type 'integer'" in message
    assert "vcluster: unknown field" in message
    assert "sync.toHost.pods.enabledd: unknown field" in message
    assert len(err.value.errors) == 3


@needs_schema
def test_unknown_top_level_key():
    with pytest.raises(ChartError, match=r"(?m)^- replicas: unknown field"):
        render({"replicas": 3})


def test_schema_from_the_environment(tmp_path, monkeypatch):
    schema = tmp_path / "schema.json"
    schema.write_text(
        '{"type": "object", "properties": {"controlPlane": {"type": "object"}}, "additionalProperties": false}'
    )
    monkeypatch.setenv(helm.SCHEMA_ENV, str(schema))
    assert helm.find_schema_file() == schema.resolve()
    assert validate_values({"telemetry": {}}) == ["telemetry: unknown field, not in the chart's values.schema.json"]
    assert validate_values({"controlPlane": []}) == ["controlPlane: [] is not of type 'object'"]
    assert validate_values({"a": 1}, schema_path=tmp_path / "missing.json") == []


def test_no_schema_means_not_validated(monkeypatch, tmp_path):
    monkeypatch.setenv(helm.SCHEMA_ENV, str(tmp_path / "missing.json"))
    monkeypatch.setattr(helm_reference, "DEFAULT_SCHEMA_PATHS", ())
    assert not helm.schema_available()
    assert validate_values({"replicas": "three"}) == []
    r = render({"controlPlane": {"statefulSet": {"highAvailability": {"replicas": 2}}}})
    assert any(n.startswith("values not validated: no schema") for n in r.notes)
    with pytest.raises(ChartError, match="controlPlane.statefulSet.highAvailability.replicas: expected an integer"):
        render({"controlPlane": {"statefulSet": {"highAvailability": {"replicas": "three"}}}})


# --- chart defaults without ../shared ----------------------------------------------------------------


def _without_config(r: helm.ChartRender) -> list[dict]:
    out = []
    for o in r.objects:
        o = load_one(dump(o))
        if o["kind"] == "Secret":
            o["data"] = {}
        o.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {}).pop("vClusterConfigHash", None)
        out.append(o)
    return out


@needs_reference_values
def test_built_in_defaults_are_the_charts(monkeypatch):
    reference = load_file(REFERENCE_VALUES)[0].data

    def check(built_in: Any, ref: Any, path: str) -> None:
        if isinstance(built_in, dict):
            for k, v in built_in.items():
                assert isinstance(ref, dict) and k in ref, f"{path}.{k} is not in the chart's values.yaml"
                check(v, ref[k], f"{path}.{k}")
        else:
            assert built_in == ref, path

    check(helm_reference._builtin_defaults(), reference, "values")
    with_file = {key: render(values, release=release) for key, (release, values) in SCENARIOS.items()}
    monkeypatch.delenv(helm.VALUES_ENV, raising=False)
    monkeypatch.setattr(helm_reference, "DEFAULT_VALUES_PATHS", ())
    for key, (release, values) in SCENARIOS.items():
        built_in = render(values, release=release)
        assert any("built-in copy" in n for n in built_in.notes)
        assert _without_config(built_in) == _without_config(with_file[key]), key


# --- the orchestrator's own values and the upstream schemas ------------------------------------------


@pytest.mark.parametrize("sample", ["media.yaml", "dev.yaml"])
def test_orchestrator_values_render(sample):
    from kratix_lab.promises.vcluster_orchestrator.pipeline import resolve

    resolved = resolve(load_file(SAMPLES / sample)[0].data["spec"], "platform-requests")
    chart = resolved["chart"]
    r = render_chart(
        HelmSource(
            chart["repoURL"],
            chart["chart"],
            chart["targetRevision"],
            resolved["name"],
            resolved["targetNamespace"],
            resolved["values"],
        )
    )
    kinds = {(o["kind"], o["metadata"]["name"]) for o in r.objects}
    assert ("Secret", f"vc-config-{resolved['name']}") in kinds


@needs_shared
def test_every_rendered_object_is_valid_kubernetes(tmp_path, scenario_renders):
    for key, r in scenario_renders.items():
        for i, obj in enumerate(r.objects):
            (tmp_path / f"{key}-{i:02d}-{obj['kind']}-{obj['metadata']['name']}.yaml").write_text(dump(obj))
    result = run_validator(tmp_path)
    total = sum(len(r.objects) for r in scenario_renders.values())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{total} objects, 0 invalid, 0 unchecked" in result.stdout, result.stdout


def test_reference_files_ship_with_the_package():
    """The chart's reference is package data (issue 11): found inside the installed package, never via ../shared."""
    package = Path(helm.__file__).resolve().parent / "chart"
    assert (package / "values.schema.json",) == helm_reference.DEFAULT_SCHEMA_PATHS
    assert (package / "values.yaml",) == helm_reference.DEFAULT_VALUES_PATHS
    assert all(p.is_file() for p in (*helm_reference.DEFAULT_SCHEMA_PATHS, *helm_reference.DEFAULT_VALUES_PATHS))
    assert helm_reference.MODELLED_DEFAULTS.is_file()


@needs_shared
def test_packaged_reference_files_are_the_upstream_copies():
    for name in ("values.schema.json", "values.yaml", "Chart.yaml"):
        shipped = Path(helm.__file__).resolve().parent / "chart" / name
        assert shipped.read_bytes() == (SHARED / "reference" / "vcluster" / name).read_bytes(), name


def test_every_chart_file_is_package_data():
    """pyproject.toml's package-data globs take every file in helm/chart/ into a wheel (checked by hand with
    `pip wheel . --no-deps` too): an installed kratix-lab finds its chart reference without ../shared."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "kratix_lab.platform.helm"
    ]
    chart = Path(helm.__file__).resolve().parent / "chart"
    files = sorted(p.relative_to(chart.parent).as_posix() for p in chart.iterdir() if p.is_file())
    assert files, chart
    missing = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"
