"""API keys (docs/api.md#reads) and the admin API (docs/api.md#admin)."""
import time
import uuid

import pytest

from harness import Client, new_project_client

ADMIN = "admin-token-" + "x" * 40


def fresh_project(server):
    return new_project_client(server, "k", name="Keys " + uuid.uuid4().hex[:6])


def test_mint_list_revoke_rotate(server):
    p = fresh_project(server)
    r = p.post("/api-keys", {"name": "ci"})
    assert r.status == 200 and r.headers["cache-control"] == "no-store"
    minted = r.json
    assert minted["raw_key"].startswith("vigil_sk_") and minted["prefix"] == minted["raw_key"][:13]
    assert minted["warning"] == "Store this raw_key now, it will never be shown again."
    listing = p.get("/api-keys").json
    assert listing["count"] == 2
    assert all("hash" not in k and "raw_key" not in k and "key_hash" not in k for k in listing["api_keys"])
    assert listing["api_keys"][0]["key_id"] == minted["key_id"]  # newest first
    new = Client(server.port, minted["raw_key"])
    assert new.get("/project").status == 200  # cached now
    assert p.request("DELETE", f"/api-keys/{minted['key_id']}").json == {"ok": True, "key_id": minted["key_id"]}
    assert new.get("/project").status == 401  # revoked: the very next request fails despite the cache
    assert p.request("DELETE", f"/api-keys/{minted['key_id']}").status == 404
    # Rotate the key in use: the new one works, the old one stops at once.
    old_id = p.get("/api-keys").json["api_keys"][0]["key_id"]
    r = p.post(f"/api-keys/{old_id}/rotate")
    assert r.status == 200 and r.json["rotated_key_id"] == old_id
    rotated = Client(server.port, r.json["raw_key"])
    assert rotated.get("/project").status == 200
    assert p.get("/project").status == 401


def test_key_name_limit_and_bad_body(server):
    p = fresh_project(server)
    assert p.post("/api-keys", {"name": "n" * 201}).status == 400
    assert p.post("/api-keys", raw=b"{").status == 400
    assert p.request("POST", "/api-keys", auth=True).status == 200  # empty body allowed


def test_keys_of_other_projects_are_not_found(server):
    a, b = fresh_project(server), fresh_project(server)
    b_key = b.get("/api-keys").json["api_keys"][0]["key_id"]
    assert a.request("DELETE", f"/api-keys/{b_key}").status == 404
    assert a.post(f"/api-keys/{b_key}/rotate").status == 404
    assert b.get("/project").status == 200


def test_admin_fails_closed_without_token(server):
    r = server.client().get("/admin/projects", auth=False)
    assert r.status == 503 and r.json["error"] == "admin not configured"


def test_admin_fails_closed_with_an_empty_token(make_server):
    s = make_server(env={"VIGIL_ADMIN_TOKEN": ""})
    for header in [None, "Bearer ", "Bearer"]:
        r = s.client().get("/admin/projects", headers={"Authorization": header}, auth=False)
        assert r.status == 503 and r.json["error"] == "admin not configured", header


@pytest.fixture
def admin_server(make_server):
    return make_server(env={"VIGIL_ADMIN_TOKEN": ADMIN,
                            "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP"})


def admin(s):
    return Client(s.port, ADMIN)


def test_admin_token_checks(admin_server):
    c = admin_server.client()
    assert c.get("/admin/projects").status == 401  # a customer key never passes
    for header in [None, "Bearer wrong", "bearer " + ADMIN, ADMIN, "Bearer  " + ADMIN,
                   "Bearer " + ADMIN[:-1], "Bearer " + ADMIN[:8], "Bearer " + ADMIN + "x",
                   "Bearer "]:
        r = c.get("/admin/projects", headers={"Authorization": header}, auth=False)
        assert r.status == 401, header
    assert admin(admin_server).get("/admin/projects").status == 200
    assert admin(admin_server).get("/executions").status == 401  # the admin token is no API key


