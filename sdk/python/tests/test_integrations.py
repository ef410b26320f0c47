"""LangChain and CrewAI integrations, driven through small fakes of their callback interfaces (the
frameworks themselves are not installed here): the fakes call the handler the way LangChain's
callback manager does, with run ids and keyword arguments."""

import types
import uuid

import pytest

import vigil
from vigil.integrations.crewai import instrument_crew
from vigil.integrations.langchain import MesediCallbackHandler, VigilCallbackHandler


def msg(kind, content, **extra):
    return types.SimpleNamespace(type=kind, content=content, **extra)


def chat_result(text, usage=None, llm_output=None):
    generation = types.SimpleNamespace(text=text, message=msg("ai", text, usage_metadata=usage))
    return types.SimpleNamespace(generations=[[generation]], llm_output=llm_output)


def by_type(server, execution_id, event_type):
    server.wait_for(lambda: server.patch_for(execution_id) is not None)
    return [e for e in server.events(execution_id) if e["event_type"] == event_type]


def test_a_chat_model_run_becomes_an_llm_call_with_model_prompt_response_and_tokens(sdk):
    handler = VigilCallbackHandler()
    run_id = uuid.uuid4()
    usage = {"input_tokens": 120, "output_tokens": 30,
             "input_token_details": {"cache_read": 100}, "output_token_details": {"reasoning": 10}}
    with vigil.wrap("agent") as run:
        handler.on_chat_model_start(
            {"name": "ChatOpenAI"},
            [[msg("system", "Be brief."), msg("human", "Capital of France?")]],
            run_id=run_id, invocation_params={"model": "gpt-4o"})
        handler.on_llm_end(chat_result("Paris.", usage=usage), run_id=run_id)
    vigil.flush(timeout=5.0)
    [event] = by_type(sdk, run.execution_id, "llm_call")
    payload = event["payload"]
    assert payload["model"] == "gpt-4o"
    assert payload["system_prompt"] == "Be brief."
    assert payload["user_message"] == "Capital of France?"
    assert payload["response_text"] == "Paris."
    assert (payload["input_tokens"], payload["output_tokens"]) == (120, 30)
    assert (payload["cached_input_tokens"], payload["reasoning_tokens"]) == (100, 10)
    assert run.llm_calls == 1


def test_a_text_llm_run_reads_tokens_and_model_from_llm_output(sdk):
    handler = VigilCallbackHandler()
    with vigil.wrap("agent") as run:
        handler.on_llm_start({"kwargs": {}}, ["Say hi"], run_id="r1")
        handler.on_llm_end(chat_result("hi", llm_output={
            "token_usage": {"prompt_tokens": 7, "completion_tokens": 2},
            "model_name": "gpt-4o-mini"}), run_id="r1")
    vigil.flush(timeout=5.0)
    payload = by_type(sdk, run.execution_id, "llm_call")[0]["payload"]
    assert (payload["model"], payload["user_message"], payload["response_text"]) == (
        "gpt-4o-mini", "Say hi", "hi")
    assert (payload["input_tokens"], payload["output_tokens"]) == (7, 2)


def test_a_failed_llm_run_is_a_failed_llm_call(sdk):
    handler = VigilCallbackHandler()
    with vigil.wrap("agent") as run:
        handler.on_llm_start({}, ["q"], run_id="r", invocation_params={"model_name": "claude-x"})
        handler.on_llm_error(TimeoutError("upstream timed out"), run_id="r")
    vigil.flush(timeout=5.0)
    payload = by_type(sdk, run.execution_id, "llm_call")[0]["payload"]
    assert payload["status"] == "failed"
    assert payload["exception_type"] == "TimeoutError"
    assert payload["model"] == "claude-x"


def test_tool_runs_become_tool_calls_ok_and_failed(sdk):
    handler = MesediCallbackHandler()
    with vigil.wrap("agent") as run:
        handler.on_tool_start({"name": "search"}, "cats", run_id="t1", inputs={"query": "cats"})
        handler.on_tool_end("3 results", run_id="t1")
        handler.on_tool_start({"name": "fetch"}, "http://x", run_id="t2")
        handler.on_tool_error(ConnectionError("refused"), run_id="t2")
    vigil.flush(timeout=5.0)
    ok, failed = [e["payload"] for e in by_type(sdk, run.execution_id, "tool_call")]
    assert ok["tool_name"] == "search" and ok["status"] == "ok"
    assert ok["arguments"] == {"args": [{"query": "cats"}], "kwargs": {}}
    assert ok["result_summary"] == "3 results"
    assert failed["tool_name"] == "fetch" and failed["status"] == "failed"
    assert failed["exception_type"] == "ConnectionError"
    assert failed["exception_message"] == "refused"


