// Remote halt: stop a running agent from outside with
//
//   curl -X POST -H "Authorization: Bearer $VIGIL_API_KEY" \
//        -d '{"reason":"enough"}' http://localhost:8080/executions/<id>/halt
//
// The SDK listens on the execution's halt stream (opened for `remoteHalt: true` or any budget).
// The halt is thrown at the next SDK call point, and the AbortSignal fires at once, so a long wait
// that takes the signal is interrupted immediately.
//
//   node dist-test/examples/remote_halt.js
import { checkpoint, currentExecutionId, currentSignal, VigilHalt, wrap } from "vigil-sdk";

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const worker = wrap(
  async (rounds: number) => {
    console.log(`execution ${currentExecutionId()}: halt it with POST /executions/{id}/halt`);
    const signal = currentSignal();
    for (let i = 1; i <= rounds; i++) {
      checkpoint("round", { i }); // a call point: a pending halt is thrown here
      await sleep(1000, signal); // fetch(url, { signal }) works the same way
    }
    return "finished";
  },
  { name: "worker", remoteHalt: true },
);

try {
  console.log(await worker(Number(process.argv[2] ?? 5)));
} catch (err) {
  if (!(err instanceof VigilHalt)) throw err;
  console.log(`halted remotely: ${err.reason}`);
}
