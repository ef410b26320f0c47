// Quick start: record an agent run with an LLM call, a tool call, a checkpoint and a validator.
//
//   VIGIL_BASE_URL=http://localhost:8080 VIGIL_API_KEY=vigil_sk_... node dist-test/examples/quickstart.js
import { checkpoint, configure, emitLlmCall, flush, tool, validatorResult, wrap } from "vigil-sdk";

configure(); // from VIGIL_API_KEY / VIGIL_BASE_URL (or MESEDI_*), else the local dev defaults

// A tool: each call inside a run records a tool_call event (arguments, result, duration, errors).
const searchDocs = tool(async function searchDocs(query: string): Promise<string[]> {
  return [`Vigil stores executions for "${query}" in SQLite.`];
});

// Stand-in for a model call; with the Anthropic or OpenAI client use the adapters instead.
async function callModel(prompt: string): Promise<{ text: string; tokensIn: number; tokensOut: number }> {
  return { text: `Answer to: ${prompt}`, tokensIn: 420, tokensOut: 64 };
}

// The agent: each call is one execution.
const answer = wrap(
  async (question: string) => {
    const docs = await searchDocs(question);
    checkpoint("retrieved", { documents: docs.length });

    const started = Date.now();
    const reply = await callModel(`${docs.join("\n")}\n\nQ: ${question}`);
    emitLlmCall({
      model: "gpt-4o-mini",
      systemPrompt: "Answer from the documents only.",
      userMessage: question,
      responseText: reply.text,
      inputTokens: reply.tokensIn,
      outputTokens: reply.tokensOut,
      durationMs: Date.now() - started,
    });

    validatorResult("non_empty_answer", reply.text.length > 0, { severity: "error" });
    return reply.text;
  },
  { name: "answer" },
);

console.log(await answer("Where does Vigil keep its data?"));
await flush(); // optional at the end of a script: a process that ends by itself is flushed anyway
