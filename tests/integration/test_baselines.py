"""Execution names and what is learnt per name (docs/detection.md, "Baselines"): the list filters by
name; once a name has 20 completed executions, a running one far past its baseline is a live
finding that says by how much; model drift compares an agent with its own history only."""
import datetime
import uuid

from test_detection import proj  # noqa: F401 (the fixture: a fresh project of its own)

T0 = "2026-05-14T10:00:00Z"


def now(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def checkpoints(eid, first, count, ts=T0):
    return [{"event_id": f"{eid}-c{i}", "execution_id": eid, "event_type": "checkpoint",
             "sequence": i, "timestamp": ts, "payload": {"name": f"step {i}"}}
            for i in range(first, first + count)]


def llm(eid, model, ts):
    return {"event_id": f"{eid}-l", "execution_id": eid, "event_type": "llm_call", "sequence": 1,
            "timestamp": ts, "payload": {"model": model, "user_message": "Summarise the ticket",
                                         "status": "ok"}}


def completed(c, name, events_fn, started_at=T0):
    eid = "n-" + uuid.uuid4().hex[:10]
    assert c.post("/executions", {"execution_id": eid, "name": name, "started_at": started_at,
                                  "sdk_language": "python"}).status == 200
    assert c.post("/events", events_fn(eid)).status == 200
    # The end PATCH sends no name, as the SDKs do: the stored one stays.
    assert c.patch(f"/executions/{eid}", {"status": "completed"}).status == 200
    return eid


def test_executions_are_listed_and_filtered_by_name(proj):
    a = completed(proj, "support-agent", lambda eid: checkpoints(eid, 1, 1))
    b = completed(proj, "triage", lambda eid: checkpoints(eid, 1, 1))
    listed = proj.get("/executions?name=support-agent").json["executions"]
    assert [x["execution_id"] for x in listed] == [a]
    assert listed[0]["name"] == "support-agent"
    assert proj.get(f"/executions/{b}").json["execution"]["name"] == "triage"
    assert {x["execution_id"] for x in proj.get("/executions").json["executions"]} == {a, b}
    assert proj.get("/executions?name=nobody").json["executions"] == []
    assert proj.get("/executions?name=" + "n" * 201).status == 400
    too_long = proj.post("/executions", {"execution_id": "long", "name": "n" * 201})
    assert too_long.status == 400 and "name" in str(too_long.json)
    assert proj.post("/executions", {"execution_id": "ctl", "name": "a\nb"}).status == 400


def test_a_run_far_past_its_agents_baseline_is_a_live_finding_saying_by_how_much(proj):
    for _ in range(20):
        completed(proj, "nightly-report", lambda eid: checkpoints(eid, 1, 10))
    eid = "runaway-" + uuid.uuid4().hex[:8]
    proj.post("/executions", {"execution_id": eid, "name": "nightly-report", "started_at": T0})
    proj.post("/events", checkpoints(eid, 1, 150))
    assert proj.get(f"/executions/{eid}").json["findings"] == []  # under the 200-step floor
    proj.post("/events", checkpoints(eid, 151, 60))
    findings = proj.get(f"/executions/{eid}").json["findings"]
    assert [(f["detector"], f["signature"], f["source"]) for f in findings] == [
        ("baseline", "baseline_steps:nightly-report", "live")]
    assert findings[0]["detail"] == (
        "210 steps: over this agent's steps baseline of 200 (the floor; 5 x p95 10 is lower, "
        "over 20 runs) by 10 (1.1x)")
    # Another agent of the project, without history, is judged by the policy (limits off).
    other = "other-" + uuid.uuid4().hex[:8]
    proj.post("/executions", {"execution_id": other, "name": "fresh-agent", "started_at": T0})
    proj.post("/events", checkpoints(other, 1, 300))
    assert proj.get(f"/executions/{other}").json["findings"] == []


def test_model_drift_needs_history_and_compares_an_agent_with_itself(proj):
    # A new project's second model is a choice, not drift.
    completed(proj, "writer", lambda eid: [llm(eid, "gpt-4o", now())], now())
    young = completed(proj, "writer", lambda eid: [llm(eid, "claude-opus-4-6", now())], now())
    assert proj.get(f"/executions/{young}").json["findings"] == []
    for _ in range(20):
        completed(proj, "writer", lambda eid: [llm(eid, "gpt-4o", now())], now())
    # Another agent's model is not the writer's drift, and that agent has no history of its own.
    other = completed(proj, "reviewer", lambda eid: [llm(eid, "o1", now())], now())
    assert proj.get(f"/executions/{other}").json["findings"] == []
    drifted = completed(proj, "writer", lambda eid: [llm(eid, "o1", now())], now())
    assert [(f["detector"], f["signature"]) for f in
            proj.get(f"/executions/{drifted}").json["findings"]] == [("model_drift", "new_model:o1")]
