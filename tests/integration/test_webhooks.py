"""Outgoing webhooks through the real binary (docs/api.md#webhooks), delivered to a real local HTTP receiver.

Receivers listen on 127.0.0.1, so these servers run with VIGIL_WEBHOOK_ALLOW_PRIVATE=1, except the
tests that check the address guard itself. VIGIL_WEBHOOK_RETRY_BASE_MS shortens the retry schedule.
"""
import base64
import hashlib
import json
import os
import time
import uuid

import pytest

from harness import Client, new_project_client
# proj, receiver and server are fixtures: importing them is what makes them this module's.
from webhook_support import (BASE_ENV, CLASSES, crash, create, deliveries,  # noqa: F401
                             expected_signature, hook_then_crash, new_project, proj, receiver,
                             server, verify, wait_deliveries)


def test_verifier_reproduces_the_spec_test_vector():
    assert expected_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                              "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                              b'{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


# --- endpoints --------------------------------------------------------------------------------

def test_create_shows_the_secret_once_and_list_never_does(proj):
    r = proj.post("/webhooks", {"url": "https://example.com/hook", "name": "ops",
                                "enabled_classes": ["crashes", "loops", "crashes"]})
    assert r.status == 200, r
    assert r.headers["cache-control"] == "no-store"
    body = r.json
    assert list(body) == ["ok", "webhook_id", "url", "name", "enabled_classes", "enabled",
                          "secret", "warning"]
    assert body["ok"] is True
    assert body["webhook_id"].startswith("wh-") and len(body["webhook_id"]) == 19
    assert body["enabled_classes"] == ["crashes", "loops"]
    assert body["enabled"] is True
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert body["warning"] == ("Store this secret now, it will never be shown again. Use it to "
                               "verify the webhook-signature header on deliveries.")
    listed = proj.get("/webhooks")
    assert listed.status == 200
    assert "secret" not in listed.body and "whsec_" not in listed.body
    assert listed.json["count"] == 1
    hook = listed.json["webhooks"][0]
    assert hook == {"webhook_id": body["webhook_id"], "project_id": proj.project_id,
                    "name": "ops", "url": "https://example.com/hook",
                    "enabled_classes": ["crashes", "loops"], "enabled": True,
                    "created_at": hook["created_at"]}
    # All classes is [] (never null); newest first.
    second = create(proj, "https://example.com/other", enabled_classes=None)
    listed = proj.get("/webhooks").json
    assert [h["webhook_id"] for h in listed["webhooks"]] == [second["webhook_id"],
                                                             body["webhook_id"]]
    assert listed["webhooks"][0]["enabled_classes"] == []
    assert "name" not in listed["webhooks"][0]


@pytest.mark.parametrize("body,status,error", [
    ({}, 400, "url required"),
    ({"url": None}, 400, "url required"),
    ({"url": ""}, 400, "url required"),
    ({"url": "not a url"}, 400, "url is not a valid URL"),
    ({"url": "http://user:pw@example.com/"}, 400, "url is not a valid URL"),
    ({"url": "ftp://example.com/x"}, 400, "url must use http or https scheme"),
    ({"url": "https://example.com", "enabled_classes": ["crashes", "bogus"]}, 400,
     "unknown failure_class: bogus (valid: " + CLASSES + ")"),
    ({"url": 5}, 400, 'invalid JSON: field "url" must be a string'),
    ({"url": "https://example.com", "enabled_classes": "crashes"}, 400,
     'invalid JSON: field "enabled_classes" must be an array'),
    ({"url": "https://example.com", "enabled": "yes"}, 400,
     'invalid JSON: field "enabled" must be a boolean'),
    ({"url": "https://example.com", "name": "n" * 201}, 400, "name longer than 200 bytes"),
    ([], 400, "invalid JSON: expected a JSON object"),
])
def test_create_validation_messages(proj, body, status, error):
    r = proj.post("/webhooks", body)
    assert (r.status, r.json) == (status, {"ok": False, "error": error})


