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

WebhookRow ReadWebhookRow(SQLite::Statement& q, int first = 0) {
  WebhookRow w;
  w.row = q.getColumn(first).getInt64();
  w.webhook_id = Text(q, first + 1);
  w.name = Text(q, first + 2);
  w.url = Text(q, first + 3);
  w.enabled_classes = SplitClasses(Text(q, first + 4));
  w.enabled = q.getColumn(first + 5).getInt() != 0;
  w.secret_blob = Blob(q, first + 6);
  w.created_at_ms = q.getColumn(first + 7).getInt64();
  return w;
}

}  // namespace

Status CreateWebhook(WriteTxn& txn, int64_t project, const WebhookRow& w, int64_t max_per_project) {
  return GuardSqlite([&] {
    auto& count = txn.conn()->Prepare("SELECT COUNT(*) FROM project_webhooks WHERE project = ?");
    count.bind(1, project);
    count.executeStep();
    if (count.getColumn(0).getInt64() >= max_per_project) {
      return Status::Conflict("too many webhooks (max " + std::to_string(max_per_project) + ")");
    }
    auto& q = txn.conn()->Prepare(
        "INSERT INTO project_webhooks(project, webhook_id, name, url, enabled_classes, enabled,"
        " secret_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, project);
    q.bind(2, w.webhook_id);
    BindText(q, 3, w.name);
    q.bind(4, w.url);
    q.bind(5, JoinClasses(w.enabled_classes));
    q.bind(6, w.enabled ? 1 : 0);
    q.bind(7, w.secret_blob.data(), static_cast<int>(w.secret_blob.size()));
    q.bind(8, w.created_at_ms);
    q.exec();
    return Status::Ok();
  });
}

Result<bool> DeleteWebhook(WriteTxn& txn, int64_t project, const std::string& webhook_id) {
  return Query<bool>([&](bool& deleted) {
    // Queued messages and log rows go by ON DELETE CASCADE.
    auto& q =
        txn.conn()->Prepare("DELETE FROM project_webhooks WHERE project = ? AND webhook_id = ?");
    q.bind(1, project);
    q.bind(2, webhook_id);
    deleted = q.exec() > 0;
    return Status::Ok();
  });
}

Result<std::vector<WebhookRow>> ListEnabledWebhooks(Txn& txn, int64_t project) {
  return Query<std::vector<WebhookRow>>([&](std::vector<WebhookRow>& out) {
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_WEBHOOK_COLUMNS
                                  " FROM project_webhooks w WHERE w.project = ? AND w.enabled = 1"
                                  " ORDER BY w.id");
    q.bind(1, project);
    while (q.executeStep()) out.push_back(ReadWebhookRow(q));
    return Status::Ok();
  });
}

