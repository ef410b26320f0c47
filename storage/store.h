// Storage: the only code that talks to SQLite.
//
// Shape (see storage/DESIGN.md): one writer connection owned by a writer thread that commits the
// jobs waiting in a bounded queue together (group commit, one savepoint per job), a pool of
// read-only connections for queries, and a checkpointer thread that keeps the WAL short off the
// write path. Every function that touches tenant rows takes the project's internal id first; there
// is no tenant query without one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/merge.h"
#include "domain/model.h"
#include "domain/status.h"
#include "storage/recent_event_ids.h"

namespace vigil {

class Connection;

struct StoreOptions {
  std::string path;
  int busy_timeout_ms = 5000;
  size_t write_queue_max = 1024;
  // Jobs committed together in one group transaction: bounds the latency of a group's last job
  // and the size of one transaction.
  size_t max_jobs_per_group = 256;
  size_t readers = 8;
  // Past this WAL size the writer runs a TRUNCATE checkpoint between groups (see DESIGN.md).
  uint64_t wal_bound_bytes = 64u << 20;
  // How long that checkpoint may wait for readers of old snapshots, and how long the writer
  // leaves the WAL alone after a wait ran out (a long-lived reader, e.g. an export).
  int64_t wal_bound_wait_ms = 3000;
  int64_t wal_bound_backoff_ms = 30000;
  // Audit rows waiting for the writer; past this they are dropped and counted.
  size_t audit_buffer_max = 50000;
  // Event ids the writer remembers before merging them into the id index as one sorted
  // generation (storage/recent_event_ids.h). Larger: fewer index pages written per event, more
  // memory (about 90 bytes per id, at most about two generations).
  size_t event_id_generation = 65536;
  // The filter that spares the writer an index probe for new event ids (storage/event_id_filter.h).
  size_t event_id_filter_bytes = 8u << 20;
};

// What an API key authenticates as (spec §3.2). `project` is the internal project id.
struct AuthRecord {
  std::string key_id;
  std::string key_prefix;
  int64_t project = 0;
  std::string project_id;
  bool suspended = false;
  std::string suspended_reason;
  std::optional<double> rate_limit_burst;
  std::optional<double> rate_limit_per_sec;
};

struct ProjectInfo {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  std::string tier;
  int64_t created_at_ms = 0;
};

struct ApiKeyRow {
  std::string key_id;
  std::string key_prefix;
  std::string name;
  int64_t created_at_ms = 0;
  int64_t last_used_at_ms = 0;
};

// A project as the admin API shows it (spec §13.1 AdminProjectRow). Zero/empty = absent.
struct AdminProject {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  int64_t created_at_ms = 0;
  std::string tier;
  std::string stripe_customer_id;
  std::string stripe_subscription_id;
  int64_t current_period_start_ms = 0;
  int64_t current_period_end_ms = 0;
  int64_t executions_this_period = 0;
  int64_t granted_executions = 0;
  int64_t granted_executions_expires_at_ms = 0;
  int64_t tier_expires_at_ms = 0;
  int64_t suspended_at_ms = 0;
  std::string suspension_reason;
  std::optional<double> rate_limit_burst;
  std::optional<double> rate_limit_per_sec;
  std::optional<int64_t> retention_days;
  int64_t last_activity_at_ms = 0;
  int64_t total_executions = 0;
  int64_t usage_month_start_ms = 0;  // calendar month the counter counts (no Stripe period)
};

struct ProjectUsage {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  std::string tier;
  int64_t executions = 0;
  int64_t events = 0;
  int64_t failure_groups = 0;
  int64_t webhook_deliveries = 0;
  int64_t estimated_bytes = 0;
};

struct UpsertResult {
  std::string status;
  bool created = false;
  Execution execution;  // the stored state after the merge
};

struct TouchedExecution {
  std::string execution_id;
  int64_t row_id = 0;
  bool terminal = false;  // status at the time of the batch
  int64_t inserted = 0;   // new events stored for it by this batch
};

struct IngestResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::vector<TouchedExecution> touched;  // every execution named by the batch
  std::vector<bool> inserted;             // per batch index: stored (true) or duplicate
  int64_t created_executions = 0;         // executions this batch created (abuse volume signal)
};

