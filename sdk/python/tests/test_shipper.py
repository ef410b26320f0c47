import logging
import os
import subprocess
import sys
import textwrap
import time
from email.utils import formatdate

import pytest

import vigil
from conftest import FAST, run_agent
from fake_server import FakeVigil, free_port
from vigil._shipper import parse_retry_after

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_complete_and_ordered(server, execution_id, n_events=2):
    """create → all events → end, for this execution, in arrival order."""
    sequence = []
    for request in server.accepted():
        if request.method == "POST" and request.path == "/executions" and request.json["execution_id"] == execution_id:
            sequence.append("create")
        elif request.path == "/events":
            sequence += ["event"] * sum(1 for e in request.json if e["execution_id"] == execution_id)
        elif request.method == "PATCH" and request.path.endswith(execution_id):
            sequence.append("end")
    assert sequence == ["create"] + ["event"] * n_events + ["end"]
    assert server.patch_for(execution_id)["total_tokens_in"] == 3 * n_events


def test_server_down_never_raises_and_everything_arrives_once_it_is_up():
    port = free_port()
    vigil.configure(api_key="k", base_url="http://127.0.0.1:%d" % port, **FAST)
    started = time.monotonic()
    ids = [run_agent() for _ in range(5)]
    assert time.monotonic() - started < 0.5  # the agent never waits for the network
    time.sleep(0.3)
    assert vigil.stats()["retries"] >= 1
    server = FakeVigil(port=port).start()
    try:
        assert vigil.flush(10)
        for execution_id in ids:
            assert_complete_and_ordered(server, execution_id)
    finally:
        vigil.shutdown(1)
        server.stop()


def test_500_is_retried_with_backoff_until_accepted(sdk):
    sdk.fail("POST", "/executions", 500, times=3)
    execution_id = run_agent()
    assert vigil.flush(5)
    attempts = [r for r in sdk.ingestion() if r.path == "/executions" and r.method == "POST"]
    assert len(attempts) == 4
    assert all(r.json["execution_id"] == execution_id for r in attempts)
    assert_complete_and_ordered(sdk, execution_id)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_of_429_and_503_is_honoured(sdk, status):
    sdk.fail("POST", "/events", status, times=1, headers={"Retry-After": "1"})
    execution_id = run_agent()
    assert vigil.flush(5)
    batches = [r for r in sdk.ingestion() if r.path == "/events"]
    assert len(batches) == 2
    assert batches[1].at - batches[0].at >= 0.95
    assert_complete_and_ordered(sdk, execution_id)


def test_other_4xx_is_dropped_with_a_warning_and_not_retried(sdk, caplog):
    sdk.fail("POST", "/executions", 400, times=1)
    with caplog.at_level(logging.WARNING, logger="vigil"):
        execution_id = run_agent()
        assert vigil.flush(5)
    creates = [r for r in sdk.ingestion() if r.path == "/executions" and r.method == "POST"]
    assert len(creates) == 1
    assert len(sdk.events(execution_id)) == 2  # what came after is still delivered
    assert sdk.patch_for(execution_id)["status"] == "completed"
    assert vigil.stats()["rejected"] == 1
    assert any("HTTP 400" in r.getMessage() and "not retried" in r.getMessage() for r in caplog.records)


def test_persistent_500_is_dropped_after_max_retries_and_later_data_flows(server):
    vigil.configure(api_key="k", base_url=server.url, max_retries=2, **FAST)
    server.fail("PATCH", "/executions/", 500, times=3)
    first = run_agent()
    second = run_agent()
    assert vigil.flush(5)
    first_patches = [r for r in server.patches() if r.path.endswith(first)]
    assert len(first_patches) == 3  # one try + two retries, then dropped
    assert vigil.stats()["rejected"] == 1
    assert_complete_and_ordered(server, second)


