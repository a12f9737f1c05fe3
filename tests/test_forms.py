"""The request form generated from a Promise's API (kratix_lab.forms): model, conversions, validation,
preview and submit — every refusal with the message the user sees."""

from __future__ import annotations

import shutil

import pytest

from kratix_lab import forms
from kratix_lab.forms import FormError, FormField, FormInvalid, Problem
from kratix_lab.model import load_file, load_one
from kratix_lab.promise import Promise
from kratix_lab.sources.lab import lab_platform
from tests.helpers import SAMPLES, SUB_KINDS


@pytest.fixture(scope="module")
def model():
    from kratix_lab.promises import load_catalogue

    return forms.form_for(load_catalogue().get("vcluster-orchestrator"))


@pytest.fixture(scope="module")
def lab_template(tmp_path_factory):
    """A new lab holding the ``sandbox`` request (applied directly: no controller round is needed here)."""
    from kratix_lab.platform.lab import Lab

    path = tmp_path_factory.mktemp("forms") / "lab"
    with Lab(path) as lab:
        assert lab.apply(SAMPLES / "dev.yaml") == "created"
    return path


@pytest.fixture
def lab(lab_template, tmp_path):
    """A fresh copy of the template, per test."""
    from kratix_lab.platform.lab import Lab

    shutil.copytree(lab_template, tmp_path / "lab")
    with Lab(tmp_path / "lab", create=False) as lab:
        yield lab


def problems(result) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in result.problems]


# ---- the model ---------------------------------------------------------------------------------


def test_metadata_first_then_the_spec_in_the_order_the_schema_declares(model):
    paths = [f.path for f in model.fields()]
    assert paths[:7] == [
        "metadata.name",
        "metadata.namespace",
        "metadata.labels",
        "metadata.annotations",
        "spec.name",
        "spec.targetNamespace",
        "spec.projectName",
    ]
    assert [s.path for s in model.spec.sections] == [
        "spec.vcluster",
        "spec.exposure",
        "spec.integrations",
        "spec.argocdApplication",
    ]
    vcluster = model.spec.sections[0]
    assert [s.name for s in vcluster.sections] == [
        "resources",
        "persistence",
        "coredns",
        "networking",
        "exportKubeConfig",
    ]
    assert [s.name for s in vcluster.sections[0].sections] == ["requests", "limits"]
    assert model.kind == "VClusterOrchestrator"
    assert model.api_version == "platform.integratn.tech/v1alpha1"


def test_each_field_has_the_kind_its_schema_type_asks_for(model):
    kinds = {f.path: f.kind for f in model.fields()}
    assert kinds["spec.name"] == forms.STRING
    assert kinds["spec.vcluster.preset"] == forms.ENUM
    assert kinds["spec.vcluster.replicas"] == forms.INTEGER
    assert kinds["spec.vcluster.persistence.enabled"] == forms.BOOLEAN
    assert kinds["spec.vcluster.resources.requests.cpu"] == forms.INT_OR_STR
    assert kinds["spec.integrations.argocd.clusterLabels"] == forms.MAP
    assert kinds["metadata.labels"] == forms.MAP
    assert kinds["spec.vcluster.helmOverrides"] == forms.YAML  # x-kubernetes-preserve-unknown-fields
    assert kinds["spec.vcluster.backingStore"] == forms.YAML
    assert model.field("spec.integrations.argocd.clusterLabels").value_kind == forms.STRING


