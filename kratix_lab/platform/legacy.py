"""What an old pipeline image does (modelled), for the ``pipeline-image-stale`` fault.

The catalogue's previous release (``v0.0.9``) still had the seed's behaviour: the cluster
registration wrote a plain ``Secret`` with the kubeconfig, and the CoreDNS Promise wrote every
vCluster's server block into the one ``kube-system/coredns-custom`` (two vClusters: two Works write
one object, and one entry is lost), and the orchestrator labelled its sub-requests
``kratix.io/promise-name: vcluster-orchestrator`` (a label Kratix owns: it flaps). Any other Promise's old image renders what the current one
does, but says in its log which version ran.
"""

from __future__ import annotations

import base64
from typing import Any

from kratix_lab.model import dump, dump_all, load_documents
from kratix_lab.pipeline.contract import PipelineDirs
from kratix_lab.pipeline.executors import ContainerResult, Executor
from kratix_lab.pipeline.image import PIPELINE_IMAGE, image_tag, is_catalogue_image


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _seed_registration(dirs: PipelineDirs) -> None:
    for f in sorted(dirs.output.glob("*.yaml")):
        docs = load_documents(f.read_text(), str(f))
        for d in docs:
            es: dict[str, Any] = d.data
            if es.get("kind") != "ExternalSecret":
                continue
            tmpl = es["spec"]["target"]["template"]
            name = tmpl["data"]["name"]
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": es["metadata"]["name"],
                    "namespace": es["metadata"]["namespace"],
                    "labels": dict(tmpl["metadata"]["labels"]),  # the seed's labels: no kratix.io ownership labels
                },
                "type": "Opaque",
                "data": {
                    "name": _b64(name),
                    "server": _b64(tmpl["data"]["server"]),
                    "config": _b64("<kubeconfig in git>"),
                },
            }
            f.unlink()
            (dirs.output / f"secret-{secret['metadata']['name']}.yaml").write_text(dump(secret))


def _seed_coredns(dirs: PipelineDirs, env: dict[str, str]) -> None:
    """The seed's pipeline output, whatever the vCluster: the whole ``kube-system/coredns-custom`` with this
    vCluster's ``<name>.server`` block forwarding ``<name>.svc.cluster.local`` to ``10.43.0.10`` (text from
    the seed document). The current release writes nothing on the host (see the Promise's pipeline)."""
    request = load_documents((dirs.input / "object.yaml").read_text(), "/kratix/input/object.yaml")[0].data
    name = str(((request or {}).get("spec") or {}).get("name") or env.get("KRATIX_OBJECT_NAME", ""))
    block = f"{name}.svc.cluster.local:53 {{\n    errors\n    cache 30\n    forward . 10.43.0.10\n}}\n"
    shared = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "coredns-custom",  # the seed's one object, whichever vCluster writes it
            "namespace": "kube-system",
            "labels": {
                "kratix.io/promise-name": env.get("KRATIX_PROMISE_NAME", ""),
                "kratix.io/resource-name": env.get("KRATIX_OBJECT_NAME", ""),
                "app.kubernetes.io/managed-by": "kratix",
            },
        },
        "data": {f"{name}.server": block},
    }
    (dirs.output / "configmap-coredns-custom.yaml").write_text(dump(shared))


def _seed_orchestrator(dirs: PipelineDirs) -> None:
    """The old orchestrator labelled its sub-requests like any output, ``kratix.io/promise-name:
    vcluster-orchestrator`` (the seed's "add kratix.io/promise-name to all outputs"). Kratix relabels
    every request with its own Promise (dynamic_resource_request_controller.go:159-165), so the label
    flaps between Kratix and Argo CD's self-heal."""
    for f in sorted(dirs.output.glob("*.yaml")):
        docs = [d.data for d in load_documents(f.read_text(), str(f))]
        changed = False
        for obj in docs:
            if not isinstance(obj, dict) or not str(obj.get("apiVersion", "")).startswith("platform.integratn.tech/"):
                continue
            labels = obj.setdefault("metadata", {}).setdefault("labels", {})
            parent = labels.pop("integratn.tech/parent-promise", None)
            resource = labels.pop("integratn.tech/parent-resource", None)
            if parent:
                labels["kratix.io/promise-name"] = parent
                labels["kratix.io/resource-name"] = resource or ""
                changed = True
        if changed:
            f.write_text(dump_all(docs))


class StaleImageExecutor:
    """Runs a catalogue container; when its tag is not the current release, behaves like the old one."""

    name = "in-process"

    def __init__(self, inner: Executor):
        self.inner = inner

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        image = str(container.get("image", ""))
        res = self.inner.run(container, dirs, env)
        if not is_catalogue_image(image) or image_tag(image) == image_tag(PIPELINE_IMAGE) or res.exit_code != 0:
            return res
        note = (
            f"kratix-lab-pipeline {image_tag(image)} (image {image}; current release is {image_tag(PIPELINE_IMAGE)})\n"
        )
        if (
            env.get("KRATIX_PROMISE_NAME") == "vcluster-argocd-cluster-registration"
            and env.get("KRATIX_WORKFLOW_ACTION") == "configure"
        ):
            _seed_registration(dirs)
            note += "wrote secret: cluster registration as a plain Secret (behaviour of the old release)\n"
        after = ""
        if (
            env.get("KRATIX_PROMISE_NAME") == "vcluster-orchestrator"
            and env.get("KRATIX_WORKFLOW_ACTION") == "configure"
        ):
            _seed_orchestrator(dirs)
            after = "labelled the sub-requests kratix.io/promise-name: vcluster-orchestrator (behaviour of the old release)\n"
        if env.get("KRATIX_PROMISE_NAME") == "vcluster-coredns" and env.get("KRATIX_WORKFLOW_ACTION") == "configure":
            _seed_coredns(dirs, env)
            after = "wrote configmap-coredns-custom.yaml: the one shared kube-system/coredns-custom (behaviour of the old release)\n"
        return ContainerResult(res.name, res.image, res.exit_code, note + res.logs + after, res.seconds)


class FailingExecutor:
    """The ``pipeline-fails`` fault: the container exits 1 with an error in its log."""

    name = "in-process"

    def __init__(self, inner: Executor, request: str | None):
        self.inner = inner
        self.request = request

    def run(self, container: dict[str, Any], dirs: PipelineDirs, env: dict[str, str]) -> ContainerResult:
        if self.request and env.get("KRATIX_OBJECT_NAME") != self.request:
            return self.inner.run(container, dirs, env)
        logs = (
            f"reading /kratix/input/object.yaml for {env.get('KRATIX_OBJECT_KIND')}/{env.get('KRATIX_OBJECT_NAME')}\n"
            "error: render failed: exit status 1 (fault 'pipeline-fails' injected by kratix-lab)\n"
        )
        return ContainerResult(str(container.get("name")), str(container.get("image")), 1, logs, 0.0)
