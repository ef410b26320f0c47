/** Why an execution was halted (docs/protocol.md#what-vigils-sdks-send). */
export type HaltTrigger = "wall_clock" | "step_count" | "token_total" | "cost" | "remote_signal";

/**
 * Thrown into the agent when its execution must stop: a local budget is exhausted or a halt was
 * requested through the server (`POST /executions/{id}/halt`). It is thrown at the next SDK call
 * point inside the wrapped function (`emitLlmCall`, a `tool`-wrapped call, `checkpoint`,
 * `validatorResult`, an instrumented client call, a nested `wrap`), and rethrown by `wrap`, which
 * reports the execution as `halted` with crash signature `halt:<trigger>`.
 */
export class VigilHalt extends Error {
  override readonly name = "VigilHalt";
  readonly trigger: HaltTrigger;
  readonly reason: string;
  /** The execution whose budget or halt request caused this halt. */
  readonly executionId: string;

  constructor(trigger: HaltTrigger, reason: string, executionId: string) {
    super(`Vigil halted execution ${executionId} (${trigger}): ${reason}`);
    this.trigger = trigger;
    this.reason = reason;
    this.executionId = executionId;
  }
}
