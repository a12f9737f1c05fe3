"""Every real marketplace Promise loads, and its example request is admitted as a cluster would.

The Promises come from ``../shared/reference/marketplace`` (upstream files, see PROVENANCE.md);
they use lowercase kinds, preserve-unknown-fields, defaults and patterns, so they are the ground
truth that the schema engine must accept. The Promise objects themselves are admitted against
Kratix's own Promise CRD from ``../shared/reference/crds/kratix``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kratix_lab.model import load_file
from kratix_lab.schema import CRD, crd_from_promise, explain

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
MARKETPLACE = SHARED / "reference" / "marketplace"
PROMISE_CRD = SHARED / "reference" / "crds" / "kratix" / "platform.kratix.io_promises.yaml"

if not MARKETPLACE.is_dir():
    pytest.skip(
        f"{MARKETPLACE.resolve()} is absent: the upstream marketplace Promises live in ../shared",
        allow_module_level=True,
    )

FOLDERS = sorted(p.name for p in MARKETPLACE.iterdir() if (p / "promise.yaml").is_file())
PROMISE_FILES = sorted(
    f"{folder}/{f.name}"
    for folder in FOLDERS
    for f in (MARKETPLACE / folder).iterdir()
    if f.name == "promise.yaml" or (f.name.startswith("sub-promise") and f.suffix == ".yaml")
)


def _only_doc(path: Path) -> dict:
    docs = load_file(path)
    assert len(docs) == 1, f"{path}: expected one document, found {len(docs)}"
    return docs[0].data


def test_the_marketplace_is_there():
    assert len(FOLDERS) >= 20, FOLDERS


@pytest.mark.parametrize("relpath", PROMISE_FILES)
def test_promise_loads(relpath):
    path = MARKETPLACE / relpath
    promise = _only_doc(path)
    crd = crd_from_promise(promise, str(path))
    if crd is None:
        assert not (promise.get("spec") or {}).get("api"), f"{relpath}: has spec.api but no CRD came out"
        return
    assert crd.kind == promise["spec"]["api"]["spec"]["names"]["kind"]
    assert crd.api_versions, f"{relpath}: no served version"
    root = explain(crd, None, "")
    assert {"apiVersion", "kind", "metadata", "spec"} <= {f.name for f in root.fields}
    spec = explain(crd, None, f"{crd.singular}.spec")
    assert spec.type == "Object"
    for child in spec.fields:  # every documented field can be explained on its own
        assert explain(crd, None, f"spec.{child.name}").name == child.name


@pytest.mark.parametrize("folder", [f for f in FOLDERS if (MARKETPLACE / f / "resource-request.yaml").is_file()])
def test_resource_request_is_admitted(folder):
    # kratix-compound-promise also ships sub-promises; its request is for promise.yaml's API
    promise_path = MARKETPLACE / folder / "promise.yaml"
    crd = crd_from_promise(_only_doc(promise_path), str(promise_path))
    assert crd is not None, f"{folder}: a resource request but no API in promise.yaml"
    for doc in load_file(MARKETPLACE / folder / "resource-request.yaml"):
        admission = crd.admit(doc.data)
        assert admission.errors == [], f"{doc.where}: {admission.message}"
        assert admission.pruned == [], f"{doc.where}: unknown fields {admission.pruned}"
        assert admission.object["kind"] == crd.kind


def test_defaults_are_applied_to_marketplace_requests():
    path = MARKETPLACE / "kratix-easy-app-postgresql" / "promise.yaml"
    crd = crd_from_promise(_only_doc(path), str(path))
    assert crd is not None
    request = {"apiVersion": crd.api_versions[0], "kind": crd.kind, "metadata": {"name": "db"}, "spec": {}}
    admission = crd.admit(request)
    assert admission.ok
    assert admission.object["spec"] == {"dbName": "postgres", "env": "dev", "teamId": "acid"}
    bad = crd.admit({**request, "spec": {"env": "staging"}})
    assert [str(e) for e in bad.errors] == [
        "spec.env: Invalid value: \"staging\": spec.env in body should match '^(dev|prod)$'"
    ]


@pytest.mark.skipif(not PROMISE_CRD.is_file(), reason=f"{PROMISE_CRD} is absent")
@pytest.mark.parametrize("relpath", PROMISE_FILES)
def test_promise_is_admitted_by_the_kratix_promise_crd(relpath):
    promise_crd = CRD.from_dict(_only_doc(PROMISE_CRD), str(PROMISE_CRD))
    path = MARKETPLACE / relpath
    admission = promise_crd.admit(_only_doc(path))
    assert admission.errors == [], f"{relpath}: {admission.message}"
    assert admission.pruned == [], f"{relpath}: unknown fields {admission.pruned}"
