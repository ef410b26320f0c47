// Anthropic adapter: every messages.create inside a wrapped run records an llm_call with model,
// prompts, response text and tokens. Needs `npm install @anthropic-ai/sdk` and ANTHROPIC_API_KEY;
// vigil-sdk itself does not depend on the client.
//
//   node dist-test/examples/anthropic.js
import { Budget, wrap } from "vigil-sdk";
import { instrumentAnthropic } from "vigil-sdk/anthropic";

const moduleName = "@anthropic-ai/sdk"; // a variable, so this example compiles without the client
let Anthropic: new () => { messages: { create: (p: object) => Promise<{ content: Array<{ type: string; text?: string }> }> } };
try {
  Anthropic = (await import(moduleName)).default;
} catch {
  console.log("install @anthropic-ai/sdk to run this example");
  process.exit(0);
}

const client = instrumentAnthropic(new Anthropic());

const haiku = wrap(
  async (topic: string) => {
    const msg = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      system: "You write haiku.",
      messages: [{ role: "user", content: `A haiku about ${topic}` }],
    });
    return msg.content.map((b) => b.text ?? "").join("");
  },
  { name: "haiku", budget: new Budget({ maxSteps: 3, maxCostUsd: 0.05 }) },
);

console.log(await haiku("observability"));
