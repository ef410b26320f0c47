import time

import pytest

import vigil
from conftest import FAST
from fake_server import FakeVigil
from vigil import Budget, VigilHalt
from vigil._halt import parse_sse


def run_until_halted(server, execution_options, halt_data=None, reason="operator pressed stop"):
    """Start a looping agent, halt it from the server side once its stream is open, and return the
    VigilHalt it raised and the number of loop iterations it made."""
    iterations = 0
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("looper", **execution_options) as run:
            assert server.wait_for(lambda: len(server.halt_streams) == 1, timeout=5)
            if halt_data is None:
                server.halt(run.execution_id, reason)
            else:
                server.halt(run.execution_id, raw_data=halt_data)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                iterations += 1
                vigil.checkpoint("tick")
                time.sleep(0.005)
            pytest.fail("the halt never arrived")
    return caught.value, iterations


def test_remote_halt_over_sse_is_raised_at_the_next_call_point(sdk):
    halt, iterations = run_until_halted(sdk, dict(budget=Budget(max_steps=100)))
    assert halt.trigger == "remote_signal"
    assert halt.reason == "operator pressed stop"
    assert iterations >= 1
    vigil.flush(5)
    end = sdk.patch_for(halt.execution_id)
    assert end["status"] == "halted"
    assert end["crash_signature"] == "halt:remote_signal"
    stream = sdk.halt_streams[0]
    assert stream.path == "/executions/%s/halt-stream" % halt.execution_id
    assert stream.headers["authorization"] == "Bearer test-key"
    assert stream.headers["x-mesedi-schema-version"] == "1"
    assert stream.headers["accept"] == "text/event-stream"


def test_remote_halt_true_opens_the_stream_without_a_budget(sdk):
    halt, _ = run_until_halted(sdk, dict(remote_halt=True))
    assert halt.trigger == "remote_signal"


def test_remote_halt_enabled_for_every_execution_by_configure(server):
    vigil.configure(api_key="k", base_url=server.url, remote_halt=True, **FAST)
    halt, _ = run_until_halted(server, {})
    assert halt.trigger == "remote_signal"


def test_no_halt_stream_without_budget_or_remote_halt(sdk):
    with vigil.wrap("plain"):
        vigil.checkpoint("x")
    vigil.flush(5)
    time.sleep(0.05)
    assert sdk.halt_streams == []


def test_halt_frame_without_a_json_reason_uses_remote_halt(sdk):
    halt, _ = run_until_halted(sdk, dict(remote_halt=True), halt_data="stop now")
    assert halt.reason == "remote halt"


def test_halt_stream_without_chunked_encoding_works_too(server):
    plain = FakeVigil(sse_chunked=False).start()
    try:
        vigil.configure(api_key="k", base_url=plain.url, **FAST)
        halt, _ = run_until_halted(plain, dict(remote_halt=True))
        assert halt.trigger == "remote_signal"
    finally:
        vigil.shutdown(1)
        plain.stop()


def test_halt_stream_reconnects_when_the_server_closes_it_without_a_halt(sdk):
    sdk.close_streams_without_halt = 1
    with pytest.raises(VigilHalt):
        with vigil.wrap("reconnect", remote_halt=True) as run:
            assert sdk.wait_for(lambda: len(sdk.halt_streams) == 2, timeout=5)
            sdk.halt(run.execution_id, "second time")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                vigil.check_halt()
                time.sleep(0.005)


def test_halt_stream_is_closed_when_the_execution_ends(sdk):
    with vigil.wrap("short", remote_halt=True):
        assert sdk.wait_for(lambda: sdk.open_streams == 1, timeout=5)
    assert sdk.wait_for(lambda: sdk.open_streams == 0, timeout=5)


def test_halt_stream_refused_with_401_does_not_affect_the_agent(sdk):
    sdk.fail("GET", "/executions/", 401, times=5)
    with vigil.wrap("unauthorized stream", remote_halt=True) as run:
        assert sdk.wait_for(lambda: len(sdk.halt_streams) == 1, timeout=5)
        vigil.checkpoint("still fine")
    time.sleep(0.1)
    assert len(sdk.halt_streams) == 1  # no reconnect after a 4xx
    assert run.status == "completed"


def test_sse_parser_handles_comments_crlf_multiline_data_and_split_chunks():
    stream = [b": subscribed execution=e1\r\n\r\n", b"event: ha", b"lt\r\ndata: {\"reason\":",
              b"\r\ndata: \"x\"}\r\n\r\n", b": keepalive\n\n", b"data: plain\n\n"]
    events = list(parse_sse(iter(stream)))
    assert events == [("halt", '{"reason":\n"x"}'), ("message", "plain")]
