"""Retention by the server's time of receipt, never a client's clock (docs/operations.md#retention)."""
import time

from harness import DAY_MS, set_received


def test_a_client_clock_in_2001_loses_nothing_while_old_receipts_are_pruned(make_server):
    s = make_server(env={"VIGIL_RETENTION_DAYS": "7", "VIGIL_RETENTION_INTERVAL_S": "1"})
    c = s.client()
    # An SDK whose clock reads 2001: every timestamp it sends is 25 years old.
    assert c.post("/executions", {"execution_id": "skewed", "started_at": "2001-09-09T01:46:40Z",
                                  "status": "completed", "ended_at": "2001-09-09T01:47:40Z"}).status == 200
    r = c.post("/events", [{"event_id": f"skewed-{i}", "execution_id": "skewed",
                            "event_type": "checkpoint", "sequence": i,
                            "timestamp": "2001-09-09T01:46:4%dZ" % i} for i in range(3)])
    assert r.json["accepted"] == 3
    # Executions the server itself received 12 days ago (the last write 11 days ago), and one
    # first received then but written to yesterday, with truthful client clocks.
    now_ms = int(time.time() * 1000)
    for eid in ("received-long-ago", "written-yesterday"):
        assert c.post("/executions", {"execution_id": eid, "status": "started"}).status == 200
        c.post("/events", [{"event_id": eid + "-e", "execution_id": eid, "event_type": "x"}])
    set_received(s.db, "received-long-ago", now_ms - 12 * DAY_MS, now_ms - 11 * DAY_MS)
    set_received(s.db, "written-yesterday", now_ms - 12 * DAY_MS, now_ms - 1 * DAY_MS)
    deadline = time.time() + 10
    while time.time() < deadline and c.get("/executions/received-long-ago").status == 200:
        time.sleep(0.2)
    assert c.get("/executions/received-long-ago").status == 404
    time.sleep(1.5)  # at least one more pass
    skewed = c.get("/executions/skewed")
    assert skewed.status == 200
    assert skewed.json["execution"]["started_at"].startswith("2001-09-09")
    assert skewed.json["events_total"] == 3
    assert c.get("/executions/written-yesterday").status == 200
