#include "domain/tlog/execution_entry.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstdlib>

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
  TranscriptHasher hasher;
  for (const std::string& ev : canonical_events) hasher.Add(ev);
  return hasher.Hex();
}

TranscriptHasher::TranscriptHasher() : ctx_(EVP_MD_CTX_new()) {
  // Fetched once: OpenSSL 3 looks an implicitly named algorithm up on every init (domain/hash.cc).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  streaming_ = md != nullptr && ctx_ != nullptr && EVP_DigestInit_ex2(ctx_, md, nullptr) == 1;
  if (!streaming_) ERR_clear_error();
}

TranscriptHasher::~TranscriptHasher() { EVP_MD_CTX_free(ctx_); }

void TranscriptHasher::Add(std::string_view canonical_event) {
  if (!streaming_) {
    // Without a context the transcript is hashed in one piece at the end: the same digest.
    whole_.append(canonical_event).push_back('\n');
    return;
  }
  // A context that accepted its init does not fail on more bytes; should it, half a transcript
  // has been hashed and no digest is right: stop rather than seal a wrong one.
  if (EVP_DigestUpdate(ctx_, canonical_event.data(), canonical_event.size()) != 1 ||
      EVP_DigestUpdate(ctx_, "\n", 1) != 1) {
    std::abort();
  }
}

std::string TranscriptHasher::Hex() {
  if (!streaming_) return Sha256Hex(whole_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1 || len != 32) std::abort();
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace vigil::tlog