def test_a_project_holds_at_most_20_webhooks(proj):
    for i in range(20):
        create(proj, f"https://example.com/{i}")
    r = proj.post("/webhooks", {"url": "https://example.com/21"})
    assert (r.status, r.json["error"]) == (409, "too many webhooks (max 20)")
    assert proj.get("/webhooks").json["count"] == 20


def test_another_projects_webhook_is_not_found(server, proj):
    hook = create(proj, "https://example.com/mine")
    other = new_project(server)
    try:
        wid = hook["webhook_id"]
        for method, path in [("GET", f"/webhooks/{wid}/deliveries"), ("DELETE", f"/webhooks/{wid}"),
                             ("POST", f"/webhooks/{wid}/test")]:
            r = other.request(method, path)
            assert (r.status, r.json) == (404, {"ok": False, "error": "webhook not found"}), path
        assert other.get("/webhooks").json == {"ok": True, "webhooks": [], "count": 0}
    finally:
        other.close()
    assert proj.get("/webhooks").json["count"] == 1


def test_delete_removes_the_webhook(proj):
    wid = create(proj, "https://example.com/gone")["webhook_id"]
    r = proj.request("DELETE", f"/webhooks/{wid}")
    assert (r.status, r.json) == (200, {"ok": True, "webhook_id": wid})
    assert proj.request("DELETE", f"/webhooks/{wid}").status == 404
    assert proj.get(f"/webhooks/{wid}/deliveries").status == 404
    assert proj.get("/webhooks").json["count"] == 0


def test_without_a_master_key_webhooks_fail_closed(make_server):
    # Outside dev mode nothing stands in for a missing master key (dev mode: test_dev_mode.py).
    env = dict(BASE_ENV, VIGIL_DEV="0")
    del env["VIGIL_MASTER_KEY"]
    s = make_server(env=env)
    c = new_project_client(s, "nokey-")
    r = c.post("/webhooks", {"url": "https://example.com/hook"})
    assert (r.status, r.json) == (503, {"ok": False,
                                        "error": "webhook secrets need VIGIL_MASTER_KEY"})
    assert c.get("/webhooks").json["count"] == 0
    c.close()
    assert not os.path.exists(s.db + ".dev-master-key")


# --- delivery -----------------------------------------------------------------------------------

def test_first_occurrence_delivers_one_signed_message(proj, receiver):
    rx = receiver()
    hook = create(proj, rx.url)
    loops_only = receiver()
    create(proj, loops_only.url, enabled_classes=["loops"])
    disabled = receiver()
    create(proj, disabled.url, enabled=False)
    sig = "sig-" + uuid.uuid4().hex[:12]
    eid = crash(proj, sig)
    (headers, body, path), = rx.wait_for(1)
    assert path == "/hook?x=1"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Vigil-Webhook/1"
    verify(hook["secret"], headers, body)
    msg = json.loads(body)
    group_id = "grp-" + hashlib.sha256(f"{proj.project_id}|crashes|{sig}".encode()).hexdigest()[:16]
    assert list(msg) == ["version", "event", "project_id", "webhook_id", "group_id",
                         "failure_class", "signature", "sample_execution_id", "dashboard_url",
                         "playbook_url", "delivery_id", "timestamp"]
    assert msg["version"] == "1" and msg["event"] == "failure_group.created"
    assert msg["project_id"] == proj.project_id and msg["webhook_id"] == hook["webhook_id"]
    assert (msg["group_id"], msg["failure_class"], msg["signature"]) == (group_id, "crashes", sig)
    assert msg["sample_execution_id"] == eid
    assert msg["dashboard_url"] == "https://vigil.example/ui"
    assert msg["playbook_url"] == f"https://vigil.example/ui/playbooks?class=crashes&signature={sig}"
    assert msg["delivery_id"] == headers["webhook-id"] and msg["delivery_id"].startswith("del-")
    # A tampered body does not verify.
    with pytest.raises(AssertionError):
        verify(hook["secret"], headers, body.replace(b"crashes", b"crashez"))
    # The same crash again: the group exists, nothing more is sent.
    crash(proj, sig)
    time.sleep(1.5)
    assert rx.count() == 1
    assert loops_only.count() == 0 and disabled.count() == 0
    rows = wait_deliveries(proj, hook["webhook_id"],
                           lambda rs: len(rs) == 1 and rs[0]["status"] == "delivered")
    row = rows[0]
    assert row["delivery_id"] == msg["delivery_id"]
    assert (row["webhook_id"], row["project_id"]) == (hook["webhook_id"], proj.project_id)
    assert (row["failure_class"], row["signature"], row["group_id"]) == ("crashes", sig, group_id)
    assert (row["attempt"], row["http_status"], row["response_body"]) == (1, 200, "answer 200")
    assert "error" not in row and "next_attempt_at" not in row


