#!/usr/bin/env python3
"""Server memory and time for one very large execution: N events posted into one execution in
batches of 1000, then the PATCH that completes it (its final pass and its sealing).

  scripts/bench big-execution [--events N] [--vigil PATH ...]

Prints, per binary: the ingest time, the PATCH time and the server's peak RSS (VmRSS sampled every
50 ms) while ingesting and overall. Several --vigil binaries run one after another on fresh
databases, for an A/B. The server is started as the integration tests start it
(tests/integration/harness.py: dev mode, an ephemeral port, a temporary database).
"""
import argparse
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

BATCH = 1000
TEXT = "x" * 600  # a user message and a response of the size agents send


class PeakRss:
    """Samples a process's VmRSS until stopped; `peak` in KiB."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS"):
                            self.peak = max(self.peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)

    def stop(self):
        self._stop = True
        self._thread.join()


def batch(b):
    return [{"event_id": f"e{b}-{i}", "execution_id": "big", "event_type": "llm_call",
             "sequence": b * BATCH + i + 1, "timestamp": "2026-05-14T10:00:01Z",
             "payload": {"model": "gpt-4o", "user_message": f"step {b * BATCH + i} {TEXT}",
                         "response_text": TEXT, "input_tokens": 100, "output_tokens": 10}}
            for i in range(BATCH)]


def run(binary, events):
    harness.BIN = binary
    server = harness.VigilServer(env={"VIGIL_RATE_LIMIT_BURST": "1000000",
                                      "VIGIL_RATE_LIMIT_PER_SEC": "1000000"}).start()
    rss = PeakRss(server.proc.pid)
    try:
        c = server.client()
        r = c.post("/executions", {"execution_id": "big", "started_at": "2026-05-14T10:00:00Z"})
        assert r.status == 200, r
        t0 = time.time()
        for b in range(events // BATCH):
            r = c.post("/events", batch(b))
            assert r.status == 200, r
        ingest_s, ingest_peak = time.time() - t0, rss.peak
        t0 = time.time()
        r = c.patch("/executions/big", {"status": "completed", "ended_at": "2026-05-14T11:00:00Z"})
        assert r.status == 200, r
        patch_s = time.time() - t0
        time.sleep(3)  # the sealer's round
    finally:
        rss.stop()
        server.cleanup()
    print(f"{binary}: {events} events ingested in {ingest_s:.1f} s (peak RSS {ingest_peak // 1024} "
          f"MiB), PATCH completed in {patch_s:.2f} s, peak RSS {rss.peak // 1024} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--vigil", action="append")
    args = ap.parse_args()
    for binary in args.vigil or [os.path.join(ROOT, "build", "vigil")]:
        run(binary, args.events)


if __name__ == "__main__":
    main()