Result<bool> EnqueueWebhookMessage(WriteTxn& txn, int64_t project, int64_t webhook_row,
                                   const WebhookMessage& m, int64_t max_queued) {
  return Query<bool>([&](bool& queued) {
    auto& count = txn.conn()->Prepare(
        "SELECT COUNT(*) FROM webhook_outbox WHERE webhook = ? AND project = ?");
    count.bind(1, webhook_row);
    count.bind(2, project);
    count.executeStep();
    if (count.getColumn(0).getInt64() >= max_queued) return Status::Ok();
    auto& q = txn.conn()->Prepare(
        "INSERT INTO webhook_outbox(project, webhook, delivery_id, event, failure_class,"
        " signature, group_id, sample_execution_id, attempts, created_at, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, project);
    q.bind(2, webhook_row);
    q.bind(3, m.delivery_id);
    q.bind(4, m.event);
    BindText(q, 5, m.failure_class);
    BindText(q, 6, m.signature);
    BindText(q, 7, m.group_id);
    BindText(q, 8, m.sample_execution_id);
    q.bind(9, m.attempts);
    q.bind(10, m.created_at_ms);
    q.bind(11, m.next_attempt_at_ms);
    q.exec();
    queued = true;
    return Status::Ok();
  });
}

namespace {

// Logs one attempt, keeping the newest `max_log_rows` log rows of the webhook.
void AppendAttemptLog(Connection* conn, int64_t project, int64_t webhook_row,
                      const WebhookAttemptRow& a, int64_t max_log_rows) {
  auto& log = conn->Prepare(
      "INSERT INTO webhook_deliveries(project, webhook, delivery_id, event, failure_class,"
      " signature, group_id, attempt, status, http_status, error, response_body, duration_ms,"
      " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  log.bind(1, project);
  log.bind(2, webhook_row);
  log.bind(3, a.delivery_id);
  log.bind(4, a.event);
  BindText(log, 5, a.failure_class);
  BindText(log, 6, a.signature);
  BindText(log, 7, a.group_id);
  log.bind(8, a.attempt);
  log.bind(9, a.status);
  if (a.http_status) {
    log.bind(10, *a.http_status);
  } else {
    log.bind(10);
  }
  BindText(log, 11, a.error);
  BindText(log, 12, a.response_body);
  log.bind(13, a.duration_ms);
  log.bind(14, a.created_at_ms);
  if (a.next_attempt_at_ms) {
    log.bind(15, *a.next_attempt_at_ms);
  } else {
    log.bind(15);
  }
  log.exec();
  // The log is bounded per webhook: the oldest rows beyond the newest max_log_rows go.
  auto& prune = conn->Prepare(
      "DELETE FROM webhook_deliveries WHERE webhook = ?1 AND project = ?2 AND id <= ("
      " SELECT id FROM webhook_deliveries WHERE webhook = ?1 AND project = ?2"
      " ORDER BY id DESC LIMIT 1 OFFSET ?3)");
  prune.bind(1, webhook_row);
  prune.bind(2, project);
  prune.bind(3, max_log_rows);
  prune.exec();
}

void DeleteOutboxRow(Connection* conn, int64_t project, int64_t outbox_row) {
  auto& d = conn->Prepare("DELETE FROM webhook_outbox WHERE id = ? AND project = ?");
  d.bind(1, outbox_row);
  d.bind(2, project);
  d.exec();
}

// What an attempt decided for its message (kept for a retry, or removed) and its endpoint.
void ApplyOutcome(Connection* conn, int64_t project, int64_t webhook_row, int64_t attempt,
                  const WebhookAttemptOutcome& outcome, int64_t now_ms) {
  if (outcome.outbox_row != 0) {
    if (outcome.retry_at_ms && !outcome.disable_webhook) {
      auto& u = conn->Prepare(
          "UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?"
          " WHERE id = ? AND project = ?");
      u.bind(1, attempt);
      u.bind(2, *outcome.retry_at_ms);
      u.bind(3, outcome.outbox_row);
      u.bind(4, project);
      u.exec();
    } else {
      DeleteOutboxRow(conn, project, outcome.outbox_row);
    }
  }
  if (outcome.disable_webhook) {
    auto& dis = conn->Prepare(
        "UPDATE project_webhooks SET enabled = 0, disabled_at = ? WHERE id = ? AND project = ?");
    dis.bind(1, now_ms);
    dis.bind(2, webhook_row);
    dis.bind(3, project);
    dis.exec();
    auto& drop = conn->Prepare("DELETE FROM webhook_outbox WHERE webhook = ? AND project = ?");
    drop.bind(1, webhook_row);
    drop.bind(2, project);
    drop.exec();
  }
}

}  // namespace

Status RecordWebhookAttempt(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const WebhookAttemptRow& a, const WebhookAttemptOutcome& outcome,
                            int64_t max_log_rows, int64_t now_ms) {
  return GuardSqlite([&] {
    Connection* conn = txn.conn();
    auto& exists = conn->Prepare("SELECT 1 FROM project_webhooks WHERE project = ? AND id = ?");
    exists.bind(1, project);
    exists.bind(2, webhook_row);
    if (!exists.executeStep()) return Status::Ok();  // deleted while the attempt ran
    exists.reset();
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

Status ReplaceWebhookSecret(WriteTxn& txn, int64_t project, int64_t webhook_row,
                            const std::string& old_blob, const std::string& new_blob) {
  return GuardSqlite([&] {
    auto& q = txn.conn()->Prepare(
        "UPDATE project_webhooks SET secret_enc = ? WHERE project = ? AND id = ?"
        " AND secret_enc = ?");
    q.bind(1, new_blob.data(), static_cast<int>(new_blob.size()));
    q.bind(2, project);
    q.bind(3, webhook_row);
    q.bind(4, old_blob.data(), static_cast<int>(old_blob.size()));
    q.exec();
    return Status::Ok();
  });
}

Result<std::vector<WebhookRow>> ListWebhooks(Txn& txn, int64_t project) {
  return Query<std::vector<WebhookRow>>([&](std::vector<WebhookRow>& out) {
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_WEBHOOK_COLUMNS
                                  " FROM project_webhooks w WHERE w.project = ?"
                                  " ORDER BY w.created_at DESC, w.id DESC");
    q.bind(1, project);
    while (q.executeStep()) out.push_back(ReadWebhookRow(q));
    return Status::Ok();
  });
}

Result<std::optional<WebhookRow>> GetWebhook(Txn& txn, int64_t project,
                                             const std::string& webhook_id) {
  return Query<std::optional<WebhookRow>>([&](std::optional<WebhookRow>& out) {
    auto& q =
        txn.conn()->Prepare("SELECT " VIGIL_WEBHOOK_COLUMNS
                            " FROM project_webhooks w WHERE w.project = ? AND w.webhook_id = ?");
    q.bind(1, project);
    q.bind(2, webhook_id);
    if (q.executeStep()) out = ReadWebhookRow(q);
    return Status::Ok();
  });
}

Result<std::vector<WebhookAttemptRow>> ListWebhookDeliveries(Txn& txn, int64_t project,
                                                             int64_t webhook_row, int64_t limit) {
  return Query<std::vector<WebhookAttemptRow>>([&](std::vector<WebhookAttemptRow>& out) {
    // Messages still queued first (the current state), newest first, as `pending` rows.
    auto& p = txn.conn()->Prepare(
        "SELECT delivery_id, event, failure_class, signature, group_id, attempts, created_at,"
        " next_attempt_at FROM webhook_outbox WHERE project = ? AND webhook = ?"
        " ORDER BY created_at DESC, id DESC LIMIT ?");
    p.bind(1, project);
    p.bind(2, webhook_row);
    p.bind(3, limit);
    while (p.executeStep()) {
      WebhookAttemptRow a;
      a.delivery_id = Text(p, 0);
      a.event = Text(p, 1);
      a.failure_class = Text(p, 2);
      a.signature = Text(p, 3);
      a.group_id = Text(p, 4);
      a.attempt = p.getColumn(5).getInt64() + 1;
      a.status = "pending";
      a.created_at_ms = p.getColumn(6).getInt64();
      a.next_attempt_at_ms = p.getColumn(7).getInt64();
      out.push_back(std::move(a));
    }
    auto& q = txn.conn()->Prepare("SELECT " VIGIL_DELIVERY_COLUMNS
                                  " FROM webhook_deliveries d WHERE d.project = ? AND d.webhook = ?"
                                  " ORDER BY d.id DESC LIMIT ?");
    q.bind(1, project);
    q.bind(2, webhook_row);
    q.bind(3, limit - static_cast<int64_t>(out.size()));
    while (q.executeStep()) out.push_back(ReadDeliveryRow(q, 0));
    return Status::Ok();
  });
}

Result<std::vector<DueWebhookMessage>> ListDueWebhookMessages(Txn& txn, int64_t now_ms,
                                                              int64_t limit) {
  return Query<std::vector<DueWebhookMessage>>([&](std::vector<DueWebhookMessage>& out) {
    auto& q = txn.conn()->Prepare(
        "SELECT o.project, p.project_id, o.id, o.delivery_id, o.event, o.failure_class,"
        " o.signature, o.group_id, o.sample_execution_id, o.attempts, o.created_at,"
        " o.next_attempt_at, " VIGIL_WEBHOOK_COLUMNS
        " FROM webhook_outbox o JOIN project_webhooks w ON w.id = o.webhook"
        " JOIN projects p ON p.id = o.project"
        " WHERE o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?");
    q.bind(1, now_ms);
    q.bind(2, limit);
    while (q.executeStep()) {
      DueWebhookMessage d;
      d.project = q.getColumn(0).getInt64();
      d.project_id = Text(q, 1);
      WebhookMessage& m = d.message;
      m.row = q.getColumn(2).getInt64();
      m.delivery_id = Text(q, 3);
      m.event = Text(q, 4);
      m.failure_class = Text(q, 5);
      m.signature = Text(q, 6);
      m.group_id = Text(q, 7);
      m.sample_execution_id = Text(q, 8);
      m.attempts = q.getColumn(9).getInt64();
      m.created_at_ms = q.getColumn(10).getInt64();
      m.next_attempt_at_ms = q.getColumn(11).getInt64();
      d.webhook = ReadWebhookRow(q, 12);
      out.push_back(std::move(d));
    }
    return Status::Ok();
  });
}

Result<std::optional<int64_t>> NextWebhookAttemptAt(Txn& txn) {
  return Query<std::optional<int64_t>>([&](std::optional<int64_t>& out) {
    auto& q = txn.conn()->Prepare("SELECT MIN(next_attempt_at) FROM webhook_outbox");
    if (q.executeStep() && !q.getColumn(0).isNull()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<std::vector<StoredSecret>> ListStoredSecrets(Txn& txn, int64_t after_row, int64_t limit) {
  return Query<std::vector<StoredSecret>>([&](std::vector<StoredSecret>& out) {
    auto& q = txn.conn()->Prepare(
        "SELECT w.project, p.project_id, w.id, w.webhook_id, w.secret_enc"
        " FROM project_webhooks w JOIN projects p ON p.id = w.project"
        " WHERE w.id > ? ORDER BY w.id LIMIT ?");
    q.bind(1, after_row);
    q.bind(2, limit);
    while (q.executeStep()) {
      StoredSecret sec;
      sec.project = q.getColumn(0).getInt64();
      sec.project_id = Text(q, 1);
      sec.webhook_row = q.getColumn(2).getInt64();
      sec.webhook_id = Text(q, 3);
      sec.blob = Blob(q, 4);
      out.push_back(std::move(sec));
    }
    return Status::Ok();
  });
}

Result<int64_t> CountWebhookDeliveries(Txn& txn, int64_t project) {
  return Query<int64_t>([&](int64_t& n) {
    auto& q = txn.conn()->Prepare("SELECT COUNT(*) FROM webhook_deliveries WHERE project = ?");
    q.bind(1, project);
    if (q.executeStep()) n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<int64_t> CountOutbox(Txn& txn) {
  return Query<int64_t>([&](int64_t& n) {
    auto& q = txn.conn()->Prepare("SELECT COUNT(*) FROM webhook_outbox");
    if (q.executeStep()) n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Result<int64_t> PruneDeliveries(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(txn.conn(),
                          "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM"
                          " webhook_deliveries WHERE created_at < ? LIMIT ?)",
                          cutoff_ms, limit);
}

}  // namespace vigil::storage
