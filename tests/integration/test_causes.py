"""Names, causes and identity (docs/protocol.md#protocol-extensions): the name filter stays inside
its project; an `exception` event is checked, stored and shown as the execution's cause without
changing its crash signature; a halt keeps its reason in words; the build identity is kept and
validated. Every field is optional, so bodies without them behave as before."""
import uuid

from harness import new_project_client
from test_detection import proj  # noqa: F401 (the fixture: a fresh project of its own)

T0 = "2026-05-14T10:00:00Z"


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:10]


def exception_event(eid, seq=2, **payload):
    body = {"exception_type": "KeyError", "exception_message": "'user_id'",
            "frames": [{"file": "agent/main.py", "line": 12, "function": "run"},
                       {"file": "agent/tools.py", "line": 40, "function": "lookup"}]}
    body.update(payload)
    return {"event_id": f"{eid}-x{seq}", "execution_id": eid, "event_type": "exception",
            "sequence": seq, "timestamp": T0, "payload": body}


def test_name_filter_never_sees_another_projects_executions(server, proj):
    other = new_project_client(server, "names")
    try:
        mine, theirs = new_id("mine-"), new_id("theirs-")
        assert proj.post("/executions", {"execution_id": mine, "name": "shared-agent"}).status == 200
        assert other.post("/executions", {"execution_id": theirs, "name": "shared-agent"}).status == 200
        listed = [x["execution_id"] for x in proj.get("/executions?name=shared-agent").json["executions"]]
        assert listed == [mine]
        listed = [x["execution_id"] for x in other.get("/executions?name=shared-agent").json["executions"]]
        assert listed == [theirs]
        # Another project's execution by id is as missing as one that never existed.
        assert proj.get(f"/executions/{theirs}").status == 404
    finally:
        other.close()


def test_exception_event_is_the_executions_cause_and_keeps_the_signature(proj):
    eid = new_id("crash-")
    assert proj.post("/executions", {"execution_id": eid, "name": "billing", "started_at": T0}).status == 200
    r = proj.post("/events", [exception_event(eid)])
    assert r.status == 200 and r.json["accepted"] == 1, r
    assert proj.patch(f"/executions/{eid}", {"status": "crashed",
                                             "crash_signature": "85277f050f240d5d"}).status == 200
    x = proj.get(f"/executions/{eid}").json["execution"]
    assert x["crash_signature"] == "85277f050f240d5d"
    assert x["exception"] == {
        "type": "KeyError", "message": "'user_id'",
        "frames": [{"file": "agent/main.py", "line": 12, "function": "run"},
                   {"file": "agent/tools.py", "line": 40, "function": "lookup"}]}
    # The event itself is stored and listed like any other.
    events = proj.get(f"/executions/{eid}/events").json["events"]
    assert [e["event_type"] for e in events] == ["exception"]
    # Lists stay light: the cause is on the detail only.
    listed = proj.get("/executions?name=billing").json["executions"]
    assert "exception" not in listed[0]


def test_the_latest_exception_event_wins(proj):
    eid = new_id("twice-")
    later = exception_event(eid, seq=5, exception_type="ValueError", exception_message="bad",
                            frames=[])
    assert proj.post("/events", [later, exception_event(eid, seq=3)]).json["accepted"] == 2
    x = proj.get(f"/executions/{eid}").json["execution"]
    assert x["exception"] == {"type": "ValueError", "message": "bad", "frames": []}


def test_exception_events_of_any_shape_are_stored_and_the_cause_is_bounded(proj):
    # The protocol stores any payload as sent: nothing is rejected, and the cause is read from it
    # leniently, cut to its bounds.
    odd = new_id("odd-")
    batch = [{"event_id": f"{odd}-{i}", "execution_id": odd, "event_type": "exception",
              "sequence": i, "payload": payload}
             for i, payload in enumerate([{"exception_message": "no type"}, "text", None])]
    r = proj.post("/events", batch)
    assert (r.status, r.json["accepted"], r.json["rejected"]) == (200, 3, 0)
    assert "exception" not in proj.get(f"/executions/{odd}").json["execution"]
    assert proj.get(f"/executions/{odd}").json["events_total"] == 3

    big = new_id("big-")
    frames = [{"file": "f" * 2000, "line": i + 1, "function": "fn"} for i in range(70)]
    payload = {"exception_type": "E" * 300, "exception_message": "é" * 5000, "frames": frames}
    assert proj.post("/events", [exception_event(big, **payload)]).json["accepted"] == 1
    cause = proj.get(f"/executions/{big}").json["execution"]["exception"]
    assert cause["type"] == "E" * 256
    assert cause["message"] == "é" * 4096  # 8 KiB, never half a character
    assert len(cause["frames"]) == 64
    assert [f["line"] for f in cause["frames"]] == list(range(7, 71))  # the innermost 64
    assert len(cause["frames"][0]["file"]) == 1024
    # The stored event itself is kept as sent.
    stored = proj.get(f"/executions/{big}/events").json["events"][0]["payload"]
    assert len(stored["frames"]) == 70


