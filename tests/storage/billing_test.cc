// Billing state from Stripe events: each event acts once, updates touch only what they name.
#include "storage/billing.h"

#include <doctest/doctest.h>

#include "storage/executions.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

namespace {

AdminProject Billing(TempStore& t, int64_t project) {
  auto p = t.Read([&](Txn& txn) { return storage::GetAdminProjectById(txn, project); });
  REQUIRE(p.has_value());
  return *p;
}

Status Apply(TempStore& t, int64_t project, const BillingUpdate& u) {
  return t.Write([&](WriteTxn& txn) { return storage::ApplyBilling(txn, project, u); });
}

bool Record(TempStore& t, int64_t project, const std::string& event_id, int64_t now_ms) {
  return t.Write([&](WriteTxn& txn) {
    return storage::RecordStripeEvent(txn, project, event_id, "invoice.paid", now_ms);
  });
}

}  // namespace

TEST_CASE("A Stripe event is recorded once, whichever project it names") {
  TempStore t;
  CHECK(Record(t, t.a, "evt_1", 10));
  CHECK_FALSE(Record(t, t.a, "evt_1", 11));  // Stripe retried: not applied again
  CHECK_FALSE(Record(t, t.b, "evt_1", 12));  // event ids are Stripe's, global
  CHECK(Record(t, 0, "evt_2", 13));          // an event that matched no project
}

TEST_CASE("PruneStripeEvents forgets events received before the cutoff, in batches") {
  TempStore t;
  Record(t, t.a, "evt_old1", 10);
  Record(t, t.b, "evt_old2", 20);
  Record(t, t.a, "evt_new", 30);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneStripeEvents(txn, 30, 1); }) == 1);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneStripeEvents(txn, 30, 5); }) == 1);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneStripeEvents(txn, 30, 5); }) == 0);
  CHECK(Record(t, t.a, "evt_old1", 40));  // forgotten, so it would act again
  CHECK_FALSE(Record(t, t.a, "evt_new", 41));
}

TEST_CASE("ApplyBilling changes only the fields it names, on its project only") {
  TempStore t;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::SetTier(txn, t.a, Tier::kEnterprise, 9999);
           }).ok());
  BillingUpdate u;
  u.tier = Tier::kPro;
  u.customer_id = "cus_1";
  u.subscription_id = "sub_1";
  u.set_period = true;
  u.period_start_ms = 1000;
  u.period_end_ms = 2000;
  REQUIRE(Apply(t, t.a, u).ok());
  AdminProject a = Billing(t, t.a);
  CHECK(a.tier == Tier::kPro);
  CHECK(a.tier_expires_at_ms == 0);  // a billed tier is not a time-limited admin grant
  CHECK(a.stripe_customer_id == "cus_1");
  CHECK(a.stripe_subscription_id == "sub_1");
  CHECK(a.current_period_start_ms == 1000);
  CHECK(a.current_period_end_ms == 2000);
  const AdminProject b = Billing(t, t.b);
  CHECK(b.tier == Tier::kHobby);
  CHECK(b.stripe_customer_id.empty());

  ExecutionPatch run;
  run.execution_id = "e1";
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::UpsertExecution(txn, t.a, run, 1500);
           }).created);
  CHECK(Billing(t, t.a).executions_this_period == 1);
  BillingUpdate period_only;
  period_only.set_period = true;
  period_only.period_start_ms = 2000;
  period_only.period_end_ms = 3000;
  period_only.reset_usage = true;
  REQUIRE(Apply(t, t.a, period_only).ok());
  a = Billing(t, t.a);
  CHECK(a.tier == Tier::kPro);
  CHECK(a.stripe_subscription_id == "sub_1");
  CHECK(a.current_period_start_ms == 2000);
  CHECK(a.executions_this_period == 0);

  BillingUpdate clear;
  clear.subscription_id = "";
  REQUIRE(Apply(t, t.a, clear).ok());
  CHECK(Billing(t, t.a).stripe_subscription_id.empty());
  CHECK(Billing(t, t.a).stripe_customer_id == "cus_1");
}

TEST_CASE("An update for an old subscription leaves a newer one alone") {
  TempStore t;
  BillingUpdate sub;
  sub.tier = Tier::kPro;
  sub.subscription_id = "sub_new";
  REQUIRE(Apply(t, t.a, sub).ok());
  BillingUpdate old_deleted;
  old_deleted.tier = Tier::kHobby;
  old_deleted.subscription_id = "";
  old_deleted.only_for_subscription = "sub_old";
  REQUIRE(Apply(t, t.a, old_deleted).ok());  // not an error: simply not applied
  CHECK(Billing(t, t.a).tier == Tier::kPro);
  CHECK(Billing(t, t.a).stripe_subscription_id == "sub_new");
  old_deleted.only_for_subscription = "sub_new";
  REQUIRE(Apply(t, t.a, old_deleted).ok());
  CHECK(Billing(t, t.a).tier == Tier::kHobby);
  // With no subscription stored, a conditional update applies.
  old_deleted.tier = Tier::kEnterprise;
  REQUIRE(Apply(t, t.b, old_deleted).ok());
  CHECK(Billing(t, t.b).tier == Tier::kEnterprise);
}

TEST_CASE("FindProjectByCustomer finds the project a Stripe customer pays for") {
  TempStore t;
  BillingUpdate u;
  u.customer_id = "cus_b";
  REQUIRE(Apply(t, t.b, u).ok());
  CHECK(t.Read([](Txn& txn) { return storage::FindProjectByCustomer(txn, "cus_b"); }) == t.b);
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::FindProjectByCustomer(txn, "cus_x"); }));
  CHECK(Apply(t, 999, u).ok());  // a missing project: a no-op
  CHECK(t.Read([](Txn& txn) { return storage::FindProjectByCustomer(txn, "cus_b"); }) == t.b);
}
