"""Budgets and halts: a looping agent stopped by its step budget, and one that can be halted from the
server (``POST /executions/{id}/halt``) while it runs.

    PYTHONPATH=sdk/python python3 sdk/python/examples/budgets_and_halts.py [seconds, default 60]

The second agent runs for that many seconds and prints the curl command that halts it.
"""

import os
import sys
import time

import vigil
from vigil import Budget, VigilHalt

vigil.configure()


@vigil.wrap(budget=Budget(max_steps=5, max_cost_usd=0.05, max_wall_clock_seconds=30))
def runaway_agent() -> None:
    while True:  # a bug: the agent never decides it is done
        vigil.emit_llm_call("gpt-4o", user_message="Are we done yet?", input_tokens=800, output_tokens=40)


def main() -> None:
    try:
        runaway_agent()
    except VigilHalt as halt:
        # The execution is stored with status "halted" and crash_signature "halt:step_count".
        print("halted: trigger=%s reason=%s execution=%s" % (halt.trigger, halt.reason, halt.execution_id))

    # remote_halt=True opens the halt stream without a budget. The halt is raised at the next SDK call
    # point (tool call, emit_llm_call, checkpoint, validator_result, check_halt).
    try:
        seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
        base = os.environ.get("VIGIL_BASE_URL", "http://localhost:8080")
        with vigil.wrap("long-job", remote_halt=True) as run:
            print("long-job runs for %g s; halt it with\n"
                  "  curl -X POST -H \"Authorization: Bearer ${VIGIL_API_KEY:-vigil_sk_dev_local_only}\""
                  " -H 'Content-Type: application/json' -d '{\"reason\":\"enough\"}'"
                  " %s/executions/%s/halt" % (seconds, base, run.execution_id), flush=True)
            deadline = time.monotonic() + seconds
            step = 0
            while time.monotonic() < deadline:
                vigil.checkpoint("step", {"n": step})
                step += 1
                time.sleep(0.05)
    except VigilHalt as halt:
        print("stopped remotely:", halt.reason)
    vigil.flush(5)


if __name__ == "__main__":
    main()
