import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenLocal } from "./fake_server.js";

// A stand-in for the OpenAI and Anthropic HTTP APIs on 127.0.0.1, for driving the real npm clients
// offline: it answers chat completions, responses and messages, streamed or not, with the usage
// the providers report (cached and reasoning parts included). Tests queue the answers.

/** What one model turn says: text, or tool calls, and the usage it reports. */
export interface FakeTurn {
  model: string;
  text?: string;
  toolCalls?: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
  /** Anthropic only: input written to the prompt cache. */
  cacheWriteTokens?: number;
  /** Only for this API's requests (default: the next request of any API). */
  api?: Api;
  /** Streamed: the stream breaks off with the provider's error event after this many events. */
  failAfter?: number;
  /** A streamed Responses API answer ends in `response.failed` instead of `response.completed`. */
  responseFailed?: boolean;
}

/** One request the fake API received. */
export interface LlmRequest {
  path: string;
  body: any;
}

/** The APIs answered: chat completions, responses, messages. */
export type Api = "chat" | "responses" | "messages";

function routeOf(path: string): Api | undefined {
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages")) return "messages";
  return undefined;
}

function chatCompletion(t: FakeTurn): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content: t.text ?? null, refusal: null };
  if (t.toolCalls) {
    message.tool_calls = t.toolCalls.map((c) => ({
      id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
  }
  return {
    id: "chatcmpl-fake", object: "chat.completion", created: 1_700_000_000, model: t.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: t.toolCalls ? "tool_calls" : "stop" }],
    usage: chatUsage(t),
  };
}

function chatUsage(t: FakeTurn): Record<string, unknown> {
  return {
    prompt_tokens: t.inputTokens, completion_tokens: t.outputTokens, total_tokens: t.inputTokens + t.outputTokens,
    prompt_tokens_details: { cached_tokens: t.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: t.reasoningTokens ?? 0 },
  };
}

/** A streamed chat completion: the text in two deltas, each tool call's arguments in two, then the usage chunk if asked for. */
function chatChunks(t: FakeTurn, includeUsage: boolean): unknown[] {
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model: t.model };
  const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] });
  const [first, second] = halves(t.text ?? "");
  const calls = (t.toolCalls ?? []).flatMap((c, index) => {
    const [a, b] = halves(JSON.stringify(c.arguments));
    return [
      delta({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }),
      delta({ tool_calls: [{ index, function: { arguments: a } }] }),
      delta({ tool_calls: [{ index, function: { arguments: b } }] }),
    ];
  });
  return [
    delta({ role: "assistant", content: first }),
    delta({ content: second }),
    ...calls,
    delta({}, t.toolCalls ? "tool_calls" : "stop"),
    ...(includeUsage ? [{ ...base, choices: [], usage: chatUsage(t) }] : []),
  ];
}

function halves(text: string): [string, string] {
  const half = Math.ceil(text.length / 2);
  return [text.slice(0, half), text.slice(half)];
}

function response(t: FakeTurn, instructions: unknown): Record<string, unknown> {
  const output: unknown[] = [];
  if (t.text !== undefined) {
    output.push({
      type: "message", id: "msg_fake", status: "completed", role: "assistant",
      content: [{ type: "output_text", text: t.text, annotations: [] }],
    });
  }
  for (const c of t.toolCalls ?? []) {
    output.push({
      type: "function_call", id: `fc_${c.id}`, call_id: c.id, name: c.name,
      arguments: JSON.stringify(c.arguments), status: "completed",
    });
  }
  return {
    id: `resp_fake_${Math.random().toString(16).slice(2)}`, object: "response", created_at: 1_700_000_000,
    status: "completed", model: t.model, instructions: instructions ?? null, output,
    output_text: t.text ?? "", parallel_tool_calls: true, tool_choice: "auto", tools: [],
    usage: {
      input_tokens: t.inputTokens, input_tokens_details: { cached_tokens: t.cachedTokens ?? 0 },
      output_tokens: t.outputTokens, output_tokens_details: { reasoning_tokens: t.reasoningTokens ?? 0 },
      total_tokens: t.inputTokens + t.outputTokens,
    },
  };
}

/** Anthropic's usage: `input_tokens` leaves out what was read from or written to the cache. */
function anthropicUsage(t: FakeTurn): Record<string, number> {
  const cached = t.cachedTokens ?? 0;
  const written = t.cacheWriteTokens ?? 0;
  return {
    input_tokens: t.inputTokens - cached - written, output_tokens: t.outputTokens,
    cache_read_input_tokens: cached, cache_creation_input_tokens: written,
  };
}

function message(t: FakeTurn): Record<string, unknown> {
  const content: unknown[] = [];
  if (t.text !== undefined) content.push({ type: "text", text: t.text });
  for (const c of t.toolCalls ?? []) content.push({ type: "tool_use", id: c.id, name: c.name, input: c.arguments });
  return {
    id: "msg_fake", type: "message", role: "assistant", model: t.model, content,
    stop_reason: t.toolCalls ? "tool_use" : "end_turn", stop_sequence: null, usage: anthropicUsage(t),
  };
}

