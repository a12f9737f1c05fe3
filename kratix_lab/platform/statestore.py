"""The GitStateStore writer: WorkPlacements → commits in the state repository.

Kratix's layout and messages: resource files under
``<store.path>/<destination.path>/resources/<ns>/<promise>/<request>/<pipeline>/<id[:5]>/``, each
write replaces the whole directory in one commit ``Update from: <workplacement>``, a delete commits
``Delete from: <workplacement>``, and nothing is committed when nothing changed. A rejected push
drops the local commit (nothing half-written stays) and the placement reports it; so does a push
that fails (an unwritable remote, a full disk): see ``GitRepo.push``.
"""

from __future__ import annotations

from typing import Any

from git import GitCommandError

from kratix_lab.errors import Conflict
from kratix_lab.model import clone, get_condition, set_condition
from kratix_lab.pipeline.contract import placement_dir, state_store_base
from kratix_lab.platform.controller import Concluded, Context
from kratix_lab.platform.gitrepo import GitPathError, Identity, check_path
from kratix_lab.platform.kratix import KRATIX_GROUP, decompress
from kratix_lab.platform.scheduler import WP_FINALIZER

CANARY_FILES = {
    "dependencies/kratix-canary-namespace.yaml": (
        b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kratix-worker-system\n"
    ),
    "resources/kratix-canary-configmap.yaml": (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kratix-info\n  namespace: kratix-worker-system\n"
        b"data:\n  canary: this confirms your infrastructure is reading from Kratix state stores\n"
    ),
}


class PushRejected(Conflict, RuntimeError):
    pass


