"""scripts/eval-detectors' emulation of what SDKs send: the context digest and the payloads."""

import hashlib
import json

from detection_eval import telemetry


def test_canonical_json_sorts_keys_by_utf16_and_writes_numbers_like_ecmascript():
    # RFC 8785, section 3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate pair,
    # D83D ...) comes before U+FB33 although its code point is larger.
    value = {"\ufb33": 1, "\U0001f600": 2, "a": [1.0, 1e21, 1e-7, 0.5, -0.0], "b": None}
    assert telemetry.canonical_json(value) == (
        '{"a":[1,1e+21,1e-7,0.5,0],"b":null,"\U0001f600":2,"\ufb33":1}')
    assert telemetry.canonical_json("tab\tquote\"\u0001é") == '"tab\\tquote\\"\\u0001é"'


def test_context_digest_covers_model_messages_and_tools():
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    digest = telemetry.context_sha256("m", messages, ["t"])
    expected = hashlib.sha256(
        b'{"messages":[{"content":"s","role":"system"},{"content":"u","role":"user"}],'
        b'"model":"m","tools":["t"]}').hexdigest()
    assert digest == expected
    assert telemetry.context_sha256("m", messages, []) != digest


def test_vigil_profile_sends_the_digest_and_result_text_mesedi_neither():
    long_result = "x" * 20000
    for sdk, has_extras in (("vigil", True), ("mesedi", False)):
        builder = telemetry.Builder(sdk)
        call = builder.llm_call("m", "sys", [{"role": "user", "content": "hi"}], [])
        tool = builder.tool_call("web_search", {"kwargs": {}}, "ok", long_result)
        assert ("context_sha256" in call) == has_extras
        assert ("result_text" in tool) == has_extras
        assert tool["result_summary"] == long_result[:300]
        if has_extras:
            assert len(tool["result_text"].encode()) == 16 * 1024


def test_a_case_is_one_execution_with_one_event_per_batch():
    builder = telemetry.Builder("vigil")
    rows = [{"id": "r1", "text": "hello"}]
    case = next(telemetry.direct_cases(rows, builder, "p"))
    assert case["start"]["status"] == "started"
    assert case["end"]["status"] == "completed"
    assert [len(b) for b in case["batches"]] == [1]
    event = case["batches"][0][0]
    assert event["payload"]["user_message"] == "hello"
    assert json.loads(json.dumps(case)) == case


def test_trajectories_are_sent_under_their_suite_as_the_agent_name_by_vigil_sdks_only():
    run = {"id": "r1", "source": "crewAI recorded LLM calls (test cassettes)",
           "name": "agents/TestAgentA2AKickoff.test_kickoff", "message_pool": [], "events": []}
    assert telemetry.agent_name(run) == "crewAI/agents"
    assert telemetry.agent_name(dict(run, name="TestAgentMultimodalOpenAI.test_image")) == (
        "crewAI/TestAgentMultimodalOpenAI")
    assert telemetry.agent_name(dict(run, name="x" * 300)) == "crewAI/" + "x" * 193  # 200 bytes
    for sdk, name in (("vigil", "crewAI/agents"), ("mesedi", None)):
        case = next(telemetry.trajectory_cases([run], {}, telemetry.Builder(sdk)))
        assert case["start"].get("name") == name
