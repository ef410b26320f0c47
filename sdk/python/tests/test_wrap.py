import asyncio
import math
import re
import threading

import pytest

import vigil

ID_EXEC = re.compile(r"^exec-[0-9a-f]{12}$")
ID_EVT = re.compile(r"^evt-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_wrapped_run_sends_create_then_events_then_end_with_tokens_cost_and_status(sdk):
    @vigil.tool
    def search(query, limit=3):
        return ["a", "b"][:limit]

    @vigil.wrap
    def agent(task):
        vigil.emit_llm_call("gpt-4o", system_prompt="You help.", user_message=task,
                            input_tokens=1000, output_tokens=200, response_text="ok", duration_ms=12.7)
        search(task, limit=1)
        vigil.checkpoint("planned", {"steps": 2})
        vigil.validator_result("schema", passed=False, severity="error", message="missing field")
        vigil.emit_llm_call("gpt-4o-mini", user_message="again", input_tokens=10, output_tokens=5)
        return "done"

    assert agent("find cats") == "done"
    assert vigil.flush(5)

    kinds = [(r.method, r.path.split("/")[1]) for r in sdk.ingestion()]
    assert kinds[0] == ("POST", "executions")
    assert kinds[-1] == ("PATCH", "executions")
    assert all(k == ("POST", "events") for k in kinds[1:-1])

    create = sdk.creates()[0]
    execution_id = create["execution_id"]
    assert create == {
        "execution_id": execution_id, "status": "started", "started_at": create["started_at"],
        "sdk_language": "python", "sdk_version": vigil.__version__,
        "name": "test_wrapped_run_sends_create_then_events_then_end_with_tokens_cost_and_status"
                ".<locals>.agent",
    }
    events = sdk.events(execution_id)
    assert [e["event_type"] for e in events] == [
        "llm_call", "tool_call", "checkpoint", "validator_result", "llm_call"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["payload"] == {
        "model": "gpt-4o", "system_prompt": "You help.", "user_message": "find cats", "status": "ok",
        "input_tokens": 1000, "output_tokens": 200, "response_text": "ok"}
    assert events[0]["duration_ms"] == 12
    tool = events[1]
    assert tool["payload"]["tool_name"] == "search"
    assert tool["payload"]["arguments"] == {"args": ["find cats"], "kwargs": {"limit": 1}}
    assert tool["payload"]["status"] == "ok"
    assert tool["payload"]["result_summary"] == "['a']"
    assert tool["duration_ms"] >= 0
    assert events[2]["payload"] == {"name": "planned", "metadata": {"steps": 2}}
    assert events[3]["payload"] == {"name": "schema", "passed": False, "severity": "error",
                                    "message": "missing field"}

    end = sdk.patch_for(execution_id)
    assert end["status"] == "completed"
    assert end["total_tokens_in"] == 1010
    assert end["total_tokens_out"] == 205
    expected_cost = 1000 / 1e6 * 2.5 + 200 / 1e6 * 10 + 10 / 1e6 * 0.15 + 5 / 1e6 * 0.6
    assert math.isclose(end["estimated_cost_usd"], expected_cost, rel_tol=1e-9)
    assert end["duration_ms"] >= 0
    assert "crash_signature" not in end
    assert TIMESTAMP.match(end["ended_at"])


def test_ids_timestamps_and_headers_follow_the_wire_format(sdk):
    with vigil.wrap("formats"):
        vigil.checkpoint("one")
    vigil.flush(5)
    create = sdk.creates()[0]
    assert ID_EXEC.match(create["execution_id"])
    assert TIMESTAMP.match(create["started_at"])
    event = sdk.events()[0]
    assert ID_EVT.match(event["event_id"])
    assert TIMESTAMP.match(event["timestamp"])
    for request in sdk.ingestion():
        assert request.headers["authorization"] == "Bearer test-key"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-mesedi-schema-version"] == "1"


def test_context_manager_exposes_the_execution_and_sends_summaries(sdk):
    with vigil.wrap("report") as run:
        assert vigil.current_execution() is run
        run.input_summary = "quarterly numbers"
        run.output_summary = "3 pages"
    assert vigil.current_execution() is None
    assert run.status == "completed"
    vigil.flush(5)
    end = sdk.patch_for(run.execution_id)
    assert end["input_summary"] == "quarterly numbers"
    assert end["output_summary"] == "3 pages"
    assert (end["total_tokens_in"], end["total_tokens_out"], end["estimated_cost_usd"]) == (0, 0, 0)


def test_each_call_of_a_wrapped_function_is_a_new_execution(sdk):
    @vigil.wrap()
    def agent():
        return vigil.current_execution().execution_id

    first, second = agent(), agent()
    assert first != second
    vigil.flush(5)
    assert [c["execution_id"] for c in sdk.creates()] == [first, second]


def test_async_function_and_async_context_manager_are_recorded(sdk):
    @vigil.tool
    async def fetch(url):
        await asyncio.sleep(0)
        return 200

    @vigil.wrap(name="async-agent")
    async def agent():
        assert await fetch("https://example.com") == 200
        vigil.emit_llm_call("claude-haiku-4-5", user_message="hi", input_tokens=3, output_tokens=4)
        return vigil.current_execution().execution_id

    async def main():
        first = await agent()
        async with vigil.wrap("block") as run:
            await asyncio.sleep(0)
            vigil.checkpoint("inside")
        return first, run.execution_id

    first, second = asyncio.run(main())
    vigil.flush(5)
    assert [e["event_type"] for e in sdk.events(first)] == ["tool_call", "llm_call"]
    assert sdk.patch_for(first)["status"] == "completed"
    assert sdk.patch_for(first)["total_tokens_out"] == 4
    assert [e["event_type"] for e in sdk.events(second)] == ["checkpoint"]


def test_nested_wrap_sends_parent_execution_id_and_keeps_events_apart(sdk):
    @vigil.wrap
    def child():
        vigil.checkpoint("child-step")
        return vigil.current_execution()

    @vigil.wrap
    def parent():
        vigil.checkpoint("before")
        inner = child()
        vigil.checkpoint("after")
        return vigil.current_execution(), inner

    outer, inner = parent()
    vigil.flush(5)
    creates = {c["execution_id"]: c for c in sdk.creates()}
    assert "parent_execution_id" not in creates[outer.execution_id]
    assert creates[inner.execution_id]["parent_execution_id"] == outer.execution_id
    assert [e["payload"]["name"] for e in sdk.events(outer.execution_id)] == ["before", "after"]
    assert [e["payload"]["name"] for e in sdk.events(inner.execution_id)] == ["child-step"]


def test_nested_executions_in_concurrent_asyncio_tasks_get_their_own_parent(sdk):
    @vigil.wrap
    async def worker(n):
        await asyncio.sleep(0.01)
        vigil.checkpoint("w%d" % n)

    @vigil.wrap
    async def orchestrator():
        await asyncio.gather(worker(1), worker(2))
        return vigil.current_execution().execution_id

    parent_id = asyncio.run(orchestrator())
    vigil.flush(5)
    children = [c for c in sdk.creates() if c.get("parent_execution_id") == parent_id]
    assert len(children) == 2
    for child in children:
        assert len(sdk.events(child["execution_id"])) == 1


def test_tool_failure_is_recorded_and_the_exception_propagates_unchanged(sdk):
    class QuotaExceeded(Exception):
        pass

    @vigil.tool("billing.lookup")
    def lookup(customer):
        raise QuotaExceeded("no quota left")

    @vigil.wrap
    def agent():
        with pytest.raises(QuotaExceeded):
            lookup("c-1")
        return "recovered"

    assert agent() == "recovered"
    vigil.flush(5)
    payload = sdk.events()[0]["payload"]
    assert payload["tool_name"] == "billing.lookup"
    assert payload["status"] == "failed"
    assert payload["exception_type"] == "QuotaExceeded"
    assert payload["exception_message"] == "no quota left"
    assert "result_summary" not in payload


def test_tool_can_keep_arguments_and_results_out_of_the_event(sdk):
    @vigil.tool(capture_arguments=False, capture_result=False)
    def read_secret(path):
        return "hunter2"

    with vigil.wrap("private") as run:
        assert read_secret("/etc/secret") == "hunter2"
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert payload == {"tool_name": "read_secret", "status": "ok"}


def test_helpers_outside_an_execution_do_nothing_and_tools_still_run(sdk):
    @vigil.tool
    def add(a, b):
        return a + b

    assert add(2, 3) == 5
    vigil.emit_llm_call("gpt-4o", input_tokens=1)
    vigil.checkpoint("nowhere")
    vigil.validator_result("v", True)
    vigil.check_halt()
    vigil.flush(1)
    assert sdk.ingestion() == []


def test_events_are_batched_at_most_100_per_request(sdk):
    with vigil.wrap("chatty") as run:
        for i in range(250):
            vigil.checkpoint("step", {"i": i})
    vigil.flush(5)
    batches = [r.json for r in sdk.ingestion() if r.path == "/events"]
    assert all(len(batch) <= 100 for batch in batches)
    assert len(batches) <= 5  # batched, not one request per event
    assert [e["sequence"] for e in sdk.events(run.execution_id)] == list(range(1, 251))


def test_events_from_other_threads_can_use_the_execution_handle(sdk):
    with vigil.wrap("threads") as run:
        threads = [threading.Thread(target=run.checkpoint, args=("t%d" % i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    vigil.flush(5)
    sequences = sorted(e["sequence"] for e in sdk.events(run.execution_id))
    assert sequences == list(range(1, 9))


def test_payload_values_are_made_json_safe(sdk):
    class Opaque:
        def __repr__(self):
            return "<Opaque>"

    class Broken:
        def __repr__(self):
            raise RuntimeError("no repr")

    with vigil.wrap("odd values") as run:
        vigil.checkpoint("odd", {"nan": float("nan"), "obj": Opaque(), "bytes": b"\x00\x01",
                                 "big": 2**70, "broken": Broken(), 3: "int key", "set": {1}})
    vigil.flush(5)
    meta = sdk.events(run.execution_id)[0]["payload"]["metadata"]
    assert meta["nan"] is None
    assert meta["obj"] == "<Opaque>"
    assert meta["bytes"] == "<2 bytes>"
    assert meta["big"] == str(2**70)
    assert isinstance(meta["broken"], str) and "Broken" in meta["broken"]
    assert meta["3"] == "int key"
    assert meta["set"] == [1]
    assert sdk.patch_for(run.execution_id)["status"] == "completed"


def test_oversized_payload_is_shrunk_below_the_server_event_limit(sdk):
    with vigil.wrap("huge") as run:
        vigil.checkpoint("big", {"k%d" % i: "x" * 30_000 for i in range(20)})
    vigil.flush(5)
    batch = [r for r in sdk.ingestion() if r.path == "/events"][0]
    assert len(batch.body) < 256 * 1024
    assert len(sdk.events(run.execution_id)) == 1


def test_generator_functions_are_refused_at_decoration_time():
    with pytest.raises(TypeError):
        @vigil.wrap
        def gen():
            yield 1


def test_disabled_sdk_sends_nothing_and_still_runs_the_agent(server):
    vigil.configure(base_url=server.url, enabled=False)

    @vigil.wrap
    def agent():
        vigil.emit_llm_call("gpt-4o", input_tokens=5)
        return 42

    assert agent() == 42
    assert vigil.flush(1)
    assert server.requests == []


def test_async_function_hidden_behind_a_partial_is_recorded_when_awaited(sdk):
    import functools

    async def work(label):
        await asyncio.sleep(0.01)
        vigil.checkpoint(label)
        return vigil.current_execution().execution_id

    agent = vigil.wrap(functools.partial(work, "inside"))
    execution_id = asyncio.run(agent())
    vigil.flush(5)
    assert [e["payload"]["name"] for e in sdk.events(execution_id)] == ["inside"]
    assert sdk.patch_for(execution_id)["status"] == "completed"