def test_queue_overflow_drops_the_oldest_counts_them_and_warns_once(caplog):
    port = free_port()
    # The shipper sleeps until flush, so the overflow is deterministic.
    vigil.configure(api_key="k", base_url="http://127.0.0.1:%d" % port, max_queue_size=10,
                    flush_interval=30, retry_base_delay=0.02, retry_max_delay=0.1)
    with caplog.at_level(logging.WARNING, logger="vigil"):
        with vigil.wrap("flood") as run:
            for i in range(30):
                vigil.checkpoint("step", {"i": i})
    # 1 create + 30 events + 1 end = 32 items, 10 fit: the 22 oldest are gone.
    assert vigil.stats()["dropped"] == 22
    warnings = [r for r in caplog.records if "queue full" in r.getMessage()]
    assert len(warnings) == 1
    server = FakeVigil(port=port).start()
    try:
        assert vigil.flush(5)
        sequences = [e["sequence"] for e in server.events(run.execution_id)]
        assert sequences == list(range(22, 31))
        assert server.patch_for(run.execution_id)["status"] == "completed"
    finally:
        vigil.shutdown(1)
        server.stop()


def test_a_slow_server_never_slows_the_agent(sdk):
    sdk.fail("POST", "/executions", 200, times=1, delay=1.0)
    started = time.monotonic()
    ids = [run_agent() for _ in range(3)]
    assert time.monotonic() - started < 0.3
    assert vigil.flush(5)
    for execution_id in ids:
        assert_complete_and_ordered(sdk, execution_id)


def test_flush_gives_up_at_its_timeout_while_the_server_is_down():
    vigil.configure(api_key="k", base_url="http://127.0.0.1:%d" % free_port(), **FAST)
    run_agent()
    started = time.monotonic()
    assert vigil.flush(0.3) is False
    assert time.monotonic() - started < 1.0
    assert vigil.stats()["queued"] >= 1


def test_requests_reuse_one_kept_alive_connection(sdk):
    for _ in range(5):
        run_agent()
        vigil.flush(5)
    assert len({r.connection for r in sdk.ingestion()}) == 1


def run_script(body, timeout=20):
    script = textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=SDK_DIR)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc, time.monotonic() - started


def test_queued_telemetry_is_flushed_when_the_process_exits(server):
    proc, _ = run_script("""
        import vigil
        vigil.configure(api_key="k", base_url=%r, flush_interval=30)
        with vigil.wrap("short script"):
            vigil.checkpoint("only step")
        # no flush(): the atexit hook must deliver
    """ % server.url)
    assert proc.returncode == 0, proc.stderr
    assert [r.method for r in server.ingestion()] == ["POST", "POST", "PATCH"]


def test_exit_is_bounded_when_the_server_is_down():
    port = free_port()
    proc, elapsed = run_script("""
        import vigil
        vigil.configure(api_key="k", base_url="http://127.0.0.1:%d", shutdown_timeout=0.5)
        with vigil.wrap("doomed"):
            pass
    """ % port)
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 5
    assert "not delivered" in proc.stderr


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("-3") == 0.0
    assert 8 <= parse_retry_after(formatdate(time.time() + 10, usegmt=True)) <= 10
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_server_answering_429_is_reported_as_rate_limited_not_unreachable(sdk, caplog):
    sdk.fail("POST", "/executions", 429, times=1000, headers={"Retry-After": "1"})
    with caplog.at_level(logging.WARNING, logger="vigil"):
        run_agent()
        time.sleep(0.3)
        assert not vigil.shutdown(timeout=0.5)
    messages = [r.getMessage() for r in caplog.records]
    assert any("rate limited (429)" in m and "retrying" in m for m in messages), messages
    final = [m for m in messages if "shutdown timeout" in m]
    assert final and "rate limited (429)" in final[-1] and "unreachable" not in final[-1]


def test_a_server_that_is_down_is_still_reported_unreachable(caplog):
    vigil.configure(api_key="k", base_url="http://127.0.0.1:%d" % free_port(), **FAST)
    with caplog.at_level(logging.WARNING, logger="vigil"):
        run_agent()
        time.sleep(0.2)
        assert not vigil.shutdown(timeout=0.3)
    final = [r.getMessage() for r in caplog.records if "shutdown timeout" in r.getMessage()]
    assert final and "is unreachable" in final[-1]