def test_server_refuses_to_start_with_a_short_admin_token(make_server):
    with pytest.raises(RuntimeError) as failed:
        make_server(env={"VIGIL_ADMIN_TOKEN": "x" * 31})
    assert "VIGIL_ADMIN_TOKEN" in str(failed.value) and "x" * 31 not in str(failed.value)
    assert make_server(env={"VIGIL_ADMIN_TOKEN": "x" * 32}).client(key="x" * 32).get(
        "/admin/projects").status == 200


def test_failed_admin_auth_is_throttled_per_client_ip(admin_server):
    c = admin_server.client()
    guesser = {"X-Test-Client-IP": "192.0.2.66"}
    statuses = [c.get("/admin/projects", headers={**guesser, "Authorization": f"Bearer g{i}"},
                      auth=False).status for i in range(25)]
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 5, statuses
    # Throttled, the right token gets 429 too: the answer must not tell a guesser it was right.
    r = c.get("/admin/projects", headers={**guesser, "Authorization": "Bearer " + ADMIN},
              auth=False)
    assert r.status == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json["error"] == "too many failed authentications. Try again later."
    other = c.get("/admin/projects", headers={"X-Test-Client-IP": "192.0.2.67",
                                              "Authorization": "Bearer " + ADMIN}, auth=False)
    assert other.status == 200
    # Successful requests never use the bucket up.
    a = admin(admin_server)
    assert all(a.get("/admin/projects", headers={"X-Test-Client-IP": "192.0.2.68"}).status == 200
               for _ in range(30))


def test_rate_limit_overrides_are_validated_and_reset_stays_in_range(admin_server):
    a = admin(admin_server)
    p = fresh_project(admin_server)
    pid = p.info["project_id"]
    for bad in [{"burst": 5, "per_second": 1e-300}, {"burst": 5, "per_second": 0},
                {"burst": 5, "per_second": 1e10}, {"burst": 5, "per_second": -1},
                {"burst": 10**10, "per_second": 1}, {"burst": 0, "per_second": 1}]:
        r = a.post(f"/admin/projects/{pid}/rate-limit", bad)
        assert r.status == 400, (bad, r)
    # NaN and Infinity are not JSON; a body holding them is refused as such.
    assert a.post(f"/admin/projects/{pid}/rate-limit",
                  raw=b'{"burst":5,"per_second":NaN}').status == 400
    r = a.post(f"/admin/projects/{pid}/rate-limit", {"burst": 1000000000, "per_second": 0.001})
    assert r.status == 200, r
    now = int(time.time())
    for _ in range(3):
        r = p.get("/project")
        reset = int(r.headers["x-ratelimit-reset"])
        assert now <= reset <= now + 10**12 + 10, r.headers
        assert int(r.headers["x-ratelimit-limit"]) == 1000000000