def test_enums_defaults_required_and_help_come_from_the_schema(model):
    preset = model.field("spec.vcluster.preset")
    assert preset.allowed == ("dev", "prod")
    assert preset.default == "dev"
    assert preset.placeholder == "dev (default)"
    assert preset.help.startswith("Sizing preset: dev (1 replica")
    assert model.field("spec.integrations.externalSecrets.apiVersion").allowed == ("v1", "v1beta1")
    replicas = model.field("spec.vcluster.replicas")
    assert replicas.help == "Control-plane replicas (overrides the preset).\nvalue: 1..5"
    assert replicas.placeholder == "optional, integer 1..5"
    assert model.field("spec.exposure.apiPort").placeholder == "443 (default)"
    assert model.field("spec.name").required and model.field("spec.name").placeholder == "required"
    assert "length: ..36" in model.field("spec.name").help
    assert model.field("spec.integrations.argocd.workloadRepo.repoURL").required
    assert model.field("metadata.name").required
    assert model.field("metadata.name").placeholder == "same as spec.name"
    assert model.field("metadata.namespace").placeholder == "platform-requests (default)"
    assert "x-kubernetes-preserve-unknown-fields" in model.field("spec.vcluster.helmOverrides").help
    assert model.field("spec.integrations.argocd.clusterLabels").placeholder == "optional, key=value, key=value"
    section = next(s for s in model.all_sections() if s.path == "spec.vcluster")
    assert section.description == "Sizing and behaviour of the virtual cluster."
    assert section.default == {}


def test_an_unknown_field_is_refused_by_name(model):
    with pytest.raises(FormError, match=r"no field 'spec.nope' in the VClusterOrchestrator form"):
        model.field("spec.nope")
    with pytest.raises(FormError, match=r"no field 'spec.vcluster.replica' in the VClusterOrchestrator form"):
        forms.build_request(model, {"spec.vcluster.replica": "3"})


def test_a_promise_without_an_api_has_no_form():
    promise = Promise.from_dict(
        {"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Promise", "metadata": {"name": "deps-only"}, "spec": {}}
    )
    with pytest.raises(FormError, match="Promise deps-only has no API"):
        forms.form_for(promise)


def test_every_catalogue_promise_has_a_form_and_its_sample_round_trips(catalogue):
    """values_from_request → build_request gives the sample back, and the schema admits it."""
    for sample in sorted(SAMPLES.glob("*.yaml")):
        obj = load_file(sample)[0].data
        model = forms.form_for(catalogue.for_object(obj))
        values = forms.values_from_request(model, obj)
        built = forms.build_request(model, values)
        assert built.problems == [], sample.name
        expected = dict(obj)
        expected["metadata"] = {"namespace": "platform-requests", **obj["metadata"]}
        assert built.request == expected, sample.name
        assert forms.validate(model, values).ok, sample.name


def test_lists_of_objects_are_yaml_and_lists_of_strings_are_comma_separated(catalogue):
    model = forms.form_for(catalogue.get("argocd-project"))
    assert model.field("spec.sourceRepos").kind == forms.LIST
    assert model.field("spec.destinations").kind == forms.YAML
    built = forms.build_request(
        model,
        {
            "spec.name": "p",
            "spec.sourceRepos": "https://a.example, https://b.example,",
            "spec.destinations": "- namespace: x\n  server: https://kubernetes.default.svc\n",
        },
    )
    assert built.problems == []
    assert built.request["spec"]["sourceRepos"] == ["https://a.example", "https://b.example"]
    assert built.request["spec"]["destinations"] == [{"namespace": "x", "server": "https://kubernetes.default.svc"}]
    bad = forms.build_request(model, {"spec.name": "p", "spec.destinations": "namespace: x\n"})
    assert [p.message for p in bad.problems] == [
        "spec.destinations:1: must be a YAML list (- item lines), got a mapping"
    ]


# ---- values → request --------------------------------------------------------------------------


def test_empty_means_not_set_so_the_schema_defaults_apply(model):
    built = forms.build_request(
        model, {"spec.name": "demo", "spec.vcluster.replicas": "  ", "spec.exposure.hostname": ""}
    )
    assert built.request == {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": "VClusterOrchestrator",
        "metadata": {"name": "demo", "namespace": "platform-requests"},
        "spec": {"name": "demo"},
    }
    result = forms.validate(model, {"spec.name": "demo"})
    assert result.ok
    assert result.admitted["spec"]["vcluster"] == {
        "preset": "dev",
        "k8sVersion": "v1.34.3",
        "isolationMode": "standard",
    }
    assert result.admitted["spec"]["argocdApplication"]["targetRevision"] == "0.30.4"


def test_metadata_name_and_namespace_when_given(model):
    built = forms.build_request(
        model, {"metadata.name": "req", "metadata.namespace": "team-a", "spec.name": "vc", "metadata.labels": "a=b"}
    )
    assert built.request["metadata"] == {"name": "req", "namespace": "team-a", "labels": {"a": "b"}}


