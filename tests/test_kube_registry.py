"""The kind registry (kubectl's RESTMapper), object references (cli-runtime's builder rules) and the errors."""

from __future__ import annotations

import pytest

from kratix_lab import errors
from kratix_lab.kube.refs import (
    ALL_NAMESPACES_WITH_NAME,
    MIXED_FORMS,
    MORE_THAN_ONE_SLASH,
    SINGLE_RESOURCE_AND_NAME,
    ObjectRef,
    RefError,
)
from kratix_lab.kube.registry import AGE_COLUMN, KindRegistry, kind_from_crd, promise_crds
from kratix_lab.promises import load_catalogue


@pytest.fixture(scope="module")
def registry() -> KindRegistry:
    return load_catalogue().registry()


@pytest.mark.parametrize(
    ("text", "kind", "group"),
    [
        ("vco", "VClusterOrchestrator", "platform.integratn.tech"),
        ("VCO", "VClusterOrchestrator", "platform.integratn.tech"),
        ("vclusterorchestrators", "VClusterOrchestrator", "platform.integratn.tech"),
        ("VClusterOrchestrator", "VClusterOrchestrator", "platform.integratn.tech"),
        ("vclusterorchestrators.platform.integratn.tech", "VClusterOrchestrator", "platform.integratn.tech"),
        ("vclusterorchestrators.v1alpha1.platform.integratn.tech", "VClusterOrchestrator", "platform.integratn.tech"),
        ("po", "Pod", ""),
        ("Pods", "Pod", ""),
        ("deploy", "Deployment", "apps"),
        ("deployments.apps", "Deployment", "apps"),
        ("deployments.v1.apps", "Deployment", "apps"),
        ("applications.argoproj.io", "Application", "argoproj.io"),
        ("app", "Application", "argoproj.io"),
        ("wp", "WorkPlacement", "platform.kratix.io"),
        ("es", "ExternalSecret", "external-secrets.io"),
        ("crd", "CustomResourceDefinition", "apiextensions.k8s.io"),
        ("pc", "PriorityClass", "scheduling.k8s.io"),
    ],
)
def test_resolve_accepts_every_kubectl_form(registry: KindRegistry, text: str, kind: str, group: str) -> None:
    info = registry.resolve(text)
    assert (info.kind, info.group) == (kind, group)


@pytest.mark.parametrize("text", ["", "  ", "vclusterorchestrater", "pods.argoproj.io", "deployments.v2.apps", "nope"])
def test_resolve_refuses_unknown_kinds_with_kubectls_message(registry: KindRegistry, text: str) -> None:
    with pytest.raises(errors.UnknownKind) as e:
        registry.resolve(text)
    assert "the server doesn't have a resource type" in str(e.value)
    assert isinstance(e.value, errors.NotFound) and isinstance(e.value, LookupError)


def test_close_match_hint(registry: KindRegistry) -> None:
    with pytest.raises(errors.UnknownKind, match='did you mean "vclusterorchestrator"'):
        registry.resolve("vclusterorchestrater")
    with pytest.raises(errors.UnknownKind) as e:
        registry.resolve("zzzz")
    assert "did you mean" not in str(e.value)


def test_scope_and_cluster_scoped_kinds(registry: KindRegistry) -> None:
    assert not registry.resolve("priorityclasses").namespaced
    assert not registry.resolve("promises").namespaced
    assert registry.resolve("vco").namespaced
    assert registry.namespaced("Unknown") is True
    assert registry.namespaced("Namespace") is False


def test_printer_columns_from_the_promise_crd(registry: KindRegistry) -> None:
    vco = registry.resolve("vco")
    names = [c.name for c in vco.printer_columns]
    assert names[:2] == ["Preset", "K8s"]
    assert vco.printer_columns[0].json_path == ".spec.vcluster.preset"
    assert vco.schema is not None and "spec" in vco.schema["properties"]
    # a CRD without additionalPrinterColumns gets the API server's implicit Age column
    assert registry.resolve("vclustercores").printer_columns == (AGE_COLUMN,)
    assert registry.resolve("vcc").kind == "VClusterCore"


def test_discovery_views(registry: KindRegistry) -> None:
    kratix = {k.plural for k in registry.for_api("platform.kratix.io", "v1alpha1")}
    assert {"promises", "works", "workplacements", "destinations", "gitstatestores"} <= kratix
    assert registry.for_api("platform.kratix.io", "v1") == []
    assert "" in registry.groups() and "platform.integratn.tech" in registry.groups()
    assert {k.kind for k in registry.categories("all")} >= {"Pod", "Deployment", "Job"}
    pod = {"apiVersion": "v1", "kind": "Pod"}
    assert registry.for_object(pod) is registry.resolve("pods")
    assert "vco" in registry and "nope" not in registry


