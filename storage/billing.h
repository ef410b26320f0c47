// Billing state of projects, kept from verified Stripe events: the tier, the Stripe customer and
// subscription, the billing period and the usage counted in it. Each Stripe event acts once.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/account.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Records the verified Stripe event `event_id` (for `project`, 0 = none matched); false when its id
// was already recorded, so the caller applies it only once however often Stripe retries it.
// Event ids are Stripe's, unique across projects.
Result<bool> RecordStripeEvent(WriteTxn& txn, int64_t project, const std::string& event_id,
                               const std::string& type, int64_t now_ms);
// Applies `u` to the project's billing fields (see BillingUpdate: nullopt fields stay; with
// only_for_subscription set, nothing changes while another subscription is stored). A tier set
// here clears any time limit an admin put on the tier. A no-op for a missing project.
Status ApplyBilling(WriteTxn& txn, int64_t project, const BillingUpdate& u);
// The project with Stripe customer `customer_id` (the lowest id if several); nullopt when none.
// Cross-tenant by design: a Stripe event names its customer, not our project.
Result<std::optional<int64_t>> FindProjectByCustomer(Txn& txn, const std::string& customer_id);
// Deletes at most `limit` recorded Stripe events received before `cutoff_ms`; returns how many.
// Cross-tenant by design: the retention sweep.
Result<int64_t> PruneStripeEvents(WriteTxn& txn, int64_t cutoff_ms, int64_t limit);

}  // namespace vigil::storage