def test_admin_projects_and_controls(admin_server):
    a = admin(admin_server)
    p = fresh_project(admin_server)
    pid = p.info["project_id"]
    p.post("/executions", {"execution_id": "adm-1"})
    listing = a.get("/admin/projects").json
    assert "ok" not in listing and listing["count"] >= 2
    row = [x for x in listing["projects"] if x["project_id"] == pid][0]
    assert row["total_executions"] == 1 and row["tier"] == "hobby" and "last_activity_at" in row
    d = a.get(f"/admin/projects/{pid}").json
    assert d["project"]["project_id"] == pid
    assert [e["execution_id"] for e in d["recent_executions"]] == ["adm-1"]
    assert len(d["api_keys"]) == 1 and d["webhooks"] == []
    assert a.get("/admin/projects/proj_nope").status == 404

    r = a.post(f"/admin/projects/{pid}/tier", {"tier": " PRO ", "expires_days": 30})
    assert r.json["tier"] == "pro" and r.json["expires_at"]
    assert a.post(f"/admin/projects/{pid}/tier", {"tier": "gold"}).status == 400
    r = a.post(f"/admin/projects/{pid}/grant", {"executions": 500})
    assert r.json == {"ok": True, "project_id": pid, "delta": 500, "expires_at": None}
    assert a.post(f"/admin/projects/{pid}/grant", {"executions": 0}).status == 400
    assert a.post(f"/admin/projects/{pid}/grant", {"executions": 20000000}).status == 400
    assert a.post(f"/admin/projects/{pid}/tier", raw=b"{" + b" " * 2000 + b"}").status == 413

    r = a.post(f"/admin/projects/{pid}/rate-limit", {"burst": 2, "per_second": 0.01})
    assert r.json == {"ok": True, "project_id": pid, "burst": 2, "per_second": 0.01}
    statuses = [p.get("/project").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    a.post(f"/admin/projects/{pid}/rate-limit", {"burst": None, "per_second": None})
    assert p.get("/project").status == 200

    r = a.post(f"/admin/projects/{pid}/suspend", {"reason": "abuse"})
    assert r.json == {"ok": True, "project_id": pid, "suspended": True}
    r = p.get("/project")
    assert r.status == 403 and r.json["error"] == "project suspended (abuse)"
    assert a.post(f"/admin/projects/{pid}/unsuspend").json["suspended"] is False
    assert p.get("/project").status == 200

    storage = a.get("/admin/storage").json
    assert storage["database_file_bytes"] > 0 and storage["volume_free_bytes"] > 0
    assert any(x["project_id"] == pid and x["executions"] == 1 for x in storage["projects"])


def test_admin_delete_project_removes_everything(admin_server):
    a = admin(admin_server)
    p = fresh_project(admin_server)
    pid, name = p.info["project_id"], p.info["project_name"]
    p.post("/events", [{"event_id": "d-1", "execution_id": "d-x", "event_type": "x"}])
    p.patch("/executions/d-x", {"status": "crashed", "crash_signature": "0000111122223333"})
    r = a.request("DELETE", f"/admin/projects/{pid}?confirm=wrong")
    assert r.status == 400
    assert r.json["error"] == "confirmation mismatch, pass ?confirm=<exact project name>"
    from urllib.parse import quote
    r = a.request("DELETE", f"/admin/projects/{pid}?confirm={quote(name)}")
    assert r.json == {"ok": True, "project_id": pid}
    assert p.get("/project").status == 401
    assert a.get(f"/admin/projects/{pid}").status == 404
    admin_server.stop()
    import sqlite3
    db = sqlite3.connect(admin_server.db)
    # Nothing left that belonged to it: every remaining row references a live project.
    assert db.execute("SELECT COUNT(*) FROM events WHERE project NOT IN (SELECT id FROM projects)").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM findings WHERE project NOT IN (SELECT id FROM projects)").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM executions WHERE project NOT IN (SELECT id FROM projects)").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM failure_groups WHERE project NOT IN (SELECT id FROM projects)").fetchone()[0] == 0


