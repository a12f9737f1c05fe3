"""``LiveSource``: the ``Source`` protocol over a real Kubernetes API and the platform's state repo.

Direct mode: one HTTP request per question (a GET, or a label-selected, paginated LIST), for one-shot
commands (``trace``, ``diagnose``, ``status``). Only the Promises (every ``promises()`` call of a trace)
and the GitStateStores (to find the state repos) are kept, for ``MEMO_SECONDS``.

Kinds are resolved through the cluster's discovery (``Kube.registry``), never hard-coded: a request kind is
whatever a Promise's ``spec.api`` made the cluster serve. A kind the cluster does not serve reads as
absent (``None`` / ``[]``, as the lab answers for a kind it does not have) and is remembered in
``not_served``; a 403 raises ``kratix_lab.live.kube.AccessDenied`` naming the rule to grant.

The state repo is found from the cluster: ``GitStateStore.spec.url``/``branch``
(``kratix api/v1alpha1/gitstatestore_types.go``) — the trace reaches it through WorkPlacement →
Destination → GitStateStore (``trace.state_store_url``) and asks this source for commits by SHA, which
are looked up in the clones of the platform's GitStateStores (``kratix_lab.live.repos``).
"""

from __future__ import annotations

import builtins
import itertools
import time
from typing import Any

from kratix_lab.kube.registry import KindInfo, KindRegistry, promise_crds
from kratix_lab.kube.times import timestamp
from kratix_lab.live.kube import Kube, NotServed
from kratix_lab.live.repos import RepoUnavailable, StateRepo, StateRepos, norm_url
from kratix_lab.model import namespace_of
from kratix_lab.promise import Promise
from kratix_lab.sources import CommitInfo

KRATIX = "platform.kratix.io"
MEMO_SECONDS = 5.0
_tokens = itertools.count()