struct ExecutionFilter {
  std::string status;
  std::optional<int64_t> started_after_ms;
  std::optional<int64_t> started_before_ms;
  std::string parent_execution_id;
  std::string failure_group_id;
  std::string sdk_language;
  int64_t limit = 50;
  int64_t offset = 0;
};

struct StoredFinding {
  std::string detector;
  int priority = 0;
  std::string failure_class;
  std::string signature;
  std::string group_id;
  int64_t detected_at_ms = 0;
  std::string source;
};

struct ExecutionDetail {
  Execution execution;
  int64_t internal_id = 0;
  int64_t events_total = 0;
  std::vector<Event> events;  // first page by sequence, then arrival
  std::vector<StoredFinding> findings;
  // Sums of llm_call payload tokens, used when the execution has none stored (spec §6).
  int64_t llm_tokens_in = 0;
  int64_t llm_tokens_out = 0;
};

// An execution with every stored event (sorted by sequence, then arrival), for a detection pass.
struct DetectionInput {
  int64_t row_id = 0;
  int64_t revision = 0;  // see Revision()
  Execution execution;
  std::vector<Event> events;
};

struct FailureGroupRow {
  std::string group_id;
  std::string failure_class;
  std::string signature;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  std::string sample_execution_id;
  int64_t affected_executions = 0;
  double cost_wasted_usd = 0;
};

struct HaltState {
  bool exists = false;
  bool terminal = false;
  std::string halt_reason;  // persisted, "" = none
};

struct ProjectStats {
  int64_t total_executions = 0;
  int64_t completed_executions = 0;
  int64_t crashed_24h = 0;
  int64_t open_failure_groups = 0;
};

// --- webhooks (spec §10; storage/webhook_txn.cc) -----------------------------------------------
// A project's webhook endpoint. `secret_blob` is the sealed signing secret (domain/secret_box.h):
// storage only ever sees ciphertext.
struct WebhookRow {
  int64_t row = 0;  // internal id
  std::string webhook_id;
  std::string name;
  std::string url;
  std::vector<std::string> enabled_classes;  // empty = every class
  bool enabled = true;
  std::string secret_blob;
  int64_t created_at_ms = 0;
};

// One queued message (an outbox row).
struct WebhookMessage {
  int64_t row = 0;
  std::string delivery_id;
  std::string event;  // failure_group.created | failure_group.test
  std::string failure_class;
  std::string signature;
  std::string group_id;
  std::string sample_execution_id;
  int64_t attempts = 0;       // attempts made so far
  int64_t created_at_ms = 0;  // when it was queued
  int64_t next_attempt_at_ms = 0;
};

// A message due for an attempt, with what the sender needs to make it.
struct DueWebhookMessage {
  int64_t project = 0;
  std::string project_id;
  WebhookRow webhook;
  WebhookMessage message;
};

// One delivery log row (spec §10.3).
struct WebhookAttemptRow {
  std::string delivery_id;
  std::string event;
  std::string failure_class;
  std::string signature;
  std::string group_id;
  int64_t attempt = 0;
  std::string status;  // delivered | failed | pending
  std::optional<int64_t> http_status;
  std::string error;
  std::string response_body;
  int64_t duration_ms = 0;
  int64_t created_at_ms = 0;
  std::optional<int64_t> next_attempt_at_ms;
};

// What recording an attempt does to its message and its endpoint.
struct WebhookAttemptOutcome {
  int64_t outbox_row = 0;              // 0 = not an outbox message (a test delivery)
  std::optional<int64_t> retry_at_ms;  // keep the message queued for another attempt then
  bool disable_webhook = false;        // 410: disable the endpoint, drop its queued messages
};

// A sealed secret with the ids its associated data binds, for re-encryption.
struct StoredSecret {
  int64_t project = 0;
  std::string project_id;
  int64_t webhook_row = 0;
  std::string webhook_id;
  std::string blob;
};

// --- audit log, billing, abuse (spec §11-13; storage/audit_txn.cc) ------------------------------
// One audit row. Empty strings / zero mean absent (NULL).
struct AuditEntry {
  int64_t audit_id = 0;  // assigned on insert
  int64_t time_ms = 0;
  int64_t project = 0;     // internal id; 0 = no project
  std::string project_id;  // public id (reads only)
  std::string actor;       // key | signup | cli | admin | system | stripe
  std::string key_id;
  std::string action;  // request | api_key.create | admin.tier | ...
  std::string method;
  std::string path;  // without the query string
  int status = 0;
  std::string client_ip;
  std::string detail_json;  // a JSON object, or ""
};

