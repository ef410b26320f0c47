// Plain domain types shared by server/, storage/ and detectors/.
//
// No SQLite, JSON or HTTP here: these are aggregates that every layer can build and read. Times are
// integer milliseconds since the Unix epoch (UTC); a value of 0 or an empty string means "not
// provided" exactly as on the wire (docs/api.md#json-bodies), so optional fields are plain values,
// not wrappers, unless absence and zero must be told apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/values.h"

namespace vigil {

// Per-execution budget declared by the SDK (docs/detection.md#per-execution-budgets). Absent limits
// are std::nullopt.
struct Budget {
  std::optional<int64_t> max_duration_ms;
  std::optional<int64_t> max_steps;
  std::optional<int64_t> max_llm_calls;
  std::optional<double> max_cost_usd;
  std::optional<bool> auto_halt;
  bool Empty() const {
    return !max_duration_ms && !max_steps && !max_llm_calls && !max_cost_usd && !auto_halt;
  }
};

// One execution as stored (after the merge rule of docs/protocol.md#the-merge-rule).
struct Execution {
  std::string project_id;
  std::string execution_id;
  std::string parent_execution_id;
  // The agent's name as its SDK reports it (the wrapped function's name, or one given explicitly):
  // the key of its baseline (docs/detection.md). "" = not sent; Mesedi SDKs never send one.
  std::string name;
  ExecutionStatus status = ExecutionStatus::kStarted;
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;
  int64_t duration_ms = 0;
  int64_t total_tokens_in = 0;
  int64_t total_tokens_out = 0;
  double estimated_cost_usd = 0;
  std::string input_summary;
  std::string output_summary;
  std::string crash_signature;
  std::string sdk_version;
  std::string sdk_language;
  std::string failure_group_id;
  std::optional<Budget> budget;
  // Why the execution was halted, in words: the reason of a halt requested on the server (POST
  // /executions/{id}/halt or auto-halt), or the one an SDK sent with its terminal status. "" =
  // none.
  std::string halt_reason;
  int64_t halt_requested_at_ms = 0;
  // The agent's build identity (docs/protocol.md#build-identity): "" = not sent.
  std::string code_version;
  std::string container_digest;
};

// Payload fields the detectors read (docs/protocol.md#event-types-and-payloads, the starred fields,
// and the extensions of docs/protocol.md). Extracted once from the payload JSON by the codec so
// detectors never parse JSON. A field is set only when present with the right JSON type (and, for
// context_sha256, the right form); detectors skip events whose field is missing.
//
// Two extractions fill it. ExtractPayloadFields (a stored payload, for a final pass) sets every
// field. ParseEventBatch (a POST /events batch, for ingestion and the live pass) sets only the
// model, the token counts (with their cached and reasoning parts) and, when detection is on, the
// numbers the live loop detectors compare (identical_call_hash, context_digest, response_digest,
// no_user_message and asked_for_tools on an llm_call; tool_call_hash and tool_result_digest
// on a tool_call): a detector that starts reading another field in the live pass must have
// ParseEventBatch extract it too.
struct PayloadFields {
  std::optional<std::string> model;
  std::optional<std::string> system_prompt;
  std::optional<std::string> user_message;
  std::optional<std::string> response_text;  // llm_call
  std::optional<std::string> status;         // tool_call / llm_call "ok" | "failed"
  std::optional<std::string> tool_name;      // tool_call
  // tool_call: the tool's output as our SDKs send it (at most 16 KiB), and the short summary every
  // SDK sends. The prompt-injection detector reads result_text, else result_summary.
  std::optional<std::string> result_text;
  std::optional<std::string> result_summary;
  // llm_call: the tool results the call's input ends with (the tool-role messages after its last
  // assistant message), as the OTLP mapping fills it from an LLM span's input messages
  // (docs/otlp.md#messages). Read by the prompt-injection detector like a tool_call's result.
  std::optional<std::string> tool_results_text;
  std::optional<std::string> name;      // validator_result
  std::optional<int64_t> input_tokens;  // integer JSON numbers only
  std::optional<int64_t> output_tokens;
  // llm_call: the part of input_tokens read from the prompt cache, and the part of output_tokens
  // spent on hidden reasoning (docs/protocol.md#cached-and-reasoning-tokens). Priced, not detected.
  std::optional<int64_t> cached_input_tokens;
  std::optional<int64_t> reasoning_tokens;
  // validator_result: true when `passed` is JSON false or numeric 0.
  bool passed_is_false = false;
  // The identical-call hash of this llm_call (IdenticalCallHash), precomputed by ParseEventBatch
  // and kept by the live pass cache. Absent = the detector computes it from model and message.
  std::optional<uint32_t> identical_call_hash;
  // llm_call: the first 8 bytes (big-endian) of a well-formed `context_sha256`, the digest of the
  // call's whole request; two calls with equal digests sent the model the same input.
  std::optional<uint64_t> context_digest;
  // llm_call: ContentDigest of `response_text`, when that is a string.
  std::optional<uint64_t> response_digest;
  // llm_call: it carries no user_message, or an empty one. Set by both extractions (ingestion
  // keeps no message text) and kept by the live pass cache: a call that says neither what it was
  // asked nor its whole request repeats nothing (detectors/loop_context.h).
  bool no_user_message = false;
  // llm_call: it did not fail, and it asked for tools (a non-empty `tool_calls`) or answered an
  // empty response_text (a tool request, as the SDKs record one). Set by both extractions and kept
  // by the live pass cache: the tool results such an answer asks for join the next call's context.
  bool asked_for_tools = false;
  // tool_call: ToolCallHash of `tool_name` and the minified `arguments`, when tool_name is a
  // string.
  std::optional<uint32_t> tool_call_hash;
  // tool_call: ToolResultDigest of its status and result; absent when the event carries no result
  // (no result_text, result_summary or exception), so a loop cannot be told from progress.
  std::optional<uint64_t> tool_result_digest;
};

// One stored event.
struct Event {
  std::string event_id;
  std::string execution_id;
  std::string event_type;              // as sent: any type is accepted and kept
  EventType type = EventType::kOther;  // EventTypeOf(event_type), set where events are read
  int64_t sequence = 0;
  int64_t timestamp_ms = 0;
  int64_t duration_ms = 0;   // 0 = not provided
  std::string payload_json;  // minified JSON; "null" when absent
  int64_t arrival = 0;       // insertion order, breaks sequence ties
  PayloadFields fields;
};

// Removes events whose id already appeared earlier in `events` (first write wins,
// docs/api.md#send-events) and returns how many were removed; they count as duplicates. Keeps the
// order of the rest.
size_t RemoveRepeatedEventIds(std::vector<Event>* events);

}  // namespace vigil
