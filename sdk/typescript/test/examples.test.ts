import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FakeVigil } from "./helpers/fake_server.js";

// The examples are compiled with the package and must run as documented (against a fake server).

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));
let server: FakeVigil;
before(async () => {
  server = await new FakeVigil().start();
});
after(() => server.stop());

function run(name: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, VIGIL_BASE_URL: server.baseUrl, VIGIL_API_KEY: `vigil_sk_example_${name}` };
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

test("the adapter examples explain what to install when the client is missing", async () => {
  for (const name of ["anthropic", "openai"]) {
    const r = await run(name);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^install (@anthropic-ai\/sdk|openai) to run this example/);
  }
});
