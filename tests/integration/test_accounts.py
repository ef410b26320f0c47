"""Audit log, export and deletion, abuse signals, security.txt (docs/api.md), over HTTP against the
real binary. Billing is in test_billing.py."""
import http.server
import json
import os
import sqlite3
import threading
import time

from harness import Client
# srv is a fixture: importing it is what makes it this module's.
from accounts_support import (ADMIN, IP_HEADER, admin, audit_actions, internal_id,  # noqa: F401
                              new_project, srv, wait_for)


# --- audit log ---------------------------------------------------------------------------------

def test_every_authenticated_request_and_key_action_is_audited(srv):
    p = new_project(srv)
    assert p.get("/executions").status == 200
    assert p.get("/executions/nope").status == 404
    minted = p.post("/api-keys", {"name": "ci"}).json
    assert p.post(f"/api-keys/{minted['key_id']}/rotate").status == 200
    policy = p.get("/policy").json["policy"]
    assert p.request("PUT", "/policy", policy).status == 200, p.request("PUT", "/policy", policy)
    rows = wait_for(lambda: [e for e in audit_actions(p) if e["action"] == "request"
                             and e.get("path") == "/executions/nope"])
    assert rows and rows[0]["status"] == 404 and rows[0]["actor"] == "key"
    assert rows[0]["key_id"].startswith("key")
    assert rows[0]["method"] == "GET" and rows[0]["client_ip"]
    entries = audit_actions(p)
    actions = [e["action"] for e in entries]
    assert "project.signup" in actions and "api_key.create" in actions
    assert "api_key.rotate" in actions and "policy.update" in actions
    signup_row = next(e for e in entries if e["action"] == "project.signup")
    assert signup_row["actor"] == "signup" and signup_row["project_id"] == p.info["project_id"]
    rotate = next(e for e in entries if e["action"] == "api_key.rotate")
    assert rotate["detail"]["rotated_key_id"] == minted["key_id"]
    # Newest first, audit ids strictly decreasing.
    ids = [e["audit_id"] for e in entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    # No secret anywhere in the rows.
    text = json.dumps(entries)
    assert minted["raw_key"] not in text and p.key not in text and "Bearer" not in text


def test_audit_log_filters_pagination_and_ndjson(srv):
    p = new_project(srv)
    for i in range(5):
        p.get(f"/executions/x-{i}")
    wait_for(lambda: len([e for e in audit_actions(p, action="request")]) >= 5)
    page = p.get("/audit-log?limit=2&offset=1&action=request").json
    assert page["ok"] is True and page["count"] == 2 and page["limit"] == 2 and page["offset"] == 1
    assert all(e["action"] == "request" for e in page["entries"])
    others = p.get("/audit-log?limit=200&exclude_action=request").json["entries"]
    assert others and all(e["action"] != "request" for e in others)
    assert p.get("/audit-log?exclude_action=" + "x" * 129).status == 400
    everything = audit_actions(p)
    future = p.get("/audit-log?since=2999-01-01T00:00:00Z").json
    assert future["entries"] == []
    assert p.get("/audit-log?since=yesterday").status == 400
    assert p.get("/audit-log?format=xml").status == 400
    r = p.get("/audit-log?format=ndjson")
    assert r.status == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.body.splitlines()]
    assert [e["audit_id"] for e in lines] == sorted(e["audit_id"] for e in lines)  # oldest first
    assert {e["audit_id"] for e in everything} <= {e["audit_id"] for e in lines}
    # Another project's log does not show these rows.
    other = new_project(srv, name="Other")
    assert all(e["project_id"] == other.info["project_id"] for e in audit_actions(other))


