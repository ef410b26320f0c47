#include "server/webhooks/webhooks.h"

#include <httplib.h>
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "domain/random.h"
#include "domain/time_util.h"
#include "server/codec/json_writer.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "server/webhooks/http_attempt.h"
#include "server/webhooks/message.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

// Where Debian (and the container image) keep the CA bundle; a static OpenSSL does not know it.
constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";

double Jitter01() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// The delivery log row of an attempt at `m` that ended at `done_ms`.
WebhookAttemptRow AttemptRow(const WebhookMessage& m, const WebhookAttemptResult& result,
                             int64_t done_ms) {
  WebhookAttemptRow row;
  row.delivery_id = m.delivery_id;
  row.event = m.event;
  row.failure_class = m.failure_class;
  row.signature = m.signature;
  row.group_id = m.group_id;
  row.attempt = m.attempts + 1;
  row.status = result.delivered ? DeliveryStatus::kDelivered : DeliveryStatus::kFailed;
  row.http_status = result.http_status;
  row.error = result.error;
  row.response_body = result.response_body;
  row.duration_ms = result.duration_ms;
  row.created_at_ms = done_ms;
  return row;
}

WebhookPayload PayloadFor(const DueWebhookMessage& d) {
  WebhookPayload p;
  p.event = WebhookEventFromName(d.message.event);
  p.project_id = d.project_id;
  p.webhook_id = d.webhook.webhook_id;
  p.group_id = d.message.group_id;
  p.failure_class = d.message.failure_class;
  p.signature = d.message.signature;
  p.sample_execution_id = d.message.sample_execution_id;
  p.detail = d.message.detail;
  p.delivery_id = d.message.delivery_id;
  p.queued_at_ms = d.message.created_at_ms;
  return p;
}

}  // namespace

SecretBox SecretBoxFromConfig(const Config& config) {
  return SecretBox(config.master_key, config.master_key_previous);
}

Result<ReencryptReport> ReencryptStoredSecrets(Store& store, const SecretBox& box) {
  ReencryptReport report;
  std::vector<std::pair<StoredSecret, std::string>> updates;
  int64_t unreadable = 0;
  std::string first_unreadable;
  int64_t after = 0;
  constexpr int64_t kBatch = 256;
  for (;;) {
    auto listed = store.ReadValue(
        [&](ReadTxn& txn) { return storage::ListStoredSecrets(txn, after, kBatch); });
    if (!listed.ok()) return listed.status();
    std::vector<StoredSecret>& batch = listed.value();
    if (batch.empty()) break;
    after = batch.back().webhook_row;
    for (auto& secret : batch) {
      ++report.total;
      const std::string aad = WebhookSecretAad(secret.project_id, secret.webhook_id);
      auto plain = box.Open(secret.blob, aad);
      if (!plain.ok()) {
        if (unreadable++ == 0) first_unreadable = secret.webhook_id;
        continue;
      }
      if (box.configured() && !box.IsCurrent(secret.blob)) {
        auto sealed = box.Seal(plain.value(), aad);
        if (!sealed.ok()) return sealed.status();
        updates.emplace_back(std::move(secret), std::move(sealed.value()));
      }
    }
  }
  if (unreadable > 0) {
    return Status::Unavailable(std::to_string(unreadable) +
                               " stored webhook secret(s) cannot be decrypted with " +
                               (box.any_key() ? "VIGIL_MASTER_KEY or VIGIL_MASTER_KEY_PREVIOUS"
                                              : "any key: VIGIL_MASTER_KEY is not set") +
                               " (first: " + first_unreadable + ")");
  }
  for (size_t i = 0; i < updates.size(); i += kBatch) {
    const size_t end = std::min(updates.size(), i + kBatch);
    Status s = store.Write([&](WriteTxn& txn) {
      for (size_t j = i; j < end; ++j) {
        const StoredSecret& old = updates[j].first;
        Status r = storage::ReplaceWebhookSecret(txn, old.project, old.webhook_row, old.blob,
                                                 updates[j].second);
        if (!r.ok()) return r;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    report.reencrypted += static_cast<int64_t>(end - i);
  }
  return report;
}

WebhookService::WebhookService(Store* store, const Config& config)
    : store_(store),
      box_(SecretBoxFromConfig(config)),
      dashboard_url_(config.dashboard_url),
      allow_private_(config.webhook_allow_private),
      max_attempts_(config.webhook_max_attempts),
      max_age_ms_(config.webhook_max_age_hours * 3600 * 1000),
      retry_base_ms_(config.webhook_retry_base_ms),
      busy_(limits::kWebhookSenders, limits::kWebhookSendersPerProject),
      tests_(limits::kMaxWebhookTestsInFlight, limits::kMaxWebhookTestsPerProject) {
  std::error_code ec;
  if (std::filesystem::exists(kCaBundle, ec)) ca_file_ = kCaBundle;
}

WebhookService::~WebhookService() { Stop(); }

void WebhookService::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stop_) return;
  started_ = true;
  for (size_t i = 0; i < limits::kWebhookSenders; ++i) {
    senders_.emplace_back([this] { SenderLoop(); });
  }
  watchdog_ = std::thread([this] { WatchdogLoop(); });
}

void WebhookService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_.exchange(true)) return;
  }
  cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(running_mu_);
    cut_all_ = true;
    for (auto& [id, r] : running_) {
      r.cut = true;
      r.client->stop();
    }
  }
  running_cv_.notify_all();
  for (auto& t : senders_) {
    if (t.joinable()) t.join();
  }
  if (watchdog_.joinable()) watchdog_.join();
}