struct AuditFilter {
  bool all_projects = false;  // admin view; otherwise only `project`
  int64_t project = 0;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
  std::string action;
  int64_t limit = 50;
  int64_t offset = 0;
  int64_t after_audit_id = 0;  // ListAuditAfter: rows with a larger id only
};

// Billing fields a Stripe event changes (spec §12.3); nullopt = leave as stored.
struct BillingUpdate {
  std::optional<std::string> tier;
  std::optional<std::string> customer_id;      // "" = clear
  std::optional<std::string> subscription_id;  // "" = clear
  bool set_period = false;                     // then period_*_ms (0 = NULL) are stored
  int64_t period_start_ms = 0;
  int64_t period_end_ms = 0;
  bool reset_usage = false;  // executions_this_period = 0
  // Apply only while the stored subscription is this one (or none): the deletion of an old
  // subscription must not undo a newer one. "" = unconditional.
  std::string only_for_subscription;
};

struct AbuseSignal {
  std::string signal_id;
  int64_t project = 0;
  std::string project_id;  // public id (reads only)
  std::string kind;
  std::string severity;
  std::string detail_json;
  int64_t detected_at_ms = 0;
  int64_t notified_at_ms = 0;
  int64_t suspended_at_ms = 0;
  int64_t resolved_at_ms = 0;
  std::string resolved_by;
  std::string resolution_note;
};

// Mutations, valid only inside a job passed to Store::Write (writer thread, open transaction).
class WriteTxn {
 public:
  // `recent`: the event ids not yet merged into the index (storage/recent_event_ids.h).
  WriteTxn(Connection* conn, RecentEventIds* recent) : conn_(conn), recent_(recent) {}

