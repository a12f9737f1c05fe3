"""The orchestrator's schema is at least as strict as everything it renders into (issue 18 item 13).

Property: whatever ``VClusterOrchestrator`` admits, its pipeline renders and every sub-request it renders is
admitted by its own Promise — so ``kratix-lab validate`` OK never turns into a refusal further down the road.
Before the fix the orchestrator admitted a 101-character ``externalSecrets.vault`` (VClusterKubeconfigSync: at most
100), a ``storeName`` that is no DNS subdomain (the ExternalSecrets' ``secretStoreRef.name``), a 64-character
``metadata.name`` (it becomes the ``integratn.tech/parent-resource`` label value of every sub-request) and cluster
labels that are no label values.

One limit no schema can carry: the size of ``vcluster.helmOverrides`` (free-form chart values,
``x-kubernetes-preserve-unknown-fields``). OpenAPI has no byte limit for objects and Kubernetes CEL has no
serialized-size function, so the API server cannot refuse it; the API server's 3 MiB body limit bounds the request,
and VClusterCore's ``valuesYaml`` limit refuses what would not fit the values ConfigMap. The property keeps
overrides small; ``test_oversized_helm_overrides_are_refused_by_the_sub_request_with_the_field`` shows what happens.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.promises import load_catalogue
from kratix_lab.render import render
from tests.helpers import SAMPLES

SOAK = os.environ.get("KRATIX_LAB_SOAK", "") not in ("", "0")
PROPERTY = settings(
    max_examples=500 if SOAK else 40,
    deadline=None,
    derandomize=not SOAK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
CATALOGUE = load_catalogue()
BASES = [yaml.safe_load((SAMPLES / n).read_text()) for n in ("media.yaml", "dev.yaml")]

# Every field of the orchestrator a user sets, by path (spec fields and the name).
FIELDS = [
    ("metadata", "name"),
    ("spec", "name"),
    ("spec", "targetNamespace"),
    ("spec", "projectName"),
    ("spec", "vcluster", "k8sVersion"),
    ("spec", "vcluster", "replicas"),
    ("spec", "vcluster", "persistence", "size"),
    ("spec", "vcluster", "persistence", "storageClass"),
    ("spec", "vcluster", "networking", "clusterDomain"),
    ("spec", "vcluster", "exportKubeConfig", "server"),
    ("spec", "vcluster", "exportKubeConfig", "context"),
    ("spec", "exposure", "hostname"),
    ("spec", "exposure", "apiPort"),
    ("spec", "integrations", "externalSecrets", "storeName"),
    ("spec", "integrations", "externalSecrets", "vault"),
    ("spec", "integrations", "argocd", "environment"),
    ("spec", "integrations", "argocd", "workloadRepo", "repoURL"),
    ("spec", "integrations", "argocd", "workloadRepo", "path"),
    ("spec", "argocdApplication", "repoURL"),
    ("spec", "argocdApplication", "targetRevision"),
]
LABEL_MAPS = [
    ("spec", "integrations", "argocd", "clusterLabels"),
    ("spec", "integrations", "argocd", "clusterAnnotations"),
]

# Strings near every limit the sub-Promises have: lengths around 36/52/63/100/200/253, DNS and label shapes.
pieces = st.sampled_from(["a", "z", "0", "-", ".", "_", "A", " ", "/", ":", "https://", "v1.", "é", "[/]"])
strings = st.one_of(
    st.lists(pieces, max_size=12).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "a-", "a.", "A", "1"]), st.integers(1, 140)),
    st.sampled_from(
        [
            *["", "x", "-x", "x-", "Bad_Name", "a b", "a" * 36, "a" * 37, "a" * 63, "a" * 64, "v" * 100, "v" * 101],
            *["a" * 253, "a" * 254, "https://h", "v1.30.1", "10.0.0.1", "*/5 * * * *"],
        ]
    ),
)
values = st.one_of(strings, st.integers(-2, 70000), st.booleans())


def _set(obj, path, value):
    for k in path[:-1]:
        obj = obj.setdefault(k, {})
        if not isinstance(obj, dict):
            return
    obj[path[-1]] = value


def _failures(node, out):
    return node.errors()


@pytest.mark.parametrize("field", FIELDS + LABEL_MAPS, ids=lambda path: ".".join(path))
@PROPERTY
@given(data=st.data(), base=st.sampled_from(BASES))
def test_whatever_the_orchestrator_admits_its_sub_requests_admit(field, data, base):
    """Each field in turn takes values around every limit downstream, with up to two other fields changed too."""
    obj = copy.deepcopy(base)
    value = data.draw(st.dictionaries(strings, strings, max_size=3) if field in LABEL_MAPS else values, label="value")
    others = data.draw(st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=2), label="others")
    for path, other in [*others, (field, value)]:
        _set(obj, path, other)
    node = render(CATALOGUE, obj)
    if not node.admission.ok:
        return  # refused at the door: nothing further down can refuse it
    failures = _failures(node, [])
    assert not failures, (field, value, others, failures)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("spec", "integrations", "externalSecrets", "vault"), "v" * 101, "may not be more than 100 bytes"),
        (("spec", "integrations", "externalSecrets", "storeName"), "Bad_Name", "should match"),
        (("metadata", "name"), "a" * 64, "metadata.name: Too long: may not be more than 63 bytes"),
        (("spec", "integrations", "argocd", "clusterLabels"), {"team": "-bad-"}, "should match"),
    ],
    ids=["vault", "storeName", "metadata.name", "clusterLabels"],
)
def test_the_orchestrator_refuses_what_its_sub_requests_would(path, value, message):
    obj = copy.deepcopy(BASES[0])
    _set(obj, path, value)
    node = render(CATALOGUE, obj)
    assert not node.admission.ok
    assert any(message in str(e) for e in node.admission.errors), node.admission.errors


def test_oversized_helm_overrides_are_refused_by_the_sub_request_with_the_field():
    obj = copy.deepcopy(BASES[0])
    _set(obj, ("spec", "vcluster", "helmOverrides"), {"x": "y" * 300 * 1024})
    node = render(CATALOGUE, obj)
    assert node.admission.ok  # no schema can bound an object's size (module docstring)
    failures = _failures(node, [])
    assert any("spec.valuesYaml: Too long: may not be more than 262144 bytes" in f for f in failures), failures
