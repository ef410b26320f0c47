"""Ingestion API (docs/api.md#ingestion): merge rule, idempotency, order independence, per-event rejection."""
import uuid


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def event(exec_id, seq, **kw):
    e = {"event_id": uid("evt"), "execution_id": exec_id, "event_type": "llm_call",
         "sequence": seq, "timestamp": "2026-05-14T17:33:42.123456Z",
         "payload": {"model": "gpt-4o", "user_message": f"step {seq}"}}
    e.update(kw)
    return e


def test_create_execution_then_repeat_merges(client):
    eid = uid("exec")
    r = client.post("/executions", {"execution_id": eid, "status": "started",
                                    "started_at": "2026-05-14T17:33:42.123456+02:00",
                                    "sdk_language": "python", "sdk_version": "1.0"})
    assert r.status == 200
    assert r.json == {"ok": True, "execution_id": eid, "status": "started", "created": True}
    r = client.post("/executions", {"execution_id": eid, "input_summary": "hi"})
    assert r.json["created"] is False
    e = client.get(f"/executions/{eid}").json["execution"]
    assert e["started_at"] == "2026-05-14T15:33:42.123Z"
    assert e["sdk_language"] == "python" and e["input_summary"] == "hi"
    assert "ended_at" not in e


def test_patch_unknown_execution_creates_it(client):
    eid = uid("exec")
    r = client.patch(f"/executions/{eid}", {"status": "completed", "duration_ms": 5})
    assert r.status == 200
    assert r.json == {"ok": True, "execution_id": eid, "status": "completed", "created": True}
    e = client.get(f"/executions/{eid}").json["execution"]
    assert e["status"] == "completed" and "ended_at" in e and e["duration_ms"] == 5


def test_started_never_replaces_terminal_and_ended_at_is_stable(client):
    eid = uid("exec")
    client.post("/executions", {"execution_id": eid})
    r = client.patch(f"/executions/{eid}", {"status": "crashed", "crash_signature": "0123456789abcdef"})
    assert r.json["status"] == "crashed"
    first = client.get(f"/executions/{eid}").json["execution"]["ended_at"]
    r = client.post("/executions", {"execution_id": eid, "status": "started"})
    assert r.json["status"] == "crashed"
    r = client.patch(f"/executions/{eid}", {"status": "crashed"})
    again = client.get(f"/executions/{eid}").json["execution"]
    assert again["ended_at"] == first
    r = client.patch(f"/executions/{eid}", {"status": "completed"})
    assert r.json["status"] == "completed"  # a terminal status replaces any status


def test_zero_and_empty_mean_not_provided(client):
    eid = uid("exec")
    client.post("/executions", {"execution_id": eid, "total_tokens_in": 7, "sdk_version": "2"})
    client.patch(f"/executions/{eid}", {"total_tokens_in": 0, "sdk_version": "", "duration_ms": None})
    e = client.get(f"/executions/{eid}").json["execution"]
    assert e["total_tokens_in"] == 7 and e["sdk_version"] == "2"
    assert "duration_ms" not in e


def test_execution_validation_errors(client):
    cases = [
        ({}, "execution_id is required"),
        ({"execution_id": ""}, "execution_id is required"),
        ({"execution_id": 5}, 'invalid JSON: field "execution_id" must be a string'),
        ({"execution_id": "x" * 129}, "execution_id longer than 128 bytes"),
        ({"execution_id": "a", "status": "weird"}, "invalid status: weird"),
        ({"execution_id": "a", "duration_ms": -1}, 'field "duration_ms" must be >= 0'),
        ({"execution_id": "a", "duration_ms": 1.5}, 'invalid JSON: field "duration_ms" must be an integer'),
        ({"execution_id": "a", "duration_ms": 1e3}, 'invalid JSON: field "duration_ms" must be an integer'),
        ({"execution_id": "a", "total_tokens_in": 2**63}, 'invalid JSON: field "total_tokens_in" must be an integer'),
        ({"execution_id": "a", "estimated_cost_usd": "1"}, 'invalid JSON: field "estimated_cost_usd" must be a number'),
        ({"execution_id": "a", "estimated_cost_usd": -0.5}, 'field "estimated_cost_usd" must be >= 0'),
        ({"execution_id": "a", "started_at": "yesterday"}, 'invalid JSON: field "started_at" must be an RFC 3339 timestamp'),
        ({"execution_id": "a", "started_at": "2026-02-30T00:00:00Z"}, 'invalid JSON: field "started_at" must be an RFC 3339 timestamp'),
        ({"execution_id": "a", "budget": 3}, 'invalid JSON: field "budget" must be an object'),
        ({"execution_id": "a", "budget": {"max_steps": -2}}, 'field "budget.max_steps" must be >= 0'),
        ({"execution_id": "a", "sdk_language": ["py"]}, 'invalid JSON: field "sdk_language" must be a string'),
    ]
    for body, message in cases:
        r = client.post("/executions", body)
        assert r.status == 400, body
        assert r.json == {"ok": False, "error": message}, body