def selector(labels: dict[str, str] | None) -> str | None:
    """A plain label map as a ``labelSelector`` (equality requirements, comma-joined)."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or None


class LiveSource:
    mode = "live"  # fixes name kubectl/git commands (kratix_lab.diagnose.fix_for)

    def __init__(self, kube: Kube, repos: StateRepos | None = None, *, read_only: bool = True) -> None:
        self.kube = kube
        self.repos = repos or StateRepos()
        self.read_only = read_only
        self.name = kube.target.describe()
        self.not_served: set[tuple[str | None, str]] = set()
        self._promises: tuple[float, list[Promise]] | None = None
        self._stores: tuple[float, list[StateRepo]] | None = None
        self._registry: KindRegistry | None = None

    # ---- kinds -----------------------------------------------------------------------------

    def kinds(self) -> KindRegistry:
        if self._registry is None:
            self._registry = self.kube.registry([dict(c) for c in promise_crds(p.doc for p in self.promises())])
        return self._registry

    def _info(self, kind: str, group: str | None) -> KindInfo:
        reg = self.kinds()
        found = reg.get(group, kind) if group is not None else next((k for k in reg if k.kind == kind), None)
        if found is None:
            self.not_served.add((group, kind))
            crd = f"{kind} ({group or 'core'})" if group is not None else kind
            raise NotServed(
                f"not served: {self.kube.target.server} has no kind {crd}; install its CRD "
                "(or the Promise / operator that brings it)"
            )
        return found

    # ---- objects ---------------------------------------------------------------------------

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        k = self._info(kind, group)
        if not name:
            return None
        # The lab keys cluster-scoped objects by namespace "": a namespace given for one, or none for a
        # namespaced kind, finds nothing there — and would be a malformed request here.
        if k.namespaced != bool(namespace):
            return None
        return self.kube.get(k, name, namespace)

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        k = self._info(kind, group)
        if not k.namespaced and namespace:
            return []
        return self.kube.list(k, namespace, selector(labels))

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        ev = self._info("Event", "")
        meta = obj.get("metadata") or {}
        fields = [f"involvedObject.kind={obj.get('kind')}", f"involvedObject.name={meta.get('name')}"]
        return self.kube.list(ev, namespace_of(obj) or None, None, ",".join(fields))

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        ns, name = namespace_of(pod) or "default", pod["metadata"]["name"]
        path = f"/api/v1/namespaces/{ns}/pods/{name}/log"
        status, text = self.kube.get_text(path, {"container": container})
        if status == 400 and container is None:
            # a real API server wants a container for a multi-container pod: every one, in spec order
            spec = pod.get("spec") or {}
            names = [c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
            parts = []
            for c in names:
                s, t = self.kube.get_text(path, {"container": c})
                if 200 <= s < 300:
                    parts.append(t)
            status, text = 200, "".join(parts)
        if status == 403:
            from kratix_lab.live.kube import AccessDenied

            raise AccessDenied(
                f"forbidden: cannot get pods/log in namespace {ns}; grant get on pods/log", "get", "pods/log", ns
            )
        if not 200 <= status < 300:
            return ""  # the pod is gone (or its logs are): no log lines, as for a pod the lab cleaned up
        if tail is not None:
            lines = text.splitlines()[-tail:] if tail > 0 else []
            text = "".join(line + "\n" for line in lines)
        return text

    def promises(self) -> builtins.list[Any]:
        now = time.monotonic()
        if self._promises is None or now - self._promises[0] > MEMO_SECONDS:
            k = self.kube.registry().get(KRATIX, "Promise")
            objs = self.kube.list(k, None) if k is not None else []
            self._promises = (now, [Promise.from_dict(o, f"Promise/{o['metadata']['name']}") for o in objs])
        return list(self._promises[1])

    # ---- clock -----------------------------------------------------------------------------

    def now(self) -> int:
        return self.kube.now()

    def timestamp(self, text: str | None) -> int | None:
        return timestamp(text)

    def change_token(self) -> int:
        """Direct mode keeps nothing to compare: every call is a new token (a poller redoes its work)."""
        return next(_tokens)

    # ---- the state repo --------------------------------------------------------------------

    def state_repos(self) -> builtins.list[StateRepo]:
        """The clones of the platform's GitStateStores (``spec.url``, ``spec.branch``, default ``main``)."""
        now = time.monotonic()
        if self._stores is None or now - self._stores[0] > MEMO_SECONDS:
            stores = self.list("GitStateStore", group=KRATIX)
            repos = [
                self.repos.repo(s["spec"]["url"], (s.get("spec") or {}).get("branch") or "main")
                for s in stores
                if (s.get("spec") or {}).get("url")
            ]
            self._stores = (now, repos)
        return list(self._stores[1])

    def _readable(self) -> builtins.list[StateRepo]:
        out = []
        for r in self.state_repos():
            try:
                r.ensure()
            except RepoUnavailable:
                continue
            out.append(r)
        return out

    def _holding(self, sha: str) -> StateRepo | None:
        return next((r for r in self._readable() if r.has(sha)), None)

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        if rev is None:
            repos = self._readable()
            return repos[0].files(path, None) if repos else {}
        repo = self._holding(rev)
        return repo.files(path, rev) if repo else {}

    def state_head(self) -> str | None:
        repos = self._readable()
        return repos[0].head() if repos else None

    def state_commit(self, sha: str) -> CommitInfo | None:
        repo = self._holding(sha)
        return repo.commit_info(sha) if repo else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        repo = self._holding(descendant)
        return repo.is_ancestor(ancestor, descendant) if repo else ancestor == descendant

    def state_repo_error(self, url: str | None) -> str | None:
        """Why the state repo at ``url`` cannot be read (None when it can): trace then reads the
        WorkPlacement's own files and says so on the commit node."""
        if not url:
            return "no GitStateStore holds this Destination's files (a BucketStateStore is not read)"
        repo = next((r for r in self.state_repos() if norm_url(r.url) == norm_url(url)), None)
        if repo is None:
            repo = self.repos.repo(url)
        try:
            repo.ensure()
        except RepoUnavailable as e:
            return str(e)
        return None

    def repo_errors(self) -> builtins.list[str]:
        return [r.error for r in self.state_repos() if r.error]


__all__ = ["LiveSource", "selector"]
