"""Discovery documents built from the lab's ``KindRegistry`` (live.md §5.3).

Aggregated discovery (``apidiscovery.k8s.io/v2``, what kubectl 1.32 asks for first) and the legacy
``APIVersions``/``APIGroupList``/``APIResourceList`` documents (the Python client and kubectl's fallback).
Shapes: ``k8s.io/api/apidiscovery/v2/types.go`` and ``k8s.io/apimachinery/pkg/apis/meta/v1/types.go``.
"""

from __future__ import annotations

from typing import Any

from kratix_lab.kube.registry import KindInfo, KindRegistry

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0+kratix-lab",
    "gitCommit": "kratix-lab",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}

READ_VERBS = ["get", "list", "watch"]
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _subresources(k: KindInfo) -> list[tuple[str, str, list[str]]]:
    subs = [("status", k.kind, ["get", "patch", "update"])]
    if k.group == "" and k.kind == "Pod":
        subs.append(("log", "Pod", ["get"]))
    return subs


def _resource(k: KindInfo) -> dict[str, Any]:
    gvk = {"group": k.group, "version": k.version, "kind": k.kind}
    out: dict[str, Any] = {
        "resource": k.plural,
        "singularResource": k.singular,
        "responseKind": gvk,
        "scope": "Namespaced" if k.namespaced else "Cluster",
        "verbs": sorted(k.verbs),
        "subresources": [
            {"subresource": s, "responseKind": {**gvk, "kind": kind}, "verbs": verbs}
            for s, kind, verbs in _subresources(k)
        ],
    }
    if k.short_names:
        out["shortNames"] = list(k.short_names)
    if k.categories:
        out["categories"] = list(k.categories)
    return out


def _versions(reg: KindRegistry, group: str) -> list[str]:
    seen: list[str] = []
    for k in reg.for_api(group):
        for v in k.versions or (k.version,):
            if v not in seen:
                seen.append(v)
    return seen


def aggregated(reg: KindRegistry, core: bool) -> dict[str, Any]:
    groups = [""] if core else [g for g in reg.groups() if g]
    items = []
    for g in groups:
        versions = [
            {
                "version": v,
                "freshness": "Current",
                "resources": [_resource(k) for k in reg.for_api(g) if k.version == v],
            }
            for v in _versions(reg, g)
        ]
        items.append({"metadata": {"name": g}, "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}


def group_list(reg: KindRegistry) -> dict[str, Any]:
    groups = []
    for g in reg.groups():
        if not g:
            continue
        vs = [{"groupVersion": f"{g}/{v}", "version": v} for v in _versions(reg, g)]
        groups.append({"name": g, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(reg: KindRegistry, name: str) -> dict[str, Any] | None:
    for g in group_list(reg)["groups"]:
        if g["name"] == name:
            return {"kind": "APIGroup", "apiVersion": "v1", **g}
    return None


def resource_list(reg: KindRegistry, group_name: str, version: str) -> dict[str, Any] | None:
    kinds = [k for k in reg.for_api(group_name, version)]
    if not kinds:
        return None
    resources = []
    for k in kinds:
        entry: dict[str, Any] = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": sorted(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        for s, kind, verbs in _subresources(k):
            resources.append(
                {
                    "name": f"{k.plural}/{s}",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": kind,
                    "verbs": verbs,
                }
            )
    gv = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
