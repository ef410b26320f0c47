/**
 * Vigil SDK for Node.js: records AI-agent executions (LLM calls, tool calls, checkpoints,
 * validator results) and ships them to a Vigil server in the background; enforces per-execution
 * budgets and remote halts.
 */
export { configure, flush, stats } from "./client.js";
export {
  wrap,
  tool,
  checkpoint,
  validatorResult,
  emitLlmCall,
  currentSignal,
  currentExecutionId,
  checkHalt,
} from "./api.js";
export type { WrapOptions, ToolOptions, LlmCall, LlmToolCall, ValidatorOptions } from "./api.js";
export { canonicalJson, contextSha256 } from "./context.js";
export { instrumentAnthropic } from "./adapters/anthropic.js";
export type { MessagesClassLike } from "./adapters/anthropic.js";
export { Budget } from "./budget.js";
export type { BudgetOptions } from "./budget.js";
export { VigilHalt } from "./halt.js";
export type { HaltTrigger } from "./halt.js";
export { VigilConfigError } from "./config.js";
export type { ConfigureOptions } from "./config.js";
export type { ShipperStats } from "./shipper.js";
export { SDK_VERSION } from "./version.js";
export { MesediClient, EventType, Status } from "./mesedi.js";
export type { Event, EventInput, Execution, MesediClientOptions } from "./mesedi.js";
export { CertificateError, verifyCertificate, verifyNote } from "./transparency.js";
export type { Certificate, VerificationStep, VerifiedCertificate } from "./transparency.js";
