"""Drop-in parity with the Mesedi Python SDK: every public name its documentation shows exists here
and accepts the documented call forms, and the calls send the events Mesedi's documentation
describes. Our own earlier forms keep working beside them.

The list below was written from Mesedi's public documentation (the package README, the SDK
reference page and the public API list its package documents), not from its source.
"""

import inspect

import pytest

import vigil
from vigil.integrations import crewai as vigil_crewai
from vigil.integrations import langchain as vigil_langchain

# (where, name, call forms Mesedi documents: (args, kwargs) tuples bound against our signature)
MESEDI_PYTHON_API = [
    (vigil, "configure", [((), {"api_key": "mesedi_sk_x"}),
                          ((), {"api_key": "mesedi_sk_x", "base_url": "http://localhost:8080"})]),
    (vigil, "wrap", [((lambda: None,), {})]),
    (vigil, "tool", [((lambda: None,), {})]),
    (vigil, "checkpoint", [(("after_retrieval",), {"documents": 5, "used_cache": True}),
                           (("after_retrieval",), {})]),
    (vigil, "validator_result", [(("non-empty", False), {}),
                                 (("non-empty", False, "empty content", "error"), {}),
                                 (("non-empty",), {"passed": False, "message": "m"}),
                                 ((), {"name": "q", "passed": False, "message": "m",
                                       "severity": "warning"})]),
    (vigil, "flush", [((), {}), ((), {"timeout": 5.0})]),
    (vigil, "emit_llm_call", [(("gpt-4o",), {"system_prompt": "s", "user_message": "u",
                                             "input_tokens": 1, "output_tokens": 1,
                                             "response_text": "r"})]),
    (vigil, "Budget", [((), {}), ((), {"max_wall_clock_seconds": 60, "max_steps": 20,
                                       "max_tokens_in": 10000, "max_tokens_out": 2000})]),
    (vigil, "Execution", []),
    (vigil, "MesediHalt", []),
    (vigil, "MesediClient", [((), {"api_key": "mesedi_sk_x",
                                   "base_url": "http://localhost:8080"})]),
    (vigil, "instrument_anthropic", [((), {})]),
    (vigil, "instrument_openai", [((), {})]),
    (vigil_langchain, "MesediCallbackHandler", [((), {})]),
    (vigil_crewai, "instrument_crew", [((object(),), {})]),
]

# Our own public forms that must keep binding (parity is additive).
OUR_FORMS = [
    ("checkpoint", ("planned",), {"metadata": {"steps": 2}}),
    ("checkpoint", ("planned", {"steps": 2}), {}),
    ("validator_result", ("schema", False), {"severity": "error", "message": "missing"}),
    ("validator_result", ("schema", False, "error"), {}),
    ("validator_result", ("schema", False, "error", "missing"), {}),
]


@pytest.mark.parametrize("where,name,forms", MESEDI_PYTHON_API,
                         ids=[n for _, n, _ in MESEDI_PYTHON_API])
def test_every_documented_mesedi_name_exists_and_binds_its_call_forms(where, name, forms):
    target = getattr(where, name, None)
    assert target is not None, "missing Mesedi public name %s" % name
    signature = inspect.signature(target)
    for args, kwargs in forms:
        signature.bind(*args, **kwargs)  # raises TypeError on an incompatible signature


@pytest.mark.parametrize("name,args,kwargs", OUR_FORMS)
def test_our_earlier_call_forms_still_bind(name, args, kwargs):
    inspect.signature(getattr(vigil, name)).bind(*args, **kwargs)


def _payloads(server, execution_id, event_type):
    server.wait_for(lambda: server.patch_for(execution_id) is not None)
    return [e["payload"] for e in server.events(execution_id) if e["event_type"] == event_type]


def test_mesedi_checkpoint_keywords_become_the_metadata(sdk):
    with vigil.wrap("agent") as run:
        vigil.checkpoint("after_retrieval", documents=5, used_cache=True)
        vigil.checkpoint("merged", {"a": 1}, b=2)
        vigil.checkpoint("ours", metadata={"steps": 2})
        vigil.checkpoint("bare")
    vigil.flush(timeout=5.0)
    assert _payloads(sdk, run.execution_id, "checkpoint") == [
        {"name": "after_retrieval", "metadata": {"documents": 5, "used_cache": True}},
        {"name": "merged", "metadata": {"a": 1, "b": 2}},
        {"name": "ours", "metadata": {"steps": 2}},
        {"name": "bare", "metadata": {}},
    ]


def test_validator_result_reads_both_positional_orders(sdk):
    with vigil.wrap("agent") as run:
        vigil.validator_result("mesedi", False, "LLM returned empty content", "critical")
        vigil.validator_result("mesedi-message-only", False, "too short")
        vigil.validator_result("ours", False, "warning", "missing field")
        vigil.validator_result("ours-severity-only", False, "error")
        vigil.validator_result(name="kw", passed=True, message="ok", severity="warning")
    vigil.flush(timeout=5.0)
    assert _payloads(sdk, run.execution_id, "validator_result") == [
        {"name": "mesedi", "passed": False, "severity": "critical",
         "message": "LLM returned empty content"},
        {"name": "mesedi-message-only", "passed": False, "message": "too short"},
        {"name": "ours", "passed": False, "severity": "warning", "message": "missing field"},
        {"name": "ours-severity-only", "passed": False, "severity": "error"},
        {"name": "kw", "passed": True, "severity": "warning", "message": "ok"},
    ]


def test_validator_result_rejects_extra_positional_arguments():
    with pytest.raises(TypeError):
        vigil.validator_result("x", True, "m", "error", "extra")


def test_mesedi_helpers_are_silent_outside_an_execution(sdk):
    vigil.checkpoint("loose", documents=1)
    vigil.validator_result("loose", False, "m", "error")
    vigil.flush(timeout=5.0)
    assert sdk.events() == []


def test_mesedi_halt_is_our_halt():
    assert vigil.MesediHalt is vigil.VigilHalt
    with pytest.raises(vigil.MesediHalt):
        with vigil.wrap("halted", budget=vigil.Budget(max_steps=0)):
            vigil.emit_llm_call("gpt-4o", input_tokens=1, output_tokens=1)


def test_mesedi_client_ships_with_its_own_configuration(server):
    client = vigil.MesediClient(api_key="mesedi_sk_client", base_url=server.url,
                                flush_interval=0.02)
    try:
        assert client.config.api_key == "mesedi_sk_client"
        assert client.config.base_url == server.url
        assert client.flush(timeout=1.0) is True
        assert client.stats()["dropped"] == 0
    finally:
        assert client.shutdown(timeout=1.0) is True
