"""Tenant isolation (docs/api.md#tenancy): another project's ids behave exactly like unknown ones."""
import pytest

from harness import Client, signup


@pytest.fixture(scope="module")
def tenants(server):
    a = server.client()
    b_info = signup(a, email="b@example.com", name="Project B")
    b = Client(server.port, b_info["api_key"])
    # Project B owns an execution with events.
    assert b.post("/executions", {"execution_id": "shared-id", "input_summary": "B secret",
                                  "sdk_language": "b-lang"}).status == 200
    assert b.post("/events", [{"event_id": "shared-evt", "execution_id": "shared-id",
                               "event_type": "llm_call", "payload": {"secret": "B"}}]).json["accepted"] == 1
    yield a, b, b_info
    a.close()
    b.close()


def test_reads_of_other_projects_ids_are_404_without_data(tenants):
    a, _, _ = tenants
    for path in ["/executions/shared-id", "/executions/shared-id/events"]:
        r = a.get(path)
        assert r.status == 404
        assert r.json == {"ok": False, "error": "execution not found"}
        assert "B secret" not in r.body
    listing = a.get("/executions?sdk_language=b-lang").json
    assert listing["executions"] == []


def test_writes_with_other_projects_ids_create_own_objects(tenants):
    a, b, _ = tenants
    r = a.post("/executions", {"execution_id": "shared-id", "input_summary": "A data"})
    assert r.status == 200 and r.json["created"] is True
    r = a.post("/events", [{"event_id": "shared-evt", "execution_id": "shared-id",
                            "event_type": "llm_call", "payload": {"secret": "A"}}])
    assert r.json["accepted"] == 1 and r.json["duplicates"] == 0
    r = a.patch("/executions/shared-id", {"status": "crashed"})
    assert r.json["created"] is False
    # B is untouched.
    d = b.get("/executions/shared-id").json
    assert d["execution"]["input_summary"] == "B secret"
    assert d["execution"]["status"] == "started"
    assert [e["payload"] for e in d["events"]] == [{"secret": "B"}]
    # A sees only its own.
    d = a.get("/executions/shared-id").json
    assert d["execution"]["project_id"] == "proj-dev"
    assert [e["payload"] for e in d["events"]] == [{"secret": "A"}]


def test_body_project_id_of_other_tenant_is_forbidden(tenants):
    a, _, b_info = tenants
    r = a.post("/executions", {"execution_id": "x-1", "project_id": b_info["project_id"]})
    assert r.status == 403


def test_stats_and_project_are_per_tenant(tenants):
    a, b, b_info = tenants
    assert b.get("/project").json["project_id"] == b_info["project_id"]
    assert b.get("/stats").json["total_executions"] == 1


# --- the cross-tenant matrix: every route that takes an id -------------------------------------

MATRIX_MASTER_KEY = "6a" * 32


def project_rows(db_path, project):
    """Every row project `project` owns, table by table, as comparable tuples."""
    import sqlite3
    db = sqlite3.connect(db_path)
    try:
        out = {}
        for table, col in [("projects", "id"), ("api_keys", "project"), ("executions", "project"),
                           ("events", "project"), ("findings", "project"),
                           ("failure_groups", "project"), ("model_usage", "project"),
                           ("policies", "project"), ("project_webhooks", "project"),
                           ("webhook_outbox", "project"), ("webhook_deliveries", "project"),
                           ("audit_log", "project"), ("abuse_signals", "project")]:
            cur = db.execute(f"SELECT * FROM {table} WHERE {col} = ? ORDER BY 1", (project,))
            names = [d[0] for d in cur.description]
            # last_used_at is B's own key activity, written in the background after B's seeding.
            out[table] = [tuple(v for n, v in zip(names, row) if n != "last_used_at")
                          for row in cur.fetchall()]
        return out
    finally:
        db.close()


