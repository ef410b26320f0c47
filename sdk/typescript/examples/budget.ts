// Budgets: stop a runaway agent locally. The VigilHalt is thrown at the next SDK call point and the
// run is reported as `halted` with crash signature `halt:<trigger>`.
//
//   node dist-test/examples/budget.js
import { Budget, emitLlmCall, VigilHalt, wrap } from "vigil-sdk";

const looping = wrap(
  async () => {
    for (let step = 1; ; step++) {
      // ... call the model, decide, act ...
      emitLlmCall({ model: "claude-haiku-4-5", userMessage: `step ${step}`, inputTokens: 900, outputTokens: 150 });
      await new Promise((r) => setTimeout(r, 10));
    }
  },
  // At most 5 LLM calls, 30 s, and $0.01 (estimated from the protocol's price table).
  { name: "looping", budget: new Budget({ maxSteps: 5, maxWallClockSeconds: 30, maxCostUsd: 0.01 }) },
);

try {
  await looping();
} catch (err) {
  if (!(err instanceof VigilHalt)) throw err;
  console.log(`halted: trigger=${err.trigger} reason=${err.reason}`);
}
