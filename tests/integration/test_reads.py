"""Read API (docs/api.md#reads): pagination, filters, detail, events paging, stats."""
import uuid

import pytest

from harness import Client, signup


@pytest.fixture(scope="module")
def project(server):
    """A fresh project with a known set of executions."""
    c = server.client()
    info = signup(c, email=f"r{uuid.uuid4().hex[:6]}@example.com")
    c = Client(server.port, info["api_key"])
    for i in range(7):
        c.post("/executions", {"execution_id": f"r-{i}", "started_at": f"2026-05-1{i}T00:00:00Z",
                               "sdk_language": "python" if i % 2 else "typescript",
                               "parent_execution_id": "root" if i < 3 else None,
                               "input_summary": "in", "status": "started"})
    c.patch("/executions/r-1", {"status": "completed", "ended_at": "2026-05-11T00:00:05Z"})
    c.patch("/executions/r-2", {"status": "crashed", "ended_at": "2026-05-12T00:00:05Z"})
    yield c
    c.close()


def test_list_is_newest_first_and_paginates(project):
    r = project.get("/executions?limit=3").json
    assert [e["execution_id"] for e in r["executions"]] == ["r-6", "r-5", "r-4"]
    assert (r["count"], r["limit"], r["offset"]) == (3, 3, 0)
    r = project.get("/executions?limit=3&offset=6").json
    assert [e["execution_id"] for e in r["executions"]] == ["r-0"]
    assert "input_summary" not in r["executions"][0]
    assert "parent_execution_id" not in r["executions"][0]


def test_pagination_values_are_clamped_or_defaulted(project):
    assert project.get("/executions?limit=0").json["limit"] == 1
    assert project.get("/executions?limit=5000").json["limit"] == 200
    assert project.get("/executions?limit=abc").json["limit"] == 50
    assert project.get("/executions?offset=-4").json["offset"] == 0
    assert project.get("/executions?offset=99999999").json["offset"] == 1000000


def test_filters_combine(project):
    def ids(q):
        return sorted(e["execution_id"] for e in project.get("/executions?" + q).json["executions"])
    assert ids("status=completed") == ["r-1"]
    assert ids("sdk_language=python") == ["r-1", "r-3", "r-5"]
    assert ids("parent_execution_id=root") == ["r-0", "r-1", "r-2"]
    assert ids("started_after=2026-05-14T00:00:00Z") == ["r-4", "r-5", "r-6"]
    assert ids("started_before=2026-05-12T00:00:00Z") == ["r-0", "r-1"]
    assert ids("started_after=2026-05-11T00:00:00Z&started_before=2026-05-13T00:00:00Z"
               "&sdk_language=typescript") == ["r-2"]
    assert ids("failure_group_id=grp-0000000000000000") == []


def test_bad_filter_values_are_400_naming_the_filter(project):
    r = project.get("/executions?status=bogus")
    assert r.status == 400 and "status" in r.json["error"]
    r = project.get("/executions?started_after=yesterday")
    assert r.status == 400 and "started_after" in r.json["error"]


def test_detail_has_all_fields_and_token_fallback(project):
    project.post("/events", [
        {"event_id": "tok-1", "execution_id": "r-3", "event_type": "llm_call", "sequence": 1,
         "timestamp": "2026-05-13T00:00:01Z", "payload": {"input_tokens": 100, "output_tokens": 20}},
        {"event_id": "tok-2", "execution_id": "r-3", "event_type": "llm_call", "sequence": 2,
         "timestamp": "2026-05-13T00:00:02Z", "duration_ms": 15, "payload": {"input_tokens": 5, "output_tokens": 1.5}},
        {"event_id": "tok-3", "execution_id": "r-3", "event_type": "tool_call", "sequence": 3,
         "timestamp": "2026-05-13T00:00:03Z", "payload": {"input_tokens": 1000}}])
    d = project.get("/executions/r-3").json
    e = d["execution"]
    assert list(e.keys())[:4] == ["execution_id", "project_id", "parent_execution_id", "status"] or \
        list(e.keys())[:3] == ["execution_id", "project_id", "status"]
    assert e["input_summary"] == "in"
    assert e["total_tokens_in"] == 105 and e["total_tokens_out"] == 20
    assert d["events"][1]["duration_ms"] == 15
    assert d["findings"] == [] and d["events_total"] == 3 and d["events_truncated"] is False