def test_values_are_converted_to_their_schema_types(model):
    built = forms.build_request(
        model,
        {
            "spec.name": "demo",
            "spec.vcluster.preset": "prod",
            "spec.vcluster.replicas": " +3 ",
            "spec.vcluster.persistence.enabled": "True",
            "spec.vcluster.exportKubeConfig.insecure": False,
            "spec.vcluster.resources.requests.cpu": "2",
            "spec.vcluster.resources.requests.memory": "512Mi",
            "spec.exposure.apiPort": 6443,
            "spec.integrations.argocd.clusterLabels": "team=platform,\n tier = gold , note=a=b",
            "spec.vcluster.helmOverrides": "# chart values\nsync:\n  toHost:\n    ingresses:\n      enabled: true\n",
        },
    )
    assert built.problems == []
    spec = built.request["spec"]
    assert spec["vcluster"]["replicas"] == 3
    assert spec["vcluster"]["persistence"] == {"enabled": True}
    assert spec["vcluster"]["exportKubeConfig"] == {"insecure": False}
    assert spec["vcluster"]["resources"] == {"requests": {"cpu": 2, "memory": "512Mi"}}
    assert spec["exposure"] == {"apiPort": 6443}
    assert spec["integrations"]["argocd"]["clusterLabels"] == {"team": "platform", "tier": "gold", "note": "a=b"}
    assert spec["vcluster"]["helmOverrides"] == {"sync": {"toHost": {"ingresses": {"enabled": True}}}}


def test_strings_come_out_byte_for_byte(model):
    hostile = "line: one\n$(rm -rf /) 'q' \"dq\"  "
    built = forms.build_request(model, {"spec.name": "demo", "spec.vcluster.exportKubeConfig.context": hostile})
    assert built.request["spec"]["vcluster"]["exportKubeConfig"]["context"] == hostile
    assert load_one(forms.FormResult(built.request).request_yaml)["spec"]["vcluster"]["exportKubeConfig"] == {
        "context": hostile
    }


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("spec.vcluster.replicas", "x", "spec.vcluster.replicas: must be an integer, got 'x'"),
        ("spec.vcluster.replicas", "3.5", "spec.vcluster.replicas: must be an integer, got '3.5'"),
        ("spec.vcluster.replicas", "1_000", "spec.vcluster.replicas: must be an integer, got '1_000'"),
        ("spec.vcluster.replicas", True, "spec.vcluster.replicas: must be an integer, got True (bool)"),
        ("spec.exposure.apiPort", "443/tcp", "spec.exposure.apiPort: must be an integer, got '443/tcp'"),
        (
            "spec.vcluster.persistence.enabled",
            "yes",
            "spec.vcluster.persistence.enabled: must be true or false, got 'yes'",
        ),
        (
            "spec.vcluster.persistence.enabled",
            1,
            "spec.vcluster.persistence.enabled: must be true or false, got 1 (int)",
        ),
        (
            "spec.vcluster.resources.limits.cpu",
            1.5,
            "spec.vcluster.resources.limits.cpu: must be an integer or a string, got 1.5 (float)",
        ),
        ("spec.name", 42, "spec.name: must be text, got 42 (int)"),
        (
            "spec.integrations.argocd.clusterLabels",
            "team=platform, tier",
            "spec.integrations.argocd.clusterLabels: 'tier' is not key=value (separate entries with commas)",
        ),
        (
            "spec.integrations.argocd.clusterLabels",
            "=gold",
            "spec.integrations.argocd.clusterLabels: '=gold' has an empty key",
        ),
        (
            "spec.integrations.argocd.clusterLabels",
            "team=a, team=b",
            "spec.integrations.argocd.clusterLabels: key 'team' is given twice",
        ),
        ("metadata.annotations", 5, "metadata.annotations: must be key=value entries, got 5 (int)"),
        (
            "spec.vcluster.helmOverrides",
            "sync:\n  toHost: [a\n",
            "spec.vcluster.helmOverrides:3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)",
        ),
        (
            "spec.vcluster.helmOverrides",
            "a: 1\n  b: 2\n",
            "spec.vcluster.helmOverrides:2:4: invalid YAML: mapping values are not allowed in this context",
        ),
        (
            "spec.vcluster.helmOverrides",
            "# a list is not chart values\n- a\n- b\n",
            "spec.vcluster.helmOverrides:2: must be a YAML mapping (key: value lines), got a list",
        ),
        (
            "spec.vcluster.backingStore",
            "etcd",
            "spec.vcluster.backingStore:1: must be a YAML mapping (key: value lines), got the str 'etcd'",
        ),
        (
            "spec.vcluster.backingStore",
            "a: 1\n---\nb: 2\n",
            "spec.vcluster.backingStore: 2 YAML documents (starting at lines 1, 3); expected one",
        ),
        (
            "spec.vcluster.helmOverrides",
            "sync:\n  ratio: .nan\n",
            "spec.vcluster.helmOverrides.sync.ratio: nan is not a JSON number (a Kubernetes object cannot hold it)",
        ),
        (
            "spec.vcluster.helmOverrides",
            "blob: !!binary aGVsbG8=\n",
            # the one loader refuses it, naming the line (kratix_lab/model/yamlio.py _NOT_JSON)
            "spec.vcluster.helmOverrides:1:7: invalid YAML: 'aGVsbG8=' is !!binary data, which JSON cannot hold",
        ),
    ],
)
def test_every_conversion_error_names_the_field_and_the_value(model, path, value, message):
    built = forms.build_request(model, {"spec.name": "demo", path: value})
    assert [(p.field, p.message) for p in built.problems] == [(path, message)]
    node = built.request
    for key in path.split(".")[:-1]:
        node = node.get(key, {})
    assert path.split(".")[-1] not in node  # a value that could not be converted is left out
    result = forms.validate(model, {"spec.name": "demo", path: value})
    assert not result.ok and result.admitted is None
    assert result.messages_for(path) == [message]  # not repeated by admission


