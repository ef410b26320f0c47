/**
 * The Mesedi SDK's names for advanced use: an explicit client with its own configuration and its own
 * shipper, and the wire types of docs/protocol.md (executions, events, their types and statuses).
 * `wrap`, `tool` and the adapters keep recording through the process client of `configure`.
 */
import { resolveConfig, type ConfigureOptions, type ResolvedConfig } from "./config.js";
import { isoNow, newEventId, newExecutionId } from "./ids.js";
import { Shipper, type ShipperStats } from "./shipper.js";
import { SDK_LANGUAGE, SDK_VERSION } from "./version.js";

/** The event types that have a meaning (docs/protocol.md#event-types-and-payloads). */
export const EventType = {
  LLM_CALL: "llm_call",
  TOOL_CALL: "tool_call",
  CHECKPOINT: "checkpoint",
  EXCEPTION: "exception",
  VALIDATOR_RESULT: "validator_result",
  DRIFT_SIGNAL: "drift_signal",
  INJECTION_ALERT: "injection_alert",
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Execution statuses (docs/protocol.md#execution-fields); every one but `started` is terminal. */
export const Status = {
  STARTED: "started",
  COMPLETED: "completed",
  CRASHED: "crashed",
  HALTED: "halted",
  TIMEOUT: "timeout",
  VALIDATION_FAILED: "validation_failed",
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** One element of a `POST /events` body, as it travels (docs/protocol.md#events). */
export interface Event {
  event_id: string;
  execution_id: string;
  /** One of `EventType`, or any other text (the server keeps it). */
  event_type: EventType | (string & {});
  /** Orders the execution's events; the server defaults it to 0. */
  sequence?: number;
  /** RFC 3339; the server defaults it to the time the batch arrived. */
  timestamp?: string;
  duration_ms?: number;
  payload?: unknown;
}

/** An event to send: an `Event` whose `event_id` may be left to the client. */
export type EventInput = Omit<Event, "event_id"> & { event_id?: string };

/** The body of `POST /executions` and `PATCH /executions/{id}` (docs/protocol.md#execution-fields). */
export interface Execution {
  execution_id: string;
  project_id?: string;
  parent_execution_id?: string;
  name?: string;
  status?: Status;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  total_tokens_in?: number;
  total_tokens_out?: number;
  estimated_cost_usd?: number;
  input_summary?: string;
  output_summary?: string;
  crash_signature?: string;
  sdk_version?: string;
  sdk_language?: string;
  budget?: Record<string, unknown>;
  halt_reason?: string;
  code_version?: string;
  container_digest?: string;
}

/** Options of `new MesediClient(...)`: those of `configure`, plus Mesedi's `timeoutMs`. */
export interface MesediClientOptions extends ConfigureOptions {
  /** Per-request timeout, ms: the Mesedi name of `requestTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * An explicit client under the Mesedi SDK's name, for several projects in one process or for
 * sending executions and events by hand. It queues and retries like the process client and never
 * throws into the caller after construction (a bad configuration throws VigilConfigError here).
 */
export class MesediClient {
  readonly config: ResolvedConfig;
  private readonly shipper: Shipper;

  constructor(options: MesediClientOptions = {}) {
    const { timeoutMs, ...rest } = options;
    this.config = resolveConfig({ ...rest, requestTimeoutMs: rest.requestTimeoutMs ?? timeoutMs });
    this.shipper = new Shipper(this.config);
  }

  /**
   * Queues the start of an execution (`POST /executions`) and returns its id. Missing `execution_id`,
   * `status`, `started_at`, `sdk_language` and `sdk_version` are filled in.
   */
  createExecution(execution: Partial<Execution> = {}): string {
    const body: Execution = {
      execution_id: "",
      status: Status.STARTED,
      started_at: isoNow(),
      sdk_language: SDK_LANGUAGE,
      sdk_version: SDK_VERSION,
      ...stripUndefined(execution),
    };
    if (!body.execution_id) body.execution_id = newExecutionId();
    this.shipper.enqueue({ kind: "create", executionId: body.execution_id, body: { ...body } });
    return body.execution_id;
  }

  /** Queues an update of an execution (`PATCH /executions/{id}`), e.g. its terminal status. */
  updateExecution(executionId: string, update: Partial<Execution>): void {
    const body: Record<string, unknown> = { ...stripUndefined(update) };
    delete body.execution_id; // the path names the execution
    if (isTerminal(body.status) && body.ended_at === undefined) body.ended_at = isoNow();
    this.shipper.enqueue({ kind: "patch", executionId, body });
  }

  /** Queues events (`POST /events`, batched); a missing `event_id` or `timestamp` is filled in. */
  sendEvents(events: EventInput | ReadonlyArray<EventInput>): void {
    const list: ReadonlyArray<EventInput> = Array.isArray(events) ? events : [events as EventInput];
    for (const e of list) {
      const body: Record<string, unknown> = { timestamp: isoNow(), ...stripUndefined(e) };
      if (!body.event_id) body.event_id = newEventId();
      this.shipper.enqueue({ kind: "event", executionId: e.execution_id, body });
    }
  }

  /** Resolves true once everything queued so far is sent (or given up), false after `timeoutMs`. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.shipper.flush(timeoutMs);
  }

  /** This client's shipper counters (see `stats()`). */
  stats(): ShipperStats {
    return this.shipper.stats();
  }
}

function isTerminal(status: unknown): boolean {
  return typeof status === "string" && status !== Status.STARTED;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
