"""The Kratix scheduler: Works → WorkPlacements on matching Destinations.

A resource Work's group goes to one matching Destination (kept once chosen); a dependency Work
goes to all. No match: the Work is ``Ready=False UnscheduledWorkloads`` and retried every 60 s. A
placement whose Destination stops matching is labelled ``kratix.io/misplaced`` (for good) and not moved; it
keeps receiving its group's workloads (kratix internal/controller/scheduler.go:283-327). A placed Work is
``Ready=True`` at once; only a placement's failed write fails it (work_controller.go:161-201).
"""

from __future__ import annotations

from typing import Any

from kratix_lab.model import clone, get_condition, matches_labels, set_condition
from kratix_lab.platform.controller import Concluded, Context, Seen
from kratix_lab.platform.kratix import KRATIX_API, KRATIX_GROUP, WORK_FINALIZER
from kratix_lab.platform.store import Store

WP_FINALIZER = "finalizers.workplacement.kratix.io/repo-cleanup"
MISPLACED = "kratix.io/misplaced"  # scheduler.go misscheduledLabel
MISMATCH = "DestinationSelectorMismatch"  # workplacement_controller.go:54
MISMATCH_MESSAGE = "Target destination no longer matches destinationSelectors"  # workplacement_controller.go:55
RETRY_SECONDS = 60


def destination_matches(dest: dict[str, Any], selectors: dict[str, str]) -> bool:
    labels = dest["metadata"].get("labels") or {}
    if (dest.get("spec") or {}).get("strictMatchLabels") and not selectors:
        return False
    return matches_labels(labels, selectors)


