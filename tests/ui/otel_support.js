// OpenTelemetry tracing into the real vigil server through the real npm OTLP exporters: one
// tracer provider per exporter, spans exported as each one ends (so a run's children reach the
// server before its root span, as they do from a long-running agent).
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DEV_KEY } from './harness.js';

export { SpanStatusCode };

// Libraries that nest their spans through the active context (the Vercel AI SDK) need a context
// manager, as a Node application's OpenTelemetry setup registers one.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

export const ENCODINGS = [
  { name: 'json', Exporter: JsonExporter },
  { name: 'protobuf', Exporter: ProtoExporter },
];

// A tracer exporting to `base`/v1/traces with the dev key, as OTEL_EXPORTER_OTLP_* would set up.
export function makeTracing(base, Exporter, key = DEV_KEY) {
  const exporter = new Exporter({ url: `${base}/v1/traces`, headers: { Authorization: `Bearer ${key}` } });
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, tracer: provider.getTracer('vigil-otlp-test'), flush: () => provider.forceFlush() };
}

// The SDK stamps a span's start with Date.now(), so spans started within one millisecond tie (and
// the server then orders them by span id). Each span here starts 10 ms after the one before, in
// the past so that its end (the real clock) comes after it.
let clock = Date.now() - 30 * 1000;

// Starts a span under `parent` (none = a root span).
export function startSpan(tracer, name, attributes, parent) {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  clock += 10;
  return tracer.startSpan(name, { attributes, startTime: clock }, ctx);
}

export function executionIdOf(span) {
  return `otel-${span.spanContext().traceId}`;
}

export function chatAttributes(model, user, answer, input = 100, output = 20) {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': model,
    'gen_ai.usage.input_tokens': input,
    'gen_ai.usage.output_tokens': output,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: user }] }]),
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]),
  };
}

export function toolAttributes(name, args, result) {
  return {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': name,
    'gen_ai.tool.call.arguments': JSON.stringify(args),
    'gen_ai.tool.call.result': result,
  };
}
