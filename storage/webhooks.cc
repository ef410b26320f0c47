// Outgoing webhooks: endpoints, the outbox and the delivery log (storage/webhooks.h).
#include "storage/webhooks.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {
namespace {

std::string Blob(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  if (c.isNull()) return std::string();
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

std::string JoinClasses(const std::vector<std::string>& classes) {
  std::string out;
  for (const auto& c : classes) {
    if (!out.empty()) out += ',';
    out += c;
  }
  return out;
}

std::vector<std::string> SplitClasses(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Column list matching ReadWebhookRow, table alias `w`.
#define VIGIL_WEBHOOK_COLUMNS                                                      \
  "w.id, w.webhook_id, w.name, w.url, w.enabled_classes, w.enabled, w.secret_enc," \
  " w.created_at"

WebhookRow ReadWebhookRow(SQLite::Statement& q, int first) {
  WebhookRow w;
  ReadColumns(q, first, w.row, w.webhook_id, w.name, w.url);
  w.enabled_classes = SplitClasses(Text(q, first + 4));
  w.enabled = q.getColumn(first + 5).getInt() != 0;
  w.secret_blob = Blob(q, first + 6);
  w.created_at_ms = q.getColumn(first + 7).getInt64();
  return w;
}

WebhookRow ReadWebhook(SQLite::Statement& q) { return ReadWebhookRow(q, 0); }

DueWebhookMessage ReadDueMessage(SQLite::Statement& q) {
  DueWebhookMessage d;
  WebhookMessage& m = d.message;
  ReadColumns(q, 0, d.project, d.project_id, m.row, m.delivery_id, m.event, m.failure_class,
              m.signature, m.group_id, m.sample_execution_id, m.attempts, m.created_at_ms,
              m.next_attempt_at_ms, m.detail);
  d.webhook = ReadWebhookRow(q, 13);
  return d;
}

StoredSecret ReadStoredSecret(SQLite::Statement& q) {
  StoredSecret sec;
  ReadColumns(q, 0, sec.project, sec.project_id, sec.webhook_row, sec.webhook_id);
  sec.blob = Blob(q, 4);
  return sec;
}

}  // namespace

Status CreateWebhook(WriteTxn& txn, int64_t project, const WebhookRow& w, int64_t max_per_project) {
  auto count =
      SelectInt(txn.conn(), "SELECT COUNT(*) FROM project_webhooks WHERE project = ?", project);
  if (!count.ok()) return count.status();
  if (count.value() >= max_per_project) {
    return Status::Conflict("too many webhooks (max " + std::to_string(max_per_project) + ")");
  }
  return Execute(txn.conn(),
                 "INSERT INTO project_webhooks(project, webhook_id, name, url, enabled_classes,"
                 " enabled, secret_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 project, w.webhook_id, NullIfEmpty{w.name}, w.url, JoinClasses(w.enabled_classes),
                 w.enabled ? 1 : 0, AsBlob{w.secret_blob}, w.created_at_ms);
}

Result<bool> DeleteWebhook(WriteTxn& txn, int64_t project, const std::string& webhook_id) {
  // Queued messages and log rows go by ON DELETE CASCADE.
  return ChangedAny(txn.conn(), "DELETE FROM project_webhooks WHERE project = ? AND webhook_id = ?",
                    project, webhook_id);
}

Result<std::vector<WebhookRow>> ListEnabledWebhooks(Txn& txn, int64_t project) {
  return SelectAll(txn.conn(),
                   "SELECT " VIGIL_WEBHOOK_COLUMNS
                   " FROM project_webhooks w WHERE w.project = ? AND w.enabled = 1 ORDER BY w.id",
                   ReadWebhook, project);
}

Result<bool> EnqueueWebhookMessage(WriteTxn& txn, int64_t project, int64_t webhook_row,
                                   const WebhookMessage& m, int64_t max_queued) {
  auto queued =
      SelectInt(txn.conn(), "SELECT COUNT(*) FROM webhook_outbox WHERE webhook = ? AND project = ?",
                webhook_row, project);
  if (!queued.ok()) return queued.status();
  if (queued.value() >= max_queued) return false;
  Status s =
      Execute(txn.conn(),
              "INSERT INTO webhook_outbox(project, webhook, delivery_id, event, failure_class,"
              " signature, group_id, sample_execution_id, attempts, created_at,"
              " next_attempt_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              project, webhook_row, m.delivery_id, m.event, NullIfEmpty{m.failure_class},
              NullIfEmpty{m.signature}, NullIfEmpty{m.group_id}, NullIfEmpty{m.sample_execution_id},
              m.attempts, m.created_at_ms, m.next_attempt_at_ms, NullIfEmpty{m.detail});
  if (!s.ok()) return s;
  return true;
}

namespace {

// Logs one attempt, keeping the newest `max_log_rows` log rows of the webhook.
void AppendAttemptLog(Connection* conn, int64_t project, int64_t webhook_row,
                      const WebhookAttemptRow& a, int64_t max_log_rows) {
  Exec(conn,
       "INSERT INTO webhook_deliveries(project, webhook, delivery_id, event, failure_class,"
       " signature, group_id, attempt, status, http_status, error, response_body, duration_ms,"
       " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
       project, webhook_row, a.delivery_id, a.event, NullIfEmpty{a.failure_class},
       NullIfEmpty{a.signature}, NullIfEmpty{a.group_id}, a.attempt, a.status, a.http_status,
       NullIfEmpty{a.error}, NullIfEmpty{a.response_body}, a.duration_ms, a.created_at_ms,
       a.next_attempt_at_ms);
  // The log is bounded per webhook: the oldest rows beyond the newest max_log_rows go.
  Exec(conn,
       "DELETE FROM webhook_deliveries WHERE webhook = ?1 AND project = ?2 AND id <= ("
       " SELECT id FROM webhook_deliveries WHERE webhook = ?1 AND project = ?2"
       " ORDER BY id DESC LIMIT 1 OFFSET ?3)",
       webhook_row, project, max_log_rows);
}

void DeleteOutboxRow(Connection* conn, int64_t project, int64_t outbox_row) {
  Exec(conn, "DELETE FROM webhook_outbox WHERE id = ? AND project = ?", outbox_row, project);
}

// What an attempt decided for its message (kept for a retry, or removed) and its endpoint.
void ApplyOutcome(Connection* conn, int64_t project, int64_t webhook_row, int64_t attempt,
                  const WebhookAttemptOutcome& outcome, int64_t now_ms) {
  if (outcome.outbox_row != 0) {
    if (outcome.retry_at_ms && !outcome.disable_webhook) {
      Exec(conn,
           "UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?"
           " WHERE id = ? AND project = ?",
           attempt, *outcome.retry_at_ms, outcome.outbox_row, project);
    } else {
      DeleteOutboxRow(conn, project, outcome.outbox_row);
    }
  }
  if (outcome.disable_webhook) {
    Exec(conn,
         "UPDATE project_webhooks SET enabled = 0, disabled_at = ? WHERE id = ? AND project = ?",
         now_ms, webhook_row, project);
    Exec(conn, "DELETE FROM webhook_outbox WHERE webhook = ? AND project = ?", webhook_row,
         project);
  }
}

}  // namespace

Status RecordWebhookAttempt(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const WebhookAttemptRow& a, const WebhookAttemptOutcome& outcome,
                            int64_t max_log_rows, int64_t now_ms) {
  return GuardSqlite([&] {
    Connection* conn = txn.conn();
    auto& exists = Prepared(conn, "SELECT 1 FROM project_webhooks WHERE project = ? AND id = ?",
                            project, webhook_row);
    if (!FirstRow(exists, IntAt0)) return Status::Ok();  // deleted while the attempt ran
    AppendAttemptLog(conn, project, webhook_row, a, max_log_rows);
    ApplyOutcome(conn, project, webhook_row, a.attempt, outcome, now_ms);
    return Status::Ok();
  });
}

Status DropWebhookMessage(WriteTxn& txn, int64_t project, int64_t outbox_row) {
  return GuardSqlite([&] {
    DeleteOutboxRow(txn.conn(), project, outbox_row);
    return Status::Ok();
  });
}

Result<int64_t> DropGroupWebhookMessages(WriteTxn& txn, int64_t project,
                                         const std::string& group_id) {
  return Changes(txn.conn(), "DELETE FROM webhook_outbox WHERE project = ? AND group_id = ?",
                 project, group_id);
}

Status ReplaceWebhookSecret(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const std::string& old_blob, const std::string& new_blob) {
  return Execute(txn.conn(),
                 "UPDATE project_webhooks SET secret_enc = ? WHERE project = ? AND id = ?"
                 " AND secret_enc = ?",
                 AsBlob{new_blob}, project, webhook_row, AsBlob{old_blob});
}

Result<std::vector<WebhookRow>> ListWebhooks(Txn& txn, int64_t project) {
  return SelectAll(txn.conn(),
                   "SELECT " VIGIL_WEBHOOK_COLUMNS
                   " FROM project_webhooks w WHERE w.project = ?"
                   " ORDER BY w.created_at DESC, w.id DESC",
                   ReadWebhook, project);
}

Result<std::optional<WebhookRow>> GetWebhook(Txn& txn, int64_t project,
                                             const std::string& webhook_id) {
  return SelectOne(txn.conn(),
                   "SELECT " VIGIL_WEBHOOK_COLUMNS
                   " FROM project_webhooks w WHERE w.project = ? AND w.webhook_id = ?",
                   ReadWebhook, project, webhook_id);
}

Result<std::vector<WebhookAttemptRow>> ListWebhookDeliveries(Txn& txn, int64_t project,
                                                             int64_t webhook_row, int64_t limit) {
  return Query<std::vector<WebhookAttemptRow>>([&](std::vector<WebhookAttemptRow>& out) {
    // Messages still queued first (the current state), newest first, each as a `pending` row:
    // the attempt it waits for, with no outcome yet.
    out = AllRows(Prepared(txn.conn(),
                           "SELECT delivery_id, event, failure_class, signature, group_id,"
                           " attempts + 1, 'pending', NULL, NULL, NULL, 0, created_at,"
                           " next_attempt_at FROM webhook_outbox WHERE project = ? AND webhook = ?"
                           " ORDER BY created_at DESC, id DESC LIMIT ?",
                           project, webhook_row, limit),
                  ReadDelivery);
    const auto logged =
        AllRows(Prepared(txn.conn(),
                         "SELECT " VIGIL_DELIVERY_COLUMNS " FROM webhook_deliveries d"
                         " WHERE d.project = ? AND d.webhook = ?"
                         " ORDER BY d.id DESC LIMIT ?",
                         project, webhook_row, limit - static_cast<int64_t>(out.size())),
                ReadDelivery);
    out.insert(out.end(), logged.begin(), logged.end());
    return Status::Ok();
  });
}

Result<std::vector<DueWebhookMessage>> ListDueWebhookMessages(Txn& txn, int64_t now_ms,
                                                              int64_t limit, int64_t per_project) {
  // Ranked within each project first, so one project's backlog cannot fill the page.
  return SelectAll(txn.conn(),
                   "WITH due AS (SELECT id, ROW_NUMBER() OVER (PARTITION BY project"
                   " ORDER BY next_attempt_at, id) AS pos FROM webhook_outbox"
                   " WHERE next_attempt_at <= ?)"
                   " SELECT o.project, p.project_id, o.id, o.delivery_id, o.event, o.failure_class,"
                   " o.signature, o.group_id, o.sample_execution_id, o.attempts, o.created_at,"
                   " o.next_attempt_at, o.detail, " VIGIL_WEBHOOK_COLUMNS
                   " FROM due JOIN webhook_outbox o ON o.id = due.id"
                   " JOIN project_webhooks w ON w.id = o.webhook"
                   " JOIN projects p ON p.id = o.project"
                   " WHERE due.pos <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?",
                   ReadDueMessage, now_ms, per_project, limit);
}

Result<std::optional<int64_t>> NextWebhookAttemptAt(Txn& txn) {
  return Query<std::optional<int64_t>>([&](std::optional<int64_t>& out) {
    auto& q = txn.conn()->Prepare("SELECT MIN(next_attempt_at) FROM webhook_outbox");
    if (q.executeStep() && !q.getColumn(0).isNull()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<std::vector<StoredSecret>> ListStoredSecrets(Txn& txn, int64_t after_row, int64_t limit) {
  return SelectAll(txn.conn(),
                   "SELECT w.project, p.project_id, w.id, w.webhook_id, w.secret_enc"
                   " FROM project_webhooks w JOIN projects p ON p.id = w.project"
                   " WHERE w.id > ? ORDER BY w.id LIMIT ?",
                   ReadStoredSecret, after_row, limit);
}

Result<int64_t> CountWebhookDeliveries(Txn& txn, int64_t project) {
  return SelectInt(txn.conn(), "SELECT COUNT(*) FROM webhook_deliveries WHERE project = ?",
                   project);
}

Result<int64_t> CountOutbox(Txn& txn) {
  return SelectInt(txn.conn(), "SELECT COUNT(*) FROM webhook_outbox");
}

Result<int64_t> PruneDeliveries(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return Changes(txn.conn(),
                 "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
                 " WHERE created_at < ? LIMIT ?)",
                 cutoff_ms, limit);
}

}  // namespace vigil::storage
