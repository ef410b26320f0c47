"""Drop-in parity with the Mesedi Python SDK: every public name its documentation shows exists here
and accepts the documented call forms, and the calls send the events Mesedi's documentation
describes. Our own earlier forms keep working beside them.

The list below was written from Mesedi's public documentation (the package README, the SDK
reference page and the public API list its package documents), not from its source.
"""

import inspect
import pathlib
import re

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
    (vigil, "Event", [(("exec-1", "checkpoint"), {}),
                      ((), {"event_id": "evt-1", "execution_id": "exec-1",
                            "event_type": vigil.EventType.LLM_CALL, "sequence": 1,
                            "timestamp": "2026-05-14T17:33:42.123Z", "payload": {}})]),
    (vigil, "EventType", [(("llm_call",), {})]),
    (vigil, "Status", [(("completed",), {})]),
    (vigil, "MesediHalt", []),
    (vigil, "MesediClient", [((), {"api_key": "mesedi_sk_x",
                                   "base_url": "http://localhost:8080"})]),
    (vigil, "instrument_anthropic", [((), {})]),
    (vigil, "instrument_openai", [((), {})]),
    (vigil, "instrument_cohere", [((), {}), ((object(),), {})]),
    (vigil, "instrument_gemini", [((), {}), ((object(),), {})]),
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


PROTOCOL = pathlib.Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def _code_names(cell):
    return re.findall(r"`([a-z_]+)`", cell)


def test_event_type_holds_exactly_the_event_types_the_protocol_gives_a_meaning():
    section = PROTOCOL.read_text().split("## Event types and payloads")[1].split("\n## ")[0]
    documented = [name for line in section.splitlines() if line.startswith("| `")
                  for name in _code_names(line.split("|")[1])]
    assert "llm_call" in documented and "injection_alert" in documented
    assert sorted(t.value for t in vigil.EventType) == sorted(documented)
    assert vigil.EventType.TOOL_CALL == "tool_call" and str(vigil.EventType.TOOL_CALL) == "tool_call"
    assert vigil.EventType("validator_result") is vigil.EventType.VALIDATOR_RESULT


def test_status_holds_exactly_the_execution_statuses_the_protocol_lists():
    row = next(line for line in PROTOCOL.read_text().splitlines()
               if line.startswith("| `status` | string |"))
    # The cell lists the statuses, then says which are terminal after a semicolon.
    documented = _code_names(row.split("|")[3].split(";")[0])
    assert len(documented) == 6
    assert sorted(s.value for s in vigil.Status) == sorted(documented)
    assert vigil.Status.COMPLETED == "completed"
    assert [s.value for s in vigil.Status if not s.terminal] == ["started"]


def test_event_is_the_wire_object_with_an_id_and_timestamp_filled_in():
    event = vigil.Event("exec-1", vigil.EventType.CHECKPOINT, {"name": "mid", "metadata": {}},
                        sequence=3, duration_ms=4)
    body = event.to_dict()
    assert re.fullmatch(r"evt-[0-9a-f]{12}", body.pop("event_id"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body.pop("timestamp"))
    assert body == {"execution_id": "exec-1", "event_type": "checkpoint", "sequence": 3,
                    "duration_ms": 4, "payload": {"name": "mid", "metadata": {}}}
    assert "duration_ms" not in vigil.Event("exec-1", "custom").to_dict()


def test_mesedi_client_sends_events_by_hand_to_its_own_server(server):
    client = vigil.MesediClient(api_key="mesedi_sk_client", base_url=server.url,
                                flush_interval=0.02)
    try:
        client.send_events(
            vigil.Event("exec-manual", vigil.EventType.VALIDATOR_RESULT,
                        {"name": "schema", "passed": True}, sequence=1, event_id="evt-manual-1"),
            vigil.Event("exec-manual", "custom_type", None, sequence=2))
        assert client.flush(timeout=5.0) is True
    finally:
        assert client.shutdown(timeout=1.0) is True
    sent = server.events("exec-manual")
    assert [(e["event_type"], e["sequence"]) for e in sent] == [
        ("validator_result", 1), ("custom_type", 2)]
    assert sent[0]["event_id"] == "evt-manual-1"
    assert sent[0]["payload"] == {"name": "schema", "passed": True}
    accepted = server.accepted()
    assert accepted and all(r.headers.get("authorization") == "Bearer mesedi_sk_client"
                            for r in accepted)


def test_mesedi_client_records_an_execution_by_hand(server):
    client = vigil.MesediClient(api_key="mesedi_sk_client", base_url=server.url,
                                flush_interval=0.02)
    try:
        execution_id = client.create_execution(name="by-hand", code_version="abc123")
        client.send_events(vigil.Event(execution_id, vigil.EventType.CHECKPOINT,
                                       {"name": "mid", "metadata": {}}, sequence=1))
        client.update_execution(execution_id, status=vigil.Status.COMPLETED, duration_ms=12)
        assert client.flush(timeout=5.0) is True
    finally:
        assert client.shutdown(timeout=1.0) is True
    assert re.fullmatch(r"exec-[0-9a-f]{12}", execution_id)
    [create] = server.creates()
    assert {k: create[k] for k in ("execution_id", "status", "name", "code_version",
                                   "sdk_language")} == {
        "execution_id": execution_id, "status": "started", "name": "by-hand",
        "code_version": "abc123", "sdk_language": "python"}
    [patch] = server.patches()
    assert patch.path == "/executions/" + execution_id
    assert patch.json["status"] == "completed" and patch.json["duration_ms"] == 12
    assert patch.json["ended_at"].endswith("Z") and "execution_id" not in patch.json
    assert [e["event_type"] for e in server.events(execution_id)] == ["checkpoint"]
