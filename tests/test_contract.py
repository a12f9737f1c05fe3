"""The Kratix pipeline contract: metadata files, status merge, selectors, workload groups."""

from __future__ import annotations

import pytest

from kratix_lab.pipeline.contract import (
    ContractError,
    DestinationSelector,
    Workload,
    collect_workloads,
    group_id,
    group_workloads,
    merge_status,
    parse_destination_selectors,
    pipeline_env,
    read_status,
    read_workflow_control,
)


def test_default_group_id_is_kratix_5058f():
    assert group_id(".")[:5] == "5058f"


def test_status_keys_overwrite_and_conditions_merge_by_type():
    current = {
        "message": "old",
        "keep": 1,
        "conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}],
    }
    update = {
        "message": "new",
        "conditions": [{"type": "B", "status": "True"}, {"type": "C", "status": "True"}],
    }
    merged = merge_status(current, update)
    assert merged["message"] == "new" and merged["keep"] == 1
    assert merged["conditions"] == [
        {"type": "A", "status": "True"},
        {"type": "B", "status": "True"},
        {"type": "C", "status": "True"},
    ]
    assert current["conditions"][1]["status"] == "False", "inputs are not mutated"


def test_status_yaml_rules(tmp_path):
    assert read_status(tmp_path) == {}
    (tmp_path / "status.yaml").write_text("kratix: {workflows: 1}\nmessage: hi\n")
    with pytest.raises(ContractError, match='the top-level key "kratix" is reserved'):
        read_status(tmp_path)
    (tmp_path / "status.yaml").write_text("- a list\n")
    with pytest.raises(ContractError, match="expected a mapping, got list"):
        read_status(tmp_path)
    (tmp_path / "status.yaml").write_text("message: [unclosed\n")
    with pytest.raises(ContractError, match=r"invalid status.yaml: /kratix/metadata/status.yaml:2:1"):
        read_status(tmp_path)


def test_destination_selectors_parse_with_default_directory():
    sel = parse_destination_selectors(
        "- matchLabels: {env: dev}\n- directory: platform/\n  matchLabels: {env: platform}\n"
    )
    assert sel == [
        DestinationSelector(".", {"env": "dev"}),
        DestinationSelector("platform", {"env": "platform"}),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- directory: a\n", "entry with index 0 has no selectors"),
        ("- matchLabels: {}\n", "entry with index 0 has no selectors"),
        ("- matchLabels: {a: b}\n- matchLabels: {c: d}\n", "duplicate entries in destination-selectors.yaml"),
        (
            "- directory: a/b\n  matchLabels: {a: b}\n",
            "invalid directory in destination-selectors.yaml: a/b, sub-directories",
        ),
        ("- match_labels: {a: b}\n", "unknown field(s) match_labels"),
        ("- matchLabels: {replicas: 3}\n", "matchLabels.replicas must be a string, got int"),
        ("matchLabels: {a: b}\n", "expected a list"),
    ],
)
def test_destination_selectors_rejected_like_the_work_creator(text, message):
    with pytest.raises(ContractError) as e:
        parse_destination_selectors(text)
    assert message in str(e.value)


def test_workflow_control(tmp_path):
    assert read_workflow_control(tmp_path).suspend is False
    (tmp_path / "workflow-control.yaml").write_text("suspend: true\nmessage: waiting for approval\n")
    wc = read_workflow_control(tmp_path)
    assert wc.suspend and wc.message == "waiting for approval"
    (tmp_path / "workflow-control.yaml").write_text("retryAfter: soon\n")
    with pytest.raises(ContractError, match='retryAfter "soon" is not a duration'):
        read_workflow_control(tmp_path)


def test_workloads_are_collected_recursively_and_grouped(tmp_path):
    (tmp_path / "platform").mkdir()
    (tmp_path / "a.yaml").write_text("a")
    (tmp_path / "platform" / "b.yaml").write_text("b")
    (tmp_path / "nested" / "deep").mkdir(parents=True)
    (tmp_path / "nested" / "deep" / "c.yaml").write_text("c")
    workloads = collect_workloads(tmp_path)
    assert [w.filepath for w in workloads] == ["a.yaml", "nested/deep/c.yaml", "platform/b.yaml"]
    groups = group_workloads(
        workloads,
        [
            DestinationSelector(".", {"env": "dev", "zone": "a"}),
            DestinationSelector("platform", {"env": "platform"}),
        ],
        {"env": "prod"},
    )
    by_dir = {g.directory: g for g in groups}
    assert [w.filepath for w in by_dir["platform"].workloads] == ["platform/b.yaml"]
    assert [w.filepath for w in by_dir["."].workloads] == ["a.yaml", "nested/deep/c.yaml"]
    assert by_dir["."].match_labels == {"env": "prod", "zone": "a"}, "the Promise's labels win on conflict"
    assert by_dir["platform"].match_labels == {"env": "platform"}


def test_no_outputs_means_no_default_group():
    assert group_workloads([], [], {"a": "b"}) == []
    assert group_workloads([Workload("x.yaml", b"")], [], {})[0].id.startswith("5058f")


def test_pipeline_env_has_every_kratix_variable():
    env = pipeline_env(
        action="configure",
        workflow_type="resource",
        promise_name="vcluster-core",
        pipeline_name="vcluster-core-configure",
        obj={
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "VClusterCore",
            "metadata": {"name": "m", "namespace": "ns"},
        },
        plural="vclustercores",
        cluster_scoped=False,
    )
    assert env == {
        "KRATIX_WORKFLOW_ACTION": "configure",
        "KRATIX_WORKFLOW_TYPE": "resource",
        "KRATIX_PROMISE_NAME": "vcluster-core",
        "KRATIX_PIPELINE_NAME": "vcluster-core-configure",
        "KRATIX_OBJECT_KIND": "VClusterCore",
        "KRATIX_OBJECT_GROUP": "platform.integratn.tech",
        "KRATIX_OBJECT_VERSION": "v1alpha1",
        "KRATIX_OBJECT_NAME": "m",
        "KRATIX_OBJECT_NAMESPACE": "ns",
        "KRATIX_CRD_PLURAL": "vclustercores",
        "KRATIX_CLUSTER_SCOPED": "false",
    }