void WebhookService::Wake() {
  wake_gen_.fetch_add(1);
  cv_.notify_all();
}

int64_t WebhookService::RetryDelayMs(int64_t base_ms, int64_t attempt, int64_t retry_after_ms,
                                     double jitter01) {
  double delay = static_cast<double>(base_ms);
  for (int64_t i = 1; i < attempt && delay < limits::kWebhookMaxRetryDelayMs; ++i) delay *= 4;
  delay = std::min(delay, static_cast<double>(limits::kWebhookMaxRetryDelayMs));
  delay *= 0.75 + 0.5 * std::clamp(jitter01, 0.0, 1.0);
  const int64_t ms = static_cast<int64_t>(std::llround(delay));
  if (retry_after_ms > ms) return std::min(retry_after_ms, limits::kWebhookMaxRetryDelayMs);
  return ms;
}

Status WebhookService::OnGroupChange(WriteTxn& txn, int64_t project,
                                     const std::string& /*project_id*/, GroupChange change,
                                     const StoredFinding& finding, const std::string& execution_id,
                                     int64_t now_ms) {
  if (change == GroupChange::kNone) return Status::Ok();
  auto hooks = storage::ListEnabledWebhooks(txn, project);
  if (!hooks.ok()) return hooks.status();
  bool queued_any = false;
  for (const WebhookRow& w : hooks.value()) {
    const auto& classes = w.enabled_classes;
    if (!classes.empty() &&
        std::find(classes.begin(), classes.end(), finding.failure_class) == classes.end()) {
      continue;
    }
    WebhookMessage m;
    m.delivery_id = "del-" + RandomHex(8);
    m.event = std::string(WebhookEventName(change == GroupChange::kRegressed
                                               ? WebhookEvent::kGroupRegressed
                                               : WebhookEvent::kGroupCreated));
    m.failure_class = finding.failure_class;
    m.signature = finding.signature;
    m.group_id = finding.group_id;
    m.sample_execution_id = execution_id;
    m.detail = finding.detail;
    m.created_at_ms = now_ms;
    m.next_attempt_at_ms = now_ms;
    auto queued =
        storage::EnqueueWebhookMessage(txn, project, w.row, m, limits::kMaxQueuedPerWebhook);
    if (!queued.ok()) return queued.status();
    if (!queued.value()) {
      log::Warn("webhook outbox full, message dropped",
                {log::Str("webhook_id", w.webhook_id), log::Str("group_id", finding.group_id)});
    }
    queued_any = queued_any || queued.value();
  }
  // The rows commit with the group a moment later; the senders' next scan (at most
  // kWebhookPollMs away) picks them up if this wake-up comes too early.
  if (queued_any) Wake();
  return Status::Ok();
}