def group_selectors(group: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for sel in group.get("destinationSelectors") or []:
        labels.update(sel.get("matchLabels") or {})
    return labels


class Scheduler:
    name = "scheduler"

    def __init__(self) -> None:
        self._retry_at: int | None = None
        # Work (namespace, name) -> (fingerprint, unscheduled) when settled: the Work's resourceVersion, its
        # placements' (name, resourceVersion) and the Destinations'
        self._done: dict[tuple[str, str], tuple[tuple, bool]] = {}
        # each WorkPlacement's Work (its ``kratix.io/work`` label), by resourceVersion
        self._placements_seen = Concluded(
            "WorkPlacement", KRATIX_GROUP, lambda wp: (wp["metadata"].get("labels") or {}).get("kratix.io/work")
        )
        self._unscheduled_now = False

    def next_due(self, ctx: Context) -> int | None:
        return None

    def next_periodic(self, ctx: Context) -> int | None:
        """Unscheduled Works are retried every 60 s for as long as nothing matches."""
        return self._retry_at

    def reconcile(self, ctx: Context) -> int:
        store = ctx.store
        destinations = [
            d
            for d in store.list("Destination", group=KRATIX_GROUP, readonly=True)
            if not d["metadata"].get("deletionTimestamp")
        ]
        # the placements of each Work, by resourceVersion (the Works and placements not read unless they changed)
        placed: dict[str, list[Seen[Any]]] = {}
        for seen in self._placements_seen.each(store):
            placed.setdefault(f"{seen.namespace}/{seen.conclusion}", []).append(seen)
        writes = 0
        self._retry_at = None
        dest_fp = tuple((d["metadata"]["name"], d["metadata"]["resourceVersion"]) for d in destinations)
        done, self._done = self._done, {}
        for ns, name, rv in store.versions("Work", KRATIX_GROUP):
            mine_seen = placed.get(f"{ns}/{name}", [])
            fp = (rv, tuple(sorted((p.name, p.rv) for p in mine_seen)), dest_fp)
            memo = done.get((ns, name))
            if memo is not None and memo[0] == fp:  # nothing it depends on changed: same decision as before
                self._done[(ns, name)] = memo
                if memo[1]:
                    self._note_retry(ctx)
                continue
            work = store.get("Work", name, ns, KRATIX_GROUP, readonly=True, keep=False)
            if work is None:
                continue
            mine = [wp for p in mine_seen if (wp := self._placements_seen.read(store, p)) is not None]
            if work["metadata"].get("deletionTimestamp"):
                writes += self._delete_work(store, work, mine)
                continue
            n = self._schedule(ctx, work, mine, destinations)
            writes += n
            if n == 0:
                self._done[(ns, name)] = (fp, bool(self._unscheduled_now))
        return writes

    def _note_retry(self, ctx: Context) -> None:
        retry = ctx.store.now_seconds() + RETRY_SECONDS
        self._retry_at = retry if self._retry_at is None else min(self._retry_at, retry)

    def _delete_work(self, store: Store, work: dict[str, Any], placements: list[dict[str, Any]]) -> int:
        if placements:
            n = 0
            for wp in placements:
                if not wp["metadata"].get("deletionTimestamp"):
                    store.delete("WorkPlacement", wp["metadata"]["name"], wp["metadata"]["namespace"], KRATIX_GROUP)
                    n += 1
            return n
        new = clone(work)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or [] if f != WORK_FINALIZER]
        store.update(new)
        return 1

    def _schedule(
        self, ctx: Context, work: dict[str, Any], placements: list[dict[str, Any]], destinations: list[dict[str, Any]]
    ) -> int:
        store, now = ctx.store, ctx.store.now()
        writes = 0
        is_dependency = (work["metadata"].get("labels") or {}).get("kratix.io/work-type") == "promise"
        unscheduled, misplaced, wanted_names = [], [], set()
        self._unscheduled_now = False
        groups = work["spec"].get("workloadGroups") or []
        for group in groups:
            selectors = group_selectors(group)
            matching = sorted(
                (d for d in destinations if destination_matches(d, selectors)), key=lambda d: d["metadata"]["name"]
            )
            existing = [wp for wp in placements if (wp.get("spec") or {}).get("id") == group["id"]]
            if is_dependency:
                targets = matching
            else:
                kept = [
                    wp
                    for wp in existing
                    if any(d["metadata"]["name"] == wp["spec"]["targetDestinationName"] for d in destinations)
                ]
                if kept:
                    targets = [
                        next(
                            d for d in destinations if d["metadata"]["name"] == kept[0]["spec"]["targetDestinationName"]
                        )
                    ]
                else:
                    targets = matching[:1]
            if not targets:
                unscheduled.append(group["id"])
                continue
            group_misplaced = False
            for dest in targets:
                name = f"{work['metadata']['name']}.{dest['metadata']['name']}-{group['id'][:5]}"
                wanted_names.add(name)
                still_matches = destination_matches(dest, selectors)
                group_misplaced |= not still_matches
                writes += self._ensure_placement(store, work, group, dest, name, misplaced=not still_matches, now=now)
            if group_misplaced:
                misplaced.append(group["id"])
        for wp in placements:  # groups that disappeared from the Work
            if wp["metadata"]["name"] not in wanted_names and not wp["metadata"].get("deletionTimestamp"):
                store.delete("WorkPlacement", wp["metadata"]["name"], wp["metadata"]["namespace"], KRATIX_GROUP)
                writes += 1
        new = clone(work)
        self._unscheduled_now = bool(unscheduled)
        schedule, ready = self._work_conditions(store, work, unscheduled, misplaced)
        set_condition(new, "ScheduleSucceeded", *schedule, now)
        set_condition(new, "Ready", *ready, now)
        if unscheduled:
            self._note_retry(ctx)
        new["status"]["workPlacements"] = len(groups)
        new["status"]["workPlacementsCreated"] = len(groups) - len(unscheduled)
        if new.get("status") != work.get("status"):
            store.update_status(new, readonly=True)
            writes += 1
            if unscheduled and (get_condition(work, "ScheduleSucceeded") or {}).get("reason") != "UnscheduledWorkloads":
                store.event(
                    work,
                    "Normal",
                    "NoMatchingDestination",
                    f"waiting for a destination with labels for workloadGroup: {', '.join(unscheduled)}",
                    "scheduler",
                )
            if misplaced and (get_condition(work, "ScheduleSucceeded") or {}).get("reason") != MISMATCH:
                store.event(work, "Warning", MISMATCH, schedule[2], "scheduler")
        return writes

    def _work_conditions(
        self, store: Store, work: dict[str, Any], unscheduled: list[str], misplaced: list[str]
    ) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        """The Work's (ScheduleSucceeded, Ready) as (status, reason, message) each. Unscheduled groups,
        then misplaced ones, else scheduled: Ready=True ``AllWorkplacementsScheduled`` as soon as every
        group has its placement (internal/controller/scheduler.go:88-155) — whether or not they are
        written yet; only a placement with ``WriteSucceeded=False`` fails it (work_controller.go:161-201).
        Group IDs and placement names are listed as upstream lists them, ``[a,b]``."""
        if unscheduled:
            return (
                (
                    "False",
                    "UnscheduledWorkloads",
                    f"No matching destination found for workloadGroups: [{','.join(unscheduled)}]",
                ),
                ("False", "UnscheduledWorkloads", "Pending"),
            )
        if misplaced:
            return (
                (
                    "False",
                    MISMATCH,
                    f"Target destination no longer matches destinationSelectors for workloadGroups: [{','.join(misplaced)}]",
                ),
                ("False", "Misplaced", "Misplaced"),
            )
        failed = [
            wp["metadata"]["name"]
            for wp in store.list(
                "WorkPlacement",
                work["metadata"]["namespace"],
                {"kratix.io/work": work["metadata"]["name"]},
                group=KRATIX_GROUP,
                readonly=True,
                keep=False,  # (the placements are looked at by resourceVersion: ``_placements_seen``)
            )
            if (get_condition(wp, "WriteSucceeded") or {}).get("status") == "False"
        ]
        if failed:
            return (
                ("False", "WorkplacementsFailing", f"Workplacements failed to write: [{','.join(failed)}]"),
                ("False", "WorkplacementsFailing", "Failing"),
            )
        return (
            ("True", "AllWorkplacementsScheduled", "All workplacements scheduled successfully"),
            ("True", "AllWorkplacementsScheduled", "Ready"),
        )

    def _ensure_placement(
        self,
        store: Store,
        work: dict[str, Any],
        group: dict[str, Any],
        dest: dict[str, Any],
        name: str,
        misplaced: bool,
        now: str,
    ) -> int:
        """Create or update the group's placement on ``dest``. A misplaced placement (its Destination no
        longer matches) is not moved: it keeps receiving the group's workloads, is labelled
        ``kratix.io/misplaced`` (the label stays: Kratix never removes it) and reports
        ``ScheduleSucceeded=False DestinationSelectorMismatch``, ``Ready=False Misplaced``
        (internal/controller/scheduler.go:283-327, 430-484; workplacement_controller.go:54-55)."""
        ns = work["metadata"]["namespace"]
        labels = {
            "kratix.io/work": work["metadata"]["name"],
            "kratix.io/targetDestinationName": dest["metadata"]["name"],
            "kratix.io/pipeline-name": (work["metadata"].get("labels") or {}).get("kratix.io/pipeline-name", ""),
            "kratix.io/promise-name": work["spec"].get("promiseName", ""),
            "kratix.io/resource-name": work["spec"].get("resourceName", ""),
        }
        if misplaced:
            labels[MISPLACED] = "true"
        spec = {
            "targetDestinationName": dest["metadata"]["name"],
            "id": group["id"],
            "promiseName": work["spec"].get("promiseName", ""),
            "resourceName": work["spec"].get("resourceName", ""),
            "workloads": group.get("workloads") or [],
        }
        wp = store.get("WorkPlacement", name, ns, KRATIX_GROUP, readonly=True)
        if wp is None:
            wp = store.create(
                {
                    "apiVersion": KRATIX_API,
                    "kind": "WorkPlacement",
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "labels": labels,
                        "finalizers": [WP_FINALIZER],
                        "ownerReferences": [
                            {
                                "apiVersion": KRATIX_API,
                                "kind": "Work",
                                "name": work["metadata"]["name"],
                                "uid": work["metadata"]["uid"],
                                "controller": True,
                            }
                        ],
                    },
                    "spec": spec,
                }
            )
            self._placement_status(store, wp, misplaced, now)
            return 1
        if wp["metadata"].get("deletionTimestamp"):
            return 0
        new = clone(wp)
        if misplaced:
            new["metadata"]["labels"][MISPLACED] = "true"
        new["spec"] = spec
        writes = 0
        if new != wp:
            wp = store.update(new)
            writes += 1
        return writes + self._placement_status(store, wp, misplaced, now)

    def _placement_status(self, store: Store, wp: dict[str, Any], misplaced: bool, now: str) -> int:
        """scheduler.go:430-484 (updateWorkPlacementStatus)."""
        new = clone(wp)
        if misplaced:
            set_condition(new, "Ready", "False", "Misplaced", "Misplaced", now)
            set_condition(new, "ScheduleSucceeded", "False", MISMATCH, MISMATCH_MESSAGE, now)
        else:
            changed = set_condition(
                new, "ScheduleSucceeded", "True", "ScheduledToDestination", "Scheduled to correct Destination", now
            )
            if changed and (get_condition(new, "WriteSucceeded") or {}).get("status") != "True":
                set_condition(new, "Ready", "False", "ScheduledToDestination", "Pending", now)
            elif changed:  # scheduled to a matching Destination again, already written
                set_condition(new, "Ready", "True", "WorkloadsWrittenToTargetDestination", "Ready", now)
        if new.get("status") == wp.get("status"):
            return 0
        store.update_status(new, readonly=True)
        return 1
