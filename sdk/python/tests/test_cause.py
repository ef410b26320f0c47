"""What our SDK sends beyond the crash signature (docs/protocol.md#protocol-extensions): an
`exception` event with the crash's cause, the halt's reason in words, the build identity."""

import os

import pytest

import vigil
from vigil._cause import MAX_FRAMES, exception_payload

THIS_FILE = os.path.abspath(__file__)


def lookup(record):
    return record["user_id"]


@vigil.wrap
def billing_agent(record):
    return lookup(record)


def test_a_crash_sends_an_exception_event_before_the_end_patch(sdk):
    with pytest.raises(KeyError):
        billing_agent({})
    assert vigil.flush(5)
    events = [e for e in sdk.events() if e["event_type"] == "exception"]
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["exception_type"] == "KeyError"
    assert payload["exception_message"] == "'user_id'"
    # Innermost last: the function that raised, after the agent that called it.
    functions = [f["function"] for f in payload["frames"]]
    assert functions[-2:] == ["billing_agent", "lookup"]
    assert payload["frames"][-1]["file"] == THIS_FILE
    assert payload["frames"][-1]["line"] == lookup.__code__.co_firstlineno + 1
    end = sdk.patches()[0].json
    assert end["status"] == "crashed" and len(end["crash_signature"]) == 16
    # The cause reached the server before the PATCH that ends the execution.
    paths = [(r.method, r.path) for r in sdk.ingestion()]
    assert paths.index(("POST", "/events")) < paths.index(next(p for p in paths if p[0] == "PATCH"))


def test_a_normal_run_and_a_halt_send_no_exception_event(sdk):
    @vigil.wrap(budget=vigil.Budget(max_steps=1))
    def runaway():
        for _ in range(3):
            vigil.emit_llm_call("gpt-4o", user_message="again", input_tokens=1, output_tokens=1)

    with pytest.raises(vigil.VigilHalt):
        runaway()
    assert vigil.flush(5)
    assert not [e for e in sdk.events() if e["event_type"] == "exception"]


def test_a_halt_sends_its_reason_in_words(sdk):
    @vigil.wrap(budget=vigil.Budget(max_steps=5))
    def runaway():
        for _ in range(10):
            vigil.emit_llm_call("gpt-4o", user_message="again", input_tokens=1, output_tokens=1)

    with pytest.raises(vigil.VigilHalt):
        runaway()
    assert vigil.flush(5)
    end = sdk.patches()[0].json
    assert end["crash_signature"] == "halt:step_count"
    assert end["halt_reason"] == "6 LLM calls, over max_steps=5"


def test_a_caught_halt_still_sends_its_reason(sdk):
    @vigil.wrap(budget=vigil.Budget(max_steps=1))
    def polite():
        try:
            for _ in range(3):
                vigil.emit_llm_call("gpt-4o", user_message="x", input_tokens=1, output_tokens=1)
        except vigil.VigilHalt:
            return "stopped"

    assert polite() == "stopped"
    assert vigil.flush(5)
    end = sdk.patches()[0].json
    assert end["status"] == "halted" and end["halt_reason"] == "2 LLM calls, over max_steps=1"


def test_exception_payload_keeps_the_innermost_frames_and_cuts_the_message():
    def dive(n):
        if n == 0:
            raise ValueError("é" * 10_000)
        dive(n - 1)

    try:
        dive(100)
    except ValueError as exc:
        payload = exception_payload(exc)
    assert len(payload["frames"]) == MAX_FRAMES
    assert payload["frames"][-1]["function"].endswith("dive")
    assert len(payload["exception_message"].encode("utf-8")) <= 8 * 1024
    assert payload["exception_message"].startswith("éé")


def test_build_identity_is_sent_on_every_execution(server, monkeypatch):
    monkeypatch.setenv("VIGIL_CONTAINER_DIGEST", "sha256:" + "ab" * 32)
    vigil.configure(api_key="test-key", base_url=server.url, code_version="v1.2.3-4-gdeadbee")
    with vigil.wrap("identified"):
        pass
    assert vigil.flush(5)
    create = server.creates()[0]
    assert create["code_version"] == "v1.2.3-4-gdeadbee"
    assert create["container_digest"] == "sha256:" + "ab" * 32


def test_an_identity_the_server_would_refuse_is_refused_at_configure():
    with pytest.raises(vigil.VigilConfigError, match="code_version"):
        vigil.configure(api_key="k", code_version="main branch")
    with pytest.raises(vigil.VigilConfigError, match="container_digest"):
        vigil.configure(api_key="k", container_digest="latest")
