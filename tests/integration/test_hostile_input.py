"""Hostile input table: malformed or malicious requests each get a clean 4xx (or, for per-event
problems, a 200 that rejects exactly the bad events), the server stays up, and nothing else in the
database changes. Merely unusual strings are stored verbatim."""
import json
import socket
import uuid
from urllib.parse import quote

import pytest

from harness import DEV_KEY, raw_http

E = "hostile-exec"  # the execution every case aims at


def ev(**kw):
    base = {"event_id": "h-" + uuid.uuid4().hex[:10], "execution_id": E, "event_type": "x"}
    base.update(kw)
    return base


def body(obj):
    return json.dumps(obj).encode()


# (name, method, path, raw body, extra headers, expected status, expected accepted or None)
CASES = [
    ("invalid utf-8 in body", "POST", "/events", b'[{"event_id":"\xc3\x28","execution_id":"e","event_type":"x"}]', {}, 400, None),
    ("overlong utf-8", "POST", "/events", b'[{"event_id":"\xc0\xaf","execution_id":"e","event_type":"x"}]', {}, 400, None),
    ("lone surrogate escape", "POST", "/executions", b'{"execution_id":"\\ud800"}', {}, 400, None),
    ("raw NUL byte in JSON", "POST", "/events", b'[{"event_id":"a\x00b","execution_id":"e","event_type":"x"}]', {}, 400, None),
    ("escaped NUL in id", "POST", "/executions", body({"execution_id": "a\u0000b"}), {}, 400, None),
    ("control char in event id", "POST", "/events", body([ev(event_id="a\nb")]), {}, 200, 0),
    ("10 MB string body over limit", "POST", "/events", b'[{"event_id":"' + b"x" * (10 << 20) + b'"}]', {}, 413, None),
    ("4 MB payload string", "POST", "/events", body([ev(payload={"s": "y" * (4 << 20)})]), {}, 200, 0),
    ("nesting 10000 deep", "POST", "/events", b"[" * 10000 + b"]" * 10000, {}, 400, None),
    ("nesting 65 in payload", "POST", "/events", b'[{"event_id":"n","execution_id":"e","event_type":"x","payload":' + b"[" * 64 + b"]" * 64 + b"}]", {}, 400, None),
    ("unterminated string", "POST", "/events", b'[{"event_id":"abc', {}, 400, None),
    ("trailing garbage", "POST", "/events", body([ev()]) + b"]]", {}, 400, None),
    ("two JSON values", "POST", "/executions", b'{"execution_id":"a"}{"execution_id":"b"}', {}, 400, None),
    ("number 1e400", "POST", "/executions", b'{"execution_id":"a","duration_ms":1e400}', {}, 400, None),
    ("integer beyond int64", "POST", "/executions", b'{"execution_id":"a","duration_ms":99999999999999999999}', {}, 400, None),
    ("negative tokens", "POST", "/executions", body({"execution_id": "neg", "total_tokens_in": -5}), {}, 400, None),
    ("NaN literal", "POST", "/executions", b'{"execution_id":"a","estimated_cost_usd":NaN}', {}, 400, None),
    ("Infinity literal", "POST", "/executions", b'{"execution_id":"a","estimated_cost_usd":Infinity}', {}, 400, None),
    ("sequence beyond int64", "POST", "/events", body([ev(sequence=2**63)]), {}, 200, 0),
    ("number beyond any integer", "POST", "/events", body([ev(sequence=2**64)]), {}, 400, None),
    ("sequence float", "POST", "/events", body([ev(sequence=1.5)]), {}, 200, 0),
    ("timestamp year 0000", "POST", "/events", body([ev(timestamp="0000-01-01T00:00:00Z")]), {}, 200, 0),
    ("timestamp garbage", "POST", "/events", body([ev(timestamp="'; DROP TABLE events; --")]), {}, 200, 0),
    ("event id 129 bytes", "POST", "/events", body([ev(event_id="i" * 129)]), {}, 200, 0),
    ("execution id 10k bytes", "POST", "/executions", body({"execution_id": "e" * 10000}), {}, 400, None),
    ("event type 65 bytes", "POST", "/events", body([ev(event_type="t" * 65)]), {}, 200, 0),
    ("wrong type for payload container", "POST", "/events", body({"events": []}), {}, 400, None),
    ("array of nulls", "POST", "/events", body([None, None]), {}, 200, 0),
    ("1001 events", "POST", "/events", body([ev() for _ in range(1001)]), {}, 413, None),
    ("status injection", "POST", "/executions", body({"execution_id": "s", "status": "completed' OR '1'='1"}), {}, 400, None),
    ("project_id of another tenant", "POST", "/executions", body({"execution_id": "p", "project_id": "proj_other"}), {}, 403, None),
    ("wrong content type", "POST", "/events", body([ev()]), {"Content-Type": "text/plain"}, 415, None),
    ("form content type", "POST", "/executions", b"execution_id=a", {"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
    ("schema version injection", "GET", "/executions", None, {"X-Mesedi-Schema-Version": "1; DROP"}, 400, None),
    ("path traversal id", "GET", "/executions/..%2F..%2Fetc%2Fpasswd", None, {}, 404, None),
    ("dot-dot segments", "GET", "/executions/../../admin/projects", None, {}, 404, None),
    ("encoded NUL in path id", "GET", "/executions/a%00b", None, {}, 404, None),
    ("malformed percent escape", "GET", "/executions/%zz", None, {}, 404, None),
    ("very long path id", "GET", "/executions/" + "x" * 2000, None, {}, 404, None),
    ("SQL in filter value", "GET", "/executions?status=" + quote("completed' OR 1=1 --"), None, {}, 400, None),
    ("SQL in sdk_language filter", "GET", "/executions?sdk_language=" + quote("x' OR '1'='1"), None, {}, 200, None),
    ("limit not a number", "GET", "/executions?limit=1;DROP", None, {}, 200, None),
    ("bad time filter", "GET", "/executions?started_after=" + quote("1 OR 1=1"), None, {}, 400, None),
    ("bad policy type", "PUT", "/policy", body({"step_count": {"max_steps": "1; DROP"}}), {}, 400, None),
    ("bad policy range", "PUT", "/policy", body({"history": {"days": 100000}}), {}, 400, None),
    ("halt reason too long", "POST", "/executions/" + E + "/halt", body({"reason": "r" * 5000}), {}, 400, None),
    ("key name not a string", "POST", "/api-keys", body({"name": ["x"]}), {}, 400, None),
    ("empty body on create", "POST", "/executions", b"", {}, 400, None),
    ("control char in PATCH path id", "PATCH", "/executions/a%01b", body({}), {}, 400, None),
    ("NUL in PATCH path id", "PATCH", "/executions/a%00b", body({}), {}, 400, None),
    ("invalid utf-8 in PATCH path id", "PATCH", "/executions/a%FFb", body({}), {}, 400, None),
    ("overlong utf-8 in PATCH path id", "PATCH", "/executions/%C0%AF", body({}), {}, 400, None),
]


@pytest.fixture(scope="module")
def hostile(server):
    c = server.client()
    assert c.post("/executions", {"execution_id": E, "input_summary": "before"}).status == 200
    assert c.post("/events", [ev(event_id="h-base")]).json["accepted"] == 1
    return c


def snapshot(c):
    d = c.get(f"/executions/{E}").json
    listing = c.get("/executions?limit=200").json["executions"]
    return d["execution"], d["events_total"], sorted(e["execution_id"] for e in listing)


@pytest.mark.parametrize("name,method,path,raw,headers,status,accepted", CASES,
                         ids=[c[0] for c in CASES])
def test_hostile_request_gets_clean_answer_and_changes_nothing(hostile, name, method, path, raw,
                                                               headers, status, accepted):
    before = snapshot(hostile)
    hdrs = {"Content-Type": "application/json"} if raw is not None else {}
    hdrs.update(headers)
    r = hostile.request(method, path, raw=raw, headers=hdrs)
    assert r.status == status, (name, r)
    assert r.json is not None and isinstance(r.json, dict), r  # always a JSON envelope
    if status >= 400:
        assert r.json["ok"] is False and r.json["error"]
    if accepted is not None:
        assert r.json["accepted"] == accepted and r.json["rejected"] >= 1
    assert hostile.get("/health", auth=False).status == 200
    assert snapshot(hostile) == before, name


def test_path_ids_get_the_checks_body_ids_get(server):
    c = server.client()
    cases = [("a%01b", "execution_id must not contain control characters"),
             ("a%7Fb", "execution_id must not contain control characters"),
             ("a%FFb", "execution_id must be valid UTF-8"),
             ("%ED%A0%80", "execution_id must be valid UTF-8"),
             ("i" * 129, "execution_id longer than 128 bytes")]
    for path_id, message in cases:
        r = c.patch("/executions/" + path_id, {"status": "started"})
        assert r.status == 400 and r.json["error"] == message, (path_id, r)
    # The body gives the same answers for the same ids.
    assert c.post("/executions", {"execution_id": "a\x01b"}).json["error"] == cases[0][1]
    assert c.post("/executions", {"execution_id": "i" * 129}).json["error"] == cases[4][1]
    # A valid non-ASCII id still works, and every listing stays valid JSON.
    assert c.patch("/executions/" + quote("päth-ïd"), {"status": "started"}).status == 200
    listing = c.get("/executions?limit=200")
    assert listing.status == 200 and json.loads(listing.body)["executions"]


def test_header_injection_is_not_reflected(server):
    out = raw_http(server.port, b"GET /executions/x%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n"
                                b"Authorization: Bearer " + DEV_KEY.encode() + b"\r\n\r\n")
    head = out.split(b"\r\n\r\n")[0]
    assert b"Set-Cookie" not in head
    assert b" 404 " in head.split(b"\r\n")[0]


def test_unusual_strings_are_stored_verbatim(server):
    c = server.client()
    weird = ["'; DROP TABLE executions; --", "../../etc/passwd", "<script>alert(1)</script>",
             "emoji \U0001F600 and ünïcödé", "back\\slash \"quote\"", "%00%2e%2e"]
    for i, w in enumerate(weird):
        eid = f"weird-{i}-{w}"
        r = c.post("/executions", {"execution_id": eid, "input_summary": w, "sdk_language": w})
        assert r.status == 200
        r = c.post("/events", [{"event_id": f"weird-evt-{i}-{w}", "execution_id": eid,
                                "event_type": w[:64], "payload": {"text": w}}])
        assert r.json["accepted"] == 1
        d = c.get("/executions/" + quote(eid, safe="")).json
        assert d["execution"]["execution_id"] == eid
        assert d["execution"]["input_summary"] == w
        assert d["events"][0]["payload"] == {"text": w}
        assert d["events"][0]["event_type"] == w[:64]
    assert c.get("/health", auth=False).status == 200


def test_half_sent_request_does_not_hold_the_server(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{")
    c = server.client()
    assert c.get("/health", auth=False).status == 200
    s.close()
