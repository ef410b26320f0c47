import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FakeVigil } from "./helpers/fake_server.js";

// These run the SDK in a child process: what happens at process exit is the point.

const SDK_URL = pathToFileURL(fileURLToPath(new URL("../src/index.js", import.meta.url))).href;
let dir: string;
let server: FakeVigil;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-sdk-exit-"));
  server = await new FakeVigil().start();
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runScript(name: string, body: string, env: Record<string, string> = {}): Promise<Result> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import * as vigil from ${JSON.stringify(SDK_URL)};\n${body}\n`);
  const cleanEnv = { ...process.env };
  for (const k of Object.keys(cleanEnv)) if (k.startsWith("VIGIL_") || k.startsWith("MESEDI_")) delete cleanEnv[k];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { ...cleanEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const AGENT = `
const agent = vigil.wrap(async (q) => {
  vigil.emitLlmCall({ model: "gpt-4o", inputTokens: 7, outputTokens: 3 });
  vigil.checkpoint("half");
  return q.toUpperCase();
});
console.log(await agent("done"), vigil.currentExecutionId() ?? "outside");
`;

test("a process that ends by itself flushes on beforeExit, without flush() and without lingering", async () => {
  const r = await runScript(
    "natural_exit",
    `vigil.configure({ flushIntervalMs: 60000 });\n${AGENT}`,
    { VIGIL_BASE_URL: server.baseUrl, VIGIL_API_KEY: "vigil_sk_child" },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "DONE outside");
  // The 60 s batch timer is unref'd: the process ends as soon as the exit flush is done.
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  const mine = server.ingest().filter((q) => q.headers["authorization"] === "Bearer vigil_sk_child");
  assert.deepEqual(
    mine.map((q) => `${q.method} ${q.path.startsWith("/executions/") ? "/executions/{id}" : q.path}`),
    ["POST /executions", "POST /events", "PATCH /executions/{id}"],
  );
  assert.equal(mine[1]?.body.length, 2);
  assert.equal(mine[2]?.body.status, "completed");
});

test("with the server down the exit flush gives up after exitFlushTimeoutMs and the process exits 0", async () => {
  const down = await new FakeVigil().start();
  const port = down.port;
  await down.stop();
  const r = await runScript(
    "server_down",
    `vigil.configure({ baseUrl: "http://127.0.0.1:${port}", exitFlushTimeoutMs: 400, retryBaseDelayMs: 50 });\n${AGENT}`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "DONE outside");
  assert.match(r.stderr, /exit flush timed out: \d+ item\(s\) not sent; the Vigil server at \S+ is unreachable/);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test("when the server keeps answering 429 the exit warning says rate limited, not unreachable", async () => {
  const limited = await new FakeVigil().start();
  limited.script({ status: 429, times: 1000, headers: { "Retry-After": "1" } });
  try {
    const r = await runScript(
      "rate_limited",
      `vigil.configure({ baseUrl: "${limited.baseUrl}", exitFlushTimeoutMs: 400 });\n${AGENT}`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /rate limited \(429\); retrying after Retry-After \(1 s\)/);
    assert.match(r.stderr, /exit flush timed out: \d+ item\(s\) not sent; the Vigil server at \S+ answered rate limited \(429\)/);
    assert.doesNotMatch(r.stderr, /unreachable/);
  } finally {
    await limited.stop();
  }
});

test("an insecure URL from the environment disables telemetry with a warning, never an exception", async () => {
  const r = await runScript("insecure_env", AGENT, { VIGIL_BASE_URL: "http://vigil.example.com:8080" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "DONE outside");
  assert.match(r.stderr, /telemetry disabled: refusing plain http:\/\/ to vigil\.example\.com/);
});

test("an awaited flush returns even while the server is down", async () => {
  const r = await runScript(
    "flush_down",
    `vigil.configure({ baseUrl: "http://127.0.0.1:9", exitFlushTimeoutMs: 0 });
${AGENT}
const t0 = Date.now();
const ok = await vigil.flush(300);
console.log("flush", ok, Date.now() - t0 >= 290);`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /flush false true/);
});

test("process.exit() with unsent items warns how many were lost", async () => {
  const r = await runScript(
    "explicit_exit",
    `vigil.configure({ baseUrl: "http://127.0.0.1:9" });
vigil.wrap(() => 1)();
process.exit(0);`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /2 item\(s\) not sent: call `await flush\(\)` before process\.exit\(\)/);
});