def test_yaml_values_are_held_as_the_api_server_holds_them(model):
    built = forms.build_request(
        model, {"spec.name": "demo", "spec.vcluster.helmOverrides": "1: one\nwhen: 2026-01-01\nratio: 2.0\n"}
    )
    assert built.problems == []
    assert built.request["spec"]["vcluster"]["helmOverrides"] == {"1": "one", "when": "2026-01-01", "ratio": 2}


def test_problems_come_in_the_forms_order_top_to_bottom(model):
    result = forms.validate(
        model,
        {"spec.vcluster.helmOverrides": "- a\n", "spec.vcluster.replicas": "0", "spec.name": "", "metadata.name": "x"},
    )
    assert [p.field for p in result.problems] == [
        "spec.name",
        "spec.vcluster.replicas",
        "spec.vcluster.helmOverrides",
    ]


def test_number_fields(model):
    f = FormField(path="spec.ratio", keys=("spec", "ratio"), kind=forms.NUMBER, type="number")
    assert forms.convert(f, "0.5") == 0.5
    assert forms.convert(f, "2") == 2
    assert forms.convert(f, "1e3") == 1000.0
    for bad in ("nan", "inf", "-Infinity", "x", "1,5"):
        with pytest.raises(ValueError, match=rf"^spec.ratio: must be a number, got '{bad}'$"):
            forms.convert(f, bad)


def test_maps_and_yaml_left_blank_or_with_only_comments_are_not_set(model):
    built = forms.build_request(
        model,
        {
            "spec.name": "demo",
            "spec.integrations.argocd.clusterLabels": " , ,\n",
            "spec.vcluster.helmOverrides": "# nothing yet\n\n",
        },
    )
    assert built.problems == []
    assert built.request["spec"] == {"name": "demo"}


def test_values_from_request_formats_what_inputs_hold(model):
    media = load_file(SAMPLES / "media.yaml")[0].data
    values = forms.values_from_request(model, media)
    assert values["spec.vcluster.replicas"] == "3"
    assert values["spec.integrations.argocd.clusterLabels"] == "team=platform"
    assert values["spec.vcluster.backingStore"].startswith("etcd:\n  deploy:\n")
    assert "metadata.namespace" not in values
    f = FormField(path="spec.x", keys=("spec", "x"), kind=forms.BOOLEAN, type="boolean")
    assert forms.format_value(f, True) == "true"


