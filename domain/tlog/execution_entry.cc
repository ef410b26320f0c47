#include "domain/tlog/execution_entry.h"

#include <openssl/evp.h>

#include <memory>

#include "domain/hash.h"
#include "domain/tlog/canonical_json.h"

namespace vigil::tlog {

std::string EntryBytes(const ExecutionEntry& e) {
  JsonValue findings = JsonValue::Array();
  for (const SealedFinding& f : e.findings) {
    findings.Push(JsonValue::Object()
                      .Set("detector", JsonValue::String(f.detector))
                      .Set("failure_class", JsonValue::String(f.failure_class))
                      .Set("signature", JsonValue::String(f.signature))
                      .Set("evidence_sha256", JsonValue::String(f.evidence_sha256)));
  }
  JsonValue models = JsonValue::Array();
  for (const std::string& m : e.models) models.Push(JsonValue::String(m));
  JsonValue o = JsonValue::Object();
  o.Set("type", JsonValue::String("execution"))
      .Set("project_id", JsonValue::String(e.project_id))
      .Set("execution_id", JsonValue::String(e.execution_id))
      .Set("name", JsonValue::String(e.name))
      .Set("status", JsonValue::String(e.status))
      .Set("started_at_ms", JsonValue::Int(e.started_at_ms))
      .Set("ended_at_ms", JsonValue::Int(e.ended_at_ms))
      .Set("total_tokens_in", JsonValue::Int(e.total_tokens_in))
      .Set("total_tokens_out", JsonValue::Int(e.total_tokens_out))
      .Set("estimated_cost_usd", JsonValue::Number(e.estimated_cost_usd))
      .Set("models", std::move(models))
      .Set("event_count", JsonValue::Int(e.event_count))
      .Set("transcript_sha256", JsonValue::String(e.transcript_sha256))
      .Set("findings", std::move(findings))
      .Set("policy_sha256", JsonValue::String(e.policy_sha256));
  if (!e.code_version.empty()) o.Set("code_version", JsonValue::String(e.code_version));
  if (!e.container_digest.empty()) {
    o.Set("container_digest", JsonValue::String(e.container_digest));
  }
  return o.Canonical();
}

std::string TranscriptSha256(const std::vector<std::string>& canonical_events) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (const std::string& ev : canonical_events) {
    ok = ok && EVP_DigestUpdate(ctx.get(), ev.data(), ev.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), "\n", 1) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1 && len == 32;
  if (!ok) {
    // Hashing in one piece gives the same digest; it only costs a copy of the transcript.
    std::string joined;
    for (const std::string& ev : canonical_events) joined += ev + "\n";
    return Sha256Hex(joined);
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace vigil::tlog
