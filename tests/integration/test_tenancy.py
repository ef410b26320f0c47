"""Tenant isolation (spec §3.3): another project's ids behave exactly like unknown ones."""
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