def test_whole_body_json_errors(client):
    cases = [(b"", "invalid JSON: empty body"), (b"   ", "invalid JSON: empty body"),
             (b"{", None), (b'{"execution_id":"a"} trailing', None),
             (b'"just a string"', "invalid JSON: expected a JSON object"),
             (b'{"execution_id":"\xff\xfe"}', "invalid JSON: invalid UTF-8")]
    for raw, message in cases:
        r = client.request("POST", "/executions", raw=raw,
                           headers={"Content-Type": "application/json"})
        assert r.status == 400, raw
        assert r.json["ok"] is False
        assert r.json["error"].startswith("invalid JSON: ")
        if message:
            assert r.json["error"] == message


def test_nesting_limit_is_64(client):
    ok = b'{"execution_id":"nest-ok","x":' + b"[" * 63 + b"]" * 63 + b"}"
    assert client.post("/executions", raw=ok).status == 200
    deep = b'{"execution_id":"nest-bad","x":' + b"[" * 64 + b"]" * 64 + b"}"
    r = client.post("/executions", raw=deep)
    assert r.status == 400
    assert r.json["error"] == "invalid JSON: nesting deeper than 64"
    assert client.get("/executions/nest-bad").status == 404


def test_body_project_id_must_match_key(client):
    r = client.post("/executions", {"execution_id": uid("e"), "project_id": "proj-other"})
    assert r.status == 403
    assert r.json["error"] == "project_id in body does not match authenticated project"
    r = client.post("/executions", {"execution_id": uid("e"), "project_id": "proj-dev"})
    assert r.status == 200


def test_unknown_fields_are_ignored(client):
    eid = uid("exec")
    r = client.post("/executions", {"execution_id": eid, "future_field": {"a": 1}})
    assert r.status == 200


def test_events_batch_stores_and_reports_counts(client):
    eid = uid("exec")
    client.post("/executions", {"execution_id": eid})
    batch = [event(eid, i) for i in range(1, 6)]
    r = client.post("/events", batch)
    assert r.status == 200
    assert r.json == {"ok": True, "accepted": 5, "rejected": 0, "duplicates": 0, "errors": []}
    d = client.get(f"/executions/{eid}").json
    assert [e["sequence"] for e in d["events"]] == [1, 2, 3, 4, 5]
    assert d["events"][0]["payload"] == {"model": "gpt-4o", "user_message": "step 1"}
    assert d["events"][0]["timestamp"] == "2026-05-14T17:33:42.123Z"


def test_same_batch_three_times_is_stored_once(client):
    eid = uid("exec")
    batch = [event(eid, i) for i in range(1, 11)]
    results = [client.post("/events", batch).json for _ in range(3)]
    assert results[0]["accepted"] == 10 and results[0]["duplicates"] == 0
    assert results[1]["accepted"] == 0 and results[1]["duplicates"] == 10
    assert results[2]["accepted"] == 0 and results[2]["duplicates"] == 10
    d = client.get(f"/executions/{eid}").json
    assert d["events_total"] == 10 and len(d["events"]) == 10


def test_duplicate_inside_one_batch_first_write_wins(client):
    eid = uid("exec")
    a = event(eid, 1, payload={"n": 1})
    b = dict(a, payload={"n": 2})
    r = client.post("/events", [a, b]).json
    assert (r["accepted"], r["duplicates"]) == (1, 1)
    d = client.get(f"/executions/{eid}").json
    assert d["events"][0]["payload"] == {"n": 1}


def test_events_before_execution_create_it_with_earliest_timestamp(client):
    eid = uid("exec")
    batch = [event(eid, 2, timestamp="2026-05-14T10:00:05Z"),
             event(eid, 1, timestamp="2026-05-14T10:00:01Z")]
    assert client.post("/events", batch).json["accepted"] == 2
    e = client.get(f"/executions/{eid}").json["execution"]
    assert e["status"] == "started" and e["started_at"] == "2026-05-14T10:00:01.000Z"
    # The late create merges into it rather than failing.
    r = client.post("/executions", {"execution_id": eid, "sdk_language": "typescript"})
    assert r.json["created"] is False