# ---- validation: the schema engine's messages, at the field they are about ---------------------


def test_admission_errors_are_the_engines_and_sit_at_their_fields(model):
    values = {
        "spec.name": "Bad_Name",
        "metadata.name": "ok",
        "spec.vcluster.replicas": "9",
        "spec.vcluster.preset": "huge",
        "spec.vcluster.resources.requests.cpu": "lots",
        "spec.integrations.argocd.clusterLabels": "tier=" + "x" * 64,
        "spec.integrations.argocd.workloadRepo.path": "apps/",
        "metadata.labels": "bad key!=v",
    }
    result = forms.validate(model, values)
    assert not result.ok and result.admitted is None
    # the very texts the API server (our schema engine) gives, nothing reworded
    engine = model.crd.admit(forms.build_request(model, values).request)
    # the API server's text, then (for a regex) what it means in plain words
    assert any("\n↳ lowercase letters" in p.message for p in result.problems)
    result.problems = [forms.Problem(p.field, p.message.split("\n↳ ")[0]) for p in result.problems]
    assert sorted(p.message for p in result.problems) == sorted(str(e) for e in engine.errors)
    by_field = result.by_field()
    assert by_field["spec.name"] == [
        "spec.name: Invalid value: \"Bad_Name\": spec.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"
    ]
    assert by_field["spec.vcluster.replicas"] == [
        "spec.vcluster.replicas: Invalid value: 9: spec.vcluster.replicas in body should be less than or equal to 5"
    ]
    assert by_field["spec.vcluster.preset"] == [
        'spec.vcluster.preset: Unsupported value: "huge": supported values: "dev", "prod"'
    ]
    assert by_field["spec.vcluster.resources.requests.cpu"][0].startswith(
        'spec.vcluster.resources.requests.cpu: Invalid value: "lots": '
    )
    assert by_field["spec.integrations.argocd.clusterLabels"] == [
        "spec.integrations.argocd.clusterLabels.tier: Too long: may not be more than 63 bytes"
    ]
    assert by_field["spec.integrations.argocd.workloadRepo.repoURL"] == [
        "spec.integrations.argocd.workloadRepo.repoURL: Required value"
    ]
    assert by_field["metadata.labels"][0].startswith('metadata.labels: Invalid value: "bad key!": name part must')
    assert set(by_field) == {
        "spec.name",
        "spec.vcluster.replicas",
        "spec.vcluster.preset",
        "spec.vcluster.resources.requests.cpu",
        "spec.integrations.argocd.clusterLabels",
        "spec.integrations.argocd.workloadRepo.repoURL",
        "metadata.labels",
    }


def test_required_name_missing(model):
    result = forms.validate(model, {})
    assert problems(result) == [
        ("metadata.name", "metadata.name: Required value: name or generateName is required"),
        ("spec.name", "spec.name: Required value"),
    ]


def test_a_bad_spec_name_is_reported_once_at_spec_name_when_metadata_name_follows_it(model):
    """Issue 17.10: metadata.name left empty is filled from spec.name; what the API server says about it is said
    at spec.name, where the user typed (once: spec.name's own pattern error already names the value)."""
    result = forms.validate(model, {"spec.name": "x" * 37})
    assert [p.field for p in result.problems] == ["spec.name"]
    assert result.problems[0].message == "spec.name: Too long: may not be more than 36 bytes"
    result = forms.validate(model, {"spec.name": "Demo"})
    assert [p.field for p in result.problems] == ["spec.name"]
    assert result.problems[0].message.startswith('spec.name: Invalid value: "Demo": spec.name in body should match')
    result = forms.validate(model, {"spec.name": "Demo", "metadata.name": "Demo"})  # typed: its own problem
    assert sorted(p.field for p in result.problems) == ["metadata.name", "spec.name"]


