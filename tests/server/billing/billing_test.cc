#include "server/billing/billing.h"

#include <doctest/doctest.h>

#include "domain/hash.h"
#include "domain/time_util.h"

using namespace vigil;

namespace {

const char kSecret[] = "whsec_unit_secret";

std::string Sign(const std::string& body, int64_t t, const std::string& secret = kSecret) {
  return HexEncode(HmacSha256(secret, std::to_string(t) + "." + body));
}

int64_t Ms(const char* rfc3339) { return *ParseRfc3339Ms(rfc3339); }

}  // namespace

TEST_CASE("HMAC-SHA256 matches the RFC 4231 test case 2 vector") {
  CHECK(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("Stripe-Signature parsing keeps t and every v1, ignores other schemes and junk") {
  auto h = ParseStripeSignature("t=12, v1=aa ,v0=zz,v1=bb,junk,=x");
  REQUIRE(h.t.has_value());
  CHECK(*h.t == 12);
  CHECK(h.v1 == std::vector<std::string>{"aa", "bb"});
  CHECK_FALSE(ParseStripeSignature("t=12a,v1=aa").t.has_value());
  CHECK_FALSE(ParseStripeSignature("t=-5,v1=aa").t.has_value());
  CHECK_FALSE(ParseStripeSignature("").t.has_value());
}

TEST_CASE("Stripe signatures verify only the exact body, secret and a fresh timestamp") {
  const std::string body = R"({"id":"evt_1","type":"x"})";
  const int64_t t = 1700000000;
  const std::string good = "t=" + std::to_string(t) + ",v1=" + Sign(body, t);
  CHECK(VerifyStripeSignature(good, body, kSecret, t).ok());
  CHECK(VerifyStripeSignature(good, body, kSecret, t + 300).ok());
  CHECK(VerifyStripeSignature(good, body, kSecret, t - 300).ok());
  CHECK_FALSE(VerifyStripeSignature(good, body, kSecret, t + 301).ok());  // stale
  CHECK_FALSE(VerifyStripeSignature(good, body, kSecret, t - 301).ok());  // from the future
  CHECK_FALSE(VerifyStripeSignature(good, body + " ", kSecret, t).ok());
  CHECK_FALSE(VerifyStripeSignature(good, body, "whsec_other", t).ok());
  CHECK(VerifyStripeSignature("t=" + std::to_string(t) + ",v1=00,v1=" + Sign(body, t), body,
                              kSecret, t)
            .ok());
  CHECK_FALSE(VerifyStripeSignature("v1=" + Sign(body, t), body, kSecret, t).ok());
  const Status s = VerifyStripeSignature("t=1,v1=00", body, kSecret, 1);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message() == "signature verification failed");
  CHECK_FALSE(
      VerifyStripeSignature(good, std::string(kMaxStripeBodyBytes + 1, ' '), kSecret, t).ok());
}

TEST_CASE("Stripe events decode into the billing change of the spec") {
  auto co = DecodeStripeEvent(
      R"({"id":"e1","type":"checkout.session.completed","data":{"object":{
          "metadata":{"mesedi_project_id":"proj_old"},"customer":{"id":"cus_1"},
          "subscription":"sub_1"}}})");
  REQUIRE(co.ok());
  CHECK(co->applies);
  CHECK(co->project_id == "proj_old");
  CHECK(co->update.tier == std::optional<Tier>(Tier::kPro));
  CHECK(co->update.customer_id == std::optional<std::string>("cus_1"));
  CHECK(co->update.subscription_id == std::optional<std::string>("sub_1"));

  auto up = DecodeStripeEvent(
      R"({"id":"e2","type":"customer.subscription.updated","data":{"object":{"id":"sub_2",
          "customer":"cus_2","status":"past_due","items":{"data":[{"current_period_start":0,
          "current_period_end":1893456000}]}}}})");
  REQUIRE(up.ok());
  CHECK(up->customer_id == "cus_2");
  CHECK_FALSE(up->update.tier.has_value());  // not active: the tier is left alone
  CHECK(up->update.period_start_ms == 0);
  CHECK(up->update.period_end_ms == 1893456000000);

  auto inv = DecodeStripeEvent(
      R"({"id":"e3","type":"invoice.paid","data":{"object":{"customer":"cus_3"}}})");
  REQUIRE(inv.ok());
  CHECK_FALSE(inv->applies);  // no period lines: nothing to change

  auto other = DecodeStripeEvent(R"({"id":"e4","type":"charge.refunded","data":{}})");
  REQUIRE(other.ok());
  CHECK_FALSE(other->applies);
  CHECK_FALSE(DecodeStripeEvent(R"({"id":1,"type":"x"})").ok());
  CHECK_FALSE(DecodeStripeEvent("[]").ok());
  CHECK_FALSE(DecodeStripeEvent("not json").ok());
}

TEST_CASE("Billing view: expired tier and grant fall away; calendar month restarts the count") {
  AdminProject p;
  p.tier = Tier::kPro;
  p.tier_expires_at_ms = Ms("2026-11-01T00:00:00Z");
  p.granted_executions = 700;
  p.granted_executions_expires_at_ms = Ms("2026-12-01T00:00:00Z");
  p.executions_this_period = 42;
  p.usage_month_start_ms = Ms("2026-10-01T00:00:00Z");
  const BillingView v = ComputeBillingView(p, Ms("2026-11-22T10:00:00Z"), true);
  CHECK(v.tier == Tier::kHobby);
  CHECK(v.included_executions == 5000 + 700);
  CHECK(v.executions_this_period == 0);  // counted in October
  CHECK(v.can_upgrade);
  CHECK_FALSE(v.can_manage);

  p.tier = Tier::kEnterprise;
  p.tier_expires_at_ms = 0;
  p.granted_executions = -10;
  p.usage_month_start_ms = Ms("2026-11-01T00:00:00Z");
  const BillingView e = ComputeBillingView(p, Ms("2026-11-22T10:00:00Z"), true);
  CHECK(e.included_executions == 0);
  CHECK(e.executions_this_period == 42);
  CHECK(ComputeBillingView(p, Ms("2026-12-02T00:00:00Z"), true).granted_executions == 0);
}

TEST_CASE("MonthStartMs is the first of the UTC month") {
  CHECK(MonthStartMs(Ms("2026-11-22T10:11:12.345Z")) == Ms("2026-11-01T00:00:00Z"));
  CHECK(MonthStartMs(Ms("2024-02-29T23:59:59Z")) == Ms("2024-02-01T00:00:00Z"));
  CHECK(MonthStartMs(Ms("2027-01-01T00:00:00Z")) == Ms("2027-01-01T00:00:00Z"));
}
