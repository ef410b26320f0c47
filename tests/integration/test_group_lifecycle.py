"""The failure-group lifecycle through the real binary (docs/api.md#failure-group-lifecycle):
resolve, mute and reopen over HTTP, the state filter, open_failure_groups, the audit rows, another
project's group answering as a missing one, and the failure_group.regressed webhook message."""
import json
import time
import uuid

import pytest

# The webhook tests' server (private receivers allowed, a master key, a dashboard URL), one for
# this module.
from webhook_support import Receiver, crash, create, new_project, server, verify  # noqa: F401


@pytest.fixture
def rx():
    r = Receiver()
    yield r
    r.close()


def group_of(c, eid):
    r = c.get(f"/executions/{eid}")
    assert r.status == 200, r
    return r.json["execution"]["failure_group_id"]


def listed(c, state=None):
    r = c.get("/failure-groups" + (f"?state={state}" if state else ""))
    assert r.status == 200, r
    return [g["group_id"] for g in r.json["failure_groups"]]


def move(c, group_id, action):
    return c.post(f"/failure-groups/{group_id}/{action}")


def test_resolve_mute_reopen_round_trip_with_filter_stats_and_audit(server):
    c = new_project(server)
    g1 = group_of(c, crash(c, "life-" + uuid.uuid4().hex[:8]))
    g2 = group_of(c, crash(c, "life-" + uuid.uuid4().hex[:8]))
    assert c.get("/stats").json["open_failure_groups"] == 2

    r = move(c, g1, "resolve")
    assert r.status == 200, r
    assert r.json["changed"] is True
    group = r.json["failure_group"]
    assert (group["group_id"], group["state"]) == (g1, "resolved")
    assert group["state_changed_by"] in [k["key_id"] for k in c.get("/api-keys").json["api_keys"]]
    assert "state_changed_at" in group
    assert move(c, g1, "resolve").json["changed"] is False
    assert listed(c) == [g2]
    assert listed(c, "resolved") == [g1]
    assert sorted(listed(c, "all")) == sorted([g1, g2])
    assert c.get("/stats").json["open_failure_groups"] == 1
    assert c.get("/failure-groups?state=closed").status == 400

    assert move(c, g2, "mute").json["failure_group"]["state"] == "muted"
    assert listed(c, "muted") == [g2]
    assert c.get("/stats").json["open_failure_groups"] == 0
    assert move(c, g2, "reopen").json["failure_group"]["state"] == "open"
    assert c.get(f"/failure-groups/{g2}").json["state"] == "open"
    assert c.get("/failure-groups/" + g2 + "/resolve").status == 405

    actions = [e["action"] for e in c.get("/audit-log?limit=50").json["entries"]
               if e["action"].startswith("failure_group.")]
    assert sorted(actions) == ["failure_group.mute", "failure_group.reopen",
                               "failure_group.resolve"]
    c.close()


def test_another_projects_group_answers_like_a_missing_one(server):
    a, b = new_project(server), new_project(server)
    g = group_of(b, crash(b, "tenant-" + uuid.uuid4().hex[:8]))
    for action in ("resolve", "mute", "reopen"):
        foreign = move(a, g, action)
        missing = move(a, "grp-0000000000000000", action)
        assert foreign.status == missing.status == 404
        assert foreign.body == missing.body
        assert b.project_id not in foreign.body
    assert b.get(f"/failure-groups/{g}").json["state"] == "open"
    assert listed(a, "all") == []
    assert not [e for e in a.get("/audit-log?limit=50").json["entries"]
                if e["action"].startswith("failure_group.")]
    a.close()
    b.close()


def test_a_resolved_group_that_recurs_reopens_and_sends_one_regressed_message(server, rx):
    c = new_project(server)
    hook = create(c, rx.url)
    sig = "regress-" + uuid.uuid4().hex[:8]
    first = crash(c, sig)
    rx.wait_for(1)
    g = group_of(c, first)
    assert move(c, g, "resolve").status == 200
    again = crash(c, sig)
    requests = rx.wait_for(2)
    headers, body, _ = requests[1]
    verify(hook["secret"], headers, body)
    msg = json.loads(body)
    assert msg["event"] == "failure_group.regressed"
    assert (msg["group_id"], msg["sample_execution_id"]) == (g, again)
    group = c.get(f"/failure-groups/{g}").json
    assert (group["state"], group["state_changed_by"]) == ("open", "system")
    # Open again: a third occurrence is an ordinary one.
    crash(c, sig)
    time.sleep(1.5)
    assert rx.count() == 2
    c.close()


def test_a_muted_group_records_findings_and_sends_nothing(server, rx):
    c = new_project(server)
    create(c, rx.url)
    sig = "muted-" + uuid.uuid4().hex[:8]
    g = group_of(c, crash(c, sig))
    rx.wait_for(1)
    assert move(c, g, "mute").status == 200
    crash(c, sig)
    crash(c, sig)
    time.sleep(1.5)
    assert rx.count() == 1
    group = c.get(f"/failure-groups/{g}").json
    assert (group["state"], group["affected_executions"]) == ("muted", 3)
    c.close()
