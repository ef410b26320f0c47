// Billing state kept from verified Stripe events (storage/billing.h).
#include "storage/billing.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {

Result<bool> RecordStripeEvent(WriteTxn& txn, int64_t project, const std::string& event_id,
                               const std::string& type, int64_t now_ms) {
  return Query<bool>([&](bool& inserted) {
    auto& q = txn.conn()->Prepare(
        "INSERT OR IGNORE INTO stripe_events(event_id, type, project, received_at)"
        " VALUES (?, ?, ?, ?)");
    q.bind(1, event_id);
    q.bind(2, type);
    BindInt(q, 3, project);
    q.bind(4, now_ms);
    inserted = q.exec() == 1;
    return Status::Ok();
  });
}

Result<int64_t> PruneStripeEvents(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return DeleteOlderBatch(txn.conn(),
                          "DELETE FROM stripe_events WHERE event_id IN (SELECT event_id FROM"
                          " stripe_events WHERE received_at < ? LIMIT ?)",
                          cutoff_ms, limit);
}

Result<std::optional<int64_t>> FindProjectByCustomer(Txn& txn, const std::string& customer_id) {
  return Query<std::optional<int64_t>>([&](std::optional<int64_t>& out) {
    auto& q = txn.conn()->Prepare(
        "SELECT id FROM projects WHERE stripe_customer_id = ? ORDER BY id LIMIT 1");
    q.bind(1, customer_id);
    if (q.executeStep()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
}

Status ApplyBilling(WriteTxn& txn, int64_t project, const BillingUpdate& u) {
  return GuardSqlite([&] {
    if (!u.only_for_subscription.empty()) {
      auto& q = txn.conn()->Prepare("SELECT stripe_subscription_id FROM projects WHERE id = ?");
      q.bind(1, project);
      if (!q.executeStep()) return Status::Ok();
      const std::string stored = Text(q, 0);
      q.reset();
      if (!stored.empty() && stored != u.only_for_subscription) return Status::Ok();
    }
    if (u.tier) {
      // A tier set by billing is not a time-limited admin grant: its expiry goes.
      auto& q =
          txn.conn()->Prepare("UPDATE projects SET tier = ?, tier_expires_at = NULL WHERE id = ?");
      q.bind(1, *u.tier);
      q.bind(2, project);
      q.exec();
    }
    if (u.customer_id) {
      auto& q = txn.conn()->Prepare("UPDATE projects SET stripe_customer_id = ? WHERE id = ?");
      BindText(q, 1, *u.customer_id);
      q.bind(2, project);
      q.exec();
    }
    if (u.subscription_id) {
      auto& q = txn.conn()->Prepare("UPDATE projects SET stripe_subscription_id = ? WHERE id = ?");
      BindText(q, 1, *u.subscription_id);
      q.bind(2, project);
      q.exec();
    }
    if (u.set_period) {
      auto& q = txn.conn()->Prepare(
          "UPDATE projects SET current_period_start = ?, current_period_end = ? WHERE id = ?");
      BindInt(q, 1, u.period_start_ms);
      BindInt(q, 2, u.period_end_ms);
      q.bind(3, project);
      q.exec();
    }
    if (u.reset_usage) {
      auto& q = txn.conn()->Prepare("UPDATE projects SET executions_this_period = 0 WHERE id = ?");
      q.bind(1, project);
      q.exec();
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
