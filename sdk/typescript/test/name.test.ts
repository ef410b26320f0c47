// The execution `name` the SDK sends (a protocol extension): the wrapped function's name or the one
// given; never a placeholder, never something the server would refuse.
import assert from "node:assert/strict";
import { test } from "node:test";
import { flush, wrap } from "../src/index.js";
import { executionName } from "../src/summary.js";
import { useConfiguredServer } from "./helpers/fake_server.js";

const fake = useConfiguredServer("vigil_sk_test", 20);

// The `name` of each execution created since the test began, in order (undefined = not sent).
async function createdNames(): Promise<Array<string | undefined>> {
  assert.equal(await flush(), true);
  return fake
    .sinceTestStart()
    .filter((r) => r.method === "POST" && r.path === "/executions")
    .map((r) => r.body.name as string | undefined);
}

test("a wrapped named function sends its name, sync or async", async () => {
  const supportAgent = wrap(function supportAgent() {
    return 1;
  });
  async function triage() {
    return 2;
  }
  supportAgent();
  await wrap(triage)();
  assert.deepEqual(await createdNames(), ["supportAgent", "triage"]);
});

test("an explicit name wins over the function's, in both call forms", async () => {
  wrap(function inner() {
    return 1;
  }, { name: "support-agent" })();
  await wrap({ name: "nightly-report" })(async () => 2)();
  assert.deepEqual(await createdNames(), ["support-agent", "nightly-report"]);
});

test("an anonymous function sends no name rather than a placeholder", async () => {
  await wrap(async () => 1)();
  wrap(() => 2)();
  assert.deepEqual(await createdNames(), [undefined, undefined]);
});

test("child executions send their own names", async () => {
  const child = wrap(async () => 1, { name: "child" });
  const parent = wrap(async () => child(), { name: "parent" });
  await parent();
  assert.deepEqual(await createdNames(), ["parent", "child"]);
});

test("names are cut to 200 bytes of UTF-8 without control characters", () => {
  const long = executionName("é".repeat(150)); // 300 bytes
  assert.equal(long, "é".repeat(100));
  assert.equal(Buffer.byteLength(long as string, "utf8"), 200);
  assert.equal(executionName("line\nbreak\ttab\u007f"), "linebreaktab");
  assert.equal(executionName("  \n "), undefined);
  assert.equal(executionName(42), undefined);
});