Result<WebhookService::Created> WebhookService::Create(int64_t project,
                                                       const std::string& project_id,
                                                       WebhookRow row, const WebhookUrl& url,
                                                       int64_t now_ms) {
  // Fail closed: a secret is never stored unless it can be stored encrypted.
  if (!box_.configured()) return Status::NotConfigured("webhook secrets need VIGIL_MASTER_KEY");
  if (!allow_private_) {
    auto addr = ResolveWebhookHost(url.host, false);
    if (!addr.ok()) {
      return Status::InvalidArgument(addr.status().code() == Code::kForbidden
                                         ? "url resolves to a non-public address"
                                         : "url host does not resolve");
    }
  }
  Created out;
  out.secret = NewWebhookSecret();
  row.webhook_id = "wh-" + RandomHex(8);
  row.created_at_ms = now_ms;
  auto sealed = box_.Seal(out.secret, WebhookSecretAad(project_id, row.webhook_id));
  if (!sealed.ok()) return sealed.status();
  row.secret_blob = std::move(sealed.value());
  Status s = store_->Write([&](WriteTxn& txn) {
    return storage::CreateWebhook(txn, project, row, limits::kMaxWebhooksPerProject);
  });
  if (!s.ok()) return s;
  out.row = std::move(row);
  return out;
}

Result<std::shared_ptr<void>> WebhookService::AcquireTestSlot(int64_t project) {
  std::lock_guard<std::mutex> lock(tests_mu_);
  if (!tests_.TryTake(project)) {
    if (tests_.Held(project) >= limits::kMaxWebhookTestsPerProject) {
      return Status::RateLimited("too many webhook tests in progress, retry later");
    }
    return Status::Overloaded("too many webhook tests in progress, retry later");
  }
  // Non-null (a null shared_ptr tests false); gives the place back when dropped.
  return std::shared_ptr<void>(this, [this, project](void*) {
    std::lock_guard<std::mutex> hold(tests_mu_);
    tests_.Give(project);
  });
}

const DueWebhookMessage* WebhookService::PickDue(const std::vector<DueWebhookMessage>& due,
                                                 const std::set<int64_t>& in_flight,
                                                 const ProjectShares& busy) {
  const DueWebhookMessage* best = nullptr;
  for (const auto& d : due) {
    if (in_flight.count(d.message.row) != 0 || !busy.HasRoom(d.project)) continue;
    if (best == nullptr || busy.Held(d.project) < busy.Held(best->project)) best = &d;
  }
  return best;
}

Result<std::optional<WebhookService::TestResult>> WebhookService::SendTest(
    int64_t project, const std::string& project_id, const std::string& webhook_id, int64_t now_ms) {
  auto found = store_->ReadValue(
      [&](ReadTxn& txn) { return storage::GetWebhook(txn, project, webhook_id); });
  if (!found.ok()) return found.status();
  const std::optional<WebhookRow>& hook = found.value();
  if (!hook) return std::optional<TestResult>();
  DueWebhookMessage d;
  d.project = project;
  d.project_id = project_id;
  d.webhook = *hook;
  d.message.delivery_id = "del-" + RandomHex(8);
  d.message.event = std::string(kEventGroupTest);
  d.message.failure_class = "crashes";
  d.message.signature = "test_signature";
  d.message.created_at_ms = now_ms;
  TestResult out;
  out.delivery_id = d.message.delivery_id;
  auto url = ParseWebhookUrl(hook->url);
  out.payload = RenderWebhookBody(PayloadFor(d), FormatForUrl(hook->url), dashboard_url_);
  auto secret = box_.Open(hook->secret_blob, WebhookSecretAad(project_id, webhook_id));
  if (stop_) {
    out.attempt.error = "shutting down";
  } else if (!url.ok()) {
    out.attempt.error = url.status().message();
  } else if (!secret.ok()) {
    out.attempt.error = "webhook secret cannot be decrypted";
  } else {
    out.attempt = Attempt(url.value(), out.payload, secret.value(), out.delivery_id);
  }
  // A test message is never queued: its first and only attempt.
  const WebhookAttemptRow row = AttemptRow(d.message, out.attempt, now_ms);
  WebhookAttemptOutcome outcome;
  outcome.disable_webhook = out.attempt.disable;
  Status s = store_->Write([&](WriteTxn& txn) {
    return storage::RecordWebhookAttempt(txn, project, hook->row, row, outcome,
                                         limits::kWebhookLogRowsPerWebhook, NowMs());
  });
  if (!s.ok()) return s;
  return std::optional<TestResult>(std::move(out));
}

