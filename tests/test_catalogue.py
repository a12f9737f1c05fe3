"""The catalogue: real Promises, their pipelines' outputs, and the seed corrections."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.model import load_documents, load_one
from kratix_lab.model.objects import CLUSTER_SCOPED_KINDS
from kratix_lab.pipeline.executors import SubprocessExecutor
from kratix_lab.promises import CATALOGUE_PROMISES, promise_path
from kratix_lab.render import read_request, render
from tests.helpers import SAMPLES, SHARED, SUB_KINDS, needs_shared, run_validator

REQUIRED_LABELS = ("kratix.io/promise-name", "kratix.io/resource-name", "app.kubernetes.io/managed-by")


@pytest.fixture(scope="module")
def media(catalogue):
    node = render(catalogue, read_request(SAMPLES / "media.yaml"))
    assert node.ok, node.errors()
    return node


def outputs_of(node, promise):
    (sub,) = [n for n in node.walk() if n.promise.name == promise]
    return {(o.obj["kind"], o.obj["metadata"]["name"]): o.obj for o in sub.outputs}


def test_catalogue_has_eight_promises_in_one_group(catalogue):
    assert [p.name for p in catalogue] == list(CATALOGUE_PROMISES)
    for p in catalogue:
        assert p.crd.group == "platform.integratn.tech"
        assert p.crd.api_versions == ["platform.integratn.tech/v1alpha1"]
        assert p.destination_selectors == {"integratn.tech/cluster-role": "control-plane"}
        for action in ("configure", "delete"):
            (pipeline,) = p.pipelines("resource", action)
            (container,) = pipeline["spec"]["containers"]
            assert container["image"] == "ghcr.io/integratn-tech/kratix-lab-pipeline:v0.1.0"
            assert container["args"] == [p.name]


@needs_shared
def test_promises_validate_against_the_upstream_kratix_crd():
    res = run_validator(*(promise_path(n) for n in CATALOGUE_PROMISES))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "8 objects, 0 invalid, 0 unchecked" in res.stdout


def test_orchestrator_renders_seven_sub_requests(media):
    kinds = sorted(c.request["kind"] for c in media.children)
    assert kinds == sorted(SUB_KINDS)
    assert all(c.ok for c in media.children)
    assert media.result.status["message"].startswith("Rendered 7 sub-requests: VClusterCore/media,")
    assert media.result.status["preset"] == "prod"


def test_every_output_carries_labels_and_namespace_and_is_never_a_secret(media):
    for node in media.walk():
        for o in node.outputs:
            obj = o.obj
            labels = obj["metadata"].get("labels", {})
            if obj["apiVersion"].startswith("platform.integratn.tech/"):
                # A sub-request: Kratix owns kratix.io/promise-name on requests and sets it to the request's
                # own Promise (syntasso/kratix dynamic_resource_request_controller.go:159-165), so the parent
                # is recorded under keys Kratix does not own.
                assert "kratix.io/promise-name" not in labels, o.filepath
                assert labels["integratn.tech/parent-promise"] == node.promise.name
                assert labels["integratn.tech/parent-resource"] == node.request["metadata"]["name"]
                assert labels["app.kubernetes.io/managed-by"] == "kratix"
                continue
            for label in REQUIRED_LABELS:
                assert label in labels, f"{o.filepath}: missing {label}"
            assert labels["kratix.io/promise-name"] == node.promise.name
            assert labels["kratix.io/resource-name"] == node.request["metadata"]["name"]
            assert labels["app.kubernetes.io/managed-by"] == "kratix"
            assert obj["kind"] != "Secret"
            if obj["kind"] not in CLUSTER_SCOPED_KINDS:
                assert obj["metadata"].get("namespace"), f"{o.filepath}: no namespace"


def test_media_namespace_and_values(media):
    out = outputs_of(media, "vcluster-core")
    ns = out[("Namespace", "vcluster-media")]
    assert (
        ns["metadata"]["labels"].items()
        >= {
            "app": "vcluster",
            "instance": "media",
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
        }.items()
    )
    cm = out[("ConfigMap", "media-vcluster-values")]
    assert cm["metadata"]["namespace"] == "vcluster-media"
    values = load_one(cm["data"]["values.yaml"])
    cp = values["controlPlane"]
    assert cp["distro"]["k8s"]["image"]["tag"] == "v1.34.3"
    assert cp["backingStore"]["etcd"]["deploy"]["enabled"] is True
    assert cp["backingStore"]["etcd"]["deploy"]["statefulSet"]["highAvailability"]["replicas"] == 3
    assert cp["statefulSet"]["highAvailability"]["replicas"] == 3
    assert cp["statefulSet"]["resources"] == {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}
    assert cp["ingress"] == {"enabled": True, "host": "media.integratn.tech"}


def test_media_kubeconfig_external_secret_and_sync(media):
    es = outputs_of(media, "vcluster-kubeconfig-external-secret")[("ExternalSecret", "media-kubeconfig")]
    assert es["apiVersion"] == "external-secrets.io/v1"
    assert es["metadata"]["namespace"] == "vcluster-media"
    # the store the request's clusterStoreSelectorLabels name (the real platform's onepassword-store)
    assert es["spec"]["secretStoreRef"] == {"name": "onepassword-store", "kind": "ClusterSecretStore"}
    assert es["spec"]["data"] == [
        {"secretKey": "kubeconfig", "remoteRef": {"key": "vcluster-media-kubeconfig", "property": "kubeconfig"}}
    ]
    cron = outputs_of(media, "vcluster-kubeconfig-sync")[("CronJob", "media-kubeconfig-sync")]
    assert cron["spec"]["schedule"] == "*/5 * * * *"
    script = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "op item edit" in script and "op item create" in script, "create-or-update, not create every run"
    assert "media" not in script, "request values reach the script only through env"


def test_media_project_and_application(media):
    project = outputs_of(media, "argocd-project")[("AppProject", "vcluster-media")]
    assert project["metadata"]["namespace"] == "argocd"
    assert project["spec"]["destinations"] == [
        {"namespace": "vcluster-media", "server": "https://kubernetes.default.svc"}
    ]
    assert "https://charts.loft.sh" in project["spec"]["sourceRepos"]
    app = outputs_of(media, "argocd-application")[("Application", "media")]
    assert app["spec"]["project"] == "vcluster-media"
    src = app["spec"]["source"]
    assert (src["repoURL"], src["chart"], src["targetRevision"]) == ("https://charts.loft.sh", "vcluster", "0.30.4")
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "vcluster-media"}
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "sources" not in app["spec"], "no $values 'ConfigMap hack' source"
    cm = outputs_of(media, "vcluster-core")[("ConfigMap", "media-vcluster-values")]
    assert src["helm"]["valuesObject"] == load_one(cm["data"]["values.yaml"]), "inline values equal the ConfigMap copy"


def test_media_cluster_registration_is_an_external_secret(media):
    es = outputs_of(media, "vcluster-argocd-cluster-registration")[("ExternalSecret", "media-cluster")]
    assert es["metadata"]["namespace"] == "argocd"
    labels = es["spec"]["target"]["template"]["metadata"]["labels"]
    assert labels == {
        "team": "platform",
        "argocd.argoproj.io/secret-type": "cluster",
        "cluster_name": "media",
        "cluster_role": "vcluster",
        "environment": "production",
    }
    assert es["spec"]["target"]["template"]["data"]["server"] == "https://media.vcluster-media.svc.cluster.local"


def test_coredns_renders_nothing_on_the_host_and_records_the_host_names(catalogue):
    """No host CoreDNS patch (docs/upstream.md, "CoreDNS on a k3s host"): no object for kube-system; the host names
    vCluster's syncer gives the vCluster's Services are in the request's status."""
    media = render(catalogue, read_request(SAMPLES / "media.yaml"))
    assert outputs_of(media, "vcluster-coredns") == {}
    (node,) = [n for n in media.walk() if n.promise.name == "vcluster-coredns"]
    names = node.result.status["hostNames"]
    assert names == {
        "services": "<service>-x-<namespace>-x-media.vcluster-media.svc.cluster.local",
        "dns": "kube-dns-x-kube-system-x-media.vcluster-media.svc.cluster.local",
        "apiServer": "media.vcluster-media.svc.cluster.local",
    }


