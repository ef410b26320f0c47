// What the log records of an execution: one RFC 8785 JSON object of digests and identifiers, never
// message text (docs/transparency.md#entries). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace vigil::tlog {

// Entries are bounded by the uint16 length prefix of C2SP entry bundles.
constexpr size_t kMaxEntryBytes = 65535;

struct SealedFinding {
  std::string detector;
  std::string failure_class;
  std::string signature;
  std::string evidence_sha256;  // SHA-256 hex of the finding's evidence text
};

struct ExecutionEntry {
  std::string project_id;
  std::string execution_id;
  std::string name;    // "" = not sent (written as "")
  std::string status;  // the terminal status sent
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;
  int64_t total_tokens_in = 0;
  int64_t total_tokens_out = 0;
  double estimated_cost_usd = 0;
  std::string code_version;         // omitted when ""
  std::string container_digest;     // omitted when ""
  std::vector<std::string> models;  // distinct, sorted
  int64_t event_count = 0;
  std::string transcript_sha256;
  std::vector<SealedFinding> findings;
  std::string policy_sha256;
};

// The entry's canonical bytes.
std::string EntryBytes(const ExecutionEntry& e);

// SHA-256 hex over a transcript: each event's canonical bytes followed by a newline, in order.
// `canonical_events` are the events' RFC 8785 forms (docs/transparency.md#transcript).
std::string TranscriptSha256(const std::vector<std::string>& canonical_events);

// TranscriptSha256 one event at a time, so that no transcript is held whole. Not thread-safe.
class TranscriptHasher {
 public:
  TranscriptHasher();
  ~TranscriptHasher();
  TranscriptHasher(const TranscriptHasher&) = delete;
  TranscriptHasher& operator=(const TranscriptHasher&) = delete;

  void Add(std::string_view canonical_event);
  std::string Hex();  // call once, after the last Add

 private:
  EVP_MD_CTX* ctx_;
  bool streaming_ = false;
  std::string whole_;  // the transcript itself, when no hashing context could be set up
};

}  // namespace vigil::tlog