def _crd(**names: object) -> dict:
    return {
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"kind": "Widget", "plural": "widgets", **names},
            "versions": [
                {"name": "v1beta1", "served": True, "storage": False},
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [{"name": "Size", "jsonPath": ".spec.size", "type": "integer"}],
                },
                {"name": "v0", "served": False, "storage": False},
            ],
        },
    }


def test_kind_from_crd_reads_names_versions_and_columns() -> None:
    info = kind_from_crd(_crd(shortNames=["WG"], categories=["toys"]))
    assert (info.kind, info.version, info.singular, info.namespaced) == ("Widget", "v1", "widget", False)
    assert info.versions == ("v1", "v1beta1")
    assert info.short_names == ("wg",) and info.categories == ("toys",)
    assert [c.name for c in info.printer_columns] == ["Size"]
    reg = KindRegistry.from_crds([_crd(shortNames=["wg"])], builtins=False)
    assert len(reg) == 1 and reg.resolve("wg").kind == "Widget"
    assert reg.resolve("widgets.v1beta1.example.com").kind == "Widget"
    with pytest.raises(errors.UnknownKind):
        reg.resolve("widgets.v0.example.com")  # not served
    with pytest.raises(errors.UnknownKind):
        reg.resolve("pods")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c.pop("spec"), "spec: Required"),
        (lambda c: c["spec"].pop("names"), "spec.names: Required"),
        (lambda c: c["spec"].pop("group"), "spec.group: Required"),
        (lambda c: c["spec"]["names"].pop("kind"), "spec.names.kind: Required"),
        (lambda c: c["spec"]["names"].update(plural=""), "spec.names.plural: Required"),
        (lambda c: c["spec"].update(versions=[]), "spec.versions: Required"),
    ],
)
def test_kind_from_crd_names_the_missing_field(mutate, field: str) -> None:
    crd = _crd()
    mutate(crd)
    with pytest.raises(errors.Invalid, match=field):
        kind_from_crd(crd)


def test_first_registered_name_wins_and_promise_crds() -> None:
    clash = _crd(shortNames=["app"])
    clash["spec"]["scope"] = "Namespaced"
    reg = KindRegistry.from_crds([clash])
    assert reg.resolve("app").kind == "Application"  # the upstream short name keeps precedence
    assert reg.resolve("widgets").kind == "Widget"
    assert promise_crds([{"spec": {"api": clash}}, {"spec": {}}, "junk"]) == [clash]  # type: ignore[list-item]


# ---- ObjectRef ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["vco", "media"], ["vco/media"]),
        (["vco", "media", "dev"], ["vco/media", "vco/dev"]),
        (["vco/media"], ["vco/media"]),
        (["vco/media", "pod/x"], ["vco/media", "pod/x"]),
        (["pods,jobs", "x", "y"], ["pods/x", "pods/y", "jobs/x", "jobs/y"]),
    ],
)
def test_parse_both_forms(args: list[str], expected: list[str]) -> None:
    refs = ObjectRef.parse_args(args, "ns1")
    assert [str(r) for r in refs] == expected
    assert {r.namespace for r in refs} == {"ns1"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vco", "vco/media"], MIXED_FORMS),
        (["vco/media", "dev"], MIXED_FORMS),
        (["a/b/c"], MORE_THAN_ONE_SLASH),
        (["/media"], SINGLE_RESOURCE_AND_NAME),
        (["vco/"], SINGLE_RESOURCE_AND_NAME),
        (["pods,jobs/x"], SINGLE_RESOURCE_AND_NAME),
        ([], "you must specify the type of resource"),
        (["vco"], "a name is required"),
    ],
)
def test_parse_refuses_like_kubectl(args: list[str], message: str) -> None:
    with pytest.raises(RefError) as e:
        ObjectRef.parse_args(args)
    assert message in str(e.value)
    assert isinstance(e.value, errors.UsageError) and e.value.exit_code == errors.EXIT_ERROR


def test_lists_and_all_namespaces() -> None:
    assert ObjectRef.parse_args(["vco"], require_name=False) == [ObjectRef("vco", "")]
    assert ObjectRef.parse_args(["vco"], all_namespaces=True, require_name=False)[0].name == ""
    with pytest.raises(RefError, match=ALL_NAMESPACES_WITH_NAME):
        ObjectRef.parse_args(["vco", "media"], all_namespaces=True)


