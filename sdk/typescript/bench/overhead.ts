// Micro-benchmark: what the SDK adds to the agent's own thread.
//
// A local sink server answers every request with 200, so the shipper really runs; the timed loops
// measure only the calls themselves (the shipper works between rounds, never inside one). The queue
// bound is raised for the run so no round takes the drop-oldest path, which would flatter the
// figures. Run with `npm run bench`; ROUNDS and CALLS may be set in the environment.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { checkpoint, configure, emitLlmCall, flush, stats, wrap } from "../src/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 40);
const CALLS = Number(process.env.CALLS ?? 500);
const TARGET_US = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function measure(label: string, fn: () => unknown, isAsync = false): Promise<number> {
  const perCall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    if (isAsync) for (let i = 0; i < CALLS; i++) await fn();
    else for (let i = 0; i < CALLS; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0) / CALLS;
    perCall.push(ns);
    await new Promise((r) => setTimeout(r, 5)); // the shipper's turn
  }
  const m = median(perCall) / 1000;
  console.log(`${label.padEnd(44)} ${m.toFixed(3).padStart(8)} µs/call (median of ${ROUNDS} x ${CALLS})`);
  return m;
}

async function main(): Promise<void> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  const port = (sink.address() as AddressInfo).port;
  configure({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "vigil_sk_bench", maxQueueSize: 10_000_000 });

  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  const noop = () => undefined;
  const asyncNoop = async () => undefined;
  const wrapped = wrap(noop);
  const wrappedAsync = wrap(asyncNoop);
  const withCheckpoint = wrap(() => checkpoint("c"));
  const withLlm = wrap(() => emitLlmCall({ model: "gpt-4o", inputTokens: 10, outputTokens: 5 }));

  for (let i = 0; i < 5_000; i++) {
    noop();
    wrapped();
    withCheckpoint();
    withLlm();
    await wrappedAsync();
  }
  await flush(1); // warm-up: let the JIT settle before measuring
  const base = await measure("bare no-op (baseline)", noop);
  const sync = await measure("wrap(no-op), sync", wrapped);
  const baseAsync = await measure("bare async no-op, awaited (baseline)", asyncNoop, true);
  const async_ = await measure("wrap(async no-op), awaited", wrappedAsync, true);
  const cp = await measure("wrap(fn with one checkpoint), sync", withCheckpoint);
  const llm = await measure("wrap(fn with one emitLlmCall), sync", withLlm);

  const overheadSync = sync - base;
  const overheadAsync = async_ - baseAsync;
  console.log("");
  console.log(`overhead of wrap, sync no-op:  ${overheadSync.toFixed(3)} µs/call`);
  console.log(`overhead of wrap, async no-op: ${overheadAsync.toFixed(3)} µs/call`);
  console.log(`one checkpoint event:          ${(cp - sync).toFixed(3)} µs`);
  console.log(`one llm_call event:            ${(llm - sync).toFixed(3)} µs`);
  await flush(2_000);
  const s = stats();
  console.log(`shipper meanwhile: ${s.sent} items sent, ${s.queued} still queued, ${s.dropped} dropped`);
  const ok = overheadSync < TARGET_US && overheadAsync < TARGET_US;
  console.log(ok ? `PASS: under ${TARGET_US} µs per wrapped call` : `FAIL: target is ${TARGET_US} µs per wrapped call`);
  // The rest of the queue is abandoned on purpose: disable the SDK (no exit flush, no lost-items
  // warning) and exit now.
  configure({ baseUrl: `http://127.0.0.1:${port}`, enabled: false });
  process.exit(ok ? 0 : 1);
}

void main();
