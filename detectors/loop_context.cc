#include "detectors/loop_context.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "detectors/detector_util.h"
#include "domain/hash.h"

namespace vigil {

uint32_t IdenticalCallHashOf(const Event& event) {
  return event.fields.identical_call_hash
             ? *event.fields.identical_call_hash
             : IdenticalCallHash(event.fields.model.value_or(""),
                                 event.fields.user_message.value_or(""));
}

std::vector<CallIdentity> CallIdentities(const std::vector<Event>& events, bool context_aware) {
  std::vector<CallIdentity> calls;
  uint32_t epoch = 0;
  std::optional<uint64_t> last_response;
  for (const Event& event : events) {
    if (event.type == EventType::kToolCall) {
      ++epoch;
      continue;
    }
    if (event.type != EventType::kLlmCall) continue;
    if (calls.size() == UINT32_MAX) break;  // positions have 32 bits (never near, in practice)
    CallIdentity call;
    call.key = IdenticalCallHashOf(event);
    call.position = static_cast<uint32_t>(calls.size());
    const bool asked = !event.fields.no_user_message &&
                       !(event.fields.user_message && event.fields.user_message->empty());
    if (context_aware && event.fields.context_digest) {
      call.kind = 1;
      call.value = *event.fields.context_digest;
    } else if (context_aware && !asked) {
      call.kind = 2;  // nothing says what it asked: a repeat of nothing else
      call.value = call.position;
    } else {
      call.value = context_aware ? uint64_t{call.key} << 32 | epoch : call.key;
    }
    calls.push_back(call);
    // An answer that asked for tools: their results come next.
    if (context_aware && event.fields.asked_for_tools) {
      ++epoch;
      continue;
    }
    // The response joins the context of the next call only if it says something new.
    const std::optional<uint64_t>& response = event.fields.response_digest;
    if (context_aware && response) {
      if (last_response && *last_response != *response) ++epoch;
      last_response = response;
    }
  }
  return calls;
}

std::string LoopSignature(std::string_view prefix, uint32_t key) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, key);
  return std::string(prefix) + hex;
}

uint32_t ToolCallHash(std::string_view tool_name, std::string_view arguments_json) {
  return Sha256First32({tool_name, std::string_view("\0", 1), arguments_json});
}

std::optional<uint64_t> ToolResultDigest(std::string_view status,
                                         std::optional<std::string_view> result_text,
                                         std::optional<std::string_view> result_summary,
                                         std::optional<std::string_view> exception_type,
                                         std::optional<std::string_view> exception_message) {
  const std::string_view nul("\0", 1);
  // A tag per source keeps a summary from ever equalling a full text that happens to read alike.
  if (result_text) return Sha256First64({status, nul, "text", nul, *result_text});
  if (result_summary) return Sha256First64({status, nul, "summary", nul, *result_summary});
  if (exception_type || exception_message) {
    return Sha256First64({status, nul, "exception", nul, exception_type.value_or(""), nul,
                          exception_message.value_or("")});
  }
  return std::nullopt;
}

uint64_t ContentDigest(std::string_view text) { return Sha256First64({text}); }

std::optional<uint64_t> ParseContextSha256(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (i < 16) value = value << 4 | digit;
  }
  return value;
}

}  // namespace vigil
