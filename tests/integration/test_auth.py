"""Authentication, schema version and rate limiting (docs/api.md#headers, docs/api.md#bearer-authentication, docs/api.md#rate-limits)."""
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

from harness import DEV_KEY, raw_http, signup

UNAUTHORIZED = {"ok": False, "error": "unauthorized"}


def test_every_auth_failure_is_the_same_401(client):
    cases = [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer wrong-key",
             "Bearer " + "x" * 300, "Token " + DEV_KEY, "Bearer" + DEV_KEY]
    for header in cases:
        r = client.get("/executions", headers={"Authorization": header}, auth=False)
        assert r.status == 401, header
        assert r.json == UNAUTHORIZED
        assert r.headers["www-authenticate"] == "Bearer"
        assert "x-ratelimit-limit" not in r.headers


def test_bearer_scheme_is_case_insensitive_and_token_trimmed(client):
    r = client.get("/project", headers={"Authorization": "bEaReR   " + DEV_KEY + "  "}, auth=False)
    assert r.status == 200
    assert r.json["project_id"] == "proj-dev"


def test_schema_version_header_policy(client):
    assert client.get("/project", headers={"X-Mesedi-Schema-Version": "1"}).status == 200
    r = client.get("/project", headers={"X-Mesedi-Schema-Version": "2"})
    assert r.status == 400
    assert r.json["error"] == "unsupported X-Mesedi-Schema-Version 2 (this backend accepts: 1)"
    assert "x-ratelimit-limit" not in r.headers


def test_schema_version_checked_after_auth(client):
    r = client.get("/project", headers={"X-Mesedi-Schema-Version": "9", "Authorization": "Bearer no"},
                   auth=False)
    assert r.status == 401


def test_rate_limit_429_with_retry_after_and_separate_buckets(make_server):
    s = make_server(env={"VIGIL_RATE_LIMIT_BURST": "5", "VIGIL_RATE_LIMIT_PER_SEC": "0.5"})
    c = s.client()
    statuses = [c.get("/executions").status for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    r = c.get("/executions")
    assert r.status == 429
    assert r.json["error"] == "rate limit exceeded for project proj-dev"
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["x-ratelimit-remaining"] == "0"
    # Reads exhausted the read bucket; ingestion still has its own.
    r = c.post("/executions", {"execution_id": "bucket-1"})
    assert r.status == 200
    # /health is never rate limited.
    assert all(c.get("/health", auth=False).status == 200 for _ in range(10))


def test_rate_limit_refills(make_server):
    s = make_server(env={"VIGIL_RATE_LIMIT_BURST": "2", "VIGIL_RATE_LIMIT_PER_SEC": "20"})
    c = s.client()
    for _ in range(3):
        c.get("/project")
    time.sleep(0.2)
    assert c.get("/project").status == 200


def test_signup_creates_project_and_key_shown_once(client):
    r = client.post("/signup", {"email": "  Alice@Example.COM ", "project_name": " Team A "},
                    auth=False)
    assert r.status == 201
    body = r.json
    assert body["ok"] is True and body["project_id"].startswith("proj_")
    assert len(body["project_id"]) == len("proj_") + 16
    assert body["project_name"] == "Team A"
    assert body["api_key"].startswith("vigil_sk_") and len(body["api_key"]) == 9 + 32
    assert body["key_prefix"] == body["api_key"][:13]
    assert r.headers["cache-control"] == "no-store"
    c2 = type(client)(client.port, body["api_key"])
    p = c2.get("/project").json
    assert p["project_id"] == body["project_id"] and p["owner_email"] == "alice@example.com"


def test_signup_validation_messages(client):
    cases = [({}, "email is required"), ({"email": "   "}, "email is required"),
             ({"email": "not-an-email"}, "email format is invalid"),
             ({"email": "a@b.c"}, "email format is invalid"),
             ({"email": "a" * 250 + "@x.com"}, "email is too long"),
             ({"email": "ok@example.com", "project_name": "n" * 81},
              "project name must be 80 characters or fewer")]
    for body, message in cases:
        r = client.post("/signup", body, auth=False)
        assert r.status == 400, body
        assert r.json["error"] == message


def test_signup_is_limited_per_ip(make_server):
    s = make_server()
    c = s.client()
    for i in range(5):
        signup(c, email=f"u{i}@example.com")
    r = c.post("/signup", {"email": "u6@example.com"}, auth=False)
    assert r.status == 429
    assert r.json["error"] == "too many signups from this IP. Try again in an hour."
    assert int(r.headers["retry-after"]) > 0


def test_forged_forwarded_for_does_not_bypass_signup_limit(make_server):
    s = make_server(env={"VIGIL_TRUSTED_PROXY_HEADER": "X-Forwarded-For"})
    c = s.client()
    for i in range(5):
        r = c.post("/signup", {"email": f"f{i}@example.com"}, auth=False,
                   headers={"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.9"})
        assert r.status == 201
    r = c.post("/signup", {"email": "f9@example.com"}, auth=False,
               headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.9"})
    assert r.status == 429


def test_signup_disabled(make_server):
    s = make_server(env={"VIGIL_SIGNUP": "0"})
    r = s.client().post("/signup", {"email": "x@example.com"}, auth=False)
    assert r.status == 403 and r.json["error"] == "signup disabled"


def test_concurrent_signups_from_one_ip_create_exactly_five_projects(make_server):
    s = make_server()

    def one(i):
        c = s.client()
        try:
            return c.post("/signup", {"email": f"race{i}@example.com"}, auth=False).status
        finally:
            c.close()

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(one, range(30)))
    assert statuses.count(201) == 5, statuses
    assert statuses.count(429) == 25, statuses
    db = sqlite3.connect(s.db, timeout=10)
    try:
        created = db.execute("SELECT COUNT(*) FROM projects WHERE owner_email LIKE 'race%'")
        assert created.fetchone()[0] == 5
    finally:
        db.close()


def test_forwarded_for_is_read_across_all_header_lines(make_server):
    s = make_server(env={"VIGIL_TRUSTED_PROXY_HEADER": "X-Forwarded-For"})
    # The client sends its own line with a fresh address each time; the proxy appends a second
    # line with the address it saw. Only the proxy's line counts, so the sixth signup is refused.
    for i in range(6):
        head = (f"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"X-Forwarded-For: 10.0.0.{i}\r\nX-Forwarded-For: 203.0.113.7\r\n"
                f"Connection: close\r\n")
        body = ('{"email": "lines%d@example.com"}' % i).encode()
        out = raw_http(s.port, head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status = int(out.split(b" ", 2)[1])
        assert status == (201 if i < 5 else 429), out[:300]