  // Creates the project if missing (dev bootstrap, CLI); returns its internal id.
  Result<int64_t> EnsureProject(const std::string& project_id, const std::string& name,
                                const std::string& tier, int64_t now_ms);
  // Creates a new project (signup); returns its internal id. Conflict if the id exists.
  Result<int64_t> CreateProject(const std::string& project_id, const std::string& name,
                                const std::string& owner_email, const std::string& tier,
                                int64_t now_ms);
  // Creates or updates the key `key_id` of `project` to carry `key_hash`.
  Status UpsertKey(int64_t project, const std::string& key_id, const std::string& key_hash,
                   const std::string& key_prefix, const std::string& name, int64_t now_ms);
  // Applies the merge rule to the project's execution `patch.execution_id`, creating it if missing.
  Result<UpsertResult> UpsertExecution(int64_t project, const ExecutionPatch& patch,
                                       int64_t now_ms);
  // Stores `events` (already validated) of `project`: creates missing executions (started_at = the
  // earliest event timestamp), skips event ids already stored (first write wins) and counts them
  // as duplicates. REQUIRES: no event id repeats within `events` (see RemoveRepeatedEventIds).
  Result<IngestResult> IngestEvents(int64_t project, const std::vector<Event>& events,
                                    int64_t now_ms);
  // --- detection (spec §8) ---
  Result<std::optional<DetectionInput>> LoadForDetection(int64_t project,
                                                         const std::string& execution_id);
  // The execution's current revision (bumped by every write to it or its events); nullopt when
  // it no longer exists.
  Result<std::optional<int64_t>> Revision(int64_t project, int64_t row);
  Result<std::vector<StoredFinding>> LoadFindings(int64_t project, int64_t row);
  Status DeleteFindings(int64_t project, int64_t row);
  // Stores (or replaces) the execution's finding of `f.detector` and creates its group on first
  // sight (first_seen = last_seen = now, sample = this execution) or moves the group's last_seen.
  // Sets *group_created when this call created the group.
  Status PutFinding(int64_t project, int64_t row, const std::string& execution_id,
                    const StoredFinding& f, bool* group_created);
  // failure_group_id = `group_id` ("" = none).
  Status SetPrimaryGroup(int64_t project, int64_t row, const std::string& group_id);
  Status SetEstimatedCost(int64_t project, int64_t row, double cost_usd);
  Status PutPolicy(int64_t project, const std::string& policy_json, int64_t now_ms);
  // --- halt (spec §9.1) ---
  // Persists a halt for a non-terminal execution (a later one replaces the reason). Reports
  // whether the execution exists and is terminal (then nothing is stored).
  Result<HaltState> RequestHalt(int64_t project, const std::string& execution_id,
                                const std::string& reason, int64_t now_ms);
  // --- keys (spec §6) ---
  Result<int64_t> CountKeys(int64_t project);
  // Deletes the project's key `key_id`; false when the project has no such key.
  Result<bool> DeleteKey(int64_t project, const std::string& key_id);
  // The name of the project's key `key_id`, nullopt when it has no such key.
  Result<std::optional<std::string>> KeyName(int64_t project, const std::string& key_id);
  // --- admin (spec §13) ---
  Status SetTier(int64_t project, const std::string& tier, int64_t expires_at_ms);
  Status AddGrant(int64_t project, int64_t delta, int64_t expires_at_ms);
  Status SetRateLimit(int64_t project, std::optional<double> burst, std::optional<double> per_sec);
  Status SetSuspended(int64_t project, bool suspended, const std::string& reason, int64_t now_ms);
  // Deletes the project and every row it owns.
  Status DeleteProject(int64_t project);
  Status SetRetention(int64_t project, std::optional<int64_t> days);
  // --- retention (spec §14.4) ---
  // Deletes at most `limit` executions of `project` that ended (or started, if never ended)
  // before `cutoff_ms`, with their events and findings (cascade). Returns how many.
  Result<int64_t> PruneExecutions(int64_t project, int64_t cutoff_ms, int64_t limit);
  // Deletes at most `limit` webhook delivery log rows older than `cutoff_ms`. Returns how many.
  Result<int64_t> PruneDeliveries(int64_t cutoff_ms, int64_t limit);
  // Records last_used_at for keys (batched, best effort).
  Status TouchKeys(const std::vector<std::pair<std::string, int64_t>>& key_last_used);
  // --- webhooks (spec §10; storage/webhook_txn.cc) ---
  // Inserts `w`. Conflict "too many webhooks (max N)" when the project already holds
  // `max_per_project`.
  Status CreateWebhook(int64_t project, const WebhookRow& w, int64_t max_per_project);
  // Deletes the webhook with its queued messages and log rows; false when there is none.
  Result<bool> DeleteWebhook(int64_t project, const std::string& webhook_id);
  // The project's enabled webhooks (read inside the transaction that creates a group).
  Result<std::vector<WebhookRow>> ListEnabledWebhooks(int64_t project);
  // Queues `m` for the webhook unless `max_queued` messages already wait for it; false = dropped.
  Result<bool> EnqueueWebhookMessage(int64_t project, int64_t webhook_row, const WebhookMessage& m,
                                     int64_t max_queued);
  // Logs one attempt and applies `outcome` (message kept for a retry or removed; endpoint
  // disabled). Keeps the newest `max_log_rows` log rows of the webhook. No-op when the webhook was
  // deleted meanwhile.
  Status RecordWebhookAttempt(int64_t project, int64_t webhook_row, const WebhookAttemptRow& a,
                              const WebhookAttemptOutcome& outcome, int64_t max_log_rows,
                              int64_t now_ms);
  // Removes a queued message without logging (its webhook is disabled).
  Status DropWebhookMessage(int64_t project, int64_t outbox_row);
  // Replaces a sealed secret that still equals `old_blob` (re-encryption under a new key).
  Status ReplaceWebhookSecret(int64_t project, int64_t webhook_row, const std::string& old_blob,
                              const std::string& new_blob);
  // --- audit log, billing, abuse (storage/audit_txn.cc) ---
  Status InsertAudit(const AuditEntry& e);
  // Deletes at most `limit` audit rows older than `cutoff_ms`; returns how many.
  Result<int64_t> PruneAudit(int64_t cutoff_ms, int64_t limit);
  // Records a verified Stripe event; false when its id was already recorded (not applied again).
  Result<bool> RecordStripeEvent(const std::string& event_id, const std::string& type,
                                 int64_t project, int64_t now_ms);
  Result<int64_t> PruneStripeEvents(int64_t cutoff_ms, int64_t limit);
  Result<std::optional<int64_t>> FindProjectId(const std::string& project_id);
  Result<std::optional<int64_t>> FindProjectByCustomer(const std::string& customer_id);
  Status ApplyBilling(int64_t project, const BillingUpdate& u);
  Status InsertAbuseSignal(const AbuseSignal& s);
  // Resolves the signal; nullopt when unknown. With `reactivate`, lifts the project's suspension
  // if this signal caused it; *reactivated says whether it did.
  Result<std::optional<AbuseSignal>> ResolveAbuseSignal(const std::string& signal_id,
                                                        const std::string& note, bool reactivate,
                                                        int64_t now_ms, bool* reactivated);
  // Suspends the projects of unresolved, unsuspended signals detected before `cutoff_ms`
  // (reason `abuse:<kind>`); returns the internal ids of the projects newly suspended.
  Result<std::vector<int64_t>> SuspendForAbuse(int64_t cutoff_ms, int64_t now_ms);
  Result<int64_t> PruneResolvedAbuse(int64_t cutoff_ms, int64_t limit);