def test_a_halt_keeps_its_reason_in_words(proj):
    # Halted by the SDK's own budget: the reason comes with the terminal PATCH.
    sdk = new_id("budget-")
    proj.post("/executions", {"execution_id": sdk, "status": "started"})
    r = proj.patch(f"/executions/{sdk}", {"status": "halted", "crash_signature": "halt:step_count",
                                          "halt_reason": "6 LLM calls, over max_steps=5"})
    assert r.status == 200
    x = proj.get(f"/executions/{sdk}").json["execution"]
    assert (x["halt_reason"], x["crash_signature"]) == ("6 LLM calls, over max_steps=5",
                                                        "halt:step_count")
    listed = proj.get("/executions?status=halted").json["executions"]
    assert any(e.get("halt_reason") == "6 LLM calls, over max_steps=5" for e in listed)

    # Halted from the dashboard: the stored reason survives the SDK's end PATCH without one.
    remote = new_id("remote-")
    proj.post("/executions", {"execution_id": remote})
    assert proj.post(f"/executions/{remote}/halt", {"reason": "halted from the dashboard"}).status == 200
    assert proj.get(f"/executions/{remote}").json["execution"]["halt_reason"] == "halted from the dashboard"
    proj.patch(f"/executions/{remote}", {"status": "halted", "crash_signature": "halt:remote_signal"})
    assert proj.get(f"/executions/{remote}").json["execution"]["halt_reason"] == "halted from the dashboard"


def test_a_running_execution_cannot_set_its_own_pending_halt(proj):
    eid = new_id("self-")
    assert proj.post("/executions", {"execution_id": eid, "halt_reason": "stop me"}).status == 200
    assert "halt_reason" not in proj.get(f"/executions/{eid}").json["execution"]


def test_build_identity_is_kept_and_returned(proj):
    eid = new_id("build-")
    digest = "sha256:" + "ab" * 32
    body = {"execution_id": eid, "name": "identity-agent", "code_version": "v1.4.2-3-gdeadbee",
            "container_digest": digest}
    assert proj.post("/executions", body).status == 200
    # The end PATCH without them keeps them (the merge rule).
    proj.patch(f"/executions/{eid}", {"status": "completed"})
    for x in (proj.get(f"/executions/{eid}").json["execution"],
              proj.get("/executions?name=identity-agent").json["executions"][0]):
        assert (x["code_version"], x["container_digest"]) == ("v1.4.2-3-gdeadbee", digest)


def test_bad_extension_values_are_a_clear_400(proj):
    cases = [
        ({"name": "n" * 201}, "name longer than 200 bytes"),
        ({"name": "a\u0007b"}, "name must not contain control characters"),
        ({"code_version": "v" * 129}, "code_version longer than 128 bytes"),
        ({"code_version": "main; rm -rf /"}, "code_version may hold only"),
        ({"code_version": 42}, 'field "code_version" must be a string'),
        ({"container_digest": "latest"}, "container_digest must look like"),
        ({"container_digest": "SHA256:abc"}, "container_digest must look like"),
        ({"container_digest": "sha256:" + "a" * 194}, "container_digest longer than 200 bytes"),
        ({"halt_reason": "r" * 1025}, "halt_reason longer than 1024 bytes"),
    ]
    for fields, message in cases:
        r = proj.post("/executions", {"execution_id": new_id("bad-"), **fields})
        assert r.status == 400, (fields, r)
        assert r.headers.get("content-type", "").startswith("application/json")
        assert message in r.json["error"], (fields, r.json)
    assert proj.get("/executions?name=" + "n" * 201).status == 400


def llm_call(eid, seq, model, **tokens):
    return {"event_id": f"{eid}-l{seq}", "execution_id": eid, "event_type": "llm_call",
            "sequence": seq, "timestamp": T0,
            "payload": {"model": model, "user_message": f"step {seq}", "status": "ok", **tokens}}


