"""End to end against the real Vigil binary (set VIGIL_BIN to its path; skipped otherwise).

Each server gets its own port (bind 0, read, close), a temporary database and a random dev key, and
listens on 127.0.0.1 only.
"""

import hashlib
import http.client
import json
import os
import subprocess
import time

import pytest

import vigil
from conftest import FAST, run_agent
from fake_server import FakeVigil, free_port
from vigil import Budget, VigilHalt

VIGIL_BIN = os.environ.get("VIGIL_BIN")
pytestmark = pytest.mark.skipif(not VIGIL_BIN, reason="VIGIL_BIN (path to the vigil server binary) not set")

START_TIMEOUT_S = 20


class RealServer:
    def __init__(self, workdir, port=None, key=None, **extra_env):
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.key = key or "vigil_sk_sdk_test_" + os.urandom(8).hex()
        os.makedirs(workdir, exist_ok=True)
        self.log_path = os.path.join(workdir, "vigil.log")
        env = dict(os.environ)
        env.update(VIGIL_PORT=str(self.port), VIGIL_BIND="127.0.0.1", VIGIL_DB=os.path.join(workdir, "v.db"),
                   VIGIL_DEV="1", VIGIL_DEV_KEY=self.key)
        env.update({k: str(v) for k, v in extra_env.items()})
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([VIGIL_BIN], env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                status, _ = self.request("GET", "/health", auth=False)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        with open(self.log_path, "rb") as f:
            pytest.fail("vigil did not become healthy:\n" + f.read().decode("utf-8", "replace")[-4000:])

    def request(self, method, path, body=None, auth=True):
        """One request; a 429 (the rate-limit tests lower the limits) is waited out and retried."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.key
        for _ in range(10):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.request(method, path, body=json.dumps(body) if body is not None else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            finally:
                conn.close()
            if resp.status != 429:
                break
            time.sleep(float(resp.getheader("Retry-After") or 1))
        return resp.status, (json.loads(data) if data else None)

    def execution(self, execution_id):
        status, doc = self.request("GET", "/executions/" + execution_id)
        assert status == 200, doc
        assert doc["ok"] is True
        return doc

    def configure_sdk(self, base_url=None, **options):
        settings = dict(FAST)
        settings.update(options)
        vigil.configure(api_key=self.key, base_url=base_url or self.url, **settings)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    server = RealServer(str(tmp_path_factory.mktemp("vigil")))
    yield server
    server.stop()


@pytest.fixture
def sdk_real(real):
    real.configure_sdk()
    yield real
    vigil.shutdown(5)


@vigil.tool
def lookup(city):
    return {"city": city, "temp_c": 21}


CRASHED_IDS = []


def crash_here(value):
    raise ValueError("bad value %r" % value)


@vigil.wrap
def crashing_agent(value):
    CRASHED_IDS.append(vigil.current_execution().execution_id)
    return crash_here(value)


@vigil.wrap
def other_crashing_agent(value):
    CRASHED_IDS.append(vigil.current_execution().execution_id)
    return {}[value]


def test_wrapped_run_appears_with_its_events_tokens_and_status(sdk_real):
    @vigil.wrap(name="weather")
    def agent():
        vigil.emit_llm_call("gpt-4o", system_prompt="You report weather.", user_message="Paris?",
                            input_tokens=120, output_tokens=30)
        lookup("Paris")
        vigil.checkpoint("looked-up", {"source": "test"})
        vigil.emit_llm_call("gpt-4o", system_prompt="You report weather.", user_message="Summarize",
                            input_tokens=200, output_tokens=50)
        return vigil.current_execution().execution_id

    execution_id = agent()
    assert vigil.flush(10)
    doc = sdk_real.execution(execution_id)
    execution = doc["execution"]
    assert execution["execution_id"] == execution_id
    assert execution["status"] == "completed"
    assert execution["total_tokens_in"] == 320
    assert execution["total_tokens_out"] == 80
    assert execution["estimated_cost_usd"] == pytest.approx(320 * 2.5e-6 + 80 * 10e-6)
    assert execution["sdk_language"] == "python"
    assert execution["sdk_version"] == vigil.__version__
    assert "ended_at" in execution
    events = doc["events"]
    assert [e["event_type"] for e in events] == ["llm_call", "tool_call", "checkpoint", "llm_call"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert events[0]["payload"]["input_tokens"] == 120
    assert events[1]["payload"]["tool_name"] == "lookup"
    assert events[1]["payload"]["status"] == "ok"
    assert events[2]["payload"] == {"name": "looked-up", "metadata": {"source": "test"}}


def test_nested_run_is_stored_with_its_parent(sdk_real):
    @vigil.wrap
    def child():
        return vigil.current_execution().execution_id

    @vigil.wrap
    def parent():
        return vigil.current_execution().execution_id, child()

    parent_id, child_id = parent()
    assert vigil.flush(10)
    assert sdk_real.execution(child_id)["execution"]["parent_execution_id"] == parent_id


def test_crashes_from_the_same_code_path_share_a_failure_group(sdk_real):
    del CRASHED_IDS[:]
    for agent, value in ((crashing_agent, 1), (crashing_agent, 2), (other_crashing_agent, "k")):
        with pytest.raises((ValueError, KeyError)):
            agent(value)
    assert vigil.flush(10)
    first, second, other = (sdk_real.execution(i)["execution"] for i in CRASHED_IDS)
    assert [e["status"] for e in (first, second, other)] == ["crashed"] * 3
    assert first["crash_signature"] == second["crash_signature"] != other["crash_signature"]
    for execution in (first, second, other):
        expected = "grp-" + hashlib.sha256(
            ("proj-dev|crashes|" + execution["crash_signature"]).encode()).hexdigest()[:16]
        assert execution["failure_group_id"] == expected
    assert first["failure_group_id"] == second["failure_group_id"] != other["failure_group_id"]
    # The cause is stored beside the signature: type, message and the frame that raised, last.
    assert first["exception"]["type"] == "ValueError"
    assert first["exception"]["message"] == "bad value 1"
    assert first["exception"]["frames"][-1]["function"] == "crash_here"
    assert other["exception"]["type"] == "KeyError"


def test_local_budget_halt_is_stored_as_halted(sdk_real):
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("budgeted", budget=Budget(max_steps=1)):
            for _ in range(3):
                vigil.emit_llm_call("gpt-4o-mini", user_message="again", input_tokens=5, output_tokens=5)
    assert caught.value.trigger == "step_count"
    assert vigil.flush(10)
    execution = sdk_real.execution(caught.value.execution_id)["execution"]
    assert execution["status"] == "halted"
    assert execution["crash_signature"] == "halt:step_count"
    assert execution["halt_reason"] == "2 LLM calls, over max_steps=1"


def test_remote_halt_arrives_over_sse(sdk_real):
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("remote", budget=Budget(max_steps=1000)) as run:
            # The halt is persisted once the execution exists, so it reaches the stream either way.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                status, _ = sdk_real.request("GET", "/executions/" + run.execution_id)
                if status == 200:
                    break
                time.sleep(0.02)
            status, doc = sdk_real.request("POST", "/executions/%s/halt" % run.execution_id,
                                           {"reason": "stop from the test"})
            assert status == 200, doc
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                vigil.checkpoint("working")
                time.sleep(0.01)
            pytest.fail("the remote halt never arrived")
    assert caught.value.trigger == "remote_signal"
    assert caught.value.reason == "stop from the test"
    assert vigil.flush(10)
    execution = sdk_real.execution(caught.value.execution_id)["execution"]
    assert execution["status"] == "halted"
    assert execution["crash_signature"] == "halt:remote_signal"
    assert execution["halt_reason"] == "stop from the test"


def assert_stored(server, execution_ids, n=2):
    """Each of `execution_ids` (run_agent's, with `n` calls) stored complete."""
    for execution_id in execution_ids:
        doc = server.execution(execution_id)
        assert doc["execution"]["status"] == "completed"
        assert doc["execution"]["total_tokens_in"] == 3 * n  # run_agent's 3 input tokens a call
        assert len(doc["events"]) == n


def test_server_down_at_first_loses_nothing_once_it_is_up(tmp_path):
    port = free_port()
    key = "vigil_sk_sdk_test_" + os.urandom(8).hex()
    vigil.configure(api_key=key, base_url="http://127.0.0.1:%d" % port, **FAST)
    ids = [run_agent() for _ in range(3)]  # nothing listens yet: the agent must not notice
    time.sleep(0.3)
    assert vigil.stats()["retries"] >= 1
    server = RealServer(str(tmp_path), port=port, key=key)
    try:
        assert vigil.flush(20)
        assert_stored(server, ids)
    finally:
        vigil.shutdown(2)
        server.stop()


def test_rate_limited_requests_are_retried_until_stored(tmp_path):
    server = RealServer(str(tmp_path), VIGIL_RATE_LIMIT_BURST=3, VIGIL_RATE_LIMIT_PER_SEC=5)
    try:
        server.configure_sdk()
        ids = [run_agent(1) for _ in range(3)]
        assert vigil.flush(30)
        assert vigil.stats()["retries"] >= 1  # at least one 429 was met
        assert vigil.stats()["rejected"] == 0
        assert_stored(server, ids, 1)
    finally:
        vigil.shutdown(2)
        server.stop()


def test_500_and_502_from_the_path_are_retried_and_nothing_is_lost(real):
    proxy = FakeVigil(upstream=real.url).start()
    try:
        proxy.fail("POST", "/events", 500, times=2)
        proxy.fail("PATCH", "/executions/", 502, times=1)
        real.configure_sdk(base_url=proxy.url)
        ids = [run_agent() for _ in range(2)]
        assert vigil.flush(20)
        assert_stored(real, ids)
    finally:
        vigil.shutdown(2)
        proxy.stop()


def test_the_halt_command_the_example_prints_stops_it_at_once(real):
    """examples/budgets_and_halts.py prints a curl command; run as printed, it halts the job,
    even when sent the moment it appears."""
    import subprocess as sp
    import sys
    sdk_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=sdk_dir, VIGIL_BASE_URL=real.url, VIGIL_API_KEY=real.key)
    proc = sp.Popen([sys.executable, os.path.join(sdk_dir, "examples", "budgets_and_halts.py"), "30"],
                    env=env, stdout=sp.PIPE, stderr=sp.PIPE, text=True)
    try:
        command = None
        for line in proc.stdout:
            if line.strip().startswith("curl "):
                command = line.strip()
                break
        assert command and "Content-Type: application/json" in command
        started = time.monotonic()
        answer = None
        for _ in range(5):  # the documented retry: 404 with Retry-After while the create is in flight
            r = sp.run(["bash", "-c", command + " -s -w '\\n%{http_code}'"], env=env,
                       capture_output=True, text=True, timeout=30)
            answer = r.stdout
            if answer.endswith("200"):
                break
            assert answer.endswith("404") and "retry" in answer, answer
            time.sleep(1)
        assert answer.endswith("200"), answer
        out, err = proc.communicate(timeout=20)
        assert "stopped remotely: enough" in out, out + err
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_mesedi_call_forms_and_a_langchain_chain_error_reach_the_server(sdk_real):
    from vigil.integrations.langchain import MesediCallbackHandler

    handler = MesediCallbackHandler()

    @vigil.wrap
    def mesedi_style_agent():
        vigil.checkpoint("after_retrieval", documents=5, used_cache=True)
        vigil.validator_result("non-empty-response", False, "LLM returned empty content", "critical")
        handler.on_tool_start({"name": "search"}, "cats", run_id="t")
        handler.on_tool_end("3 results", run_id="t")
        try:
            {}["missing"]
        except KeyError as exc:
            handler.on_chain_error(exc, run_id="c", parent_run_id=None)
            raise

    with pytest.raises(KeyError):
        mesedi_style_agent()
    assert vigil.flush(10)
    execution_id = sdk_real.request("GET", "/executions?limit=1")[1]["executions"][0]["execution_id"]
    doc = sdk_real.execution(execution_id)
    assert doc["execution"]["status"] == "crashed"
    by_type = {e["event_type"]: e["payload"] for e in doc["events"]}
    assert by_type["checkpoint"] == {"name": "after_retrieval",
                                     "metadata": {"documents": 5, "used_cache": True}}
    assert by_type["validator_result"] == {"name": "non-empty-response", "passed": False,
                                           "severity": "critical",
                                           "message": "LLM returned empty content"}
    assert by_type["tool_call"]["tool_name"] == "search"
    assert by_type["exception"]["exception_type"] == "KeyError"
    assert [e["event_type"] for e in doc["events"]].count("exception") == 1


def test_mesedi_client_records_an_execution_by_hand(real):
    client = vigil.MesediClient(api_key=real.key, base_url=real.url, flush_interval=0.02)
    try:
        client.create_execution("exec-by-hand-py", name="by-hand")
        client.send_events(
            vigil.Event("exec-by-hand-py", vigil.EventType.CHECKPOINT,
                        {"name": "planned", "metadata": {"steps": 2}}, sequence=1),
            vigil.Event("exec-by-hand-py", vigil.EventType.VALIDATOR_RESULT,
                        {"name": "schema", "passed": True}, sequence=2))
        client.update_execution("exec-by-hand-py", status=vigil.Status.COMPLETED, duration_ms=25)
        assert client.flush(timeout=5.0) is True
        counters = client.stats()
        assert (counters["dropped"], counters["rejected"]) == (0, 0)
    finally:
        client.shutdown(timeout=1.0)
    doc = real.execution("exec-by-hand-py")
    assert doc["execution"]["status"] == vigil.Status.COMPLETED
    assert doc["execution"]["name"] == "by-hand" and doc["execution"]["duration_ms"] == 25
    assert [(e["event_type"], e["sequence"]) for e in doc["events"]] == [
        ("checkpoint", 1), ("validator_result", 2)]
    assert doc["events"][0]["payload"] == {"name": "planned", "metadata": {"steps": 2}}