def failing_chain(handler):
    """What LangChain does when a chain's step raises: the error callback, then the raise."""
    try:
        {}["missing_key"]
    except KeyError as exc:
        handler.on_chain_error(exc, run_id="inner", parent_run_id="outer")
        handler.on_chain_error(exc, run_id="outer", parent_run_id=None)
        raise


def test_the_outermost_chain_error_is_the_crash_cause_sent_once(sdk):
    handler = VigilCallbackHandler()
    with pytest.raises(KeyError):
        with vigil.wrap("agent") as run:
            failing_chain(handler)
    vigil.flush(timeout=5.0)
    [cause] = by_type(sdk, run.execution_id, "exception")
    assert cause["payload"]["exception_type"] == "KeyError"
    assert cause["payload"]["frames"][-1]["function"] == "failing_chain"
    assert sdk.patch_for(run.execution_id)["status"] == "crashed"


def test_the_chain_error_stays_the_cause_when_the_agent_wraps_it(sdk):
    handler = VigilCallbackHandler()
    with pytest.raises(RuntimeError):
        with vigil.wrap("agent") as run:
            try:
                failing_chain(handler)
            except KeyError as exc:
                raise RuntimeError("agent failed") from exc
    vigil.flush(timeout=5.0)
    causes = by_type(sdk, run.execution_id, "exception")
    types_sent = [e["payload"]["exception_type"] for e in causes]
    assert types_sent == ["KeyError", "RuntimeError"]


def test_a_halt_requested_stops_the_next_llm_run(sdk):
    handler = VigilCallbackHandler()
    assert handler.raise_error  # LangChain re-raises errors only from such handlers
    with pytest.raises(vigil.VigilHalt):
        with vigil.wrap("agent", budget=vigil.Budget(max_steps=1)):
            for n in range(2):
                handler.on_llm_start({}, ["q"], run_id=n, invocation_params={"model": "gpt-4o"})
                handler.on_llm_end(chat_result("a"), run_id=n)


def test_callbacks_outside_an_execution_record_nothing(sdk):
    handler = VigilCallbackHandler()
    handler.on_llm_start({}, ["q"], run_id="r")
    handler.on_llm_end(chat_result("a"), run_id="r")
    handler.on_tool_start({"name": "t"}, "x", run_id="t")
    handler.on_tool_end("y", run_id="t")
    vigil.flush(timeout=5.0)
    assert sdk.events() == []


class FakeCrew:
    def __init__(self, user_step_callback=None):
        self.agents = [types.SimpleNamespace(llm=types.SimpleNamespace(callbacks=None)),
                       types.SimpleNamespace(llm="gpt-4o")]  # a model name, not an LLM object
        self.step_callback = user_step_callback
        self.task_callback = None

    def kickoff(self):
        self.step_callback(types.SimpleNamespace(tool="search", tool_input="cats", log="..."))
        self.step_callback(types.SimpleNamespace(return_values={"output": "done"}))
        self.task_callback(types.SimpleNamespace(description="find cats", agent="Researcher",
                                                 raw="3 cats"))


def test_instrument_crew_records_steps_and_tasks_and_keeps_user_callbacks(sdk):
    seen = []
    crew = FakeCrew(user_step_callback=seen.append)
    with vigil.wrap("crew") as run:
        instrument_crew(crew)
        instrument_crew(crew)  # idempotent: no doubled checkpoints or handlers
        crew.kickoff()
    vigil.flush(timeout=5.0)
    names = [e["payload"]["name"] for e in by_type(sdk, run.execution_id, "checkpoint")]
    assert names == ["crewai.agent_action", "crewai.agent_finish", "crewai.task_completed"]
    action = by_type(sdk, run.execution_id, "checkpoint")[0]["payload"]["metadata"]
    assert action == {"tool": "search", "tool_input": "cats"}
    assert len(seen) == 2
    handlers = crew.agents[0].llm.callbacks
    assert len(handlers) == 1 and isinstance(handlers[0], VigilCallbackHandler)