 private:
  Result<int64_t> CreateExecutionRow(int64_t project, const Execution& e, int64_t now_ms);
  // Whether `project` stores an event `event_id` (the filter, the recent ids, then the index);
  // leaves the id's key and its hash in *key and *hash for RecentEventIds::Stage.
  bool EventIdStored(int64_t project, const std::string& event_id, std::string* key,
                     uint64_t* hash);
  Connection* conn_;
  RecentEventIds* recent_;
};

// Queries on a read-only connection inside one read transaction (a consistent snapshot).
class ReadTxn {
 public:
  explicit ReadTxn(Connection* conn) : conn_(conn) {}

  // Looks up a key by the hex SHA-256 of the raw key. nullopt when unknown.
  Result<std::optional<AuthRecord>> FindKeyByHash(const std::string& key_hash);
  Result<std::optional<ProjectInfo>> GetProject(int64_t project);
  Result<std::optional<int64_t>> FindProjectId(const std::string& project_id);
  Result<std::vector<Execution>> ListExecutions(int64_t project, const ExecutionFilter& filter);
  // The execution with its first `max_events` events and its findings; nullopt when unknown.
  Result<std::optional<ExecutionDetail>> GetExecution(int64_t project,
                                                      const std::string& execution_id,
                                                      int64_t max_events);
  // A page of an execution's events by sequence; `total` receives the count. nullopt = unknown id.
  Result<std::optional<std::vector<Event>>> ListEvents(int64_t project,
                                                       const std::string& execution_id,
                                                       int64_t limit, int64_t offset,
                                                       int64_t* total);
  Result<ProjectStats> GetStats(int64_t project, int64_t now_ms);
  // Sums per time bucket for the dashboard's plots (spec §6 /stats/timeseries): `metric` is one of
  // executions, failures, events, cost_usd; buckets start at multiples of `bucket_ms` in
  // [since, until). Returns (bucket start, value) for non-empty buckets only.
  Result<std::vector<std::pair<int64_t, double>>> TimeSeries(int64_t project,
                                                             const std::string& metric,
                                                             int64_t bucket_ms, int64_t since_ms,
                                                             int64_t until_ms);
  Result<std::optional<DetectionInput>> LoadForDetection(int64_t project,
                                                         const std::string& execution_id);
  Result<HaltState> GetHaltState(int64_t project, const std::string& execution_id);
  // Distinct models used by other executions in [since, until].
  Result<std::vector<std::string>> HistoryModels(int64_t project, int64_t exclude_row,
                                                 int64_t since_ms, int64_t until_ms);
  // Non-empty user messages of other executions' llm_call events in [since, until], newest first.
  Result<std::vector<std::string>> HistoryMessages(int64_t project, int64_t exclude_row,
                                                   int64_t since_ms, int64_t until_ms,
                                                   int64_t max_messages);
  Result<std::vector<ApiKeyRow>> ListKeys(int64_t project);
  // --- admin (spec §13) ---
  Result<std::vector<AdminProject>> ListAdminProjects(int64_t limit, int64_t offset);
  Result<std::optional<AdminProject>> GetAdminProject(const std::string& project_id);
  Result<std::vector<ProjectUsage>> ProjectUsages();
  // Webhook messages waiting in the outbox, all projects (a metrics gauge).
  Result<int64_t> CountOutbox();
  // (project, retention days) for every project whose effective retention is > 0, given the
  // global default (0 = keep forever) for projects without their own value.
  Result<std::vector<std::pair<int64_t, int64_t>>> RetentionPolicies(int64_t default_days);
  // "" when the project has no stored policy.
  Result<std::string> GetPolicy(int64_t project);
  Result<std::vector<FailureGroupRow>> ListFailureGroups(int64_t project, int64_t limit,
                                                         int64_t offset);
  Result<std::optional<FailureGroupRow>> GetFailureGroup(int64_t project,
                                                         const std::string& group_id);
  // Reads one row: proves the database file is readable.
  Status Ping();
  // --- webhooks (spec §10; storage/webhook_txn.cc) ---
  // The project's webhooks, newest first.
  Result<std::vector<WebhookRow>> ListWebhooks(int64_t project);
  Result<std::optional<WebhookRow>> GetWebhook(int64_t project, const std::string& webhook_id);
  // The webhook's log, newest first: one `pending` row per message still queued, then attempts.
  Result<std::vector<WebhookAttemptRow>> ListWebhookDeliveries(int64_t project, int64_t webhook_row,
                                                               int64_t limit);
  // The webhook sender's scans, across projects (it serves every tenant, as FindKeyByHash does):
  // messages due at `now_ms`, earliest first, and the earliest next attempt of any queued message.
  Result<std::vector<DueWebhookMessage>> ListDueWebhookMessages(int64_t now_ms, int64_t limit);
  Result<std::optional<int64_t>> NextWebhookAttemptAt();
  // Sealed secrets of webhook rows after `after_row`, by row, at most `limit` (re-encryption).
  Result<std::vector<StoredSecret>> ListStoredSecrets(int64_t after_row, int64_t limit);
  // Delivery log rows stored for the project (admin storage report).
  Result<int64_t> CountWebhookDeliveries(int64_t project);
  // --- audit log, billing, abuse (storage/audit_txn.cc) ---
  // Newest first, one page.
  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& f);
  // The next `limit` matching entries after `after_audit_id`, oldest first (keyset paging).
  Result<std::vector<AuditEntry>> ListAuditAfter(const AuditFilter& f);
  // Every matching entry oldest first, handed to `fn` one at a time (memory stays flat); `fn`
  // returns false to stop (the client went away).
  Status ForEachAudit(const AuditFilter& f, const std::function<bool(const AuditEntry&)>& fn);
  // Executions with `started_at` in [since, until] per UTC day (day start ms, count), ascending.
  Result<std::vector<std::pair<int64_t, int64_t>>> ExecutionsPerDay(int64_t project,
                                                                    int64_t since_ms,
                                                                    int64_t until_ms);
  // Executions of the project started in [since, until).
  Result<int64_t> CountExecutionsStarted(int64_t project, int64_t since_ms, int64_t until_ms);
  Result<std::optional<AdminProject>> GetAdminProjectById(int64_t project);
  // Newest first; unresolved only unless `include_resolved`.
  Result<std::vector<AbuseSignal>> ListAbuseSignals(bool include_resolved, int64_t limit);
  // --- export (spec §13.1): every row of the project, streamed to the callbacks ---
  Status ForEachExecution(int64_t project,
                          const std::function<bool(int64_t, const Execution&)>& fn);
  Status ForEachEventOf(int64_t project, int64_t execution_row,
                        const std::function<bool(const Event&)>& fn);
  Status ForEachFinding(int64_t project,
                        const std::function<bool(const std::string&, const StoredFinding&)>& fn);
  Status ForEachWebhookDelivery(
      int64_t project, const std::function<bool(const std::string&, const WebhookAttemptRow&)>& fn);
  // Rows the project owns, by table (delete verification, export's `end` line).
  Result<std::vector<std::pair<std::string, int64_t>>> CountProjectRows(int64_t project);

 private:
  Connection* conn_;
};

