"""An agent run through Vigil's Python SDK that can be halted from the server: it prints its
execution id as one JSON line, then works in small steps until the halt arrives (or 60 s pass),
and prints how it ended. VIGIL_API_KEY and VIGIL_BASE_URL come from the environment."""
import json
import time

import vigil
from vigil import VigilHalt

vigil.configure(flush_interval=0.1)


def main() -> None:
    try:
        with vigil.wrap("dashboard-halt-demo", remote_halt=True) as run:
            print(json.dumps({"execution_id": run.execution_id}), flush=True)
            deadline = time.monotonic() + 60
            step = 0
            while time.monotonic() < deadline:
                step += 1
                vigil.checkpoint("step", {"n": step})
                time.sleep(0.2)
        print(json.dumps({"halted": False}), flush=True)
    except VigilHalt as halt:
        print(json.dumps({"halted": True, "trigger": halt.trigger, "reason": halt.reason}), flush=True)
    vigil.flush(5)


if __name__ == "__main__":
    main()
