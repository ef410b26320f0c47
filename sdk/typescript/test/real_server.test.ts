import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import {
  Budget,
  checkpoint,
  currentExecutionId,
  emitLlmCall,
  EventType,
  flush,
  MesediClient,
  Status,
  tool,
  validatorResult,
  VigilHalt,
  wrap,
} from "../src/index.js";
import { sleep } from "./helpers/fake_server.js";
import { KEY, SKIP_WITHOUT_BIN, useRealVigil, VIGIL_BIN } from "./helpers/real_vigil.js";

// End to end against the real server (test/helpers/real_vigil.ts): it reads back through the API
// what the SDK sent. Skipped only when VIGIL_BIN is unset.

if (!VIGIL_BIN) test("against the real vigil server", { skip: SKIP_WITHOUT_BIN }, () => {});
else describe("against the real vigil server", () => {
  const server = useRealVigil();

  test("a wrapped agent run appears with its events, tokens and status", async () => {
    let id = "";
    const search = tool(async function search(q: string) {
      return [`doc about ${q}`];
    });
    const agent = wrap(
      async (question: string) => {
        id = currentExecutionId() as string;
        emitLlmCall({ model: "gpt-4o", systemPrompt: "sys", userMessage: question, inputTokens: 1200, outputTokens: 300, durationMs: 40 });
        await search("vigil");
        checkpoint("mid", { step: 1 });
        validatorResult("schema", true);
        emitLlmCall({ model: "gpt-4o", systemPrompt: "sys", userMessage: "summarize", inputTokens: 800, outputTokens: 200 });
        return "answer";
      },
      { name: "e2e" },
    );
    assert.equal(await agent("what is vigil?"), "answer");
    assert.equal(await flush(5000), true);

    const d = await server.detail(id);
    assert.equal(d.ok, true);
    assert.equal(typeof d.execution, "object");
    assert.ok(Array.isArray(d.events));
    const e = d.execution;
    assert.equal(e.execution_id, id);
    assert.equal(e.project_id, "proj-dev");
    assert.equal(e.status, "completed");
    assert.equal(e.total_tokens_in, 2000);
    assert.equal(e.total_tokens_out, 500);
    assert.ok(Math.abs(e.estimated_cost_usd - (2000 * 2.5 + 500 * 10) / 1e6) < 1e-9);
    assert.equal(e.sdk_language, "typescript");
    assert.match(e.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(e.ended_at, /Z$/);
    assert.equal(e.crash_signature, undefined);
    assert.deepEqual(
      d.events.map((ev: { event_type: string; sequence: number }) => [ev.sequence, ev.event_type]),
      [
        [1, "llm_call"],
        [2, "tool_call"],
        [3, "checkpoint"],
        [4, "validator_result"],
        [5, "llm_call"],
      ],
    );
    assert.equal(d.events[0].payload.model, "gpt-4o");
    assert.equal(d.events[0].duration_ms, 40);
    assert.equal(d.events[1].payload.tool_name, "search");
  });

  test("crashes from the same place group under one signature", async () => {
    const ids: string[] = [];
    const step = tool(function parsePlan(text: string) {
      return JSON.parse(text);
    });
    const agent = wrap(async () => {
      ids.push(currentExecutionId() as string);
      await sleep(1);
      step("{not json");
    });
    for (let i = 0; i < 2; i++) await assert.rejects(agent(), SyntaxError);
    assert.equal(await flush(5000), true);
    const [a, b] = [await server.detail(ids[0] as string), await server.detail(ids[1] as string)];
    assert.equal(a.execution.status, "crashed");
    assert.match(a.execution.crash_signature, /^[0-9a-f]{16}$/);
    assert.equal(a.execution.crash_signature, b.execution.crash_signature);
    assert.ok(a.execution.failure_group_id, "a crash finding groups the execution");
    assert.equal(a.execution.failure_group_id, b.execution.failure_group_id);
    const f = a.findings.find((x: { detector: string }) => x.detector === "crash");
    assert.equal(f?.signature, a.execution.crash_signature);
    // The cause is stored beside the signature: the error, and the frame that threw it last.
    assert.equal(a.execution.exception.type, "SyntaxError");
    assert.match(a.execution.exception.message, /JSON/);
    const frames = a.execution.exception.frames as Array<{ function?: string }>;
    assert.ok(frames.some((fr) => fr.function === "parsePlan"));
  });

  test("a local budget halts the agent and the execution is reported halted", async () => {
    let id = "";
    const agent = wrap(
      async () => {
        id = currentExecutionId() as string;
        for (;;) {
          emitLlmCall({ model: "gpt-4o-mini", inputTokens: 10, outputTokens: 10 });
          await sleep(1);
        }
      },
      { budget: new Budget({ maxSteps: 3, maxWallClockSeconds: 30 }) },
    );
    await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.trigger === "step_count");
    assert.equal(await flush(5000), true);
    const d = await server.detail(id);
    assert.equal(d.execution.status, "halted");
    assert.equal(d.execution.crash_signature, "halt:step_count");
    assert.equal(d.execution.halt_reason, "step budget exceeded: 4 llm calls > 3");
    assert.equal(d.events.length, 4);
  });

  test("a remote halt arrives over the halt stream", async () => {
    let id = "";
    const agent = wrap(
      async () => {
        id = currentExecutionId() as string;
        for (;;) {
          checkpoint("working");
          await sleep(20);
        }
      },
      { remoteHalt: true },
    );
    const run = agent();
    const outcome = assert.rejects(run, (e) => e instanceof VigilHalt && e.trigger === "remote_signal" && e.reason === "stop from e2e");
    while (!id) await sleep(5);
    await flush(5000); // the execution exists before it is halted
    const h = await server.api("POST", `/executions/${id}/halt`, { reason: "stop from e2e" });
    assert.equal(h.status, 200, JSON.stringify(h.json));
    await outcome;
    assert.equal(await flush(5000), true);
    const d = await server.detail(id);
    assert.equal(d.execution.status, "halted");
    assert.equal(d.execution.crash_signature, "halt:remote_signal");
    assert.equal(d.execution.halt_reason, "stop from e2e");
  });

  test("with the server down the agent runs on, and its data arrives once the server is back", async () => {
    await server.stop();
    let id = "";
    const agent = wrap(async () => {
      id = currentExecutionId() as string;
      emitLlmCall({ model: "gpt-4o", inputTokens: 5, outputTokens: 5 });
      checkpoint("offline");
      return "still fine";
    });
    assert.equal(await agent(), "still fine");
    assert.equal(await flush(300), false);
    await server.start();
    assert.equal(await flush(10_000), true);
    const d = await server.detail(id);
    assert.equal(d.execution.status, "completed");
    assert.equal(d.events.length, 2);
  });

  test("the halt command examples/remote_halt prints stops it at once", async () => {
    const example = fileURLToPath(new URL("../examples/remote_halt.js", import.meta.url));
    const env = { ...process.env, VIGIL_BASE_URL: server.baseUrl, VIGIL_API_KEY: KEY };
    const child = spawn(process.execPath, [example, "30"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const deadline = Date.now() + 10_000;
      while (!/^\s*curl .*$/m.test(out)) {
        assert.ok(Date.now() < deadline, `no curl command printed: ${out}`);
        await sleep(20);
      }
      const command = (/^\s*(curl .*)$/m.exec(out) as RegExpExecArray)[1] as string;
      assert.match(command, /Content-Type: application\/json/);
      let answer = "";
      for (let i = 0; i < 5; i++) {
        // The documented retry: 404 with Retry-After while the execution's creation is in flight.
        answer = execFileSync("bash", ["-c", `${command} -s -w '\\n%{http_code}'`], { env, encoding: "utf8" });
        if (answer.endsWith("200")) break;
        assert.ok(answer.endsWith("404") && answer.includes("retry"), answer);
        await sleep(1000);
      }
      assert.ok(answer.endsWith("200"), answer);
      assert.equal(await exited, 0);
      assert.match(out, /halted remotely: enough/);
    } finally {
      child.kill();
    }
  });

  test("a MesediClient records an execution by hand, with its events and terminal status", async () => {
    const client = new MesediClient({ apiKey: KEY, baseUrl: server.baseUrl, flushIntervalMs: 10, timeoutMs: 5000 });
    const id = client.createExecution({ name: "manual-agent" });
    client.sendEvents([
      { execution_id: id, event_type: EventType.CHECKPOINT, sequence: 1, payload: { name: "planned", metadata: { steps: 2 } } },
      { execution_id: id, event_type: EventType.VALIDATOR_RESULT, sequence: 2, payload: { name: "schema", passed: true } },
    ]);
    client.updateExecution(id, { status: Status.COMPLETED, duration_ms: 25, total_tokens_in: 7 });
    assert.equal(await client.flush(5000), true);
    assert.equal(client.stats().rejected, 0);
    const d = await server.detail(id);
    assert.equal(d.execution.status, "completed");
    assert.equal(d.execution.name, "manual-agent");
    assert.equal(d.execution.duration_ms, 25);
    assert.equal(d.execution.total_tokens_in, 7);
    assert.equal(d.execution.sdk_language, "typescript");
    assert.deepEqual(
      d.events.map((e: any) => [e.event_type, e.sequence]),
      [["checkpoint", 1], ["validator_result", 2]],
    );
    assert.deepEqual(d.events[0].payload, { name: "planned", metadata: { steps: 2 } });
  });
});