class Store {
 public:
  // Opens (creating the file and its directory if needed), applies migrations, starts the writer
  // and checkpointer threads.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `job` on the writer thread inside its own savepoint of a group transaction and waits for
  // the commit. A non-ok job status rolls back that job alone. Returns Unavailable ("server busy")
  // when the queue is full or the job could not start within the busy timeout, and the commit's
  // error when the group transaction fails. Thread-safe.
  Status Write(std::function<Status(WriteTxn&)> job);
  // Like Write but does not wait; dropped (returns false) when the queue is full.
  bool WriteAsync(std::function<Status(WriteTxn&)> job);
  // Queues an audit row; the writer commits queued rows with its next group (at most ~200 ms
  // later), so recording a request never costs a synchronous write. Thread-safe.
  void AppendAudit(AuditEntry entry);
  int64_t AuditDropped() const { return audit_dropped_.load(); }
  // Runs `fn` on a pooled read-only connection inside a read transaction. Thread-safe.
  Status Read(const std::function<Status(ReadTxn&)>& fn);

  // Jobs queued now, for metrics and back-pressure decisions.
  size_t QueueDepth() const;
  // TRUNCATE checkpoints the WAL bound forced, and how many of those found readers still on old
  // snapshots past the busy timeout (so the WAL could not be reset that time).
  int64_t WalBoundCheckpoints() const { return wal_bound_checkpoints_.load(); }
  int64_t WalBoundMisses() const { return wal_bound_misses_.load(); }
  // Merges of remembered event ids into the id index that failed and were rolled back (their ids
  // stay remembered; see storage/recent_event_ids.h).
  int64_t EventIdMergeFailures() const { return event_id_merge_failures_.load(); }
  // Stops accepting jobs, drains the queue, stops the threads and checkpoints the WAL (TRUNCATE).
  // Idempotent.
  void Close();