def test_metrics_need_a_token_and_parse_as_prometheus_text(make_server):
    s = make_server(env={"VIGIL_METRICS_TOKEN": "metrics-" + "m" * 32})
    c = s.client()
    assert c.get("/metrics").status == 401  # an API key is not the metrics token
    m = Client(s.port, "metrics-" + "m" * 32)
    c.post("/events", [{"event_id": "m-1", "execution_id": "m-x", "event_type": "x"}, 5])
    c.patch("/executions/m-x", {"status": "crashed", "crash_signature": "abcdabcdabcdabcd"})
    r = m.get("/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in r.body.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)  # every sample line is "<name>{labels} <number>"
    assert samples['vigil_events_total{result="accepted"}'] == 1
    assert samples['vigil_events_total{result="rejected"}'] == 1
    assert samples['vigil_findings_total{failure_class="crashes"}'] == 1
    assert samples['vigil_http_requests_total{route="/events",method="POST",status="200"}'] == 1
    assert samples["vigil_database_bytes"] > 0
    # An event was stored: its id is remembered.
    assert samples["vigil_event_id_memory_bytes"] > 0
    assert samples["vigil_webhook_outbox"] == 0 and samples["vigil_halt_streams"] == 0
    assert any(k.startswith("vigil_http_request_duration_seconds_bucket") for k in samples)
    before = samples['vigil_http_requests_total{route="/events",method="POST",status="200"}']
    c.post("/events", [{"event_id": "m-2", "execution_id": "m-x", "event_type": "x"}])
    # A request is counted just after its response is written, so the client can read the metrics
    # a moment before the count moves (seen under the slower sanitizer build): poll briefly.
    want = f'vigil_http_requests_total{{route="/events",method="POST",status="200"}} {int(before) + 1}'
    deadline = time.time() + 5
    while want not in m.get("/metrics").body and time.time() < deadline:
        time.sleep(0.05)
    assert want in m.get("/metrics").body


def test_metrics_fail_closed_without_tokens(server):
    r = server.client().get("/metrics", auth=False)
    assert r.status == 503 and r.json["error"] == "metrics not configured"


def test_retention_removes_exactly_what_is_older_than_the_window(admin_server):
    import datetime
    import subprocess
    from harness import BIN, DAY_MS, set_received
    a = admin(admin_server)
    p = fresh_project(admin_server)
    pid = p.info["project_id"]
    now = datetime.datetime.now(datetime.timezone.utc)
    now_ms = int(now.timestamp() * 1000)

    def ts(days):
        return (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Ages count from the server's receipt (set here as if received then), not the clients' clocks.
    p.post("/executions", {"execution_id": "old-ended", "started_at": ts(12), "ended_at": ts(11),
                           "status": "crashed", "crash_signature": "1111222233334444"})
    p.post("/events", [{"event_id": "old-e1", "execution_id": "old-ended", "event_type": "x",
                        "timestamp": ts(12)}])
    set_received(admin_server.db, "old-ended", now_ms - 12 * DAY_MS, now_ms - 11 * DAY_MS)
    p.post("/executions", {"execution_id": "old-start-recent-end", "started_at": ts(9),
                           "ended_at": ts(1), "status": "completed"})
    set_received(admin_server.db, "old-start-recent-end", now_ms - 9 * DAY_MS, now_ms - DAY_MS)
    p.post("/executions", {"execution_id": "recent", "started_at": ts(2)})
    p.post("/executions", {"execution_id": "skewed-clock", "started_at": ts(9000)})
    other = fresh_project(admin_server)  # no retention of its own, global default keeps forever
    other.post("/executions", {"execution_id": "old-elsewhere", "started_at": ts(30)})
    set_received(admin_server.db, "old-elsewhere", now_ms - 30 * DAY_MS, now_ms - 30 * DAY_MS)
    r = a.post(f"/admin/projects/{pid}/retention", {"days": 7})
    assert r.json == {"ok": True, "project_id": pid, "retention_days": 7}
    assert a.get(f"/admin/projects/{pid}").json["project"]["retention_days"] == 7
    assert a.post(f"/admin/projects/{pid}/retention", {"days": -1}).status == 400
    out = subprocess.run([BIN, "prune"], env={"VIGIL_DB": admin_server.db}, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "pruned 1 executions" in out.stdout
    assert p.get("/executions/old-ended").status == 404
    assert p.get("/executions/old-start-recent-end").status == 200
    assert p.get("/executions/recent").status == 200
    assert p.get("/executions/skewed-clock").status == 200
    assert other.get("/executions/old-elsewhere").status == 200
    groups = p.get("/failure-groups").json["failure_groups"]
    crash = [g for g in groups if g["failure_class"] == "crashes"]
    assert crash and crash[0]["affected_executions"] == 0  # groups stay; counters follow
    assert a.post(f"/admin/projects/{pid}/retention", {"days": None}).json["retention_days"] is None
