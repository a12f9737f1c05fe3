"""The Kratix scheduler: Works → WorkPlacements on matching Destinations.

A resource Work's group goes to one matching Destination (kept once chosen); a dependency Work
goes to all. No match: the Work is ``Ready=False UnscheduledWorkloads`` and retried every 60 s. A
placement whose Destination stops matching is labelled ``kratix.io/misplaced`` and not moved.
"""

from __future__ import annotations

from typing import Any

from kratix_lab.model import clone, get_condition, matches_labels, set_condition
from kratix_lab.platform.controller import Context
from kratix_lab.platform.kratix import KRATIX_API, KRATIX_GROUP, WORK_FINALIZER
from kratix_lab.platform.store import Store

WP_FINALIZER = "finalizers.workplacement.kratix.io/repo-cleanup"
MISPLACED = "kratix.io/misplaced"
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
        self._done: dict[str, tuple[tuple, bool]] = {}  # work uid -> (fingerprint, unscheduled) when settled
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
        placements: dict[str, list[dict[str, Any]]] = {}
        for wp in store.list("WorkPlacement", group=KRATIX_GROUP, readonly=True):
            placements.setdefault(
                f"{wp['metadata']['namespace']}/{(wp['metadata'].get('labels') or {}).get('kratix.io/work')}", []
            ).append(wp)
        writes = 0
        self._retry_at = None
        dest_fp = tuple((d["metadata"]["name"], d["metadata"]["resourceVersion"]) for d in destinations)
        for work in store.list("Work", group=KRATIX_GROUP, readonly=True):
            mine = placements.get(f"{work['metadata']['namespace']}/{work['metadata']['name']}", [])
            if work["metadata"].get("deletionTimestamp"):
                writes += self._delete_work(store, work, mine)
                continue
            fp = (
                work["metadata"]["resourceVersion"],
                tuple(sorted((wp["metadata"]["name"], wp["metadata"]["resourceVersion"]) for wp in mine)),
                dest_fp,
            )
            memo = self._done.get(work["metadata"]["uid"])
            if memo is not None and memo[0] == fp:  # nothing it depends on changed: same decision as before
                if memo[1]:
                    self._note_retry(ctx)
                continue
            n = self._schedule(ctx, work, mine, destinations)
            writes += n
            if n == 0:
                self._done[work["metadata"]["uid"]] = (fp, bool(self._unscheduled_now))
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
        for group in work["spec"].get("workloadGroups") or []:
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
                unscheduled.append(group["directory"])
                continue
            for dest in targets:
                name = f"{work['metadata']['name']}.{dest['metadata']['name']}-{group['id'][:5]}"
                wanted_names.add(name)
                still_matches = destination_matches(dest, selectors)
                if not still_matches:
                    misplaced.append(name)
                writes += self._ensure_placement(store, work, group, dest, name, misplaced=not still_matches)
        for wp in placements:  # groups that disappeared from the Work
            if wp["metadata"]["name"] not in wanted_names and not wp["metadata"].get("deletionTimestamp"):
                store.delete("WorkPlacement", wp["metadata"]["name"], wp["metadata"]["namespace"], KRATIX_GROUP)
                writes += 1
        new = clone(work)
        self._unscheduled_now = bool(unscheduled)
        if unscheduled:
            set_condition(
                new,
                "ScheduleSucceeded",
                "False",
                "UnscheduledWorkloads",
                "No matching destination found for workload groups: " + ", ".join(unscheduled) + "; retrying every 60s",
                now,
            )
            set_condition(new, "Ready", "False", "UnscheduledWorkloads", "Pending", now)
            self._note_retry(ctx)
        else:
            set_condition(
                new,
                "ScheduleSucceeded",
                "True",
                "AllWorkplacementsScheduled",
                "All workloads scheduled to destinations",
                now,
            )
            if misplaced:
                set_condition(new, "Ready", "False", "Misplaced", "Misplaced: " + ", ".join(sorted(misplaced)), now)
            else:
                current = [
                    wp
                    for wp in store.list(
                        "WorkPlacement",
                        work["metadata"]["namespace"],
                        {"kratix.io/work": work["metadata"]["name"]},
                        group=KRATIX_GROUP,
                        readonly=True,
                    )
                ]
                failing = [wp for wp in current if (get_condition(wp, "WriteSucceeded") or {}).get("status") == "False"]
                ready = [wp for wp in current if (get_condition(wp, "Ready") or {}).get("status") == "True"]
                if failing:
                    set_condition(
                        new,
                        "Ready",
                        "False",
                        "WorkplacementsFailing",
                        "Failing: "
                        + "; ".join((get_condition(wp, "WriteSucceeded") or {}).get("message", "") for wp in failing),
                        now,
                    )
                elif len(ready) == len(wanted_names) and wanted_names:
                    set_condition(new, "Ready", "True", "AllWorkplacementsScheduled", "Ready", now)
                else:
                    set_condition(new, "Ready", "False", "WorkloadsPending", "Pending", now)
        new["status"]["workPlacements"] = len(wanted_names)
        new["status"]["workPlacementsCreated"] = len(wanted_names)
        if new.get("status") != work.get("status"):
            store.update_status(new)
            writes += 1
            if unscheduled and (get_condition(work, "ScheduleSucceeded") or {}).get("status") != "False":
                store.event(work, "Warning", "UnscheduledWorkloads", "No matching destination found", "scheduler")
        return writes

    def _ensure_placement(
        self,
        store: Store,
        work: dict[str, Any],
        group: dict[str, Any],
        dest: dict[str, Any],
        name: str,
        misplaced: bool,
    ) -> int:
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
            store.create(
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
            return 1
        if wp["metadata"].get("deletionTimestamp"):
            return 0
        new = clone(wp)
        if misplaced:
            new["metadata"]["labels"][MISPLACED] = "true"
        else:  # the Destination matches again: the placement is no longer misplaced
            new["metadata"]["labels"].pop(MISPLACED, None)
        if not misplaced:  # a misplaced placement keeps what it wrote: Kratix does not move it
            new["spec"] = spec
        if new != wp:
            store.update(new)
            return 1
        return 0