def test_owner_of_maps_deep_paths_to_fields_then_sections_then_the_form(model):
    assert model.owner_of("spec.vcluster.helmOverrides.sync.toHost") == "spec.vcluster.helmOverrides"
    assert model.owner_of("spec.integrations.argocd.clusterLabels.integratn.tech/x") == (
        "spec.integrations.argocd.clusterLabels"
    )
    assert model.owner_of("spec.vcluster.replicas") == "spec.vcluster.replicas"
    assert model.owner_of("spec.vcluster.replicasX") == "spec.vcluster"  # no field: its section
    assert model.owner_of("spec.integrations.argocd.workloadRepo") == "spec.integrations.argocd.workloadRepo"
    assert model.owner_of("apiVersion") == ""
    assert model.owner_of("specx") == ""


def test_array_errors_belong_to_the_yaml_field(catalogue):
    model = forms.form_for(catalogue.get("argocd-project"))
    assert model.owner_of("spec.destinations[0].server") == "spec.destinations"
    result = forms.validate(model, {"spec.name": "p", "spec.destinations": "- namespace: 5\n  extra: 1\n"})
    assert [p.field for p in result.problems] == ["spec.destinations"] * len(result.problems)
    assert result.problems and all(p.message.startswith("spec.destinations[0]") for p in result.problems)
    assert [(w.field, w.message) for w in result.warnings] == [
        ("spec.destinations", "spec.destinations[0].extra: unknown field, dropped by the API server")
    ]


# ---- in the lab: names already in use, namespaces, submit ---------------------------------------


def test_a_name_already_in_use_is_refused_before_anything_is_written(lab, model):
    head = lab.gitops_repo.head()
    result = forms.validate(model, {"spec.name": "sandbox"}, lab_platform(lab))
    assert problems(result) == [  # at spec.name, where it was typed: metadata.name follows it (issue 17.10)
        (
            "spec.name",
            'metadata.name: VClusterOrchestrator "sandbox" already exists in namespace "platform-requests"; choose '
            "another name (submitting would replace platform/vclusters/sandbox.yaml in the gitops repo) "
            "(metadata.name is filled from spec.name)",
        )
    ]
    typed = forms.validate(model, {"spec.name": "sandbox", "metadata.name": "sandbox"}, lab_platform(lab))
    assert [p.field for p in typed.problems] == ["metadata.name"]  # typed there: reported there
    with pytest.raises(FormInvalid, match=r"^1 problem; nothing was written:\nmetadata.name: VClusterOrchestrator"):
        forms.submit(model, {"spec.name": "sandbox", "spec.vcluster.preset": "prod"}, lab_platform(lab))
    assert lab.gitops_repo.head() == head
    assert lab.get("VClusterOrchestrator", "sandbox", "platform-requests")["spec"]["vcluster"]["preset"] == "dev"


def test_another_request_for_the_same_vcluster_is_refused(lab, model):
    result = forms.validate(model, {"metadata.name": "sandbox-2", "spec.name": "sandbox"}, lab_platform(lab))
    assert problems(result) == [
        (
            "spec.name",
            'spec.name: "sandbox" is already requested by VClusterOrchestrator "sandbox" in namespace '
            '"platform-requests"; choose another name',
        )
    ]


def test_a_namespace_the_lab_lacks_is_refused(lab, model):
    result = forms.validate(model, {"spec.name": "demo", "metadata.namespace": "team-a"}, lab_platform(lab))
    assert problems(result) == [("metadata.namespace", 'metadata.namespace: namespaces "team-a" not found in the lab')]


def test_submit_commits_the_request_and_only_then_the_name_is_taken(lab, model):
    head = lab.gitops_repo.head()
    values = {"spec.name": "demo", "spec.vcluster.preset": "prod", "spec.integrations.argocd.clusterLabels": "team=sre"}
    done = forms.submit(model, values, lab_platform(lab))
    assert done == forms.Submitted(
        "VClusterOrchestrator", "demo", "platform-requests", "platform/vclusters/demo.yaml", lab.gitops_repo.head()
    )
    assert done.sha != head
    committed = load_one(lab.gitops_repo.read_files(done.path)[done.path].decode())
    assert committed == forms.build_request(model, values).request
    assert lab.gitops_repo.log(max_count=1)[0].message.strip() == "Add VClusterOrchestrator demo"
    # committed, not yet synced: the name is taken all the same
    again = forms.validate(model, values, lab_platform(lab))
    assert [p.field for p in again.problems] == ["spec.name"]  # metadata.name follows it
    assert again.problems[0].message == (
        'metadata.name: platform/vclusters/demo.yaml is already in the gitops repo (a VClusterOrchestrator "demo" '
        "committed and not yet synced); choose another name (metadata.name is filled from spec.name)"
    )
    with pytest.raises(FormInvalid):
        forms.submit(model, values, lab_platform(lab))
    assert lab.gitops_repo.head() == done.sha


