"""Authentication, schema version and rate limiting (docs/api.md#headers, docs/api.md#bearer-authentication, docs/api.md#rate-limits)."""
import time

from harness import DEV_KEY, signup

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
