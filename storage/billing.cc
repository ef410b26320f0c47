// Billing state kept from verified Stripe events (storage/billing.h).
#include "storage/billing.h"

#include "storage/connection.h"
#include "storage/rows.h"
#include "storage/txn.h"

namespace vigil::storage {

Result<bool> RecordStripeEvent(WriteTxn& txn, int64_t project, const std::string& event_id,
                               const std::string& type, int64_t now_ms) {
  return ChangedAny(txn.conn(),
                    "INSERT OR IGNORE INTO stripe_events(event_id, type, project, received_at)"
                    " VALUES (?, ?, ?, ?)",
                    event_id, type, NullIfZero{project}, now_ms);
}

Result<int64_t> PruneStripeEvents(WriteTxn& txn, int64_t cutoff_ms, int64_t limit) {
  return Changes(txn.conn(),
                 "DELETE FROM stripe_events WHERE event_id IN (SELECT event_id FROM"
                 " stripe_events WHERE received_at < ? LIMIT ?)",
                 cutoff_ms, limit);
}

Result<std::optional<int64_t>> FindProjectByCustomer(Txn& txn, const std::string& customer_id) {
  return SelectOne(txn.conn(),
                   "SELECT id FROM projects WHERE stripe_customer_id = ? ORDER BY id LIMIT 1",
                   IntAt0, customer_id);
}

Status ApplyBilling(WriteTxn& txn, int64_t project, const BillingUpdate& u) {
  return GuardSqlite([&] {
    Connection* conn = txn.conn();
    if (!u.only_for_subscription.empty()) {
      const auto stored = FirstRow(
          Prepared(conn, "SELECT stripe_subscription_id FROM projects WHERE id = ?", project),
          TextAt0);
      if (!stored) return Status::Ok();
      if (!stored->empty() && *stored != u.only_for_subscription) return Status::Ok();
    }
    if (u.tier) {
      // A tier set by billing is not a time-limited admin grant: its expiry goes.
      Exec(conn, "UPDATE projects SET tier = ?, tier_expires_at = NULL WHERE id = ?", *u.tier,
           project);
    }
    if (u.customer_id) {
      Exec(conn, "UPDATE projects SET stripe_customer_id = ? WHERE id = ?",
           NullIfEmpty{*u.customer_id}, project);
    }
    if (u.subscription_id) {
      Exec(conn, "UPDATE projects SET stripe_subscription_id = ? WHERE id = ?",
           NullIfEmpty{*u.subscription_id}, project);
    }
    if (u.set_period) {
      Exec(conn,
           "UPDATE projects SET current_period_start = ?, current_period_end = ? WHERE id = ?",
           NullIfZero{u.period_start_ms}, NullIfZero{u.period_end_ms}, project);
    }
    if (u.reset_usage) {
      Exec(conn, "UPDATE projects SET executions_this_period = 0 WHERE id = ?", project);
    }
    return Status::Ok();
  });
}

}  // namespace vigil::storage
