"""Upstream CRDs that carry CEL rules are enforced where the lab admits their kinds (kratix_lab/schema/upstream.py).

- Kratix ``config/crd/bases/platform.kratix.io_destinations.yaml``: ``spec.filepath.mode`` has
  ``rule: self == oldSelf`` / ``message: filepath.mode is immutable`` (and ``default: {mode: nestedByMetadata}``).
- External Secrets v2.9.0 ``config/crds/bases/external-secrets.io_clustersecretstores.yaml``:
  ``spec.provider.secretserver`` has ``rule: has(self.token) || (has(self.username) && has(self.password))`` /
  ``message: either token, or both username and password, must be set``.
"""

from __future__ import annotations

import pytest

from kratix_lab.platform.lab import AdmissionError


@pytest.fixture(scope="module")
def fresh_lab(tmp_path_factory):
    from kratix_lab.platform.lab import Lab

    lab = Lab(tmp_path_factory.mktemp("upstream") / "lab")
    yield lab
    lab.close()


def _destination(mode: str | None) -> dict:
    spec: dict = {"path": "extra", "stateStoreRef": {"kind": "GitStateStore", "name": "default"}}
    if mode is not None:
        spec["filepath"] = {"mode": mode}
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Destination",
        "metadata": {"name": "extra"},
        "spec": spec,
    }


def test_destination_filepath_mode_is_immutable(fresh_lab):
    lab = fresh_lab
    assert lab.apply(_destination(None)) == "created"
    # stored without filepath, defaulted by the API server to nestedByMetadata: changing it is refused
    with pytest.raises(
        AdmissionError,
        match=r'Destination.platform.kratix.io "extra" is invalid: spec.filepath.mode: Invalid value: "string": '
        r"filepath.mode is immutable",
    ):
        lab.apply(_destination("aggregatedYAML"))
    assert lab.apply(_destination("nestedByMetadata")) == "configured"  # the default, spelled out: allowed


def test_destination_schema_is_enforced(fresh_lab):
    bad = _destination("sideways")
    bad["metadata"]["name"] = "other"
    with pytest.raises(AdmissionError, match=r'spec.filepath.mode: Unsupported value: "sideways"'):
        fresh_lab.apply(bad)


def _store(provider: dict) -> dict:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "delinea"},
        "spec": {"provider": {"secretserver": provider}},
    }


def test_cluster_secret_store_rule_is_enforced(fresh_lab):
    lab = fresh_lab
    with pytest.raises(
        AdmissionError,
        match=r'ClusterSecretStore.external-secrets.io "delinea" is invalid: spec.provider.secretserver: Invalid '
        r'value: "object": either token, or both username and password, must be set',
    ):
        lab.apply(_store({"serverURL": "https://ss.example.com"}))
    token = {"secretRef": {"name": "ss", "key": "token"}}
    assert lab.apply(_store({"serverURL": "https://ss.example.com", "token": token})) == "created"


def test_the_labs_own_store_and_destination_pass_their_crds(fresh_lab):
    """The objects the lab creates itself are valid against the upstream CRDs (re-applying them changes nothing)."""
    lab = fresh_lab
    seen = []
    for kind, group in (("ClusterSecretStore", "external-secrets.io"), ("Destination", "platform.kratix.io")):
        for _, name, _ in lab.store.versions(kind, group):
            obj = lab.store.get(kind, name, None, group)
            obj["metadata"] = {
                "name": name,
                **({"labels": obj["metadata"]["labels"]} if obj["metadata"].get("labels") else {}),
            }
            assert lab.apply(obj) in ("unchanged", "configured"), (kind, name)
            seen.append(kind)
    assert {"ClusterSecretStore", "Destination"} <= set(seen)