  const std::string& path() const { return options_.path; }

 private:
  struct Job;
  explicit Store(const StoreOptions& options);
  Status Init();
  void WriterLoop();
  void CheckpointLoop();
  void RunGroup(std::vector<std::shared_ptr<Job>>& group);
  // On the writer thread between groups: past the hard bound, TRUNCATE-checkpoints the WAL.
  void EnforceWalBound();
  // On the writer thread between groups: lets a long WAL restart from its top (see the .cc).
  void LetWalRestart();

  StoreOptions options_;
  std::string wal_path_;
  std::unique_ptr<Connection> writer_;
  RecentEventIds recent_ids_;  // writer thread only (after Init)
  int64_t data_version_ = 0;   // the writer's PRAGMA data_version at its last transaction
  std::atomic<int64_t> event_id_merge_failures_{0};
  std::atomic<int64_t> wal_bound_checkpoints_{0};
  std::atomic<int64_t> wal_bound_misses_{0};
  std::chrono::steady_clock::time_point wal_bound_retry_at_{};  // writer thread only
  int wal_restart_at_frames_ = 0;                               // writer thread only
  std::mutex audit_mu_;
  std::vector<AuditEntry> audit_pending_;
  std::atomic<int64_t> audit_dropped_{0};

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool closing_ = false;
  std::thread writer_thread_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  std::atomic<int64_t> commits_since_checkpoint_{0};
  // Frames in the WAL after the writer's last commit (SQLite's WAL hook). The WAL file keeps its
  // size after a restart, so its size on disk says nothing about how much is left to copy.
  std::atomic<int> wal_frames_{0};
  std::atomic<int64_t> wal_restarts_{0};  // times a commit started the WAL from its top
  bool checkpoint_stop_ = false;
  std::thread checkpoint_thread_;
  std::unique_ptr<Connection> checkpointer_;
  std::once_flag close_once_;
};

// Shared by ReadTxn and WriteTxn (storage-internal).
Result<std::optional<DetectionInput>> LoadForDetectionOn(Connection* conn, int64_t project,
                                                         const std::string& execution_id);

// Applies the embedded migrations not yet recorded in schema_migrations, each in one transaction.
Status Migrate(Connection* conn);

// Operator helpers used by CLI commands (they open the file directly; SQLite locking makes them
// safe beside a running server).
Status BackupDatabase(const std::string& src_path, const std::string& dest_path);
Status CheckDatabase(const std::string& path, std::string* report);

}  // namespace vigil