/** A streamed message as Anthropic sends it: named SSE events, usage at the start and the end. */
function messageEvents(t: FakeTurn): Array<[string, unknown]> {
  const usage = anthropicUsage(t);
  const [first, second] = halves(t.text ?? "");
  const delta = (index: number, d: Record<string, unknown>): [string, unknown] => ["content_block_delta", { type: "content_block_delta", index, delta: d }];
  const tools = (t.toolCalls ?? []).flatMap((c, i): Array<[string, unknown]> => {
    const [a, b] = halves(JSON.stringify(c.arguments));
    return [
      ["content_block_start", { type: "content_block_start", index: i + 1, content_block: { type: "tool_use", id: c.id, name: c.name, input: {} } }],
      delta(i + 1, { type: "input_json_delta", partial_json: a }),
      delta(i + 1, { type: "input_json_delta", partial_json: b }),
      ["content_block_stop", { type: "content_block_stop", index: i + 1 }],
    ];
  });
  return [
    ["message_start", { type: "message_start", message: { ...message({ ...t, text: undefined, toolCalls: undefined }), content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    delta(0, { type: "text_delta", text: first }),
    delta(0, { type: "text_delta", text: second }),
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ...tools,
    ["message_delta", { type: "message_delta", delta: { stop_reason: t.toolCalls ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: t.outputTokens } }],
    ["message_stop", { type: "message_stop" }],
  ];
}

/** A streamed Responses API answer: the output items as they open, fill and close, then the whole response. */
function responseEvents(t: FakeTurn): Array<[string, Record<string, unknown>]> {
  const done = response(t, null) as Record<string, any>;
  const events: Array<[string, Record<string, unknown>]> = [["response.created", { response: { ...done, status: "in_progress", output: [] } }]];
  (done.output as Array<Record<string, any>>).forEach((item, output_index) => {
    if (item.type === "message") {
      events.push(["response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } }]);
      events.push(["response.content_part.added", { output_index, item_id: item.id, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }]);
      for (const delta of halves(t.text ?? "")) {
        events.push(["response.output_text.delta", { output_index, item_id: item.id, content_index: 0, delta, logprobs: [] }]);
      }
      events.push(["response.output_text.done", { output_index, item_id: item.id, content_index: 0, text: t.text ?? "", logprobs: [] }]);
      events.push(["response.content_part.done", { output_index, item_id: item.id, content_index: 0, part: item.content[0] }]);
    } else {
      events.push(["response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } }]);
      for (const delta of halves(item.arguments)) {
        events.push(["response.function_call_arguments.delta", { output_index, item_id: item.id, delta }]);
      }
      events.push(["response.function_call_arguments.done", { output_index, item_id: item.id, arguments: item.arguments }]);
    }
    events.push(["response.output_item.done", { output_index, item }]);
  });
  if (t.responseFailed) {
    events.push(["response.failed", { response: { ...done, status: "failed", error: { code: "server_error", message: "The model crashed" } } }]);
  } else events.push(["response.completed", { response: done }]);
  return events;
}

/** The fake API: queue turns with `queue()`, point a client's base URL at `baseUrl`. */
export class FakeLlmApi {
  readonly requests: LlmRequest[] = [];
  private readonly turns: FakeTurn[] = [];
  private server: Server | undefined;
  private port = 0;

  /** The OpenAI clients' base URL (they append `/chat/completions`, `/responses`). */
  get openaiBaseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** The Anthropic client's base URL (it appends `/v1/messages`). */
  get anthropicBaseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    this.port = await listenLocal(server);
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  /** The next requests are answered with these turns, in order (a turn with `api` waits for its API). */
  queue(...turns: FakeTurn[]): void {
    this.turns.push(...turns);
  }

  /** Drops the turns no request took (so one test's leftovers cannot answer the next test). */
  clear(): void {
    this.turns.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0] as string;
      let body: any = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        // answered below like any unknown request
      }
      this.requests.push({ path, body });
      const api = routeOf(path);
      const index = this.turns.findIndex((t) => t.api === undefined || t.api === api);
      const turn = index >= 0 ? this.turns.splice(index, 1)[0] : undefined;
      if (req.method !== "POST" || !api || !turn) {
        res.writeHead(api ? 500 : 404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: turn ? "unknown route" : "no answer queued", type: "fake" } }));
        return;
      }
      if (body.stream === true) this.stream(res, api, turn, body.stream_options?.include_usage === true);
      else this.json(res, api, turn, body);
    });
  }

  private json(res: ServerResponse, api: Api, turn: FakeTurn, body: any): void {
    const reply = api === "chat" ? chatCompletion(turn) : api === "responses" ? response(turn, body.instructions) : message(turn);
    res.writeHead(200, { "Content-Type": "application/json", "x-request-id": "req_fake" });
    res.end(JSON.stringify(reply));
  }

  private stream(res: ServerResponse, api: Api, turn: FakeTurn, includeUsage: boolean): void {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    let events: Array<[string | undefined, unknown]>;
    if (api === "chat") events = chatChunks(turn, includeUsage).map((c) => [undefined, c]);
    else if (api === "messages") events = messageEvents(turn);
    else events = responseEvents(turn).map(([name, e], sequence_number) => [name, { type: name, sequence_number, ...e }]);
    const failAt = turn.failAfter ?? Infinity;
    for (const [i, [name, data]] of events.entries()) {
      if (i === failAt) {
        // The providers' error events: an `error` field in a chat chunk, a named `error` event otherwise.
        const error = { type: "overloaded_error", message: "Overloaded" };
        res.end(api === "chat" ? `data: ${JSON.stringify({ error })}\n\n` : `event: error\ndata: ${JSON.stringify({ type: "error", error })}\n\n`);
        return;
      }
      res.write(`${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
    }
    res.end(api === "chat" ? "data: [DONE]\n\n" : "");
  }
}