def test_cross_tenant_matrix_for_every_route_with_an_id(make_server):
    import socket
    import sqlite3
    import time
    from test_halt import SseStream
    s = make_server(env={"VIGIL_MASTER_KEY": MATRIX_MASTER_KEY, "VIGIL_WEBHOOK_ALLOW_PRIVATE": "1",
                         "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP",
                         "VIGIL_RATE_LIMIT_BURST": "100000", "VIGIL_RATE_LIMIT_PER_SEC": "100000"})
    a = s.client()
    b_info = signup(a, email="b@example.com", name="Project B")
    b = Client(s.port, b_info["api_key"])
    # B owns: a running execution with events, a crashed one (a failure group), a webhook with a
    # delivery log, a second key.
    assert b.post("/executions", {"execution_id": "b-run", "input_summary": "B secret"}).status == 200
    assert b.post("/events", [{"event_id": "b-ev", "execution_id": "b-run", "event_type": "llm_call",
                               "payload": {"secret": "B"}}]).json["accepted"] == 1
    b.post("/executions", {"execution_id": "b-crash"})
    b.patch("/executions/b-crash", {"status": "crashed", "crash_signature": "ffff000011112222"})
    group_id = b.get("/executions/b-crash").json["execution"]["failure_group_id"]
    assert group_id
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    hook = b.post("/webhooks", {"url": f"http://127.0.0.1:{dead_port}/hook"}).json
    b.post(f"/webhooks/{hook['webhook_id']}/test")
    key2 = b.post("/api-keys", {"name": "second"}).json["key_id"]
    b.post("/executions", {"execution_id": "b-crash-2"})  # B halts it below
    time.sleep(1.0)  # B's queued audit rows and key touches land before the snapshot
    db = sqlite3.connect(s.db)
    b_internal = db.execute("SELECT id FROM projects WHERE project_id = ?",
                            (b_info["project_id"],)).fetchone()[0]
    db.close()
    before = project_rows(s.db, b_internal)

    # Reads, deletes, halts, tests and rotations: 404, and nothing of B in the body.
    not_found = [
        ("GET", "/executions/b-run", None), ("GET", "/executions/b-run/events", None),
        ("POST", "/executions/b-run/halt", {"reason": "cross"}),
        ("GET", f"/failure-groups/{group_id}", None),
        ("GET", f"/failure-groups/{group_id}/executions", None),
        ("POST", f"/failure-groups/{group_id}/resolve", None),
        ("POST", f"/failure-groups/{group_id}/mute", None),
        ("POST", f"/failure-groups/{group_id}/reopen", None),
        ("DELETE", f"/webhooks/{hook['webhook_id']}", None),
        ("POST", f"/webhooks/{hook['webhook_id']}/test", None),
        ("GET", f"/webhooks/{hook['webhook_id']}/deliveries", None),
        ("DELETE", f"/api-keys/{key2}", None), ("POST", f"/api-keys/{key2}/rotate", None),
    ]
    for method, path, body in not_found:
        r = a.request(method, path, body=body)
        assert r.status == 404, (method, path, r)
        assert "B secret" not in r.body and b_info["project_id"] not in r.body, (method, path)
        assert group_id not in r.body or path.startswith("/failure-groups"), (method, path)
    # Writes act in A's own namespace.
    r = a.patch("/executions/b-run", {"status": "completed", "output_summary": "A's"})
    assert r.status == 200 and r.json["created"] is True
    r = a.post("/events", [{"event_id": "b-ev", "execution_id": "b-run", "event_type": "x"}])
    assert r.json["accepted"] == 1 and r.json["duplicates"] == 0
    # A's halt stream on B's id never sees B's halt.
    stream = SseStream(s.port, "b-crash-2")
    first = next(stream.frames(timeout=5))
    assert first.startswith(": subscribed")
    assert b.post("/executions/b-crash-2/halt", {"reason": "B only"}).json["notified"] == 0
    assert [f for f in stream.frames(timeout=1.5) if "halt" in f] == []
    stream.close()
    # B's rows are unchanged, except what B itself just did (its own halt of b-crash-2).
    time.sleep(0.5)
    after = project_rows(s.db, b_internal)
    for table in before:
        if table in ("executions", "audit_log"):
            continue
        assert after[table] == before[table], table
    assert [r for r in after["executions"] if r[2] != "b-crash-2"] == \
        [r for r in before["executions"] if r[2] != "b-crash-2"]
    b_audit_paths = [r[7] for r in after["audit_log"]]
    assert not any(p and p.startswith("/api-keys/" + key2) for p in b_audit_paths)
    assert after["audit_log"][:len(before["audit_log"])] == before["audit_log"]
