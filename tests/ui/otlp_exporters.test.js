// How real deployments configure the npm OTLP exporters: gzip compression (JSON and protobuf), and
// the environment variables alone (the endpoint without a path, to which the exporter appends
// /v1/traces, and the URL-encoded Authorization header), read back through the REST API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Api, DEV_KEY, startVigil } from './harness.js';
import { chatAttributes, ENCODINGS, executionIdOf, startSpan, toolAttributes } from './otel_support.js';

let vigil;
let api;

before(async () => {
  vigil = await startVigil();
  api = new Api(vigil.base);
});
after(async () => { await vigil.stop(); });

function tracingWith(exporter) {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: provider.getTracer('vigil-otlp-config-test'), flush: () => provider.forceFlush() };
}

// A small agent run: one chat and one tool call under an agent span.
async function runAgent({ tracer, flush }, name) {
  const root = startSpan(tracer, 'invoke_agent', {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name });
  startSpan(tracer, 'chat gpt-4o', chatAttributes('gpt-4o', 'Weather in Oslo?', 'calling tool'), root).end();
  startSpan(tracer, 'execute_tool weather', toolAttributes('weather', { city: 'Oslo' }, 'snow'), root).end();
  root.end();
  await flush();
  return executionIdOf(root);
}

async function assertStored(id, name) {
  const r = await api.get(`/executions/${id}`);
  assert.equal(r.status, 200, `execution ${id} not stored`);
  assert.equal(r.json.execution.status, 'completed');
  assert.equal(r.json.execution.name, name);
  assert.deepEqual(r.json.events.map((e) => e.event_type), ['llm_call', 'tool_call']);
  assert.equal(r.json.events[0].payload.user_message, 'Weather in Oslo?');
  assert.equal(r.json.events[1].payload.tool_name, 'weather');
}

// Sets the OTEL_* variables while `fn` builds its exporter (the exporter reads them when built).
function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

for (const { name: encoding, Exporter } of ENCODINGS) {
  describe(`OTLP/${encoding} exporter configurations`, () => {
    test('gzip-compressed exports are inflated and stored', async () => {
      const exporter = new Exporter({
        url: `${vigil.base}/v1/traces`, headers: { Authorization: `Bearer ${DEV_KEY}` }, compression: 'gzip' });
      const id = await runAgent(tracingWith(exporter), `gzip-${encoding}`);
      await assertStored(id, `gzip-${encoding}`);
    });

    test('the environment variables alone reach /v1/traces with the key', async () => {
      const exporter = withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: vigil.base,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${DEV_KEY}`,
      }, () => new Exporter());
      const id = await runAgent(tracingWith(exporter), `env-${encoding}`);
      await assertStored(id, `env-${encoding}`);
    });

    test('compression chosen by OTEL_EXPORTER_OTLP_COMPRESSION works too', async () => {
      const exporter = withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${vigil.base}/`,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${DEV_KEY}`,
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      }, () => new Exporter());
      const id = await runAgent(tracingWith(exporter), `env-gzip-${encoding}`);
      await assertStored(id, `env-gzip-${encoding}`);
    });
  });
}
