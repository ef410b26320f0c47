import os
import subprocess
import sys

import pytest

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(SDK_DIR, "examples")


@pytest.mark.parametrize("script, min_executions", [
    ("quickstart.py", 1), ("budgets_and_halts.py", 2), ("async_agents.py", 3), ("llm_clients.py", 1),
])
def test_example_runs_and_reports_its_executions(server, script, min_executions):
    env = dict(os.environ, PYTHONPATH=SDK_DIR, VIGIL_BASE_URL=server.url, VIGIL_API_KEY="example-key")
    env.pop("ANTHROPIC_API_KEY", None)
    env.pop("OPENAI_API_KEY", None)
    args = ["1"] if script == "budgets_and_halts.py" else []  # its long job: one second
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] + args, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert len(server.creates()) >= min_executions
    assert len(server.patches()) == len(server.creates())
    assert all(r.headers["authorization"] == "Bearer example-key" for r in server.ingestion())
