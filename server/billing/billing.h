// Billing rules (docs/api.md#billing), pure: Stripe-Signature verification, decoding a verified
// Stripe event into the change it makes, and the billing view of a project. The handlers in
// server/billing/handlers.cc do the I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.h"
#include "domain/status.h"
#include "storage/store.h"

namespace vigil {

// Largest Stripe webhook body accepted.
constexpr size_t kMaxStripeBodyBytes = 1 << 20;
// |now - t| beyond this is refused, in both directions.
constexpr int64_t kStripeToleranceS = 300;

struct StripeSignatureHeader {
  std::optional<int64_t> t;     // seconds; nullopt when missing or not decimal
  std::vector<std::string> v1;  // every v1 value, in order; other schemes are ignored
};

// Splits `t=...,v1=...,v1=...,v0=...`. Never fails: what is malformed is simply absent.
StripeSignatureHeader ParseStripeSignature(std::string_view header);

// Ok when some v1 equals hex(HMAC-SHA256(secret, t + "." + body)) (constant time) and t is
// within the tolerance of `now_s`; InvalidArgument("signature verification failed") otherwise.
Status VerifyStripeSignature(std::string_view header, std::string_view body,
                             std::string_view secret, int64_t now_s);

// What a verified Stripe event does.
struct StripeAction {
  std::string event_id;
  std::string type;
  // Which project: by public id (checkout), by Stripe customer, or none (ignored type).
  std::string project_id;
  std::string customer_id;
  bool applies = false;  // false: recorded only
  BillingUpdate update;
};

// Decodes a verified event body. InvalidArgument("signature verification failed") when it is not
// an object with string `id` and `type` (the spec answers such bodies like a bad signature).
Result<StripeAction> DecodeStripeEvent(std::string_view body);

// Included executions per period: hobby 5000, pro 100000, enterprise 0 (unlimited).
int64_t TierIncludedExecutions(Tier tier);

// GET /billing (docs/api.md#tiers-and-usage) for a project at `now_ms`.
struct BillingView {
  Tier tier = Tier::kHobby;  // hobby once tier_expires_at has passed
  int64_t executions_this_period = 0;
  int64_t included_executions = 0;
  int64_t granted_executions = 0;
  int64_t granted_executions_expires_at_ms = 0;
  int64_t tier_expires_at_ms = 0;
  bool can_upgrade = false;
  bool can_manage = false;
};
BillingView ComputeBillingView(const AdminProject& p, int64_t now_ms, bool billing_configured);

}  // namespace vigil
