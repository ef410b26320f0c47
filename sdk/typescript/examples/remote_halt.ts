// Remote halt: stop a running agent from outside with the curl command it prints:
//
//   curl -X POST -H "Authorization: Bearer ${VIGIL_API_KEY:-vigil_sk_dev_local_only}" \
//        -H 'Content-Type: application/json' -d '{"reason":"enough"}' \
//        http://localhost:8080/executions/<id>/halt
//
// The SDK listens on the execution's halt stream (opened for `remoteHalt: true` or any budget).
// The halt is thrown at the next SDK call point, and the AbortSignal fires at once, so a long wait
// that takes the signal is interrupted immediately.
//
//   node dist-test/examples/remote_halt.js [seconds, default 60]
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
    const base = process.env.VIGIL_BASE_URL || "http://localhost:8080";
    console.log(
      `execution ${currentExecutionId()} runs for ${rounds} s; halt it with\n` +
        `  curl -X POST -H "Authorization: Bearer \${VIGIL_API_KEY:-vigil_sk_dev_local_only}" ` +
        `-H 'Content-Type: application/json' -d '{"reason":"enough"}' ` +
        `${base}/executions/${currentExecutionId()}/halt`,
    );
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
  console.log(await worker(Number(process.argv[2] ?? 60)));
} catch (err) {
  if (!(err instanceof VigilHalt)) throw err;
  console.log(`halted remotely: ${err.reason}`);
}