def llm_call(eid, seq, message):
    return {"event_id": f"{eid}-{seq}", "execution_id": eid, "event_type": "llm_call",
            "sequence": seq, "payload": {"model": "gpt-4o", "user_message": message,
                                         "status": "failed", "exception_type": "Timeout"}}


def loops_groups(c):
    groups = c.get("/failure-groups").json["failure_groups"]
    return [g for g in groups if g["failure_class"] == "loops"]


def test_one_runaway_raises_one_group_and_one_webhook(proj, receiver):
    """A runaway under a step budget trips step count, identical call and similar call at once.
    Every finding is stored, but the execution is in one group (identical call's, the most
    specific) and one webhook goes out."""
    rx = receiver()
    create(proj, rx.url)
    message = "Fetch the report " + uuid.uuid4().hex  # a key no other test shares
    eid = "runaway-" + uuid.uuid4().hex[:8]
    assert proj.post("/executions", {"execution_id": eid,
                                     "budget": {"max_llm_calls": 3}}).status == 200
    assert proj.post("/events", [llm_call(eid, i, message) for i in range(1, 7)]).status == 200
    assert proj.patch(f"/executions/{eid}", {"status": "completed"}).status == 200
    detail = proj.get(f"/executions/{eid}").json
    key = hashlib.sha256(f"gpt-4o\0{message}".encode()).hexdigest()[:8]
    group_id = "grp-" + hashlib.sha256(
        f"{proj.project_id}|loops|identical_call_{key}".encode()).hexdigest()[:16]
    assert {f["detector"] for f in detail["findings"]} == {"step_count", "identical_call",
                                                           "similar_call"}
    assert {f["group_id"] for f in detail["findings"]} == {group_id}
    assert detail["execution"]["failure_group_id"] == group_id
    assert [g["group_id"] for g in loops_groups(proj)] == [group_id]
    assert proj.get("/stats").json["open_failure_groups"] == 1
    (_, body, _), = rx.wait_for(1)
    msg = json.loads(body)
    assert (msg["group_id"], msg["signature"]) == (group_id, f"identical_call_{key}")
    time.sleep(1.5)
    assert rx.count() == 1


def test_a_runaway_stays_in_the_group_it_was_first_reported_in(proj, receiver):
    """Live, the step budget goes first; the repeated call found later joins that group instead of
    announcing the same runaway again."""
    rx = receiver()
    create(proj, rx.url)
    eid = "runaway-" + uuid.uuid4().hex[:8]
    assert proj.post("/executions", {"execution_id": eid,
                                     "budget": {"max_llm_calls": 1}}).status == 200
    tag = uuid.uuid4().hex
    assert proj.post("/events", [llm_call(eid, 1, f"plan {tag}"),
                                 llm_call(eid, 2, f"act {tag}")]).status == 200
    (_, body, _), = rx.wait_for(1)
    first = json.loads(body)
    assert first["signature"] == "step_count_1+"
    again = "Fetch the report " + tag
    assert proj.post("/events", [llm_call(eid, i, again) for i in range(3, 6)]).status == 200
    assert proj.patch(f"/executions/{eid}", {"status": "completed"}).status == 200
    detail = proj.get(f"/executions/{eid}").json
    assert {f["detector"] for f in detail["findings"]} >= {"step_count", "identical_call"}
    assert {f["group_id"] for f in detail["findings"]} == {first["group_id"]}
    assert [g["group_id"] for g in loops_groups(proj)] == [first["group_id"]]
    time.sleep(1.5)
    assert rx.count() == 1