def test_dev_preset(catalogue):
    node = render(catalogue, read_request(SAMPLES / "dev.yaml"))
    assert node.ok, node.errors()
    cm = outputs_of(node, "vcluster-core")[("ConfigMap", "sandbox-vcluster-values")]
    cp = load_one(cm["data"]["values.yaml"])["controlPlane"]
    assert cp["statefulSet"]["highAvailability"]["replicas"] == 1
    assert cp["statefulSet"]["resources"] == {
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"memory": "1Gi"},
    }
    assert cp["backingStore"] == {"database": {"embedded": {"enabled": True}}}
    assert cm["metadata"]["namespace"] == "vcluster-sandbox"
    reg = outputs_of(node, "vcluster-argocd-cluster-registration")[("ExternalSecret", "sandbox-cluster")]
    assert reg["spec"]["target"]["template"]["metadata"]["labels"]["environment"] == "development"


def test_explicit_fields_override_the_preset(catalogue):
    req = read_request(SAMPLES / "dev.yaml")
    req["spec"]["vcluster"] = {"preset": "prod", "replicas": 2, "resources": {"requests": {"cpu": "1"}}}
    node = render(catalogue, req)
    cp = load_one(outputs_of(node, "vcluster-core")[("ConfigMap", "sandbox-vcluster-values")]["data"]["values.yaml"])[
        "controlPlane"
    ]
    assert cp["statefulSet"]["highAvailability"]["replicas"] == 2
    assert cp["statefulSet"]["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}


def test_external_secrets_v1beta1_stays_selectable(catalogue):
    req = read_request(SAMPLES / "dev.yaml")
    req["spec"]["integrations"] = {"externalSecrets": {"apiVersion": "v1beta1"}}
    node = render(catalogue, req)
    es = outputs_of(node, "vcluster-kubeconfig-external-secret")[("ExternalSecret", "sandbox-kubeconfig")]
    assert es["apiVersion"] == "external-secrets.io/v1beta1"


@needs_shared
def test_helm_values_validate_against_the_chart_schema(media, catalogue):
    schema = json.loads((SHARED / "reference" / "vcluster" / "values.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for node in (media, render(catalogue, read_request(SAMPLES / "dev.yaml"))):
        for o in (o for n in node.walk() for o in n.outputs):
            if o.obj["kind"] == "ConfigMap" and o.obj["metadata"]["name"].endswith("-vcluster-values"):
                values = load_one(o.obj["data"]["values.yaml"])
            elif o.obj["kind"] == "Application":
                values = o.obj["spec"]["source"]["helm"]["valuesObject"]
            else:
                continue
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(values)]
            assert not errors, errors


def test_subprocess_executor_gives_the_same_outputs(catalogue, media):
    node = render(catalogue, read_request(SAMPLES / "media.yaml"), executor=SubprocessExecutor())
    assert node.ok, node.errors()
    assert node.all_objects() == media.all_objects()


# Any string the schema allows comes out byte for byte, and never changes the document's structure.
_hostile = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=_hostile, annotation=_hostile)
def test_hostile_values_come_out_byte_for_byte(catalogue, label, annotation):
    req = read_request(SAMPLES / "dev.yaml")
    req["spec"]["integrations"] = {"argocd": {"clusterAnnotations": {"note": annotation, "x": label}}}
    req["spec"]["vcluster"] = {"helmOverrides": {"controlPlane": {"statefulSet": {"labels": {"note": annotation}}}}}
    node = render(catalogue, req)
    assert node.ok, node.errors()
    reg = outputs_of(node, "vcluster-argocd-cluster-registration")[("ExternalSecret", "sandbox-cluster")]
    assert reg["spec"]["target"]["template"]["metadata"]["annotations"] == {"note": annotation, "x": label}
    cm = outputs_of(node, "vcluster-core")[("ConfigMap", "sandbox-vcluster-values")]
    assert load_one(cm["data"]["values.yaml"])["controlPlane"]["statefulSet"]["labels"] == {"note": annotation}
    for n in node.walk():
        for w in n.result.workloads:
            assert len(load_documents(w.content.decode())) == 1, f"{w.filepath}: a value changed the document"


@pytest.mark.parametrize("name", [p.replace("-", "_") for p in CATALOGUE_PROMISES])
def test_each_promise_has_a_pipeline_module_with_both_actions(name):
    import importlib

    mod = importlib.import_module(f"kratix_lab.promises.{name}.pipeline")
    assert callable(mod.configure) and callable(mod.delete)