def test_admin_audit_log_spans_projects_and_filters_by_project(srv):
    a = admin(srv)
    p1, p2 = new_project(srv, "One"), new_project(srv, "Two")
    assert a.post(f"/admin/projects/{p1.info['project_id']}/tier", {"tier": "pro"}).status == 200
    rows = wait_for(lambda: [e for e in a.get("/admin/audit-log?limit=200").json["entries"]
                             if e["action"] == "admin.request"])
    assert rows and all(e["actor"] == "admin" for e in rows)
    only1 = a.get(f"/admin/audit-log?limit=200&project_id={p1.info['project_id']}").json["entries"]
    assert only1 and {e["project_id"] for e in only1} == {p1.info["project_id"]}
    assert any(e["action"] == "admin.tier" and e["detail"]["tier"] == "pro" for e in only1)
    # Admin actions on a project appear in that project's own log.
    assert wait_for(lambda: any(e["action"] == "admin.tier" for e in audit_actions(p1)))
    assert not any(e["action"] == "admin.tier" for e in audit_actions(p2))
    assert a.get("/admin/audit-log?project_id=proj_nope").status == 404
    assert p1.get("/admin/audit-log").status == 401  # a customer key never passes admin auth


# --- export and delete -------------------------------------------------------------------------

def seed(c, prefix):
    assert c.post("/executions", {"execution_id": f"{prefix}-e1", "input_summary": "hello"}).status == 200
    r = c.post("/events", [{"event_id": f"{prefix}-ev{i}", "execution_id": f"{prefix}-e1",
                            "event_type": "tool_call", "payload": {"i": i}} for i in range(3)])
    assert r.json["accepted"] == 3
    assert c.patch(f"/executions/{prefix}-e1",
                   {"status": "crashed", "crash_signature": "00aa11bb22cc33dd"}).status == 200


def table_counts(db_path, project):
    db = sqlite3.connect(db_path)
    try:
        tables = {"projects": "id", "api_keys": "project", "executions": "project",
                  "events": "project", "findings": "project", "failure_groups": "project",
                  "model_usage": "project", "policies": "project", "project_webhooks": "project",
                  "webhook_outbox": "project", "webhook_deliveries": "project",
                  "audit_log": "project", "stripe_events": "project", "abuse_signals": "project"}
        return {t: db.execute(f"SELECT COUNT(*) FROM {t} WHERE {col} = ?", (project,)).fetchone()[0]
                for t, col in tables.items()}
    finally:
        db.close()


