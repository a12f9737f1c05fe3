"""Diagnose a request: rules over its trace produce findings, and the verdict names the stuck stage.

A finding says what is wrong, where (stage and object), since when, the evidence, and the fix —
a command or a change. Deeper failures rank first (the first failing stage is the verdict):
``stuck at <stage> since <time> (<duration>): <reason> → <fix>``.

"Since" is when the problem began (``trace``: the lastTransitionTime of the condition that went bad, or the
first event of the failure; the object's creation only when nothing better exists). It is kept as a timestamp;
the duration beside it is computed when it is shown (``Verdict.text(now)``, ``kube.times.human_duration``),
never frozen into a message: a row read a minute later says a minute more (issue 17 item 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from kratix_lab.kube.health import DEGRADED, HEALTHY, MISSING, PROGRESSING
from kratix_lab.kube.registry import PrinterColumn, column_text
from kratix_lab.kube.times import ago, rfc3339
from kratix_lab.model import GVK, Document, YamlError, get_condition, load_documents, namespace_of
from kratix_lab.pipeline.image import PIPELINE_IMAGE, image_tag, is_catalogue_image
from kratix_lab.sources import Source
from kratix_lab.trace import STAGE_TITLES, UNREADABLE, RequestKind, TraceNode, declared_requests, resolve, trace
from kratix_lab.words import kinds

REQUIRED_LABELS = ("kratix.io/promise-name", "kratix.io/resource-name", "app.kubernetes.io/managed-by")


@dataclass
class Finding:
    id: str
    severity: str  # error | warning
    stage: str
    object: str
    message: str
    fix: str
    since: int | None = None
    depth: int = 0
    evidence: dict[str, Any] = field(default_factory=dict)
    objects: list[str] = field(default_factory=list)  # every object a merged finding covers (``object`` is the first)
    keys: str = ""  # the fix as the dashboard does it, naming its keys ("press `l` …, then `r` …"); "" = ``fix``

    def covers(self, ref: str) -> bool:
        """Whether this finding is about the object ``ref`` (one of a merged finding's objects)."""
        return ref == self.object or ref in self.objects


@dataclass(frozen=True)
class Verdict:
    """A verdict in parts, so its duration is computed when it is shown: ``lead`` (``stuck at WorkPlacement``),
    ``since`` (when the problem began, lab seconds; None: no time to give) and ``rest`` (``: <reason> → <fix>``)."""

    lead: str
    since: int | None = None
    rest: str = ""

    def text(self, now: int | None = None) -> str:
        """``<lead> since <RFC 3339> (<duration at now>)<rest>``; without ``now``, the timestamp only (JSON,
        Markdown: text that stays true whenever it is read)."""
        if self.since is None:
            return self.lead + self.rest
        when = f" since {rfc3339(self.since)}" + (f" ({ago(self.since, now)})" if now is not None else "")
        return self.lead + when + self.rest

    @property
    def summary(self) -> str:
        """The verdict without its time: a fleet row's MESSAGE, beside the row's own SINCE column."""
        return self.lead + self.rest


@dataclass
class Diagnosis:
    ref: str
    trace: TraceNode
    findings: list[Finding]
    judged: Verdict
    now: int
    deleted: bool = False  # the request is gone after a clean delete (no findings, nothing left)

    @property
    def verdict(self) -> str:
        """The verdict as of the diagnosis (``now``), its duration included; ``verdict_at`` for a later moment."""
        return self.judged.text(self.now)

    def verdict_at(self, now: int) -> str:
        """The verdict with its duration as of ``now`` (the display's clock)."""
        return self.judged.text(now)

    @property
    def since(self) -> int | None:
        """When the verdict's problem began (lab seconds), or None."""
        return self.judged.since

    @property
    def healthy(self) -> bool:
        return not self.findings and self.trace.worst() == HEALTHY

    @property
    def dashboard_verdict(self) -> str:
        """The verdict as the dashboard shows it: the fix by the keys that do it when the top finding has them
        (``Finding.keys``: "press `l` …, then `r` …"), else the verdict itself (issue 17 item 6)."""
        top = self.findings[0] if self.findings else None
        if top is None or not self.verdict.endswith(f" → {top.fix}"):
            return self.verdict
        head = self.verdict[: -len(top.fix) - 3]
        if len(head) > VERDICT_HEAD:  # the reason gives way, the fix stays whole: a few lines at 80 columns
            head = head[: VERDICT_HEAD - 1].rstrip() + "…"
        return f"{head} → {top.keys or top.fix}"


VERDICT_HEAD = 200  # characters of "stuck at … since …: reason" the dashboard keeps before the fix


def _cmd_ref(node: TraceNode) -> str:
    ns = f" -n {node.namespace}" if node.namespace else ""
    return f"{node.kind.lower()} {node.name}{ns}"


def mode(source: Source) -> str:
    """``lab`` or ``live``: where the user is, so a fix names commands that work there (issue 17 item 6). A source
    says so by its ``mode`` attribute (``LiveSource``: live); any other is the lab."""
    return "live" if getattr(source, "mode", "lab") == "live" else "lab"


def fix_for(source: Source, *, lab: str, live: str) -> str:
    """The fix as the user runs it: ``kratix-lab …`` commands in the lab, kubectl/git/argocd commands live."""
    return live if mode(source) == "live" else lab


# ---- the rules ---------------------------------------------------------------------------------
# Each rule looks at one trace node (with its parents) and yields findings.

Rule = Callable[[Source, TraceNode, list[TraceNode], int], Iterator[Finding]]
RULES: list[tuple[str, Rule]] = []


def rule(rule_id: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((rule_id, fn))
        return fn

    return register


def _request_of(parents: list[TraceNode]) -> TraceNode | None:
    return next((p for p in reversed(parents) if p.stage == "request"), None)


@rule("request-missing")
def _missing_request(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "request" and n.health == MISSING:
        parent = _request_of(parents)
        where = f" (rendered by {parent.ref})" if parent else ""
        fix = fix_for(
            s,
            lab="check that the request was committed and applied: `kratix-lab get applications -n argocd`; validate it "
            "with `kratix-lab validate FILE` and fix the fields it names",
            live="check that the request was committed and applied: `kubectl get applications -n argocd`; validate it "
            "with `kubectl apply --dry-run=server -f FILE` and fix the fields it names",
        )
        if "cannot read git" in n.message:
            fix = _gitops_file_fix(s)
        yield Finding("request-missing", "error", "request", n.ref, n.message + where, fix, None, depth)


@rule("promise-unavailable")
def _promise_unavailable(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "request":
        return
    # PromiseAvailable=False, reason PromiseRequirementsNotInstalled, on the request (kratix
    # lib/resourceutil/util.go:32-34, 496-508; dynamic_resource_request_controller.go:189-191)
    rec: dict[str, Any] = next((c for c in n.evidence.get("conditions", []) if c.get("type") == "PromiseAvailable"), {})
    if rec.get("status") == "False":
        why = ""
        try:  # the Promise's own condition names what it waits for
            promise = s.get("Promise", str(n.evidence.get("promise")), None, "platform.kratix.io") or {}
        except UNREADABLE:
            promise = {}
        req_cond = get_condition(promise, "RequirementsFulfilled") or {}
        if req_cond.get("status") == "False" and req_cond.get("message"):
            why = f" ({req_cond['message']})"
        yield Finding(
            "promise-unavailable",
            "error",
            "request",
            n.ref,
            f"the Promise {n.evidence.get('promise')} is not Available: {rec.get('message')}{why}",
            fix_for(
                s,
                lab=f"install its required Promises (`kratix-lab get promises`, "
                f"`kratix-lab describe promise {n.evidence.get('promise')}`)",
                live=f"install its required Promises (`kubectl get promises`, "
                f"`kubectl describe promise {n.evidence.get('promise')}`)",
            ),
            n.since,
            depth,
        )


@rule("pipeline-failed")
def _pipeline_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "pipeline" and n.health == DEGRADED:
        req = _request_of(parents)
        tail = [line for line in n.evidence.get("logTail", []) if line.strip()]
        reason = tail[-1] if tail else (n.evidence.get("failure") or "the container exited non-zero")
        # The failing container is an init container of the pipeline pod (Kratix's reader, the Pipeline's
        # containers, work-writer: api/v1alpha1/pipeline_factory.go:350-362): name it, or the logs shown
        # are the status-writer's (kubectl's default container) and say nothing.
        container = n.evidence.get("container")
        pods = n.evidence.get("pods") or []
        c_opt = f" -c {container}" if container else ""
        if req:
            target = _cmd_ref(req)
            selector = f"kratix.io/promise-name={req.evidence.get('promise')},kratix.io/resource-name={req.name}"
            live_logs = (
                f"kubectl logs -n {req.namespace} {pods[-1]}{c_opt}"
                if container and pods
                else f"kubectl logs -n {req.namespace} -l {selector} --all-containers --prefix"
            )
            fix = fix_for(
                s,
                lab=f"read the logs (`kratix-lab logs {req.kind.lower()}/{req.name} -n {req.namespace}{c_opt}`), fix the "
                f"request or the pipeline, then `kratix-lab reconcile {target}`",
                live=f"read the logs (`{live_logs}`), fix the "
                f"request or the pipeline, then `kubectl label {target} kratix.io/manual-reconciliation=true "
                "--overwrite`",
            )
        else:
            fix = fix_for(
                s,
                lab=f"read the pipeline pod's logs (`kratix-lab logs job/{n.name} -n {n.namespace}{c_opt}`)",
                live=f"read the pipeline pod's logs (`kubectl logs job/{n.name} -n {n.namespace}"
                f"{c_opt or ' --all-containers'}`)",
            )
        yield Finding(
            "pipeline-failed",
            "error",
            "pipeline",
            n.ref,
            f"pipeline {n.evidence.get('pipeline')} failed: {reason}",
            fix,
            n.since,
            depth,
            {"logTail": tail[-5:]},
            keys="press `l` for the pipeline's logs, fix the request or the pipeline, then `r` to reconcile"
            if req
            else "",
        )


@rule("pipeline-image-stale")
def _image_stale(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "pipeline":
        return
    for image in n.evidence.get("images", []):
        if image and is_catalogue_image(image) and image_tag(image) != image_tag(PIPELINE_IMAGE):
            req = _request_of(parents)
            yield Finding(
                "pipeline-image-stale",
                "warning",
                "pipeline",
                n.ref,
                f"pipeline ran image {image}, not the current release {PIPELINE_IMAGE}: changes to the pipeline code are not running",
                f"point the Promise {req.evidence.get('promise') if req else ''} at {PIPELINE_IMAGE} (and a pinned tag or "
                "imagePullPolicy: Always), then reconcile its requests",
                n.since,
                depth,
            )


@rule("work-unscheduled")
def _unscheduled(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "work" and n.health == DEGRADED and "UnscheduledWorkloads" in n.message:
        selectors: dict[str, str] = {}
        for g in n.evidence.get("groups", []):
            for sel in g.get("selectors") or []:
                selectors.update(sel or {})
        labels = " ".join(f"{k}={v}" for k, v in selectors.items())
        yield Finding(
            "work-unscheduled",
            "error",
            "work",
            n.ref,
            f"no Destination matches the selectors {','.join(labels.split()) or '(none)'}: the files are not written "
            "anywhere",
            fix_for(
                s,
                lab="label a Destination to match: `kratix-lab get destination the-cluster -o yaml > destination.yaml`, "
                f"add {labels} to metadata.labels, `kratix-lab apply -f destination.yaml` (or fix the Promise's "
                "destinationSelectors)",
                live=f"label a Destination to match: `kubectl label destination the-cluster {labels}` (or fix the "
                "Promise's destinationSelectors)",
            ),
            n.since,
            depth,
            {"selectors": selectors},
        )


@rule("work-misplaced")
def _misplaced(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "placement" and n.health == DEGRADED and n.message.startswith("misplaced"):
        yield Finding(
            "work-misplaced",
            "warning",
            "placement",
            n.ref,
            n.message,
            fix_for(
                s,
                lab="restore the Destination's labels (`kratix-lab get destination the-cluster -o yaml > "
                "destination.yaml`, edit metadata.labels, `kratix-lab apply -f destination.yaml`), or delete the "
                "request and submit it again to schedule it elsewhere",
                live="restore the Destination's labels (`kubectl label destination the-cluster KEY=VALUE`), or delete "
                "the request and create it again to schedule it elsewhere",
            ),
            n.since,
            depth,
        )


@rule("statestore-write-failed")
def _write_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    # WriteSucceeded=False reason WorkloadsFailedWrite (kratix api/v1alpha1/workplacement_types.go:138-155);
    # a Destination or store that does not exist is not a write the store refused
    if (
        n.stage == "placement"
        and n.health == DEGRADED
        and n.message.startswith("WorkloadsFailedWrite")
        and not n.message.endswith("not found")
    ):
        yield Finding(
            "statestore-write-failed",
            "error",
            "placement",
            n.ref,
            f"Kratix cannot write to the state store: {n.message.split(': ', 1)[-1]}",
            "check the GitStateStore's credentials Secret and the branch's push rules "
            + fix_for(
                s,
                lab="(`kratix-lab describe gitstatestore default`)",
                live="(`kubectl describe gitstatestore default`)",
            )
            + "; Kratix retries on its own once pushes are accepted",
            n.since,
            depth,
        )


@rule("commit-not-synced")
def _not_synced(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if (
        n.stage != "sync"
        or n.health == HEALTHY
        or (n.evidence.get("conditions") and any(c.get("type", "").endswith("Error") for c in n.evidence["conditions"]))
    ):
        return
    if n.message.startswith("sync failed"):
        return
    automated = n.evidence.get("automated")
    if not automated:
        fix = _autosync_fix(s, n.name, f"enable automated sync on {n.name}", "or sync it by hand")
        keys = ""
    else:
        fix = fix_for(
            s,
            lab="Argo CD applies it at its next refresh: let the lab run (`kratix-lab settle`)",
            live=f"wait for Argo CD's next refresh, or `argocd app get {n.name} --refresh`",
        )
        keys = "Argo CD applies it at its next refresh: press `n` to step the lab clock, `p` to play it"
    yield Finding(
        "commit-not-synced",
        "error" if not automated else "warning",
        "sync",
        n.ref,
        n.message  # a request in git Argo CD does not apply: the node names it and the revision
        if n.evidence.get("resource")
        else f"commit {str(n.evidence.get('commit'))[:8]} is written but not applied: {n.message}",
        fix,
        n.since,
        depth,
        keys=keys if mode(s) == "lab" else "",
    )


def _autosync_fix(s: Source, app: str, what: str, instead: str) -> str:
    """How to turn automated sync (with prune and self-heal) on for an Argo CD Application, where the user is."""
    return fix_for(
        s,
        lab=f"{what}: `kratix-lab get application {app} -n argocd -o yaml > app.yaml`, set spec.syncPolicy.automated "
        "to {prune: true, selfHeal: true}, `kratix-lab apply -f app.yaml`, `kratix-lab settle`",
        live=f"{what}: `kubectl patch application {app} -n argocd --type merge -p "
        '\'{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}\'`, '
        f"{instead}: `argocd app sync {app}" + (" --prune`" if "prune" in instead else "`"),
    )


def _gitops_file_fix(s: Source) -> str:
    """How to fix or remove a file in the gitops repo that Argo CD cannot read, where the user is."""
    return fix_for(
        s,
        lab="fix or remove the file the error names in the gitops repo (`kratix-lab validate FILE` shows the problem; "
        "`kratix-lab submit FILE` commits a fixed request, `kratix-lab delete KIND/NAME` removes one), then "
        "`kratix-lab settle`",
        live="fix or remove the file the error names in the gitops repo (`kratix-lab validate FILE` shows the "
        "problem), then `git commit` and `git push`",
    )


@rule("sync-failed")
def _sync_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "sync" and n.message.startswith("sync failed"):
        yield Finding(
            "sync-failed",
            "error",
            "sync",
            n.ref,
            n.message,
            "fix the objects the API server refused (the message names them), e.g. an API version the cluster does not serve",
            n.since,
            depth,
        )


@rule("app-invalid-spec")
def _invalid_spec(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage not in ("sync", "helm"):
        return
    app_conditions = n.evidence.get("conditions", [])
    if n.stage == "helm":
        app = s.get("Application", parents[-1].name if parents else n.name, "argocd", "argoproj.io")
        app_conditions = ((app or {}).get("status") or {}).get("conditions", [])
    for c in app_conditions:
        if c.get("type") == "InvalidSpecError":
            yield Finding(
                "app-invalid-spec",
                "error",
                n.stage,
                n.ref,
                f"Argo CD refuses the Application: {c.get('message')}",
                "create the AppProject it names, or allow its source repo / destination in the project "
                "(sourceRepos, destinations)",
                s.timestamp(c.get("lastTransitionTime")),
                depth,
            )


def comparison_errors(s: Source) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every Argo CD Application that cannot generate its manifests, with its ``ComparisonError`` condition
    (argo-cd controller/state.go: a file of the source the repo-server cannot unmarshal fails the whole
    comparison; the Application's live objects stay as last synced)."""
    out = []
    for app in s.list("Application", "argocd", group="argoproj.io"):
        for c in (app.get("status") or {}).get("conditions") or []:
            if c.get("type") == "ComparisonError":
                out.append((app, c))
    return out


@rule("app-comparison-error")
def _comparison_error(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """A request applied by an Application that can no longer compare git with the cluster: the request keeps
    running as last synced, but no change to it in git is applied until the file the error names is fixed."""
    if n.stage != "request" or n.health == MISSING:
        return
    for app, c in comparison_errors(s):
        applied = any(
            r.get("kind") == n.kind and r.get("name") == n.name and r.get("namespace") == n.namespace
            for r in (app.get("status") or {}).get("resources") or []
        )
        if applied:
            yield Finding(  # a warning: the request runs as last synced; its changes in git wait
                "app-comparison-error",
                "warning",
                "request",
                n.ref,
                f"Argo CD application {app['metadata']['name']}, which applies this request, cannot read git: "
                f"{c.get('message', '')}; changes to the request in git are not applied",
                _gitops_file_fix(s),
                s.timestamp(c.get("lastTransitionTime")),
                depth,
                {"application": app["metadata"]["name"]},
            )


def platform_findings(s: Source) -> list[Finding]:
    """Problems of the platform itself, outside any request's road: Applications that cannot compare
    (``diagnose --all`` lists them after the vClusters)."""
    return [
        Finding(
            "app-comparison-error",
            "error",
            "sync",
            f"Application/argocd/{app['metadata']['name']}",
            f"Argo CD application {app['metadata']['name']} cannot read git: {c.get('message', '')}; nothing it "
            "syncs is updated, and requests new in its files are not applied",
            _gitops_file_fix(s),
            s.timestamp(c.get("lastTransitionTime")),
        )
        for app, c in comparison_errors(s)
    ]


@rule("helm-render-failed")
def _helm_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "helm" or n.health != DEGRADED:
        return
    app = s.get("Application", parents[-1].name if parents else n.name, "argocd", "argoproj.io")
    conditions = ((app or {}).get("status") or {}).get("conditions") or []
    if any(c.get("type") == "InvalidSpecError" for c in conditions):
        return  # app-invalid-spec says it; the chart was never rendered
    if n.message.startswith("Failed sync attempt"):
        yield Finding(
            "sync-failed",
            "error",
            "helm",
            n.ref,
            n.message,
            "fix the objects the API server refused (the message names them); Argo CD retries on the next change",
            n.since,
            depth,
        )
        return
    not_modelled = "not modelled by kratix-lab" in n.message
    req = _request_of(parents)
    reconcile = (
        fix_for(
            s,
            lab=f"`kratix-lab reconcile {_cmd_ref(req)}`",
            live=f"`kubectl label {_cmd_ref(req)} kratix.io/manual-reconciliation=true --overwrite`",
        )
        if req
        else "reconcile the request"
    )
    yield Finding(
        "helm-values-invalid" if "schema" in n.message or "values" in n.message else "helm-render-failed",
        "error",
        "helm",
        n.ref,
        f"the chart cannot be rendered: {n.message}",
        "the lab models only vcluster 0.30.x from https://charts.loft.sh"
        if not_modelled
        else f"fix the values it names (vcluster.helmOverrides / the orchestrator fields), then {reconcile}",
        n.since,
        depth,
        keys="" if not_modelled or not req else "fix the values it names in the request, then press `r` to reconcile",
    )


@rule("workload-not-ready")
def _workload(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "pod" or n.health != DEGRADED:
        return
    last = n.evidence.get("lastTermination") or []
    oom = "OOMKilled" in last
    root = next((p for p in parents if p.stage == "request"), None)
    if oom:
        memory = "spec.vcluster.resources.limits.memory"
        gitops = f"platform/vclusters/{root.name}.yaml" if root and root.kind == "VClusterOrchestrator" else None
        fix = fix_for(
            s,
            lab=f"raise the memory limit ({memory} in the request): `kratix-lab repo files --gitops {gitops} > "
            f"{root.name}.yaml`, edit it, `kratix-lab submit {root.name}.yaml`, `kratix-lab settle` (Argo CD rolls "
            "it out)"
            if gitops and root
            else f"raise the memory limit ({memory} in the request), submit it again and let Argo CD roll it out",
            live=f"raise the memory limit ({memory} in the request): edit {gitops or 'its file'} in the gitops repo, "
            "`git commit` and `git push` (or `kratix-lab submit FILE --write`); Argo CD rolls it out",
        )
        keys = f"press `e` to edit the request and raise {memory}; Argo CD rolls it out"
    else:
        fix = fix_for(
            s,
            lab=f"see why it exits (`kratix-lab describe pod {n.name} -n {n.namespace}`: its last state and events; the "
            "lab models the pod, so it has no logs) and fix the cause; it restarts on its own",
            live=f"read its logs (`kubectl logs {n.name} -n {n.namespace} --previous`) and fix the cause; it restarts "
            "on its own",
        )
        keys = "press `d` to describe the pod (its last state and events), fix the cause; it restarts on its own"
    yield Finding(
        "pod-oomkilled" if oom else "pod-crashloop",
        "error",
        "pod",
        n.ref,
        f"CrashLoopBackOff: {n.message}" + (" — the container ran out of memory (OOMKilled)" if oom else ""),
        fix,
        n.since,
        depth,
        {"restarts": n.evidence.get("restarts"), "lastTermination": last},
        keys=keys,
    )


_ITEM_MISSING = re.compile(r"key not found in 1Password Vaults: (.+) in: map\[")
_FIELD_MISSING = re.compile(r"expected one 1Password ItemField matching: '([^']*)' in '([^']*)', got 0")
_STORE_MISSING = re.compile(r'could not get (ClusterSecretStore|SecretStore) "([^"]*)"')
_SCRIPT_LABEL = re.compile(r'\\"label\\": \\"([^"\\]+)\\"')


def _item_writers(s: Source, title: str) -> list[tuple[dict[str, Any], list[str]]]:
    """CronJobs whose container writes the 1Password item ``title`` (``OP_ITEM_TITLE``), with the fields its
    script writes (the kubeconfig sync's item template)."""
    out = []
    for cj in s.list("CronJob", None, None, group="batch"):
        pod = ((((cj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get(
            "spec"
        ) or {}
        for c in pod.get("containers") or []:
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            if env.get("OP_ITEM_TITLE") == title:
                script = " ".join(str(a) for a in [*(c.get("command") or []), *(c.get("args") or [])])
                out.append((cj, list(dict.fromkeys(_SCRIPT_LABEL.findall(script)))))
    return out


@rule("external-secret-failed")
def _external_secret(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """An ExternalSecret ESO cannot sync: Ready=False SecretSyncedError, the provider's error in its latest Warning
    UpdateFailed event (external-secrets pkg/controllers/externalsecret/externalsecret_controller.go ``markAsFailed``,
    lines 786-791). The fix follows the chain: the store, the 1Password item and who writes it, the field."""
    if n.stage != "object" or n.kind != "ExternalSecret" or n.health != DEGRADED:
        return
    es = s.get("ExternalSecret", n.name, n.namespace, "external-secrets.io")
    if es is None:
        return
    ready = get_condition(es, "Ready") or {}
    if ready.get("reason") != "SecretSyncedError":
        return
    failed = [e for e in s.events(es) if e.get("reason") == "UpdateFailed"]
    error = failed[-1]["message"] if failed else ready.get("message", "")
    req = _request_of(parents)
    request = f"{req.kind}/{req.name}" if req else "the request"
    item, field_, store = _ITEM_MISSING.search(error), _FIELD_MISSING.search(error), _STORE_MISSING.search(error)
    if store:
        stores = s.list(store.group(1), None, None, group="external-secrets.io")
        known = ", ".join(
            f"{o['metadata']['name']} ({', '.join(f'{k}={v}' for k, v in (o['metadata'].get('labels') or {}).items())})"
            for o in stores
        )
        fix = (
            f"no {store.group(1)} {store.group(2)!r} (there are: {known or 'none'}): point {request} at an existing "
            "store — the orchestrator resolves it from spec.integrations.externalSecrets.clusterStoreSelectorLabels "
            "(integratn.tech/cluster-secret-store: <store name>) or storeName — and submit it again"
        )
    elif item:
        title = item.group(1).strip()
        writers = _item_writers(s, title)
        if writers:
            cj = writers[0][0]
            where = f"{cj['metadata'].get('namespace')}/{cj['metadata']['name']}"
            fix = fix_for(
                s,
                lab=f"the 1Password item {title} is missing and its writer, the kubeconfig sync CronJob {where}, has "
                f"not written it back: see its runs (`kratix-lab get jobs -n {cj['metadata'].get('namespace')}`, "
                f"`kratix-lab describe cronjob {cj['metadata']['name']} -n {cj['metadata'].get('namespace')}`) and "
                "`kratix-lab fault list` (secret-item-missing); once the item exists ESO syncs it",
                live=f"the 1Password item {title} is missing and its writer, the kubeconfig sync CronJob {where}, has "
                f"not written it back: read its last Job's logs (`kubectl logs job/<last> -n "
                f"{cj['metadata'].get('namespace')}`), fix what it reports (Connect token, vault), or run it now: "
                f"`kubectl create job --from=cronjob/{cj['metadata']['name']} {cj['metadata']['name']}-now -n "
                f"{cj['metadata'].get('namespace')}`",
            )
        else:
            fix = (
                f"nothing on the cluster writes the 1Password item {title}: create it in 1Password, or correct the "
                f"item name (spec.remoteKey) in {request}"
            )
    elif field_:
        prop, title = field_.group(1), field_.group(2)
        writers = _item_writers(s, title)
        fields = writers[0][1] if writers else []
        fix = (
            f"the 1Password item {title} has no field {prop!r}"
            + (f" (its writer writes: {', '.join(fields)})" if fields else "")
            + f": correct the property {request} asks for (remoteRef.property) or make the writer write it, and "
            "submit it again"
        )
    else:
        fix = "read the ExternalSecret's events (`describe`) for the provider's error and fix what it names"
    yield Finding(
        "external-secret-failed",
        "error",
        "object",
        n.ref,
        f"External Secrets cannot sync {n.name}: {ready.get('message', '')}: {error}",
        fix,
        n.since,
        depth,
        {"error": error},
    )


@rule("output-secret")
def _secret(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "object" and n.kind == "Secret":
        yield Finding(
            "output-secret",
            "error",
            "commit",
            n.ref,
            f"a pipeline wrote a plain Secret to the state repo ({n.evidence.get('file')}): credentials in git",
            "render an ExternalSecret instead (the platform forbids kind: Secret in pipeline outputs); "
            "check the Promise's pipeline image is the current release",
            n.since,
            depth,
        )


@rule("output-labels")
def _labels(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "commit":
        return
    for fpath, docs in _commit_documents(s, n):
        for d in docs:
            obj = d.data if isinstance(d.data, dict) else {}
            meta = obj.get("metadata") or {}
            missing = [k for k in REQUIRED_LABELS if k not in (meta.get("labels") or {})]
            if obj.get("kind") and missing and not _is_promise_request(s, obj):
                yield Finding(
                    "output-missing-labels",
                    "warning",
                    "commit",
                    f"{obj.get('kind')}/{meta.get('name')}",
                    f"{fpath} lacks the required labels {', '.join(missing)}",
                    "add kratix.io/promise-name, kratix.io/resource-name and app.kubernetes.io/managed-by: kratix in the pipeline",
                    n.since,
                    depth,
                )
            if (
                obj.get("kind")
                and not meta.get("namespace")
                and s.kinds().namespaced(str(obj["kind"]), GVK.of(obj).group)
            ):
                yield Finding(
                    "output-missing-namespace",
                    "warning",
                    "commit",
                    f"{obj.get('kind')}/{meta.get('name')}",
                    f"{fpath} has no namespace: it lands in whatever namespace Argo CD defaults to",
                    "set an explicit metadata.namespace in the pipeline",
                    n.since,
                    depth,
                )


def _commit_documents(s: Source, n: TraceNode) -> Iterator[tuple[str, list[Document]]]:
    """Each file of a commit node with its YAML documents: as the trace parsed them (``n.manifests``), else read
    from the state repo. Files that are not YAML are left out (the trace reports them itself)."""
    for fpath in n.evidence.get("files", []):
        if n.manifests is not None and fpath in n.manifests:
            try:
                yield fpath, n.manifests.documents(fpath)
            except (YamlError, UnicodeDecodeError):
                continue
            continue
        content = s.state_files(fpath, n.evidence.get("sha")).get(fpath, b"")
        try:
            docs = load_documents(content.decode("utf-8"), fpath)
        except Exception:  # unreadable files are reported by the trace itself
            continue
        yield fpath, docs


def _is_promise_request(s: Source, obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is a request of an installed Promise (Kratix labels those itself)."""
    return _promise_of_request(s, obj) is not None


def _promise_of_request(s: Source, obj: dict[str, Any]) -> str | None:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return next((p.name for p in s.promises() if p.crd and (p.crd.kind, p.crd.group) == (obj.get("kind"), group)), None)


@rule("promise-label-flap")
def _promise_label_flap(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """A committed request labelled ``kratix.io/promise-name`` with another Promise's name. Kratix sets that
    label to the request's own Promise on every reconcile (syntasso/kratix
    internal/controller/dynamic_resource_request_controller.go:159-165, setPromiseLabels :1783-1791);
    Argo CD's self-heal puts git's value back: the two flap for ever."""
    if n.stage != "commit":
        return
    for fpath, docs in _commit_documents(s, n):
        for d in docs:
            obj = d.data if isinstance(d.data, dict) else {}
            own = _promise_of_request(s, obj)
            label = ((obj.get("metadata") or {}).get("labels") or {}).get("kratix.io/promise-name")
            if own is None or label in (None, own):
                continue
            meta = obj.get("metadata") or {}
            yield Finding(
                "promise-label-flap",
                "error",
                "commit",
                f"{obj.get('kind')}/{meta.get('name')}",
                f"{fpath} labels this {obj.get('kind')} request kratix.io/promise-name={label}, but Kratix labels "
                f"every request with its own Promise ({own}): Kratix and Argo CD's self-heal overwrite each other",
                "in the pipeline that renders it, record the parent under keys Kratix does not own "
                "(integratn.tech/parent-promise, integratn.tech/parent-resource) and drop kratix.io/promise-name; "
                "if an old pipeline image is running, roll out the current one",
                n.since,
                depth,
            )


@rule("object-written-twice")
def _twice(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "sync":
        return
    # The warnings are the whole Application's: only a request whose own files or objects they name is a writer.
    # Shared names "Kind/name is part of …"; Repeated names the resource key "group/Kind/namespace/name appeared …"
    objects = [c for c in n.children if c.stage == "object"]
    mine = [
        *(n.evidence.get("files") or []),
        *(f"{c.kind}/{c.name} " for c in objects),
        *(f"/{c.kind}/{ns}/{c.name} appeared " for c in objects for ns in {c.namespace or "", ""}),
    ]
    for c in n.evidence.get("conditions", []):
        if c.get("type") in ("RepeatedResourceWarning", "SharedResourceWarning") and any(
            m in c.get("message", "") + " " for m in mine
        ):
            yield Finding(
                "object-written-twice",
                "warning",
                "sync",
                n.ref,
                f"{c['type']}: {c['message']} — one of the writers loses its content",
                "give each request its own object (e.g. a ConfigMap per vCluster) instead of sharing one",
                s.timestamp(c.get("lastTransitionTime")),
                depth,
            )


@rule("object-missing")
def _object_missing(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "object" and n.health == MISSING:
        yield Finding(
            "object-missing",
            "warning",
            "object",
            n.ref,
            f"{n.ref} is in git ({n.evidence.get('file')}) but not in the cluster",
            "check the Argo CD Application's sync result "
            + fix_for(
                s,
                lab="(`kratix-lab describe application kratix-state-reconciler -n argocd`)",
                live="(`kubectl describe application kratix-state-reconciler -n argocd`)",
            ),
            n.since,
            depth,
        )


TRACKING_ID = "argocd.argoproj.io/tracking-id"


def _not_pruning(source: Source, obj: dict[str, Any]) -> str | None:
    """The Argo CD Application that manages ``obj`` (its tracking id, ``<app>:<group>/<kind>:<ns>/<name>``) when it
    does not prune automatically, else None. Argo CD deletes an object that left git only when a sync prunes:
    automated sync with ``prune: true`` (argo-cd controller/appcontroller.go:2352-2364, "nothing to do but prune,
    and automated prune is off"; docs/user-guide/auto_sync.md "Automatic Pruning"), or a manual sync with prune."""
    meta = obj.get("metadata") or {}
    tracking = (meta.get("annotations") or {}).get(TRACKING_ID) or ""
    app_name = tracking.split(":", 1)[0]
    if not app_name:
        return None
    try:
        app = source.get("Application", app_name, "argocd", "argoproj.io")
    except UNREADABLE:
        return None
    if app is None:
        return None
    automated = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    if automated is None or automated.get("enabled") is False or not automated.get("prune"):
        return app_name
    return None


def _prune_fix(source: Source, app: str) -> str:
    why = f"Argo CD application {app} does not prune what left git (no automated sync with prune)"
    return fix_for(
        source,
        lab=f"{why}: turn it on — `kratix-lab get application {app} -n argocd -o yaml > app.yaml`, set "
        "spec.syncPolicy.automated to {prune: true, selfHeal: true}, `kratix-lab apply -f app.yaml`, "
        "`kratix-lab settle` — and Argo CD prunes them",
        live=f"{why}: turn it on — `kubectl patch application {app} -n argocd --type merge -p "
        '\'{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}\'` — or prune once: '
        f"`argocd app sync {app} --prune`",
    )


def leftovers(source: Source, promise: str, name: str) -> list[Finding]:
    """Objects still labelled with a deleted request's name (label-selected lists of the usual kinds). The fix names
    the cause when there is one to see: the Argo CD Application managing them does not prune."""
    out = []
    for kind, group in (
        ("Namespace", ""),
        ("ConfigMap", ""),
        ("CronJob", "batch"),
        ("ExternalSecret", "external-secrets.io"),
        ("Application", "argoproj.io"),
        ("AppProject", "argoproj.io"),
    ):
        try:
            objs = source.list(kind, None, {"kratix.io/resource-name": name}, group=group)
        except UNREADABLE:  # live mode: a kind this identity may not list, or the cluster does not serve
            continue
        for obj in objs:
            ns = obj["metadata"].get("namespace")
            app = _not_pruning(source, obj)
            fix = (
                _prune_fix(source, app)
                if app
                else fix_for(
                    source,
                    lab="check the delete pipeline's logs and Argo CD's prune; remove it by hand: "
                    f"`kratix-lab delete {kind.lower()}/{obj['metadata']['name']}{f' -n {ns}' if ns else ''}`",
                    live="check the delete pipeline's logs and Argo CD's prune; remove it by hand: "
                    f"`kubectl delete {kind.lower()} -l kratix.io/resource-name={name}{f' -n {ns}' if ns else ''}`",
                )
            )
            out.append(
                Finding(
                    "leftovers-after-delete",
                    "error",
                    "object",
                    f"{kind}/{ns or ''}/{obj['metadata']['name']}".replace("//", "/"),
                    f"{kind} {obj['metadata']['name']} still exists though {name} is gone "
                    f"(labelled by {obj['metadata'].get('labels', {}).get('kratix.io/promise-name')})",
                    fix,
                    None,
                    0,
                    {"application": app} if app else {},
                )
            )
    return out


# ---- the diagnosis ---------------------------------------------------------------------------

BLOCKING = {"commit-not-synced", "sync-failed", "statestore-write-failed", "work-unscheduled"}
SYMPTOMS = {"request-missing", "object-missing"}


def diagnose(source: Source, kind: str, name: str, namespace: str | None = None) -> Diagnosis:
    root = trace(source, kind, name, namespace)
    now = source.now()
    findings: list[Finding] = []

    def visit(node: TraceNode, parents: list[TraceNode], depth: int, blocked: bool) -> None:
        for rule_id, fn in RULES:
            if blocked and rule_id in SYMPTOMS:
                continue  # missing objects below an unapplied commit are its symptoms, not causes
            try:
                found = list(fn(source, node, parents, depth))
            except UNREADABLE:  # live mode: what the rule reads is forbidden or not served (the trace says so)
                continue
            findings.extend(found)
            blocked = blocked or any(f.id in BLOCKING for f in found)
        for c in node.children:
            visit(c, [*parents, node], depth + 1, blocked)

    visit(root, [], 0, False)
    if root.health == MISSING:
        left = leftovers(source, resolve(source, kind).promise, name)
        gone = _deleted_at(source, root)
        if gone is not None and not left:
            # a clean delete is an outcome, not a failure: the delete pipeline ran and nothing is left
            verdict_text = (
                f"deleted: {root.ref} is gone (its delete pipeline completed at {rfc3339(gone)}) "
                "and nothing labelled with it is left"
            )
            return Diagnosis(root.ref, root, [], Verdict(verdict_text), now, deleted=True)
        if left:  # it existed and was deleted: what it left behind is the problem, not its absence (issue 17.12)
            findings = [
                f
                for f in findings
                if not (
                    f.id == "request-missing" and f.object == root.ref and "; Argo CD application " not in f.message
                )
            ]
        findings.extend(left)
        if any(f.id in BLOCKING for f in findings):
            # in git, not applied: the Application that does not apply it is the cause (issue 17 item 1)
            findings = [f for f in findings if not (f.id == "request-missing" and f.object == root.ref)]
        elif not left and findings and findings[0].id == "request-missing":
            findings[0].message += "; nothing labelled with it is left in the cluster"
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in findings:
        if (f.id, f.object) not in seen:
            seen.add((f.id, f.object))
            unique.append(f)
    unique = merge_siblings(unique)
    unique.sort(key=lambda f: (f.severity != "error", -f.depth))
    return Diagnosis(root.ref, root, unique, verdict(root, unique), now)


def unknown_request(source: Source, d: Diagnosis) -> str | None:
    """The NotFound message for a request that is nowhere — not in the cluster, not among the objects an Argo CD
    Application manages (git), with no events and nothing labelled with its name — with the closest names of
    that kind ("did you mean media?"); None when the request is known somewhere (issue 17 item 8: a typo in
    ``trace vco/medai`` is NotFound, not a Missing tree).

    Argo CD lists every object of its source in ``status.resources``, applied or not (argo-cd
    controller/state.go, ``CompareAppState``: a desired object without a live one is OutOfSync), so a request
    committed but never applied, or refused, is known there."""
    root = d.trace
    if root.stage != "request" or root.health != MISSING or d.deleted or d.findings[1:]:
        return None  # present, gone after a delete, or leaving leftovers behind
    if "; Argo CD application " in root.message:
        return None  # an Application failed to apply it or cannot read the file holding it
    names: set[str] = set()
    try:
        if source.events({"kind": root.kind, "metadata": {"name": root.name, "namespace": root.namespace}}):
            return None
        apps = source.list("Application", "argocd", group="argoproj.io")
        names |= {o["metadata"]["name"] for o in source.list(root.kind, group=resolve(source, root.kind).group)}
    except UNREADABLE:
        return None  # live mode without the rights to tell: the trace says what it could not read
    for app in apps:
        for r in (app.get("status") or {}).get("resources") or []:
            if r.get("kind") != root.kind:
                continue
            if r.get("name") == root.name and root.namespace in (None, r.get("namespace")):
                return None
            names.add(str(r.get("name")))
    where = f" in namespace {root.namespace}" if root.namespace else ""
    close = _close_names(root.name, names)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return (
        f'{root.kind} "{root.name}" not found{where}: not in the cluster, not in any Argo CD Application\'s '
        f"source, no events{hint}"
    )


def _close_names(name: str, names: set[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, sorted(names), n=2, cutoff=0.6)


def merge_siblings(findings: list[Finding]) -> list[Finding]:
    """Identical findings — same rule, severity, stage and fix — on several objects are one finding listing the
    objects (issue 17 item 9): ``8 WorkPlacements: misplaced: …`` when the messages are the same too, else the
    count, the first message and how many others differ (``7 Pods: CrashLoopBackOff … (and 6 other messages like it)``;
    ``evidence["messages"]`` has them all): a verdict stays a few lines at 80 columns. The reader sees the problem and
    its fix once, and how far it reaches. ``objects`` and ``evidence["objects"]`` hold
    every object; ``since`` is the earliest."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.id, f.severity, f.stage, f.fix), []).append(f)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        refs = [f.object for f in group]
        kind_set = {r.split("/", 1)[0] for r in refs}
        count = kinds(len(group), kind_set.pop() if len(kind_set) == 1 else "object")
        messages = list(dict.fromkeys(f.message for f in group))
        out.append(
            replace(
                first,
                message=f"{count}: {messages[0]}"
                + (f" (and {kinds(len(messages) - 1, 'other message')} like it)" if len(messages) > 1 else ""),
                since=min((f.since for f in group if f.since is not None), default=None),
                depth=max(f.depth for f in group),
                evidence={**first.evidence, "objects": refs, **({"messages": messages} if len(messages) > 1 else {})},
                objects=refs,
            )
        )
    return out


def _deleted_at(source: Source, root: TraceNode) -> int | None:
    """When a missing request's delete pipeline completed (from the events it left behind), else None."""
    try:
        events = source.events({"kind": root.kind, "metadata": {"name": root.name, "namespace": root.namespace}})
    except UNREADABLE:
        return None
    done = [e for e in events if e.get("reason") == "DeleteWorkflowCompleted"]
    if not done:
        return None
    return source.timestamp(done[-1].get("lastTimestamp") or done[-1].get("firstTimestamp"))


LEFTOVERS_SHOWN = 4


def verdict(root: TraceNode, findings: list[Finding]) -> Verdict:
    """Where the request is: the top finding (``stuck at``), else the deepest node not Healthy (``in progress
    at``), else ``healthy``; its ``since`` is that finding's or node's."""
    if findings and all(f.id == "leftovers-after-delete" for f in findings):
        refs = [o for f in findings for o in (f.objects or [f.object])]
        shown = ", ".join(refs[:LEFTOVERS_SHOWN]) + (
            f", and {len(refs) - LEFTOVERS_SHOWN} more" if len(refs) > LEFTOVERS_SHOWN else ""
        )
        fixes = list(dict.fromkeys(f.fix for f in findings))
        fix = fixes[0] if len(fixes) == 1 else f"{fixes[0]}; and {len(fixes) - 1} more (each finding names its own)"
        return Verdict(f"deleted, but {kinds(len(refs), 'object')} labelled with it remain ({shown}) → {fix}")
    if findings:
        top = findings[0]
        return Verdict(f"stuck at {STAGE_TITLES.get(top.stage, top.stage)}", top.since, f": {top.message} → {top.fix}")
    worst_node = max(((n, d) for n, d in root.walk() if n.health != HEALTHY), key=lambda nd: nd[1], default=None)
    if worst_node is None:
        return Verdict(f"healthy: {root.ref} is Healthy at every stage")
    node, _ = worst_node
    state = "in progress" if node.health == PROGRESSING else node.health
    return Verdict(
        f"{state} at {STAGE_TITLES.get(node.stage, node.stage)}", node.since, f": {node.ref}: {node.message}"
    )


DELETING = "Deleting"  # a fleet row's state while its request is being deleted (not one of the trace's healths)


@dataclass
class VClusterStatus:
    """A fleet row. ``preset`` and ``k8s_version`` are the first two of the request kind's printer columns (its
    CRD's ``additionalPrinterColumns``: Preset and K8s for the VClusterOrchestrator); ``columns`` names them."""

    name: str
    namespace: str
    preset: str
    k8s_version: str
    stage: str
    health: str
    since: int | None  # when the row's problem began (its verdict's since); shown as a duration at display time
    message: str  # the verdict without its time (``Verdict.summary``): never a duration that goes stale
    columns: tuple[str, ...] = ()  # the printer columns' names the two values come from (``fleet_columns``)


def fleet_columns(source: Source, rk: RequestKind) -> tuple[PrinterColumn, ...]:
    """The request kind's printer columns a fleet row shows: its CRD's ``additionalPrinterColumns`` of priority 0
    that are not dates (SINCE says when), the first two — never a field path written here, so another request
    kind (a ``VClusterOrchestratorV2``) lists what its own CRD says."""
    info = source.kinds().get(rk.group, rk.kind)
    cols = info.printer_columns if info is not None else ()
    return tuple(c for c in cols if c.priority == 0 and c.type != "date")[:2]


def fleet(source: Source, kind: str = "VClusterOrchestrator") -> list[VClusterStatus]:
    """Every vCluster with the stage its road reached, its health, since when, and the verdict.

    The fleet is the cluster's requests and the ones Argo CD lists from git without a live object (issue 17
    item 1: a request committed but never applied is a row, stuck where Argo CD should apply it)."""
    rk = resolve(source, kind)
    rows = []
    columns = fleet_columns(source, rk)
    names = tuple(c.name for c in columns)
    objects = source.list(rk.kind, group=rk.group)
    live = {(namespace_of(o) or "", o["metadata"]["name"]) for o in objects}
    try:
        apps = source.list("Application", "argocd", group="argoproj.io")
    except UNREADABLE:
        apps = []  # live mode without the right to read Applications: the cluster's requests only
    for obj in objects:
        meta = obj["metadata"]
        cells = [column_text(obj, c) for c in columns] + ["", ""]
        d = diagnose(source, rk.kind, meta["name"], meta.get("namespace"))
        if d.findings:
            top = d.findings[0]
            stage, health, since = top.stage, DEGRADED if top.severity == "error" else PROGRESSING, top.since
        else:
            pending = [(n, depth) for n, depth in d.trace.walk() if n.health != HEALTHY]
            if pending:
                node = max(pending, key=lambda nd: nd[1])[0]
                stage, health, since = node.stage, node.health, node.since
            else:
                stage, health, since = "pod", HEALTHY, d.trace.since
        if meta.get("deletionTimestamp") and health != DEGRADED:
            # being deleted (its delete pipeline, finalizers, pruning): say so, not "Progressing" (issue 17.11)
            health, since = DELETING, source.timestamp(meta["deletionTimestamp"])
        rows.append(
            VClusterStatus(
                meta["name"],
                meta.get("namespace") or "",
                cells[0],
                cells[1],
                stage,
                health,
                since,
                d.judged.summary,
                names,
            )
        )
    for _, entry in declared_requests(apps, rk):
        key = (entry.get("namespace") or "", str(entry.get("name")))
        if key not in live:
            live.add(key)
            rows.append(replace(_git_only_row(source, rk, *key), columns=names))
    rows.sort(key=lambda r: (r.namespace, r.name))
    return rows


def _git_only_row(source: Source, rk: RequestKind, namespace: str, name: str) -> VClusterStatus:
    """A request in git that is not in the cluster: its stage and health are the Application's that should apply
    it (the request itself has no preset or version to show but what git holds, which the seam does not read)."""
    d = diagnose(source, rk.kind, name, namespace or None)
    top = d.findings[0] if d.findings else None
    stage = top.stage if top else "request"
    health = MISSING if top is None else DEGRADED if top.severity == "error" else PROGRESSING
    return VClusterStatus(name, namespace, "", "", stage, health, top.since if top else None, d.judged.summary)


SUMMARY_ORDER = (HEALTHY, DEGRADED, PROGRESSING, DELETING, MISSING)


def fleet_summary(rows: list[VClusterStatus]) -> str:
    """One line counting the fleet by health, e.g. ``30 vClusters: 27 Healthy, 1 Degraded, 2 Progressing`` (the last
    line of ``status`` and ``diagnose --all``)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.health] = counts.get(r.health, 0) + 1
    order = [*SUMMARY_ORDER, *sorted(set(counts) - set(SUMMARY_ORDER))]
    parts = [f"{counts[h]} {h}" for h in order if counts.get(h)]
    noun = "vCluster" if len(rows) == 1 else "vClusters"
    return f"{len(rows)} {noun}: {', '.join(parts)}" if parts else f"0 {noun}"


def all_healthy(rows: list[VClusterStatus]) -> bool:
    """Whether every vCluster is Healthy (``status`` and ``diagnose --all`` exit 1 otherwise, so CI can gate on them)."""
    return all(r.health == HEALTHY for r in rows)