class StateStoreWriter:
    name = "statestore"

    def __init__(self) -> None:
        # each WorkPlacement written at its generation (and not being deleted), by resourceVersion: the placements
        # already written are not read again
        self._written = Concluded("WorkPlacement", KRATIX_GROUP, _written)

    def next_due(self, ctx: Context) -> int | None:
        return None

    def reconcile(self, ctx: Context) -> int:
        """Commit each placement's write (one commit each), then push them once; a rejected push
        drops every commit of the round and each of those placements reports it."""
        store = ctx.store
        repo = ctx.lab.state_repo
        writes = 0
        stores = {s["metadata"]["name"]: s for s in store.list("GitStateStore", group=KRATIX_GROUP, readonly=True)}
        destinations = {d["metadata"]["name"]: d for d in store.list("Destination", group=KRATIX_GROUP, readonly=True)}
        for dest in destinations.values():
            if (dest.get("status") or {}).get("conditions") is None and not dest["metadata"].get("deletionTimestamp"):
                writes += 1
                self._canary(ctx, dest, stores)
        done: list[tuple[dict[str, Any], str, str | None, bool]] = []  # (placement, path, commit, deleting)
        for seen in self._written.each(store):
            wp = None if seen.conclusion else self._written.read(store, seen)
            if wp is None:
                continue  # already written
            dest = destinations.get(wp["spec"].get("targetDestinationName", ""))
            gss = (
                stores.get(((dest or {}).get("spec") or {}).get("stateStoreRef", {}).get("name", "")) if dest else None
            )
            deleting = bool(wp["metadata"].get("deletionTimestamp"))
            if dest is None or gss is None:
                if deleting:  # nothing to clean where nothing can be reached
                    self._drop_finalizer(ctx, wp)
                    writes += 1
                    continue
                writes += self._status(
                    ctx,
                    wp,
                    False,
                    "DestinationNotFound",
                    f"Destination {wp['spec'].get('targetDestinationName')} or its state store not found",
                    None,
                )
                continue
            path = placement_dir(state_store_base(gss["spec"].get("path", ""), dest["spec"].get("path", "")), wp)
            identity = self._identity(gss)
            try:
                for w in [] if deleting else wp["spec"].get("workloads") or []:
                    check_path(f"{path}/{w['filepath']}")
            except GitPathError as e:  # nothing committed; the placement says why
                writes += self._status(ctx, wp, False, "StateStoreWriteFailed", str(e), None)
                continue
            if deleting:
                sha = repo.remove_dir(path, f"Delete from: {wp['metadata']['name']}", identity, store.now_seconds())
            else:
                files = {w["filepath"]: decompress(w["content"]) for w in wp["spec"].get("workloads") or []}
                sha = repo.replace_dir(
                    path, files, f"Update from: {wp['metadata']['name']}", identity, store.now_seconds()
                )
            done.append((wp, path, sha, deleting))
        if not done:
            return writes
        try:
            self._push(ctx, repo.head() if any(sha for _, _, sha, _ in done) else None)
        except PushRejected as e:
            repo.reset_to_remote()
            for wp, _, _, _ in done:
                writes += self._status(ctx, wp, False, "StateStoreWriteFailed", str(e), None)
                store.event(wp, "Warning", "StateStoreWriteFailed", str(e), "workplacement-controller")
            return writes
        for wp, _path, sha, deleting in done:
            if deleting:
                self._drop_finalizer(ctx, wp)
                writes += 1
            else:
                version = sha or (wp.get("status") or {}).get("versionID") or repo.head()
                writes += self._status(ctx, wp, True, "", "", version)
        return writes

    def _identity(self, gss: dict[str, Any]) -> Identity:
        author = (gss.get("spec") or {}).get("gitAuthor") or {}
        return Identity(author.get("name", "kratix"), author.get("email", "kratix@kratix.io"))

    def _push(self, ctx: Context, sha: str | None) -> None:
        if sha is None and ctx.lab.state_repo.head() == ctx.lab.state_remote.head():
            return  # nothing new, and nothing left unpushed by an earlier (interrupted) round
        fault = ctx.fault("statestore-push-rejected")
        if fault is not None:
            raise PushRejected(
                "failed to push to the state store: remote rejected (pre-receive hook declined: "
                f"{fault.get('reason', 'permission denied')})"
            )
        try:
            ctx.lab.state_repo.push()
        except (OSError, GitCommandError) as e:
            # A push that fails (an unwritable remote, a full disk) is handled like a rejected one:
            # the remote's ref has not moved, the round's local commits are dropped, Kratix retries.
            detail = getattr(e, "stderr", "") or str(e)
            raise PushRejected(f"failed to push to the state store: {str(detail).strip()}") from e

    def _status(
        self, ctx: Context, wp: dict[str, Any], ok: bool, reason: str, message: str, version: str | None
    ) -> int:
        """The placement's write conditions as the WorkPlacement controller sets them
        (internal/controller/workplacement_controller.go:233-264; api/v1alpha1/workplacement_types.go:105-155):
        written → ``WriteSucceeded=True WorkloadsWrittenToStateStore`` and, unless the scheduler marked it
        misplaced, ``Ready=True WorkloadsWrittenToTargetDestination``; failed → ``WriteSucceeded=False
        WorkloadsFailedWrite`` with the error and ``Ready=False WorkloadsFailedWrite "Failing"``.
        ``reason`` is the lab's name for the failure (its Event's reason); ScheduleSucceeded is the
        scheduler's."""
        now = ctx.store.now()
        new = clone(wp)
        if ok:
            set_condition(
                new, "WriteSucceeded", "True", "WorkloadsWrittenToStateStore", "Workloads written to State Store", now
            )
            if (get_condition(new, "ScheduleSucceeded") or {}).get("status") != "False":
                set_condition(new, "Ready", "True", "WorkloadsWrittenToTargetDestination", "Ready", now)
            new["status"]["versionID"] = version
            new["status"]["observedGeneration"] = wp["metadata"].get("generation")
        else:
            set_condition(new, "WriteSucceeded", "False", "WorkloadsFailedWrite", message, now)
            set_condition(new, "Ready", "False", "WorkloadsFailedWrite", "Failing", now)
        if new.get("status") == wp.get("status"):
            return 0
        ctx.store.update_status(new, readonly=True)
        return 1

    def _drop_finalizer(self, ctx: Context, wp: dict[str, Any]) -> None:
        new = clone(wp)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or [] if f != WP_FINALIZER]
        ctx.store.update(new)

    def _canary(self, ctx: Context, dest: dict[str, Any], stores: dict[str, Any]) -> bool:
        gss = stores.get(((dest.get("spec") or {}).get("stateStoreRef") or {}).get("name", ""))
        now = ctx.store.now()
        new = clone(dest)
        if gss is None:
            set_condition(new, "Ready", "False", "StateStoreNotFound", "State store not found", now)
            ctx.store.update_status(new, readonly=True)
            return False
        base = state_store_base(gss["spec"].get("path", ""), dest["spec"].get("path", ""))
        repo = ctx.lab.state_repo
        sha = repo.write_files(
            {f"{base}/{rel}": content for rel, content in CANARY_FILES.items()},
            "Update from: kratix-canary",  # destination_controller.go:47, 231-233; lib/writers/git.go:188-193, 292
            self._identity(gss),
            ctx.store.now_seconds(),
        )
        try:
            self._push(ctx, sha)
        except PushRejected as e:
            repo.reset_to_remote()
            set_condition(new, "Ready", "False", "StateStoreWriteFailed", str(e), now)
            ctx.store.update_status(new, readonly=True)
            return False
        set_condition(new, "Ready", "True", "TestWorkloadsWritten", "Test documents written to State Store", now)
        ctx.store.update_status(new, readonly=True)
        return sha is not None


def _written(wp: dict[str, Any]) -> bool:
    """A placement whose files are in the state repo at its generation, not being deleted."""
    meta = wp["metadata"]
    return not meta.get("deletionTimestamp") and (wp.get("status") or {}).get("observedGeneration") == meta.get(
        "generation"
    )