def test_export_streams_everything_then_delete_leaves_no_row(srv):
    a = admin(srv)
    p, bystander = new_project(srv, "Doomed"), new_project(srv, "Bystander")
    seed(p, "dx")
    seed(bystander, "bx")
    pid = p.info["project_id"]
    r = a.get(f"/admin/projects/{pid}/export")
    assert r.status == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert r.headers["content-disposition"] == f'attachment; filename="vigil-export-{pid}.ndjson"'
    lines = [json.loads(line) for line in r.body.splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "export" and types[1] == "project" and types[-1] == "end"
    assert lines[0]["data"]["schema_version"] == 1 and lines[0]["data"]["project_id"] == pid
    assert types.index("execution") < types.index("event") < types.index("failure_group")
    assert types.count("event") == 3 and "finding" in types and "audit" in types
    counts = lines[-1]["data"]["counts"]
    assert counts["event"] == 3 and counts["execution"] == 1
    assert all("key_hash" not in json.dumps(line) for line in lines if line["type"] == "api_key")
    assert p.key not in r.body

    internal = internal_id(srv.db, pid)
    before_bystander = table_counts(srv.db, internal_id(srv.db, bystander.info["project_id"]))
    assert a.request("DELETE", f"/admin/projects/{pid}?confirm=Doomed").json == {
        "ok": True, "project_id": pid}
    time.sleep(0.5)  # let any queued audit rows of the deleted project reach the writer
    assert all(n == 0 for n in table_counts(srv.db, internal).values()), table_counts(srv.db, internal)
    assert table_counts(srv.db, internal_id(srv.db, bystander.info["project_id"])) == before_bystander
    # One row records the deletion, without a project.
    kept = [e for e in a.get("/admin/audit-log?action=admin.project_delete&limit=200").json["entries"]
            if e["detail"]["project_id"] == pid]
    assert len(kept) == 1 and "project_id" not in kept[0] and kept[0]["actor"] == "admin"
    assert a.get(f"/admin/projects/{pid}/export").status == 404


def test_a_minted_raw_key_is_nowhere_on_disk_in_logs_or_exports(srv):
    p = new_project(srv, "Grep")
    minted = p.post("/api-keys", {"name": "grep-me"}).json["raw_key"]
    c = Client(srv.port, minted)
    assert c.get("/executions").status == 200
    assert c.get("/executions", headers={"Authorization": "Bearer " + minted + "x"}).status == 401
    export = admin(srv).get(f"/admin/projects/{p.info['project_id']}/export").body
    time.sleep(0.5)
    blobs = [export.encode(), srv.read_log().encode()]
    for path in (srv.db, srv.db + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                blobs.append(f.read())
    for needle in (minted, p.key):
        assert not any(needle.encode() in b for b in blobs)


# --- abuse -------------------------------------------------------------------------------------

def signals(s, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    return admin(s).get("/admin/abuse" + ("?" + qs if qs else "")).json["signals"]


def test_key_used_from_many_ips_raises_key_leak(srv):
    p = new_project(srv, "Leaky")
    for i in range(10):
        assert p.get("/executions", headers={IP_HEADER: f"203.0.113.{i}"}).status == 200
    found = wait_for(lambda: [x for x in signals(srv) if x["kind"] == "key_leak"
                              and x["project_id"] == p.info["project_id"]])
    assert found and found[0]["severity"] == "critical"
    assert found[0]["detail"]["distinct_ips"] == 10 and found[0]["signal_id"].startswith("abuse_")
    assert len(found[0]["signal_id"]) == len("abuse_") + 16
    r = admin(srv).post(f"/admin/abuse/{found[0]['signal_id']}/resolve", {"note": "our CI"})
    assert r.json == {"ok": True, "signal_id": found[0]["signal_id"], "reactivated": False}
    assert not [x for x in signals(srv) if x["signal_id"] == found[0]["signal_id"]]
    resolved = [x for x in signals(srv, include_resolved="true")
                if x["signal_id"] == found[0]["signal_id"]]
    assert resolved[0]["resolved_by"] == "admin" and resolved[0]["resolution_note"] == "our CI"
    assert admin(srv).post("/admin/abuse/abuse_0000000000000000/resolve").status == 404


def test_signup_burst_and_oversized_payloads_raise_signals(srv):
    c = srv.client()
    last = None
    for i in range(5):
        r = c.post("/signup", {"email": f"burst{i}@example.com", "project_name": f"B{i}"},
                   auth=False, headers={IP_HEADER: "192.0.2.77"})
        assert r.status == 201
        last = r.json
    found = wait_for(lambda: [x for x in signals(srv) if x["kind"] == "suspicious_signup"
                              and x["detail"]["ip"] == "192.0.2.77"])
    assert found and found[0]["project_id"] == last["project_id"]
    assert found[0]["detail"]["latest_email"] == "burst4@example.com"
    p = new_project(srv, "Big")
    big = [{"event_id": f"big-{i}", "execution_id": "big", "event_type": "x",
            "payload": {"pad": "p" * 900_000}} for i in range(2)]
    for i in range(5):
        for e in big:
            e["event_id"] += "x"
        assert p.post("/events", big).status == 200
    assert wait_for(lambda: [x for x in signals(srv) if x["kind"] == "oversized_payload"
                             and x["project_id"] == p.info["project_id"]])


def test_execution_volume_spike_against_the_projects_own_baseline(srv):
    young, old = new_project(srv, "Young"), new_project(srv, "Established")
    # The established project has existed for longer than the 7-day baseline period.
    db = sqlite3.connect(srv.db, timeout=10)
    db.execute("UPDATE projects SET created_at = created_at - 8 * 86400000 WHERE project_id = ?",
               (old.info["project_id"],))
    db.commit()
    db.close()
    for p in (young, old):
        r = p.post("/events", [{"event_id": f"v-{i}", "execution_id": f"v-{i}", "event_type": "x"}
                               for i in range(99)])
        assert r.json["accepted"] == 99
    time.sleep(0.3)
    assert not [x for x in signals(srv) if x["kind"] == "volume_spike"]
    for p in (young, old):
        p.post("/executions", {"execution_id": "v-100"})  # the hundredth this hour
    found = wait_for(lambda: [x for x in signals(srv) if x["kind"] == "volume_spike"])
    assert [x["project_id"] for x in found] == [old.info["project_id"]]
    assert found[0]["detail"] == {"count": 100, "baseline_per_hour": 0}


def test_hostile_paths_and_client_ips_keep_audit_and_abuse_views_valid_json(srv):
    import socket
    p = new_project(srv, "Hostile")
    # Raw bytes outside ASCII in a request target are refused by the front's parser (RFC 9112
    # §3.2), so they never reach a handler or the audit log; the same bytes percent-encoded do.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /executions/\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
              p.key.encode() + b"\r\nConnection: close\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 400")
    s.close()
    path = b"/executions/%FF%FE%00" + b"A" * 3000
    for ip in (b"203.0.113.9", b"\xc3\x28" + b"9" * 500):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  p.key.encode() + b"\r\n" + IP_HEADER.encode() + b": " + ip +
                  b"\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 404")
        s.close()
    rows = wait_for(lambda: len([e for e in audit_actions(p) if e.get("status") == 404]) == 2
                    and [e for e in audit_actions(p) if e.get("status") == 404])
    assert rows and len(rows) == 2
    raw = p.get("/audit-log?limit=200").body.encode()
    raw.decode("utf-8")  # strictly valid UTF-8
    for e in rows:
        assert e["path"].startswith("/executions/%FF%FE%00AAA") and len(e["path"]) <= 512
        assert len(e["client_ip"]) <= 64
    nd = p.get("/audit-log?format=ndjson").body
    assert all(json.loads(line) for line in nd.splitlines())


def test_project_ids_are_never_reused_after_a_delete(srv):
    a = admin(srv)
    p = new_project(srv, "Newest")
    first = internal_id(srv.db, p.info["project_id"])
    assert a.request("DELETE", f"/admin/projects/{p.info['project_id']}?confirm=Newest").status == 200
    q = new_project(srv, "Next")
    assert internal_id(srv.db, q.info["project_id"]) > first
    assert audit_actions(q) and all(e["project_id"] == q.info["project_id"] for e in audit_actions(q))


def test_rate_limit_storm_then_suspension_and_reactivation(make_server):
    s = make_server(env={"VIGIL_ADMIN_TOKEN": ADMIN, "VIGIL_RATE_LIMIT_BURST": "5",
                         "VIGIL_RATE_LIMIT_PER_SEC": "0.01", "VIGIL_ABUSE_SUSPEND": "1",
                         "VIGIL_ABUSE_SUSPEND_AFTER_S": "0", "VIGIL_ABUSE_CHECK_INTERVAL_S": "1",
                         "VIGIL_TRUSTED_PROXY_HEADER": IP_HEADER})
    c = s.client()
    statuses = [c.get("/executions").status for _ in range(40)]
    assert statuses.count(429) >= 30
    found = wait_for(lambda: [x for x in signals(s) if x["kind"] == "rate_limit_sustained"])
    assert found and found[0]["detail"]["count"] == 30 and found[0]["detail"]["window_mins"] == 60
    # Unresolved past the (zero) delay: the worker suspends the project.
    assert wait_for(lambda: c.get("/executions").status == 403, timeout=10)
    r = c.get("/executions")
    assert r.json["error"] == "project suspended (abuse:rate_limit_sustained)"
    sig = found[0]["signal_id"]
    r = admin(s).post(f"/admin/abuse/{sig}/resolve", {"note": "ok", "reactivate": True})
    assert r.json["reactivated"] is True
    assert c.get("/executions").status != 403


# --- security.txt and headers ------------------------------------------------------------------

def test_security_txt_served_from_configuration(srv, server):
    r = srv.client(key=None).get("/.well-known/security.txt")
    assert r.status == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.body.startswith("Contact: mailto:security@example.com")
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert server.client(key=None).get("/.well-known/security.txt").status == 404


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_export_memory_stays_flat_for_a_large_project(make_server):
    """The export streams from one snapshot: the server's memory does not grow with the project.
    80 MiB of events are exported while RSS is sampled; growth must stay far below that."""
    import socket
    s = make_server(env={"VIGIL_ADMIN_TOKEN": ADMIN, "VIGIL_RATE_LIMIT_BURST": "1000000",
                         "VIGIL_RATE_LIMIT_PER_SEC": "1000000", "VIGIL_DETECTORS": "0"})
    c = s.client()
    pad = "e" * 2000
    for i in range(400):
        r = c.post("/events", [{"event_id": f"m-{i}-{j}", "execution_id": f"m-{i // 4}",
                                "event_type": "x", "payload": {"pad": pad}} for j in range(100)])
        assert r.json["accepted"] == 100
    baseline = rss_kib(s.proc.pid)
    peak = [baseline]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(s.proc.pid))
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    # Read the export slowly in small pieces, as a slow client would.
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(f"GET /admin/projects/proj-dev/export HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: Bearer {ADMIN}\r\nConnection: close\r\n\r\n".encode())
    total = 0
    while True:
        chunk = sock.recv(256 * 1024)
        if not chunk:
            break
        total += len(chunk)
    sock.close()
    stop.set()
    t.join()
    growth_mib = (peak[0] - baseline) / 1024
    print(f"\nexport of {total / 2**20:.1f} MiB: RSS {baseline / 1024:.1f} MiB before, "
          f"peak {peak[0] / 1024:.1f} MiB (+{growth_mib:.1f} MiB)")
    assert total > 80 * 2**20
    if os.environ.get("VIGIL_SANITIZED") != "1":  # ASan's quarantine holds freed memory
        assert growth_mib < 24


class AlertReceiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        AlertReceiver.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def test_abuse_signals_reach_the_operator_alert_sink(make_server):
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        s = make_server(env={"VIGIL_ADMIN_TOKEN": ADMIN, "VIGIL_TRUSTED_PROXY_HEADER": IP_HEADER,
                             "VIGIL_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{sink.server_port}/alerts"})
        c = s.client()
        for i in range(10):
            c.get("/executions", headers={IP_HEADER: f"198.18.0.{i}"})
        got = wait_for(lambda: [a for a in AlertReceiver.received if a.get("kind") == "key_leak"])
        assert got and got[0]["project_id"] == "proj-dev" and got[0]["severity"] == "critical"
        listed = wait_for(lambda: [x for x in signals(s) if x["kind"] == "key_leak"])
        assert listed[0]["signal_id"] == got[0]["signal_id"] and "notified_at" in listed[0]
    finally:
        sink.shutdown()


def test_operator_alerts_carry_no_client_controlled_markup(make_server):
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        s = make_server(env={"VIGIL_ADMIN_TOKEN": "",
                             "VIGIL_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{sink.server_port}/alerts"})
        # The front refuses a Host that is not a host (`<`, `>`, spaces, `@`, backquotes): 400,
        # and nothing reaches the operator. The markup a host name may carry (RFC 3986 reg-name:
        # `!`, `*`, `&`, `;`) still must not reach an alert as markup.
        r = s.client().get("/admin/projects/x", headers={"Host": "<!channel> *x* `y` @everyone"})
        assert r.status == 400
        hostile = "!channel*x*&amp;"
        # An admin route without an admin token answers 503, which reaches the operator.
        r = s.client().get("/admin/projects/%3C%40U1%3E_x_", headers={"Host": hostile})
        assert r.status == 503
        got = wait_for(lambda: [a for a in AlertReceiver.received
                                if a.get("service") == "vigil" and a.get("status") == 503])
        assert got, AlertReceiver.received
        alert = got[-1]
        for field in ("host", "path", "method"):
            for markup in "<>&*`@!_ ":
                assert markup not in alert[field], (field, alert[field])
        assert alert["host"].startswith("%21channel%2A")
        assert alert["path"].startswith("/admin/projects/%3C%40U1%3E")
    finally:
        sink.shutdown()
