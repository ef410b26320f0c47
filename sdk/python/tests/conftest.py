import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the package, run from source
sys.path.insert(0, HERE)  # fake_server, parity helpers

import vigil  # noqa: E402
from vigil import _client  # noqa: E402

from fake_server import FakeVigil  # noqa: E402

# Fast timings so retries and batching tests finish in milliseconds.
FAST = dict(flush_interval=0.02, retry_base_delay=0.02, retry_max_delay=0.2, shutdown_timeout=2.0)


def run_agent(n_events=2):
    """One execution of `n_events` LLM calls of 3 input and 2 output tokens each: its id."""
    with vigil.wrap("agent") as run:
        for i in range(n_events):
            vigil.emit_llm_call("gpt-4o", user_message="m%d" % i, input_tokens=3, output_tokens=2)
    return run.execution_id


@pytest.fixture(autouse=True)
def isolated_sdk(monkeypatch):
    """Every test starts unconfigured, with no Vigil/Mesedi variables, and leaves no shipper behind."""
    for name in list(os.environ):
        if name.startswith(("VIGIL_", "MESEDI_")) and name != "VIGIL_BIN":
            monkeypatch.delenv(name, raising=False)
    _client._client = None
    yield
    vigil.shutdown(timeout=1.0)
    _client._client = None


@pytest.fixture
def server():
    fake = FakeVigil().start()
    yield fake
    vigil.shutdown(timeout=1.0)  # deliver while the server still answers
    fake.stop()


@pytest.fixture
def sdk(server):
    """The SDK configured against the fake server."""
    vigil.configure(api_key="test-key", base_url=server.url, **FAST)
    return server