def test_event_paging(project):
    project.post("/events", [{"event_id": f"pg-{i}", "execution_id": "r-4", "event_type": "x",
                              "timestamp": "2026-05-14T00:00:01Z", "sequence": i}
                             for i in range(30)])
    r = project.get("/executions/r-4/events?limit=10&offset=25").json
    assert [e["sequence"] for e in r["events"]] == [25, 26, 27, 28, 29]
    assert (r["count"], r["limit"], r["offset"], r["total"]) == (5, 10, 25, 30)


def test_long_path_ids_are_404(project):
    assert project.get("/executions/" + "x" * 129).status == 404
    assert project.patch("/executions/" + "x" * 129, {"status": "completed"}).status == 400


def test_url_encoded_ids_are_one_segment(project):
    project.post("/executions", {"execution_id": "a/b c"})
    assert project.get("/executions/a%2Fb%20c").json["execution"]["execution_id"] == "a/b c"


def test_stats_counts(project):
    s = project.get("/stats").json
    assert s == {"ok": True, "total_executions": 8, "completed_executions": 1,
                 "crashed_24h": 0, "open_failure_groups": 0}


def test_timeseries_counts_per_bucket_with_empty_buckets_as_zero(project):
    q = "since=2026-05-10T00:00:00Z&until=2026-05-16T23:59:59Z"
    r = project.get("/stats/timeseries?" + q).json
    assert r["ok"] is True and r["metric"] == "executions" and r["bucket"] == "day"
    points = {p["t"]: p["value"] for p in r["points"]}
    assert len(r["points"]) == 7
    assert points["2026-05-10T00:00:00.000Z"] == 1 and points["2026-05-16T00:00:00.000Z"] == 1
    assert sum(points.values()) == 7
    r = project.get("/stats/timeseries?metric=events&bucket=hour&" + q).json
    assert r["bucket"] == "hour" and len(r["points"]) == 7 * 24
    assert sum(p["value"] for p in r["points"]) == 33  # the events stored by the tests above
    assert project.get("/stats/timeseries?metric=cost_usd&" + q).json["points"][0]["value"] == 0
    assert project.get("/stats/timeseries?metric=bogus").status == 400
    assert project.get("/stats/timeseries?bucket=week").status == 400
    r = project.get("/stats/timeseries?bucket=hour&since=2020-01-01T00:00:00Z")
    assert r.status == 400 and "1000" in r.json["error"]


def test_money_has_no_binary_noise_and_cost_wasted_is_always_present(project):
    project.post("/executions", {"execution_id": "money-1"})
    calls = [{"event_id": f"money-{i}", "execution_id": "money-1", "event_type": "llm_call",
              "sequence": i, "payload": {"model": "m", "user_message": "same question"}}
             for i in range(1, 4)]
    assert project.post("/events", calls).status == 200
    r = project.patch("/executions/money-1",
                      {"status": "completed", "estimated_cost_usd": 0.0058 + 0.0058})
    assert r.status == 200
    d = project.get("/executions/money-1")
    assert '"estimated_cost_usd":0.0116,' in d.body, d.body[:400]
    groups = project.get("/failure-groups").json["failure_groups"]
    assert groups and all("cost_wasted_usd" in g for g in groups)


def test_token_and_cost_sums_saturate_instead_of_overflowing(server):
    c = server.client()
    info = signup(c, email=f"sat{uuid.uuid4().hex[:6]}@example.com")
    c = Client(server.port, info["api_key"])
    biggest = 2**63 - 1
    # Counts up to 2^63-1 stay accepted; two of them sum past it.
    events = [{"event_id": f"sat-{i}", "execution_id": "sat-1", "event_type": "llm_call",
               "payload": {"model": "m", "input_tokens": biggest, "output_tokens": biggest}}
              for i in range(2)]
    assert c.post("/events", events).json["accepted"] == 2
    r = c.get("/executions/sat-1")
    assert r.status == 200, r
    assert r.json["execution"]["total_tokens_in"] == biggest
    assert r.json["execution"]["total_tokens_out"] == biggest
    assert c.post("/executions", {"execution_id": "sat-2", "total_tokens_in": biggest}).status == 200
    assert c.get("/executions/sat-2").json["execution"]["total_tokens_in"] == biggest
    # Cost sums stay finite numbers too.
    for i in range(2):
        assert c.post("/executions", {"execution_id": f"sat-cost-{i}",
                                      "started_at": "2026-05-20T01:00:00Z",
                                      "estimated_cost_usd": 1.7e308}).status == 200
    q = "metric=cost_usd&since=2026-05-20T00:00:00Z&until=2026-05-20T23:00:00Z"
    r = c.get("/stats/timeseries?" + q)
    assert r.status == 200
    assert r.json["points"][0]["value"] == pytest.approx(float(biggest))