def test_submit_of_an_invalid_form_writes_nothing(lab, model):
    head = lab.gitops_repo.head()
    with pytest.raises(FormInvalid) as exc:
        forms.submit(model, {"spec.name": "demo", "spec.vcluster.replicas": "many"}, lab_platform(lab))
    assert exc.value.result.problems == [
        Problem("spec.vcluster.replicas", "spec.vcluster.replicas: must be an integer, got 'many'")
    ]
    assert str(exc.value) == "1 problem; nothing was written:\nspec.vcluster.replicas: must be an integer, got 'many'"
    with pytest.raises(FormInvalid, match=r"^2 problems; nothing was written:"):
        forms.submit(
            model, {"spec.name": "demo", "spec.vcluster.replicas": "0", "spec.exposure.apiPort": "0"}, lab_platform(lab)
        )
    assert lab.gitops_repo.head() == head
    assert lab.gitops_repo.read_files("platform/vclusters/demo.yaml") == {}
    assert lab.get("VClusterOrchestrator", "demo", "platform-requests") is None


def test_a_kind_the_lab_does_not_serve_is_a_form_level_problem(lab, catalogue, model):
    """A Promise the lab has not installed: the schema admits the request, the lab's API server does not."""
    import copy

    doc = copy.deepcopy(catalogue.get("vcluster-orchestrator").doc)
    doc["metadata"]["name"] = "other-orchestrator"
    doc["spec"]["api"]["spec"]["group"] = "other.integratn.tech"
    doc["spec"]["api"]["metadata"]["name"] = "vclusterorchestrators.other.integratn.tech"
    other = forms.form_for(Promise.from_dict(doc))
    result = forms.validate(other, {"spec.name": "demo"}, lab_platform(lab))
    assert problems(result) == [
        (
            "",
            "VClusterOrchestrator (other.integratn.tech/v1alpha1) is not served by the lab: its Promise is not installed",
        )
    ]
    doc["spec"]["api"]["spec"]["group"] = "other.platform.integratn.tech"
    doc["spec"]["api"]["metadata"]["name"] = "vclusterorchestrators.other.platform.integratn.tech"
    other = forms.form_for(Promise.from_dict(doc))
    result = forms.validate(other, {"spec.name": "demo"}, lab_platform(lab))
    assert problems(result) == [
        (
            "",
            'no matches for kind "VClusterOrchestrator" in version "other.platform.integratn.tech/v1alpha1": is its Promise installed?',
        )
    ]


# ---- preview -----------------------------------------------------------------------------------


def test_preview_shows_the_request_and_its_seven_sub_requests(catalogue, model):
    values = forms.values_from_request(model, load_file(SAMPLES / "media.yaml")[0].data)
    result = forms.validate(model, values)
    p = forms.preview(catalogue, result.request)
    assert p.ok and p.error is None
    assert p.request_yaml == result.request_yaml
    assert load_one(p.admitted_yaml) == result.admitted
    assert sorted(s.kind for s in p.sub_requests) == sorted(SUB_KINDS)
    assert {s.name for s in p.sub_requests} == {"media"}
    assert {s.namespace for s in p.sub_requests} == {"platform-requests"}
    assert p.other_outputs == []
    core = next(s for s in p.sub_requests if s.kind == "VClusterCore")
    assert core.ref == "VClusterCore/media"
    assert load_one(core.yaml)["kind"] == "VClusterCore"
    assert core.outputs == ("ConfigMap/media-vcluster-values", "Namespace/vcluster-media")
    assert all(s.error is None for s in p.sub_requests)
    # every sub-request renders objects but VClusterCoreDNS, which patches nothing on the host (docs/upstream.md)
    assert [s.kind for s in p.sub_requests if not s.outputs] == ["VClusterCoreDNS"]


