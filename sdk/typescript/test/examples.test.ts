import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FakeLlmApi } from "./helpers/fake_llm_api.js";
import { FakeVigil } from "./helpers/fake_server.js";

// The examples are compiled with the package and must run as documented (against a fake server).

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));
let server: FakeVigil;
before(async () => {
  server = await new FakeVigil().start();
});
after(() => server.stop());

function run(name: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, VIGIL_BASE_URL: server.baseUrl, VIGIL_API_KEY: `vigil_sk_example_${name}`, ...extraEnv };
  return new Promise((resolve) => {
    execFile(process.execPath, [`${EXAMPLES}${name}.js`, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const mine = (name: string) => server.ingest().filter((r) => r.headers["authorization"] === `Bearer vigil_sk_example_${name}`);

test("examples/quickstart records one completed run", async () => {
  const r = await run("quickstart");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Answer to:/);
  const reqs = mine("quickstart");
  assert.deepEqual(reqs.map((q) => q.method), ["POST", "POST", "PATCH"]);
  assert.deepEqual(
    reqs[1]?.body.map((e: { event_type: string }) => e.event_type),
    ["tool_call", "checkpoint", "llm_call", "validator_result"],
  );
  assert.equal(reqs[2]?.body.status, "completed");
});

test("examples/budget halts on step_count", async () => {
  const r = await run("budget");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /halted: trigger=(step_count|cost)/);
  const end = mine("budget").find((q) => q.method === "PATCH");
  assert.equal(end?.body.status, "halted");
});

test("examples/remote_halt is halted through the halt stream", async () => {
  const started = run("remote_halt", ["20"]);
  await server.waitFor(() => server.requests.some((q) => q.path.endsWith("/halt-stream") && q.headers["authorization"] === "Bearer vigil_sk_example_remote_halt"), 10_000, "halt stream");
  const stream = server.requests.find((q) => q.path.endsWith("/halt-stream") && q.headers["authorization"] === "Bearer vigil_sk_example_remote_halt");
  const id = stream?.path.split("/")[2] as string;
  server.halt(id, "enough from the test");
  const r = await started;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /halted remotely: enough from the test/);
});

test("the adapter examples record the client's call (run against a fake provider API)", async () => {
  const llm = await new FakeLlmApi().start();
  try {
    llm.queue(
      { api: "messages", model: "claude-haiku-4-5", text: "Logs like falling leaves", inputTokens: 30, outputTokens: 12 },
      { api: "chat", model: "gpt-4o-mini", text: "L'agent a terminé sa tâche.", inputTokens: 25, outputTokens: 9 },
    );
    // The clients read their endpoint and key from these variables, as in production.
    const env = {
      ANTHROPIC_BASE_URL: llm.anthropicBaseUrl, ANTHROPIC_API_KEY: "sk-ant-example",
      OPENAI_BASE_URL: llm.openaiBaseUrl, OPENAI_API_KEY: "sk-example",
    };
    const expected = [["anthropic", "claude-haiku-4-5", "Logs like falling leaves"], ["openai", "gpt-4o-mini", "L'agent a terminé sa tâche."]];
    const runs = await Promise.all(expected.map(([name]) => run(name as string, [], env)));
    for (const [i, [name, model, text]] of expected.entries()) {
      const r = runs[i] as Awaited<ReturnType<typeof run>>;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), text);
      const [call] = mine(name as string).filter((q) => q.path === "/events").flatMap((q) => q.body).filter((e: { event_type: string }) => e.event_type === "llm_call");
      assert.equal(call?.payload.model, model);
      assert.equal(call?.payload.response_text, text);
    }
  } finally {
    await llm.stop();
  }
});