def test_parse_one() -> None:
    assert ObjectRef.parse_one(["vco", "media"]) == ObjectRef.parse_one(["vco/media"]) == ObjectRef("vco", "media")
    with pytest.raises(RefError, match="expected one object, got 2"):
        ObjectRef.parse_one(["vco", "a", "b"])
    with pytest.raises(RefError, match="expected KIND/NAME"):
        ObjectRef.parse("media")


# ---- the one error hierarchy --------------------------------------------------------------------


def test_existing_errors_share_the_base_and_keep_their_builtin_bases() -> None:
    from kratix_lab.catalogue import UnknownKind
    from kratix_lab.cli import CLIError, NotFoundError
    from kratix_lab.model.yamlio import YamlError
    from kratix_lab.platform.lab import AdmissionError, LabError
    from kratix_lab.platform.store import Conflict, Invalid, NotFound
    from kratix_lab.schema.crd import CRDError
    from kratix_lab.trace import TraceError
    from kratix_lab.views.lab_view import UnknownKindError

    for cls in (UnknownKind, CLIError, NotFoundError, YamlError, LabError, AdmissionError, Conflict, Invalid):
        assert issubclass(cls, errors.KratixLabError), cls
    for cls in (NotFound, CRDError, TraceError, UnknownKindError):
        assert issubclass(cls, errors.KratixLabError), cls
    assert issubclass(UnknownKind, LookupError) and issubclass(UnknownKindError, errors.UnknownKind)
    assert issubclass(YamlError, ValueError) and issubclass(CRDError, errors.Invalid)
    assert AdmissionError.exit_code == errors.EXIT_FINDINGS and issubclass(AdmissionError, errors.Refused)
    assert NotFoundError.exit_code == errors.EXIT_FINDINGS and CLIError.exit_code == errors.EXIT_ERROR
    assert issubclass(Conflict, errors.Conflict) and Conflict.exit_code == errors.EXIT_FINDINGS


def test_invalid_carries_field_causes() -> None:
    cause = errors.Cause("FieldValueRequired", "Required value", "spec.name")
    e = errors.Invalid('VClusterOrchestrator "x" is invalid', causes=[cause])
    assert e.causes == (cause,) and str(cause) == "spec.name: Required value"
    assert cause.to_dict() == {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.name"}
    assert errors.Cause("r", "m").to_dict() == {"reason": "r", "message": "m"}
    assert (e.reason, e.code) == ("Invalid", 422)
    assert (errors.Forbidden.reason, errors.Forbidden.code) == ("Forbidden", 403)


def test_output_missing_namespace_asks_the_registry_for_the_scope() -> None:
    """A cluster-scoped kind (PriorityClass, ClusterIssuer …) without a namespace is fine; a Deployment is not
    (diagnose used to carry its own, shorter list of cluster-scoped kinds)."""
    from kratix_lab import diagnose
    from kratix_lab.trace import TraceNode

    files = {
        "out/pc.yaml": b"apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\n",
        "out/ci.yaml": b"apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: ca\n",
        "out/dep.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    }

    class Stub:
        def state_files(self, path, rev=None):
            return {path: files[path]}

        def kinds(self):
            return KindRegistry.from_crds([])

        def promises(self):  # no Promise serves these kinds (output-labels asks, for Kratix's own label)
            return []

    node = TraceNode("Commit", "abc", None, "commit", "Healthy", evidence={"files": list(files), "sha": "abc"})
    rule = dict(diagnose.RULES)["output-labels"]
    found = [f for f in rule(Stub(), node, [], 0) if f.id == "output-missing-namespace"]
    assert [f.object for f in found] == ["Deployment/web"]


def test_one_list_of_scopes_the_models_cluster_scoped_kinds_are_the_registrys():
    """Cluster-scoped kinds are listed once (issue 10 item 2): model.objects.CLUSTER_SCOPED_KINDS is derived from
    the registry's built-in kinds, so the lab's admission, pipelines' output checks and diagnose agree."""
    from kratix_lab.kube.registry import BUILTIN_KINDS, KindRegistry
    from kratix_lab.model.objects import CLUSTER_SCOPED_KINDS

    registry = KindRegistry.from_crds([])
    for info in BUILTIN_KINDS:
        assert (info.kind in CLUSTER_SCOPED_KINDS) == (not info.namespaced), info.kind
        assert registry.namespaced(info.kind, info.group) == info.namespaced, info.kind
    assert {"PriorityClass", "Namespace", "Promise", "Destination", "ClusterSecretStore"} <= CLUSTER_SCOPED_KINDS
    assert not {"Pod", "Secret", "ExternalSecret", "Application"} & CLUSTER_SCOPED_KINDS