def test_500_then_200_is_retried_then_delivered(proj, receiver):
    rx, hook = hook_then_crash(proj, receiver, [500], "retry")
    (h1, b1, _), (h2, b2, _) = rx.wait_for(2)
    assert h1["webhook-id"] == h2["webhook-id"]  # one message, the same id on every attempt
    assert b1 == b2
    verify(hook["secret"], h2, b2)
    rows = wait_deliveries(proj, hook["webhook_id"],
                           lambda rs: [r["status"] for r in rs] == ["delivered", "failed"])
    delivered, failed = rows
    assert (failed["attempt"], failed["http_status"], failed["error"]) == \
        (1, 500, "non-2xx status: 500")
    assert "next_attempt_at" in failed
    assert (delivered["attempt"], delivered["http_status"]) == (2, 200)
    assert proj.get(f"/webhooks/{hook['webhook_id']}/deliveries?limit=1").json["count"] == 1


def test_410_disables_the_webhook(proj, receiver):
    rx, hook = hook_then_crash(proj, receiver, [410], "gone")
    rx.wait_for(1)
    rows = wait_deliveries(proj, hook["webhook_id"], lambda rs: len(rs) == 1 and
                           rs[0]["status"] == "failed")
    assert rows[0]["http_status"] == 410
    assert proj.get("/webhooks").json["webhooks"][0]["enabled"] is False
    crash(proj, "gone-again-" + uuid.uuid4().hex[:8])
    time.sleep(1.5)
    assert rx.count() == 1


def test_4xx_is_final(proj, receiver):
    rx, hook = hook_then_crash(proj, receiver, [404], "final")
    rx.wait_for(1)
    time.sleep(1.5)
    assert rx.count() == 1
    rows = deliveries(proj, hook["webhook_id"])
    assert [(r["status"], r.get("http_status")) for r in rows] == [("failed", 404)]
    assert proj.get("/webhooks").json["webhooks"][0]["enabled"] is True


def test_the_test_endpoint_makes_one_logged_attempt(proj, receiver):
    rx = receiver(plan=[200, 500])
    hook = create(proj, rx.url)
    wid = hook["webhook_id"]
    r = proj.post(f"/webhooks/{wid}/test")
    assert r.status == 200, r
    t = r.json
    assert list(t) == ["ok", "webhook_id", "delivery_id", "status", "attempts", "http_status",
                       "error", "duration_ms", "payload"]
    assert (t["ok"], t["status"], t["attempts"], t["http_status"], t["error"]) == \
        (True, "delivered", 1, 200, "")
    assert t["payload"]["event"] == "failure_group.test" and t["payload"]["test"] is True
    assert (t["payload"]["failure_class"], t["payload"]["signature"]) == ("crashes",
                                                                          "test_signature")
    assert "group_id" not in t["payload"] and "playbook_url" not in t["payload"]
    (headers, body, _), = rx.wait_for(1)
    verify(hook["secret"], headers, body)
    assert json.loads(body) == t["payload"]
    assert headers["webhook-id"] == t["delivery_id"]
    r = proj.post(f"/webhooks/{wid}/test", {})
    assert (r.json["ok"], r.json["status"], r.json["http_status"]) == (False, "failed", 500)
    assert r.json["error"] == "non-2xx status: 500"
    rows = deliveries(proj, wid)
    assert [(x["status"], x["attempt"]) for x in rows] == [("failed", 1), ("delivered", 1)]
    assert proj.post("/webhooks/wh-0000000000000000/test").status == 404


