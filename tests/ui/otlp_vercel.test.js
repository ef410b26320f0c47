// The Vercel AI SDK (npm `ai`, its own mock model from `ai/test`) with experimental_telemetry,
// exported by the real OTLP exporters: each model step an llm_call, each tool execution a
// tool_call, the generateText run one execution named by its functionId.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { Api, startVigil } from './harness.js';
import { ENCODINGS, makeTracing } from './otel_support.js';

let vigil;
let api;

before(async () => {
  vigil = await startVigil();
  api = new Api(vigil.base);
});
after(async () => { await vigil.stop(); });

function usage(input, output) {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

const TOOL_TURN = {
  content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: JSON.stringify({ city: 'Paris' }) }],
  finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
  usage: usage(120, 10),
  warnings: [],
};
const TEXT_TURN = {
  content: [{ type: 'text', text: 'It is sunny in Paris.' }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage: usage(150, 12),
  warnings: [],
};

async function runAgent(tracer, functionId, execute) {
  const weather = tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async (input) => { await sleep(5); return execute(input); },
  });
  // Each step takes a few milliseconds, as a real one would: span starts are stamped in whole
  // milliseconds, and the order of events is the order of their starts.
  const turns = [TOOL_TURN, TEXT_TURN];
  const model = new MockLanguageModelV3({
    provider: 'openai', modelId: 'gpt-4o', doGenerate: async () => { await sleep(5); return turns.shift(); } });
  return generateText({
    model,
    system: 'You answer weather questions.',
    prompt: 'Weather in Paris?',
    tools: { weather },
    stopWhen: stepCountIs(3),
    experimental_telemetry: { isEnabled: true, functionId, tracer },
  });
}

async function executionNamed(name) {
  const list = await api.ok('GET', `/executions?name=${encodeURIComponent(name)}`);
  assert.equal(list.executions.length, 1, JSON.stringify(list));
  return (await api.ok('GET', `/executions/${list.executions[0].execution_id}`));
}

for (const { name: encoding, Exporter } of ENCODINGS) {
  test(`generateText with telemetry over OTLP/${encoding} is one execution with its steps`, async () => {
    const { tracer, flush } = makeTracing(vigil.base, Exporter);
    const out = await runAgent(tracer, `weather-${encoding}`, async ({ city }) => `sunny in ${city}`);
    assert.equal(out.text, 'It is sunny in Paris.');
    await flush();
    const d = await executionNamed(`weather-${encoding}`);
    assert.equal(d.execution.status, 'completed');
    assert.deepEqual(d.events.map((e) => e.event_type), ['llm_call', 'tool_call', 'llm_call']);
    const [first, call, last] = d.events.map((e) => e.payload);
    assert.equal(first.model, 'gpt-4o');
    assert.equal(first.input_tokens, 120);
    assert.equal(first.user_message, 'Weather in Paris?');
    assert.equal(first.system_prompt, 'You answer weather questions.');
    assert.equal(last.response_text, 'It is sunny in Paris.');
    assert.equal(call.tool_name, 'weather');
    assert.deepEqual(call.arguments, { city: 'Paris' });
    assert.match(call.result_text, /sunny in Paris/);
    assert.equal(d.execution.total_tokens_in, 270);
  });
}

test('a Vercel tool that throws is a failed tool_call and a tool_failure finding', async () => {
  const { tracer, flush } = makeTracing(vigil.base, ENCODINGS[1].Exporter);
  await runAgent(tracer, 'weather-broken', async () => { throw new Error('weather service down'); });
  await flush();
  const d = await executionNamed('weather-broken');
  const failed = d.events.filter((e) => e.event_type === 'tool_call');
  assert.equal(failed[0].payload.status, 'failed');
  assert.ok(d.findings.some((f) => f.detector === 'tool_failure' && f.signature === 'weather'),
    JSON.stringify(d.findings));
});