WebhookAttemptResult WebhookService::Attempt(const WebhookUrl& url, const std::string& body,
                                             const std::string& secret,
                                             const std::string& delivery_id) {
  WebhookAttemptResult out;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count());
  };
  // Resolve and check before every attempt, then connect to exactly the checked address: a
  // second lookup could be answered differently (DNS rebinding).
  std::string address;
  if (!allow_private_) {
    auto r = ResolveWebhookHost(url.host, false);
    if (!r.ok()) {
      out.error = r.status().message();
      out.retryable = r.status().code() != Code::kForbidden;  // refused addresses are final
      out.duration_ms = elapsed_ms();
      return out;
    }
    address = r.value();
  }
  httplib::Client client(url.Origin());
  ConfigureWebhookClient(&client, url, address, ca_file_);
  CapturedBody captured;
  httplib::Request req =
      SignedWebhookRequest(url, body, secret, delivery_id, NowMs() / 1000, &captured);
  std::optional<uint64_t> running_id = Register(&client, start);
  if (!running_id) {
    out.retryable = true;
    out.error = "shutting down";
    out.duration_ms = elapsed_ms();
    return out;
  }
  auto res = client.send(req);
  const bool cut = Unregister(*running_id);
  out.duration_ms = elapsed_ms();
  if (!res) {
    out.retryable = true;
    out.error = cut ? "timed out after " + std::to_string(limits::kWebhookAttemptTimeoutSec) + " s"
                    : TransportError(res.error());
    return out;
  }
  ClassifyWebhookResponse(res.value(), captured, &out);
  return out;
}

std::optional<uint64_t> WebhookService::Register(httplib::Client* client,
                                                 std::chrono::steady_clock::time_point start) {
  std::lock_guard<std::mutex> lock(running_mu_);
  if (cut_all_) return std::nullopt;
  const uint64_t id = ++next_running_id_;
  running_[id] = {client, start + std::chrono::seconds(limits::kWebhookAttemptTimeoutSec), false};
  return id;
}

bool WebhookService::Unregister(uint64_t running_id) {
  std::lock_guard<std::mutex> lock(running_mu_);
  const bool cut = running_[running_id].cut;
  running_.erase(running_id);
  return cut;
}

void WebhookService::WatchdogLoop() {
  pthread_setname_np(pthread_self(), "vigil-wh-watch");
  std::unique_lock<std::mutex> lock(running_mu_);
  while (!cut_all_) {
    running_cv_.wait_for(lock, std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, r] : running_) {
      if (now >= r.deadline && !r.cut) {
        r.cut = true;
        r.client->stop();
      }
    }
  }
}

void WebhookService::SenderLoop() {
  pthread_setname_np(pthread_self(), "vigil-wh-send");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const uint64_t gen = wake_gen_;
    const int64_t now = NowMs();
    // Scanning under the lock keeps two senders from claiming the same message.
    std::vector<DueWebhookMessage> due;
    std::optional<int64_t> next_at;
    Status s = store_->Read([&](ReadTxn& txn) {
      auto r = storage::ListDueWebhookMessages(
          txn, now, limits::kWebhookScanBatch + static_cast<int64_t>(limits::kWebhookSenders),
          static_cast<int64_t>(limits::kWebhookSendersPerProject));
      if (!r.ok()) return r.status();
      due = std::move(r.value());
      auto n = storage::NextWebhookAttemptAt(txn);
      if (!n.ok()) return n.status();
      next_at = n.value();
      return Status::Ok();
    });
    if (!s.ok()) log::Warn("webhook outbox scan failed", {log::Str("error", s.message())});
    const DueWebhookMessage* claimed = PickDue(due, in_flight_, busy_);
    if (claimed == nullptr) {
      int64_t wait_ms = limits::kWebhookPollMs;
      if (s.ok() && next_at && *next_at > now) wait_ms = std::min(wait_ms, *next_at - now);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1)),
                   [&] { return stop_ || wake_gen_ != gen; });
      continue;
    }
    const DueWebhookMessage job = *claimed;
    in_flight_.insert(job.message.row);
    busy_.TryTake(job.project);  // PickDue chose a project with room
    lock.unlock();
    Process(job);
    lock.lock();
    busy_.Give(job.project);
    in_flight_.erase(job.message.row);
  }
}

