import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  Budget,
  checkpoint,
  currentExecutionId,
  emitLlmCall,
  flush,
  tool,
  validatorResult,
  wrap,
} from "../src/index.js";
import { FakeVigil, type RecordedRequest, startConfigured } from "./helpers/fake_server.js";

// The same scenario in both SDKs must produce the same wire requests: methods, paths (ids replaced
// by {id}) and JSON field names. Each event of a POST /events batch is one entry (batching is
// timing, not protocol); an object value adds its keys one level down (`budget.max_llm_calls`,
// `payload.model`). Halt-stream subscriptions come last: they run beside the ingestion requests.
// The Python SDK writes its side to sdk/python/tests/parity_scenario.json; ours is committed as
// test/parity_scenario.ts.json (regenerate with VIGIL_UPDATE_PARITY=1 npm test).

interface WireEntry {
  method: string;
  path_template: string;
  fields: string[];
}

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OURS = `${PACKAGE_ROOT}test/parity_scenario.ts.json`;
const PYTHON = `${PACKAGE_ROOT}../python/tests/parity_scenario.json`;

function fieldsOf(body: unknown): string[] {
  if (!body || typeof body !== "object" || Array.isArray(body)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    out.push(k);
    if (v && typeof v === "object" && !Array.isArray(v)) for (const sub of Object.keys(v)) out.push(`${k}.${sub}`);
  }
  return out.sort();
}

export function normalize(requests: RecordedRequest[]): WireEntry[] {
  const template = (path: string) => path.replace(/exec-[0-9a-f]{12}/g, "{id}");
  const ingest: WireEntry[] = [];
  const streams: WireEntry[] = [];
  for (const r of requests) {
    if (r.path.endsWith("/halt-stream")) {
      streams.push({ method: r.method, path_template: template(r.path), fields: [] });
    } else if (r.method === "POST" && r.path === "/events" && Array.isArray(r.body)) {
      for (const ev of r.body) ingest.push({ method: "POST", path_template: "/events", fields: fieldsOf(ev) });
    } else {
      ingest.push({ method: r.method, path_template: template(r.path), fields: fieldsOf(r.body) });
    }
  }
  return [...ingest, ...streams];
}

let server: FakeVigil;
let wire: WireEntry[] = [];

before(async () => {
  server = await startConfigured("vigil_sk_parity", 20);

  const search = tool(async function search(query: string) {
    // Stands in for I/O; also lets the halt stream (opened beside the agent) reach the server first,
    // so the recorded requests do not depend on timing.
    await server.waitFor(() => server.requests.some((r) => r.path.endsWith("/halt-stream")), 3000, "halt stream");
    return [`result for ${query}`];
  });
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      emitLlmCall({ model: "gpt-4o", inputTokens: 10, outputTokens: 5, systemPrompt: "sys", userMessage: "hi" });
      await search("vigil");
      checkpoint("mid");
      validatorResult("schema", true);
      return "done";
    },
    { name: "parity", budget: new Budget({ maxSteps: 10 }) },
  );
  assert.equal(await agent(), "done");
  assert.equal(await flush(), true);
  assert.match(id, /^exec-[0-9a-f]{12}$/);
  wire = normalize(server.requests.filter((r) => r.status < 300)); // this server saw only the scenario
});

after(() => server.stop());

test("the parity scenario's wire requests match the committed TypeScript record", () => {
  if (process.env.VIGIL_UPDATE_PARITY === "1") writeFileSync(OURS, formatLikePython(wire));
  const expected = JSON.parse(readFileSync(OURS, "utf8")) as WireEntry[];
  assert.deepEqual(wire, expected);
});

test("the parity scenario's wire requests match the Python SDK's", (t) => {
  if (!existsSync(PYTHON)) {
    t.skip("sdk/python/tests/parity_scenario.json not present");
    return;
  }
  const python = JSON.parse(readFileSync(PYTHON, "utf8")) as WireEntry[];
  assert.deepEqual(wire, python);
});

/** One entry per line, as the Python side writes its file, so the two diff line by line. */
function formatLikePython(entries: WireEntry[]): string {
  const lines = entries.map(
    (e) =>
      `  {"method": ${JSON.stringify(e.method)}, "path_template": ${JSON.stringify(e.path_template)}, ` +
      `"fields": [${e.fields.map((f) => JSON.stringify(f)).join(", ")}]}`,
  );
  return `[\n${lines.join(",\n")}\n]\n`;
}
