// Outgoing webhooks (docs/api.md#webhooks): creating endpoints, queuing a message when a failure
// group is created, and the background sender that delivers the outbox.
//
// Delivery that survives: messages are rows of webhook_outbox, queued in the same transaction
// that creates the group or reopens it (Detection's group hook), so each creation and each
// regression fires exactly once and a crash or restart loses nothing. Sender threads scan the
// outbox for due rows, make one signed attempt each (connecting to the address that passed the SSRF
// check, 15 s bound enforced by a watchdog, redirects not followed), and record the attempt through
// ordinary Store::Write jobs; they never hold the writer while waiting on a receiver, so a slow or
// dead receiver cannot slow ingestion. Delivery is at least once: an attempt cut short by shutdown
// is made again after the restart (receivers deduplicate on webhook-id).
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/secret_box.h"
#include "domain/shares.h"
#include "domain/webhook.h"
#include "server/app/config.h"
#include "server/http/metrics.h"
#include "server/webhooks/address.h"
#include "storage/store.h"

namespace httplib {
class Client;
}

namespace vigil {

// The configured master keys.
SecretBox SecretBoxFromConfig(const Config& config);

struct ReencryptReport {
  int64_t total = 0;        // sealed secrets found
  int64_t reencrypted = 0;  // moved from a previous key to VIGIL_MASTER_KEY
};
// Start-up step 3 (docs/operations.md#start-up-and-shutdown) and `vigil reencrypt`: every stored
// secret must open under a configured key (else Unavailable naming how many do not, and nothing is
// changed); those under a previous key are re-sealed under the current one.
Result<ReencryptReport> ReencryptStoredSecrets(Store& store, const SecretBox& box);

// One attempt's result (docs/api.md#delivery-and-retries).
struct WebhookAttemptResult {
  bool delivered = false;
  bool retryable = false;  // 408, 429, 5xx, transport error, timeout
  bool disable = false;    // 410
  std::optional<int64_t> http_status;
  std::string error;
  std::string response_body;  // first 2048 bytes (+ "…[truncated]")
  int64_t duration_ms = 0;
  int64_t retry_after_ms = 0;  // Retry-After of a 429/503
};

class WebhookService {
 public:
  WebhookService(Store* store, const Config& config);
  ~WebhookService();
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // Counts delivery attempts by outcome (optional).
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  // Starts the sender threads and the attempt watchdog.
  void Start();
  // Stops them, cutting in-flight attempts short (their messages stay queued). Idempotent.
  void Stop();

  // Whether secrets can be stored (VIGIL_MASTER_KEY set).
  bool configured() const { return box_.configured(); }

  // The group hook: inside the transaction that created a group (kCreated) or reopened a resolved
  // one because it recurred (kRegressed), queues one message per enabled webhook of the project
  // whose enabled_classes is empty or holds the finding's class. kNone queues nothing.
  Status OnGroupChange(WriteTxn& txn, int64_t project, const std::string& project_id,
                       GroupChange change, const StoredFinding& finding,
                       const std::string& execution_id, int64_t now_ms);

  struct Created {
    WebhookRow row;
    std::string secret;  // the only time it exists in plaintext outside a delivery
  };
  // POST /webhooks after body validation: Unavailable without a master key, InvalidArgument when
  // the URL resolves to a non-public address, Conflict past the per-project bound.
  Result<Created> Create(int64_t project, const std::string& project_id, WebhookRow row,
                         const WebhookUrl& url, int64_t now_ms);

  struct TestResult {
    std::string delivery_id;
    WebhookAttemptResult attempt;
    std::string payload;  // the body sent (JSON)
  };
  // A place for one test send of `project` (docs/api.md#test-a-webhook), given back when the handle
  // is dropped: RateLimited when the project has limits::kMaxWebhookTestsPerProject under way,
  // Overloaded when the server has limits::kMaxWebhookTestsInFlight.
  Result<std::shared_ptr<void>> AcquireTestSlot(int64_t project);

  // POST /webhooks/{id}/test: one synchronous attempt of a test message, logged. nullopt = no such
  // webhook in the project.
  Result<std::optional<TestResult>> SendTest(int64_t project, const std::string& project_id,
                                             const std::string& webhook_id, int64_t now_ms);

  // Delay before attempt `attempt + 1`: min(base × 4^(attempt−1), 10 h) × uniform[0.75, 1.25], or
  // a larger Retry-After (≤ 10 h). Exposed for tests.
  static int64_t RetryDelayMs(int64_t base_ms, int64_t attempt, int64_t retry_after_ms,
                              double jitter01);

  // The message a free sender takes from a scan `due` (earliest due first): one not in `in_flight`
  // whose project has room in `busy`, of the project with the fewest attempts under way, so
  // projects take turns (docs/operations.md#webhook-delivery-shares). nullptr when there is none.
  // Exposed for tests.
  static const DueWebhookMessage* PickDue(const std::vector<DueWebhookMessage>& due,
                                          const std::set<int64_t>& in_flight,
                                          const ProjectShares& busy);

 private:
  void SenderLoop();
  void WatchdogLoop();
  void Wake();
  void Process(const DueWebhookMessage& due);
  // One attempt at a due message: refused without an attempt when it is past `give_up_at` or its
  // endpoint's URL or secret cannot be used, else Attempt.
  WebhookAttemptResult Deliver(const DueWebhookMessage& due, int64_t give_up_at);
  // One POST of `body` to `url`, signed with `secret` (both already validated).
  WebhookAttemptResult Attempt(const WebhookUrl& url, const std::string& body,
                               const std::string& secret, const std::string& delivery_id);
  // Logs a recorded attempt; a disabled endpoint also gets an audit row.
  void Report(const DueWebhookMessage& due, const WebhookAttemptRow& row,
              const WebhookAttemptResult& result);
  // Registers an attempt for the watchdog; nullopt once Stop has begun (no attempt may start).
  std::optional<uint64_t> Register(httplib::Client* client,
                                   std::chrono::steady_clock::time_point start);
  // Ends an attempt's registration; true when the watchdog or Stop cut it.
  bool Unregister(uint64_t running_id);

  Store* store_;
  Metrics* metrics_ = nullptr;
  SecretBox box_;
  std::string dashboard_url_;
  bool allow_private_;
  int64_t max_attempts_;
  int64_t max_age_ms_;
  int64_t retry_base_ms_;
  std::string ca_file_;

  // Senders scan and claim under mu_, and release a claim under it only after the attempt is
  // recorded, so a scan never sees a message another sender is still working on as claimable.
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  std::atomic<bool> stop_{false};
  // Bumped by Wake without taking mu_: the group-created hook runs on the writer thread, which
  // must never wait for a sender. A wake-up lost to that race costs at most one poll interval.
  std::atomic<uint64_t> wake_gen_{0};
  std::set<int64_t> in_flight_;  // outbox rows being attempted
  ProjectShares busy_;           // senders at work, per project
  std::vector<std::thread> senders_;
  std::thread watchdog_;

  std::mutex tests_mu_;
  ProjectShares tests_;  // test sends under way

  // Attempts under way, so the watchdog can cut one past its deadline and Stop can cut them all.
  struct Running {
    httplib::Client* client;
    std::chrono::steady_clock::time_point deadline;
    bool cut = false;
  };
  std::mutex running_mu_;
  std::condition_variable running_cv_;
  bool cut_all_ = false;  // set by Stop: attempts starting later are refused at once
  std::map<uint64_t, Running> running_;
  uint64_t next_running_id_ = 0;
};

}  // namespace vigil