WebhookAttemptResult WebhookService::Deliver(const DueWebhookMessage& d, int64_t give_up_at) {
  WebhookAttemptResult result;
  auto url = ParseWebhookUrl(d.webhook.url);
  auto secret =
      box_.Open(d.webhook.secret_blob, WebhookSecretAad(d.project_id, d.webhook.webhook_id));
  if (NowMs() > give_up_at) {
    result.error = "message expired before delivery";
  } else if (!url.ok()) {
    result.error = url.status().message();
  } else if (!secret.ok()) {
    result.error = "webhook secret cannot be decrypted";
  } else {
    const std::string body =
        RenderWebhookBody(PayloadFor(d), FormatForUrl(d.webhook.url), dashboard_url_);
    result = Attempt(url.value(), body, secret.value(), d.message.delivery_id);
  }
  return result;
}

void WebhookService::Process(const DueWebhookMessage& d) {
  const WebhookMessage& m = d.message;
  if (!d.webhook.enabled) {  // disabled endpoints get nothing more
    Status s = store_->Write(
        [&](WriteTxn& txn) { return storage::DropWebhookMessage(txn, d.project, m.row); });
    if (!s.ok()) log::Warn("webhook message not dropped", {log::Str("error", s.message())});
    return;
  }
  const int64_t give_up_at = m.created_at_ms + max_age_ms_;
  const WebhookAttemptResult result = Deliver(d, give_up_at);
  // Shutdown cut the attempt short: leave the message as it was, to be sent after the restart.
  if (stop_ && !result.delivered && result.retryable) return;
  const int64_t done = NowMs();
  WebhookAttemptRow row = AttemptRow(m, result, done);
  WebhookAttemptOutcome outcome;
  outcome.outbox_row = m.row;
  outcome.disable_webhook = result.disable;
  const bool retry = result.retryable && row.attempt < max_attempts_;
  if (metrics_) {
    metrics_->AddWebhookAttempt(result.delivered ? "delivered" : retry ? "retrying" : "failed");
  }
  if (retry) {
    const int64_t next =
        done + RetryDelayMs(retry_base_ms_, row.attempt, result.retry_after_ms, Jitter01());
    if (next <= give_up_at) {
      outcome.retry_at_ms = next;
      row.next_attempt_at_ms = next;
    }
  }
  Status s = store_->Write([&](WriteTxn& txn) {
    return storage::RecordWebhookAttempt(txn, d.project, d.webhook.row, row, outcome,
                                         limits::kWebhookLogRowsPerWebhook, done);
  });
  if (!s.ok()) {
    // The message stays as it was and is attempted again on a later scan (at least once).
    log::Warn("webhook attempt not recorded",
              {log::Str("delivery_id", m.delivery_id), log::Str("error", s.message())});
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(limits::kWebhookPollMs),
                 [&] { return stop_.load(); });
    return;
  }
  Report(d, row, result);
}

void WebhookService::Report(const DueWebhookMessage& d, const WebhookAttemptRow& row,
                            const WebhookAttemptResult& result) {
  std::vector<log::Field> fields = {
      log::Str("project_id", d.project_id),
      log::Str("webhook_id", d.webhook.webhook_id),
      log::Str("delivery_id", d.message.delivery_id),
      log::Num("attempt", row.attempt),
      log::Str("status", std::string(DeliveryStatusName(row.status))),
      log::Num("duration_ms", row.duration_ms),
  };
  if (row.http_status) fields.push_back(log::Num("http_status", *row.http_status));
  if (!row.error.empty()) fields.push_back(log::Str("error", row.error));
  if (result.disable) {
    log::Warn("webhook disabled after 410 Gone", fields);
    AuditEntry e;
    e.time_ms = NowMs();
    e.project = d.project;
    e.actor = Actor::kSystem;
    e.action = "webhook.disabled";
    JsonWriter detail;
    detail.BeginObject().Field("webhook_id", d.webhook.webhook_id).EndObject();
    e.detail_json = detail.Take();
    store_->AppendAudit(std::move(e));
  } else if (result.delivered) {
    log::Info("webhook delivered", fields);
  } else {
    log::Info("webhook attempt failed", fields);
  }
}

}  // namespace vigil