def test_cached_and_reasoning_tokens_are_priced_per_provider(proj):
    # No cost sent: the final pass stores the cost it computes from the calls.
    eid = new_id("tokens-")
    proj.post("/executions", {"execution_id": eid, "started_at": T0})
    calls = [
        # gpt-4o (2.50 / 10 per million): 600k fresh + 400k cached at half, 1M out (300k reasoning).
        llm_call(eid, 1, "gpt-4o-2024-08-06", input_tokens=1_000_000, output_tokens=1_000_000,
                 cached_input_tokens=400_000, reasoning_tokens=300_000),
        # claude-sonnet-4 (3 / 15): 1M in, all from the cache at a tenth.
        llm_call(eid, 2, "claude-sonnet-4-5", input_tokens=1_000_000, output_tokens=0,
                 cached_input_tokens=1_000_000),
    ]
    assert proj.post("/events", calls).json["accepted"] == 2
    proj.patch(f"/executions/{eid}", {"status": "completed"})
    cost = proj.get(f"/executions/{eid}").json["execution"]["estimated_cost_usd"]
    assert abs(cost - (0.6 * 2.5 + 0.4 * 1.25 + 10 + 0.3)) < 1e-9

    # Without the parts the protocol's formula is unchanged.
    plain = new_id("plain-")
    proj.post("/events", [llm_call(plain, 1, "gpt-4o", input_tokens=1_000_000, output_tokens=0)])
    proj.patch(f"/executions/{plain}", {"status": "completed"})
    assert proj.get(f"/executions/{plain}").json["execution"]["estimated_cost_usd"] == 2.5


def test_gemini_cohere_and_openai_calls_are_priced_at_each_models_cache_rate(proj):
    eid = new_id("providers-")
    proj.post("/executions", {"execution_id": eid, "started_at": T0})
    calls = [
        # gemini-2.5-flash (0.30 / 2.50, cache reads 0.03): the SDK sends the thinking as reasoning.
        llm_call(eid, 1, "gemini-2.5-flash-001", input_tokens=1_000_000, output_tokens=1_000_000,
                 cached_input_tokens=400_000, reasoning_tokens=300_000),
        # command-a-03-2025 (2.50 / 10): Cohere publishes no cache price, so cached input is input.
        llm_call(eid, 2, "command-a-03-2025", input_tokens=1_000_000, output_tokens=100_000,
                 cached_input_tokens=500_000),
        # gpt-4.1 (2 / 8): cache reads at a quarter of the input price.
        llm_call(eid, 3, "gpt-4.1-2025-04-14", input_tokens=1_000_000, output_tokens=0,
                 cached_input_tokens=1_000_000),
    ]
    assert proj.post("/events", calls).json["accepted"] == 3
    proj.patch(f"/executions/{eid}", {"status": "completed"})
    cost = proj.get(f"/executions/{eid}").json["execution"]["estimated_cost_usd"]
    assert abs(cost - ((0.6 * 0.30 + 0.4 * 0.03 + 2.50) + (2.50 + 1.0) + 0.50)) < 1e-9


def test_a_bare_gpt5_call_is_priced_and_a_gpt5_x_call_is_not(proj):
    # The bare "gpt-5" row is exact-only (docs/detection.md#price-table): it prices "gpt-5" at
    # GPT-5's price and never "gpt-5.4", which OpenAI prices differently.
    eid = new_id("gpt5-")
    proj.post("/executions", {"execution_id": eid, "started_at": T0})
    calls = [
        # gpt-5 (1.25 / 10, cache reads at a tenth): 200k fresh + 800k cached, 1M out.
        llm_call(eid, 1, "gpt-5", input_tokens=1_000_000, output_tokens=1_000_000,
                 cached_input_tokens=800_000, reasoning_tokens=600_000),
        llm_call(eid, 2, "gpt-5.4", input_tokens=1_000_000, output_tokens=1_000_000),
        llm_call(eid, 3, "gpt-5.1", input_tokens=1_000_000, output_tokens=1_000_000),
    ]
    assert proj.post("/events", calls).json["accepted"] == 3
    proj.patch(f"/executions/{eid}", {"status": "completed"})
    cost = proj.get(f"/executions/{eid}").json["execution"]["estimated_cost_usd"]
    assert abs(cost - (0.2 * 1.25 + 0.8 * 0.125 + 10)) < 1e-9

