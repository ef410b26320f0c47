"""HTTP conventions of docs/api.md#conventions: routing, JSON errors, headers, body limits, content type."""
import json

from harness import raw_http


def test_health_reports_service_version_and_time(client):
    r = client.get("/health", auth=False)
    assert r.status == 200
    assert r.json["ok"] is True and r.json["service"] == "vigil"
    assert r.json["version"] and r.json["time"].endswith("Z")
    assert "x-ratelimit-limit" not in r.headers


def test_every_response_has_nosniff_and_request_id(client):
    for path in ["/health", "/nope", "/executions"]:
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert len(r.headers["x-request-id"]) == 16


def test_unknown_route_is_json_404(client):
    r = client.get("/definitely/not/here")
    assert r.status == 404
    assert r.json == {"ok": False, "error": "not found"}


def test_wrong_method_is_json_405_with_allow(client):
    r = client.request("DELETE", "/events")
    assert r.status == 405
    assert r.json == {"ok": False, "error": "method not allowed"}
    assert r.headers["allow"] == "POST"
    r = client.request("PUT", "/executions/x")
    assert r.status == 405
    assert "GET" in r.headers["allow"] and "PATCH" in r.headers["allow"]


def test_unusual_method_gets_json_405(server):
    out = raw_http(server.port, b"TRACE /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b" 405 " in out.split(b"\r\n")[0]
    assert b'"method not allowed"' in out


def test_head_answers_get_routes_without_body(client):
    r = client.request("HEAD", "/health", auth=False)
    assert r.status == 200
    assert r.body == ""


def test_options_is_204_before_auth(client):
    r = client.request("OPTIONS", "/executions", auth=False)
    assert r.status == 204
    assert r.body == ""


def test_cors_headers_only_for_allowed_origins(make_server):
    s = make_server(env={"VIGIL_CORS_ORIGINS": "https://app.example.com, https://*.preview.dev"})
    c = s.client()
    r = c.request("OPTIONS", "/events", headers={"Origin": "https://app.example.com"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "X-Mesedi-Schema-Version" in r.headers["access-control-allow-headers"]
    r = c.get("/executions", headers={"Origin": "https://pr-12.preview.dev"})
    assert r.headers["access-control-allow-origin"] == "https://pr-12.preview.dev"
    r = c.get("/executions", headers={"Origin": "https://a.b.preview.dev"})
    assert "access-control-allow-origin" not in r.headers
    r = c.get("/executions", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in r.headers


def test_body_over_limit_is_413_from_headers_without_reading_it(make_server):
    s = make_server(env={"VIGIL_MAX_BODY_BYTES": "2048"})
    # Only the headers are sent: the server must answer without waiting for the body.
    req = (b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
           b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
    out = raw_http(s.port, req, read_timeout=5)
    head = out.split(b"\r\n")[0]
    assert b" 413 " in head, out
    assert b"request body too large (limit 2048 bytes)" in out
    assert b"Connection: close" in out


def test_large_body_sent_in_full_still_gets_clean_413(make_server):
    s = make_server(env={"VIGIL_MAX_BODY_BYTES": "4096"})
    c = s.client()
    r = c.post("/events", raw=b"[" + b" " * 100000 + b"]")
    assert r.status == 413
    assert r.json["ok"] is False
    # The server is fine afterwards.
    assert c.get("/health").status == 200


def test_chunked_body_over_limit_is_cut_at_limit(make_server):
    s = make_server(env={"VIGIL_MAX_BODY_BYTES": "2048"})
    chunk = b"x" * 4000
    req = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + hex(len(chunk))[2:].encode() + b"\r\n" + chunk +
           b"\r\n0\r\n\r\n")
    out = raw_http(s.port, req)
    assert b" 413 " in out.split(b"\r\n")[0]


def test_wrong_content_type_is_415(client):
    r = client.request("POST", "/events", raw=b"[]", headers={"Content-Type": "text/plain"})
    assert r.status == 415
    assert r.json == {"ok": False, "error": "Content-Type must be application/json"}
    r = client.request("POST", "/events", raw=b"[]", headers={"Content-Type": None})
    assert r.status == 415


def test_content_type_with_charset_is_accepted(client):
    r = client.request("POST", "/executions", raw=json.dumps({"execution_id": "ct-1"}).encode(),
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 200, r


def test_rate_limit_headers_on_api_key_routes(client):
    r = client.get("/executions")
    assert int(r.headers["x-ratelimit-limit"]) >= 100
    assert int(r.headers["x-ratelimit-remaining"]) >= 0
    assert int(r.headers["x-ratelimit-reset"]) > 1700000000
    # Handler errors carry them too.
    r = client.get("/executions/missing-one")
    assert r.status == 404 and "x-ratelimit-limit" in r.headers


def test_malformed_request_line_gets_json_400(server):
    out = raw_http(server.port, b"GARBAGE\r\n\r\n")
    assert b" 400 " in out.split(b"\r\n")[0]
    assert b'"ok":false' in out