def test_a_dead_receiver_is_retried_and_logged(proj):
    hook = create(proj, "http://127.0.0.1:9/nothing-listens")
    crash(proj, "dead-" + uuid.uuid4().hex[:8])
    rows = wait_deliveries(proj, hook["webhook_id"],
                           lambda rs: any(r["status"] == "failed" for r in rs))
    failed = [r for r in rows if r["status"] == "failed"][0]
    assert "http_status" not in failed and failed["error"] == "connection failed"
    assert rows[0]["status"] == "pending" and rows[0]["attempt"] >= 2


def test_a_slow_receiver_never_blocks_ingestion(proj, receiver):
    rx, _ = hook_then_crash(proj, receiver, ["sleep:6"], "slow")
    rx.wait_for(1)  # the sender is now waiting on the receiver
    worst = 0.0
    for i in range(30):
        start = time.time()
        crash(proj, f"slow-other-{i}-" + uuid.uuid4().hex[:6])
        worst = max(worst, time.time() - start)
    assert worst < 1.0, worst


# --- durability -----------------------------------------------------------------------------

def test_a_restart_mid_retry_still_delivers(make_server, receiver, tmp_path):
    rx = receiver(plan=[503])
    env = dict(BASE_ENV, VIGIL_WEBHOOK_RETRY_BASE_MS="2500")
    s = make_server(env=env, db_dir=str(tmp_path))
    c = new_project(s)
    hook = create(c, rx.url)
    crash(c, "restart-" + uuid.uuid4().hex[:8])
    rx.wait_for(1)
    rows = wait_deliveries(c, hook["webhook_id"], lambda rs: any(r["status"] == "pending"
                                                                 for r in rs))
    c.close()
    assert s.stop() == 0
    s2 = make_server(env=env, db_dir=str(tmp_path))
    c2 = Client(s2.port, c.key)
    (h1, _, _), (h2, body, _) = rx.wait_for(2, timeout=20)
    assert h1["webhook-id"] == h2["webhook-id"]
    verify(hook["secret"], h2, body)
    rows = wait_deliveries(c2, hook["webhook_id"],
                           lambda rs: [r["status"] for r in rs] == ["delivered", "failed"])
    assert rows[1]["http_status"] == 503
    c2.close()


def test_non_public_addresses_are_refused_without_allow_private(make_server, receiver, tmp_path):
    guarded = dict(BASE_ENV)
    del guarded["VIGIL_WEBHOOK_ALLOW_PRIVATE"]
    d = str(tmp_path)
    s = make_server(env=guarded, db_dir=d)
    c = new_project(s)
    for url in ["http://127.0.0.1:8080/x", "http://localhost/x", "http://169.254.169.254/latest",
                "http://10.1.2.3/x", "http://[::1]/x", "http://0x7f000001/x",
                "http://100.100.100.200/x", "http://[::ffff:127.0.0.1]/x"]:
        r = c.post("/webhooks", {"url": url})
        assert (r.status, r.json["error"]) == (400, "url resolves to a non-public address"), url
    c.close()
    assert s.stop() == 0
    # Registered while allowed, then the guard is turned on: the attempt is refused at send time.
    s = make_server(env=BASE_ENV, db_dir=d)
    c = Client(s.port, c.key)
    rx = receiver()
    wid = create(c, rx.url)["webhook_id"]
    c.close()
    assert s.stop() == 0
    s = make_server(env=guarded, db_dir=d)
    c = Client(s.port, c.key)
    t = c.post(f"/webhooks/{wid}/test").json
    assert (t["ok"], t["status"], t["http_status"], t["error"]) == \
        (False, "failed", None, "destination address not allowed")
    crash(c, "guarded-" + uuid.uuid4().hex[:8])
    rows = wait_deliveries(c, wid, lambda rs: len(rs) == 2 and rs[0]["status"] == "failed")
    assert rows[0]["error"] == "destination address not allowed"
    time.sleep(1)
    assert rx.count() == 0
    assert deliveries(c, wid)[0]["status"] == "failed"  # final: not retried
    c.close()
