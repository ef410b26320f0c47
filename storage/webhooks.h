// Outgoing webhooks of a project: its endpoints, the outbox of messages waiting to be delivered,
// and the bounded log of delivery attempts. Signing secrets arrive and leave sealed
// (domain/secret_box.h): storage only ever holds ciphertext.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. Webhook ids and delivery
// ids are unique across projects (the server generates them at random); a webhook of another
// project is still invisible. Messages and log rows belong to one webhook and go with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "domain/webhook.h"
#include "storage/txn.h"

namespace vigil::storage {

// --- endpoints ---
// Inserts `w` (its row is assigned). Conflict "too many webhooks (max N)" when the project already
// holds `max_per_project`; Internal when w.webhook_id exists (in any project).
Status CreateWebhook(WriteTxn& txn, int64_t project, const WebhookRow& w, int64_t max_per_project);
// Deletes the webhook with its queued messages and log rows; false when the project has none.
Result<bool> DeleteWebhook(WriteTxn& txn, int64_t project, const std::string& webhook_id);
// The project's webhooks, newest first.
Result<std::vector<WebhookRow>> ListWebhooks(Txn& txn, int64_t project);
// The project's enabled webhooks, oldest first (read inside the job that creates a group, to
// queue its messages in the same transaction).
Result<std::vector<WebhookRow>> ListEnabledWebhooks(Txn& txn, int64_t project);
// nullopt when the project has no such webhook.
Result<std::optional<WebhookRow>> GetWebhook(Txn& txn, int64_t project,
                                             const std::string& webhook_id);
// Replaces the webhook's sealed secret only while it still equals `old_blob` (compare-and-swap, so
// re-encryption under a new key never overwrites a secret changed meanwhile).
Status ReplaceWebhookSecret(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const std::string& old_blob, const std::string& new_blob);

// --- the outbox and the log ---
// Queues `m` for the webhook unless `max_queued` messages already wait for it; false = dropped.
// Internal when m.delivery_id is already queued (in any project).
Result<bool> EnqueueWebhookMessage(WriteTxn& txn, int64_t project, int64_t webhook_row,
                                   const WebhookMessage& m, int64_t max_queued);
// Logs one attempt and applies `outcome`: the message is kept for a retry or removed; with
// disable_webhook the endpoint is disabled and its queued messages dropped. Keeps the newest
// `max_log_rows` log rows of the webhook. A no-op when the webhook was deleted meanwhile.
Status RecordWebhookAttempt(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const WebhookAttemptRow& a, const WebhookAttemptOutcome& outcome,
                            int64_t max_log_rows, int64_t now_ms);
// Removes a queued message without logging it (its webhook is disabled).
Status DropWebhookMessage(WriteTxn& txn, int64_t project, int64_t outbox_row);
// Removes, without logging them, every queued message about the project's group `group_id` (the
// group was muted); returns how many.
Result<int64_t> DropGroupWebhookMessages(WriteTxn& txn, int64_t project,
                                         const std::string& group_id);
// The webhook's log, newest first, at most `limit` rows: one `pending` row per message still
// queued, then the attempts made.
Result<std::vector<WebhookAttemptRow>> ListWebhookDeliveries(Txn& txn, int64_t project,
                                                             int64_t webhook_row, int64_t limit);
// Log rows stored for the project (the admin storage report).
Result<int64_t> CountWebhookDeliveries(Txn& txn, int64_t project);

// --- the sender's scans: cross-tenant by design (one sender serves every project) ---
// Messages due at `now_ms`, earliest due first, at most `limit` in all and the `per_project`
// earliest of each project, each with its webhook and project.
Result<std::vector<DueWebhookMessage>> ListDueWebhookMessages(Txn& txn, int64_t now_ms,
                                                              int64_t limit, int64_t per_project);
// The earliest next attempt of any queued message; nullopt when the outbox is empty.
Result<std::optional<int64_t>> NextWebhookAttemptAt(Txn& txn);
// Messages waiting in the outbox, all projects (a metrics gauge).
Result<int64_t> CountOutbox(Txn& txn);
// Sealed secrets of webhooks with a row above `after_row`, by row, at most `limit` (re-encryption
// under a new key walks every project's secrets).
Result<std::vector<StoredSecret>> ListStoredSecrets(Txn& txn, int64_t after_row, int64_t limit);
// Deletes at most `limit` log rows, of any project, created before `cutoff_ms`; returns how many.
// Cross-tenant by design: the retention sweep.
Result<int64_t> PruneDeliveries(WriteTxn& txn, int64_t cutoff_ms, int64_t limit);

}  // namespace vigil::storage
