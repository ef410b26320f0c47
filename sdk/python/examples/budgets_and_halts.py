"""Budgets and halts: a looping agent stopped by its step budget, and one that can be halted from the
server (``POST /executions/{id}/halt``) while it runs.

    PYTHONPATH=sdk/python python3 sdk/python/examples/budgets_and_halts.py
"""

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
        with vigil.wrap("long-job", remote_halt=True) as run:
            print("halt me with: curl -X POST -H 'Authorization: Bearer <key>' "
                  "http://localhost:8080/executions/%s/halt" % run.execution_id)
            for step in range(20):
                vigil.checkpoint("step", {"n": step})
                time.sleep(0.05)
    except VigilHalt as halt:
        print("stopped remotely:", halt.reason)
    vigil.flush(5)


if __name__ == "__main__":
    main()