def test_any_order_converges_to_the_same_state(client):
    def run(order):
        eid = uid("order")
        reqs = {
            "create": lambda: client.post("/executions", {
                "execution_id": eid, "status": "started", "started_at": "2026-05-14T10:00:00Z",
                "sdk_language": "python", "sdk_version": "1.2"}),
            "events": lambda: client.post("/events", [
                event(eid, 1, event_id=eid + "-1"), event(eid, 2, event_id=eid + "-2")]),
            "end": lambda: client.patch(f"/executions/{eid}", {
                "status": "completed", "ended_at": "2026-05-14T10:00:09Z", "duration_ms": 9000,
                "total_tokens_in": 10, "total_tokens_out": 4}),
        }
        for name in order:
            assert reqs[name]().status == 200
        d = client.get(f"/executions/{eid}").json
        e = d["execution"]
        e.pop("execution_id")
        return e, [(x["sequence"], x["event_type"]) for x in d["events"]]

    baseline = run(["create", "events", "end"])
    for order in (["end", "events", "create"], ["events", "end", "create"],
                  ["events", "create", "end", "events", "end"]):
        assert run(order) == baseline, order


def test_per_event_errors_reject_only_those_events(client):
    eid = uid("exec")
    good = event(eid, 1)
    batch = [
        good, 5, {"execution_id": eid, "event_type": "x"},
        {"event_id": uid("e"), "event_type": "x"},
        {"event_id": uid("e"), "execution_id": eid},
        {"event_id": 7, "execution_id": eid, "event_type": "x"},
        {"event_id": "x" * 129, "execution_id": eid, "event_type": "x"},
        {"event_id": uid("e"), "execution_id": eid, "event_type": "t" * 65},
        {"event_id": uid("e"), "execution_id": eid, "event_type": "x", "sequence": -1},
        {"event_id": uid("e"), "execution_id": eid, "event_type": "x", "sequence": 1.5},
        {"event_id": uid("e"), "execution_id": eid, "event_type": "x", "timestamp": "nope"},
        {"event_id": uid("e"), "execution_id": eid, "event_type": "x",
         "payload": {"big": "y" * (256 * 1024)}},
        event(eid, 2),
    ]
    r = client.post("/events", batch)
    assert r.status == 200
    body = r.json
    assert body["accepted"] == 2 and body["rejected"] == 11 and body["duplicates"] == 0
    messages = {e["index"]: e["error"] for e in body["errors"]}
    assert messages == {
        1: "event must be a JSON object",
        2: "event_id is required",
        3: "execution_id is required",
        4: "event_type is required",
        5: 'field "event_id" must be a string',
        6: "event_id longer than 128 bytes",
        7: "event_type longer than 64 bytes",
        8: 'field "sequence" must be >= 0',
        9: 'field "sequence" must be an integer',
        10: 'field "timestamp" must be an RFC 3339 timestamp',
        11: "payload larger than 262144 bytes",
    }
    assert client.get(f"/executions/{eid}").json["events_total"] == 2


def test_all_rejected_is_still_200(client):
    r = client.post("/events", [1, 2, 3])
    assert r.status == 200
    assert r.json["accepted"] == 0 and r.json["rejected"] == 3


def test_errors_list_is_capped_at_100(client):
    r = client.post("/events", [1] * 150)
    assert r.json["rejected"] == 150 and len(r.json["errors"]) == 100


def test_batch_shape_errors(client):
    assert client.post("/events", {"event_id": "a"}).json["error"] == \
        "invalid JSON: expected an array of events"
    assert client.post("/events", []).json["error"] == "empty event batch"
    r = client.post("/events", raw=b"null")
    assert r.status == 400 and r.json["error"] == "empty event batch"
    r = client.post("/events", [event(uid("e"), 1) for _ in range(1001)])
    assert r.status == 413
    assert r.json["error"] == "too many events in one batch (max 1000)"


def test_event_defaults_and_payload_verbatim(client):
    eid = uid("exec")
    r = client.post("/events", [{"event_id": uid("e"), "execution_id": eid,
                                 "event_type": "custom", "payload": [1, {"b": None}, "ü"]}])
    assert r.json["accepted"] == 1
    ev = client.get(f"/executions/{eid}").json["events"][0]
    assert ev["sequence"] == 0 and ev["payload"] == [1, {"b": None}, "ü"]
    assert "duration_ms" not in ev
    r = client.post("/events", [{"event_id": uid("e"), "execution_id": eid, "event_type": "n"}])
    ev = client.get(f"/executions/{eid}/events").json["events"]
    assert ev[-1]["payload"] is None or ev[0]["payload"] is None


def test_sql_metacharacters_are_just_data(client):
    eid = "x'); DROP TABLE events; --"
    r = client.post("/executions", {"execution_id": eid, "input_summary": "' OR 1=1 --"})
    assert r.status == 200
    from urllib.parse import quote
    d = client.get("/executions/" + quote(eid, safe="")).json
    assert d["execution"]["execution_id"] == eid
    assert d["execution"]["input_summary"] == "' OR 1=1 --"
    assert client.get("/health", auth=False).status == 200
