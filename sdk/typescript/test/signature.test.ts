import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { currentExecutionId, flush, tool, wrap } from "../src/index.js";
import { crashSignature, parseStack, signatureFrames } from "../src/signature.js";
import { FakeVigil, startConfigured } from "./helpers/fake_server.js";

const sha16 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

function withStack<E extends Error>(err: E, stack: string): E {
  Object.defineProperty(err, "stack", { value: stack });
  return err;
}

test("stack lines of every V8 shape parse to file, function and line", () => {
  const frames = parseStack(
    [
      "Error: first line",
      "  with a second message line at 3:4",
      "    at inner (/srv/app/agent.js:10:5)",
      "    at async Agent.run (file:///srv/app/agent.mjs:20:7)",
      "    at /srv/app/anon.js:3:1",
      "    at new Planner (C:\\app\\plan.js:1:2)",
      "    at eval (eval at compile (/srv/app/ev.js:5:6), <anonymous>:1:1)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    ].join("\n"),
  );
  assert.deepEqual(frames, [
    { fn: "inner", file: "/srv/app/agent.js", line: 10 },
    { fn: "Agent.run", file: "file:///srv/app/agent.mjs", line: 20 },
    { fn: "<anonymous>", file: "/srv/app/anon.js", line: 3 },
    { fn: "new Planner", file: "C:\\app\\plan.js", line: 1 },
    { fn: "eval", file: "/srv/app/ev.js", line: 5 },
    { fn: "process.processTicksAndRejections", file: "node:internal/process/task_queues", line: 95 },
  ]);
});

test("the signature is SHA-256 of the type name and the innermost five frames, no line numbers", () => {
  const stack = (line: number) =>
    [
      "TypeError: x is not a function",
      `    at f1 (/a/one.js:${line}:1)`,
      "    at f2 (/a/two.js:2:1)",
      "    at node:internal/timers:1:1",
      "    at async f3 (file:///b/three.mjs:3:1)",
      "    at f4 (/a/four.js:4:1)",
      "    at f5 (/a/five.js:5:1)",
      "    at f6 (/a/six.js:6:1)",
    ].join("\n");
  const expected = sha16("TypeError\none.js:f1\ntwo.js:f2\nthree.mjs:f3\nfour.js:f4\nfive.js:f5");
  assert.equal(crashSignature(withStack(new TypeError("x"), stack(1))), expected);
  // Moving the failing line (an edit elsewhere in the file) keeps the signature.
  assert.equal(crashSignature(withStack(new TypeError("y"), stack(99))), expected);
  // Another type, same frames: another group.
  assert.notEqual(crashSignature(withStack(new RangeError("x"), stack(1))), expected);
});

test("the type name is the error's class, and non-errors still get a signature", () => {
  class QuotaExceeded extends Error {}
  const s = "Error\n    at f (/x/y.js:1:1)";
  assert.equal(crashSignature(withStack(new QuotaExceeded("q"), s)), sha16("QuotaExceeded\ny.js:f"));
  const renamed = withStack(new Error("r"), s);
  renamed.name = "ConfigError";
  assert.equal(crashSignature(renamed), sha16("ConfigError\ny.js:f"));
  assert.equal(crashSignature("just a string"), sha16("string\n"));
  assert.equal(crashSignature(undefined), sha16("undefined\n"));
  assert.equal(crashSignature({ code: 1 }), sha16("Object\n"));
});

function failAt(which: number): Error {
  try {
    if (which === 1) throw new Error("one");
    throw new Error("two");
  } catch (e) {
    return e as Error;
  }
}
function otherPlace(): Error {
  return new Error("elsewhere");
}

test("real errors: same place gives the same signature, another function another one", () => {
  assert.equal(crashSignature(failAt(1)), crashSignature(failAt(2)));
  assert.notEqual(crashSignature(failAt(1)), crashSignature(otherPlace()));
});

let server: FakeVigil;
before(async () => {
  server = await startConfigured();
});
after(() => server.stop());

test("a wrapped agent crashing twice in the same place reports one stable signature", async () => {
  let thrown: unknown;
  const explode = tool(function explode(n: number) {
    if (n >= 0) throw new SyntaxError("bad plan");
  });
  const agent = wrap(async function planner() {
    await new Promise((r) => setTimeout(r, 1));
    explode(1);
  });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const run = wrap(async () => {
      ids.push(currentExecutionId() as string);
      try {
        await agent();
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    await assert.rejects(run(), SyntaxError);
  }
  await flush();
  const sigs = server
    .ingest()
    .filter((r) => r.method === "PATCH" && ids.some((id) => r.path.endsWith(id)))
    .map((r) => r.body.crash_signature);
  assert.equal(sigs.length, 2);
  assert.equal(sigs[0], sigs[1]);
  assert.equal(sigs[0], crashSignature(thrown));
  // The SDK's own wrapper frames are not part of it: an SDK upgrade keeps the groups.
  const frames = signatureFrames(thrown);
  assert.ok(frames[0]?.startsWith("signature.test.js:"), frames.join(","));
  for (const f of frames) assert.ok(!/^(api|execution|client)\.js:/.test(f), f);
});