def test_preview_of_a_refused_request_says_why_and_renders_nothing(catalogue, model):
    request = forms.build_request(model, {"spec.name": "demo", "spec.vcluster.replicas": "9"}).request
    p = forms.preview(catalogue, request)
    assert not p.ok and p.sub_requests == []
    assert p.error == (
        "rejected at admission: spec.vcluster.replicas: Invalid value: 9: spec.vcluster.replicas in body should be "
        "less than or equal to 5"
    )
    p = forms.preview(catalogue, {"apiVersion": "example.com/v1", "kind": "Nope", "metadata": {"name": "x"}})
    assert p.error.startswith('no Promise serves kind "Nope" in group example.com') and p.sub_requests == []


def test_catalogue_of_a_lab_is_its_installed_promises(lab):
    cat = forms.catalogue_of(lab)
    assert len(cat) == 8 and cat.get("vcluster-orchestrator").crd.kind == "VClusterOrchestrator"


def test_plain_words_for_the_regexes_the_api_server_quotes():
    """Issue 17.10: the API server's regex errors get a plain-words hint; an unknown regex gets none."""
    from kratix_lab.forms import plain_words

    assert plain_words("x: Invalid value: \"A\": x in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'") == (
        "lowercase letters, digits and '-', starting and ending with a letter or digit"
    )
    subdomain = "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    assert "'-' and '.'" in (plain_words(subdomain) or "")
    assert plain_words("x in body should match '^[xyz]+$'") is None
    assert plain_words("x: Required value") is None


def test_editing_a_request_in_git(lab, model):
    """Issue 17.7: the values of a committed request; its own name is not "in use"; a rename is refused; the diff
    of the file; the commit through Lab.submit ("Update …"); a request applied directly is not in git."""
    with pytest.raises(forms.FormError, match=r"sandbox is not in the gitops repo \(platform/vclusters/sandbox.yaml\)"):
        forms.edit_values(model, lab_platform(lab), "sandbox")  # applied directly, never committed
    forms.submit(model, {"spec.name": "demo", "spec.vcluster.preset": "dev"}, lab_platform(lab))
    values = forms.edit_values(model, lab_platform(lab), "demo")
    assert values == {
        "metadata.name": "demo",
        "metadata.namespace": "platform-requests",
        "spec.name": "demo",
        "spec.vcluster.preset": "dev",
    }
    assert forms.validate(model, values, lab_platform(lab)).problems  # as a new request: taken
    assert forms.validate(model, values, lab_platform(lab), editing="demo").ok  # as its edit: its own file
    renamed = forms.validate(model, {**values, "metadata.name": "demo2"}, lab_platform(lab), editing="demo")
    assert [p.field for p in renamed.problems] == ["metadata.name"] and "an edit keeps the name" in renamed.problems[
        0
    ].message
    changed = {**values, "spec.vcluster.replicas": "2"}
    result = forms.validate(model, changed, lab_platform(lab), editing="demo")
    assert (
        forms.edit_diff(
            model, lab_platform(lab), forms.validate(model, values, lab_platform(lab), editing="demo"), "demo"
        )
        == ""
    )
    diff = forms.edit_diff(model, lab_platform(lab), result, "demo")
    assert diff.startswith("--- a/platform/vclusters/demo.yaml\n+++ b/platform/vclusters/demo.yaml\n")
    assert "+    replicas: 2\n" in diff and diff.count("\n-") == 0
    head = lab.gitops_repo.head()
    bad = {**values, "spec.vcluster.replicas": "lots"}
    with pytest.raises(FormInvalid):
        forms.submit(model, bad, lab_platform(lab), editing="demo")
    assert lab.gitops_repo.head() == head
    done = forms.submit(model, changed, lab_platform(lab), editing="demo")
    assert done.path == "platform/vclusters/demo.yaml" and done.sha != head
    assert lab.gitops_repo.show(done.sha).message.startswith("Update VClusterOrchestrator demo")
    assert forms.edit_values(model, lab_platform(lab), "demo")["spec.vcluster.replicas"] == "2"
