#include "server/billing/billing.h"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <cstdlib>

#include "domain/hash.h"
#include "domain/time_util.h"

namespace vigil {
namespace {

Status VerificationFailed() { return Status::InvalidArgument("signature verification failed"); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A string field, or "" when absent or not a string.
std::string Str(simdjson::dom::element parent, const char* key) {
  std::string_view v;
  if (parent.at_key(key).get_string().get(v) != simdjson::SUCCESS) return std::string();
  return std::string(v);
}

// Stripe references (customer, subscription) come as an id string or an expanded object.
std::string IdOf(simdjson::dom::element parent, const char* key) {
  simdjson::dom::element v;
  if (parent.at_key(key).get(v) != simdjson::SUCCESS) return std::string();
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  if (v.is_object()) return Str(v, "id");
  return std::string();
}

// Unix seconds at `path` as milliseconds; 0 when absent, not an integer, or 0.
int64_t SecondsAt(simdjson::dom::element root, std::string_view json_pointer) {
  int64_t s = 0;
  if (root.at_pointer(json_pointer).get_int64().get(s) != simdjson::SUCCESS || s <= 0 ||
      s > 253402300799) {  // 9999-12-31
    return 0;
  }
  return s * 1000;
}

bool Exists(simdjson::dom::element root, std::string_view json_pointer) {
  simdjson::dom::element v;
  return root.at_pointer(json_pointer).get(v) == simdjson::SUCCESS && !v.is_null();
}

}  // namespace

StripeSignatureHeader ParseStripeSignature(std::string_view header) {
  StripeSignatureHeader out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "t" && !out.t) {
      if (value.empty() || value.size() > 15) continue;
      bool digits = true;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (digits) out.t = std::strtoll(std::string(value).c_str(), nullptr, 10);
    } else if (key == "v1" && out.v1.size() < 16) {  // bounded: a header can list only so many
      out.v1.emplace_back(value);
    }
  }
  return out;
}

Status VerifyStripeSignature(std::string_view header, std::string_view body,
                             std::string_view secret, int64_t now_s) {
  if (body.size() > kMaxStripeBodyBytes) return VerificationFailed();
  const StripeSignatureHeader h = ParseStripeSignature(header);
  if (!h.t || h.v1.empty()) return VerificationFailed();
  // The key is the whole secret string, `whsec_` prefix included, as Stripe signs with it.
  std::string message = std::to_string(*h.t);
  message += '.';
  message.append(body);
  const std::string want = HexEncode(HmacSha256(secret, message));
  bool match = false;
  for (const std::string& v : h.v1) {
    // Every candidate is compared in full, in constant time; lengths are public.
    if (v.size() == want.size() && CRYPTO_memcmp(v.data(), want.data(), want.size()) == 0) {
      match = true;
    }
  }
  if (!match) return VerificationFailed();
  // Both directions: a timestamp from the future is as suspect as a stale one.
  if (std::llabs(now_s - *h.t) > kStripeToleranceS) return VerificationFailed();
  return Status::Ok();
}

Result<StripeAction> DecodeStripeEvent(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return VerificationFailed();
  }
  StripeAction a;
  std::string_view id, type;
  if (root.at_key("id").get_string().get(id) != simdjson::SUCCESS ||
      root.at_key("type").get_string().get(type) != simdjson::SUCCESS) {
    return VerificationFailed();
  }
  a.event_id = std::string(id);
  a.type = std::string(type);
  simdjson::dom::element obj;
  if (root.at_pointer("/data/object").get(obj) != simdjson::SUCCESS || !obj.is_object()) {
    return a;  // nothing to act on: recorded only
  }
  if (a.type == "checkout.session.completed") {
    a.project_id = Str(obj, "client_reference_id");
    if (a.project_id.empty()) {
      simdjson::dom::element meta;
      if (obj.at_key("metadata").get(meta) == simdjson::SUCCESS && meta.is_object()) {
        a.project_id = Str(meta, "vigil_project_id");
        if (a.project_id.empty()) a.project_id = Str(meta, "mesedi_project_id");
      }
    }
    if (a.project_id.empty()) return a;
    a.applies = true;
    a.update.tier = Tier::kPro;
    const std::string customer = IdOf(obj, "customer");
    const std::string subscription = IdOf(obj, "subscription");
    if (!customer.empty()) a.update.customer_id = customer;
    if (!subscription.empty()) a.update.subscription_id = subscription;
    a.update.set_period = true;  // cleared until the subscription reports its period
  } else if (a.type == "customer.subscription.created" ||
             a.type == "customer.subscription.updated") {
    a.customer_id = IdOf(obj, "customer");
    if (a.customer_id.empty()) return a;
    a.applies = true;
    const std::string status = Str(obj, "status");
    if (status == "active" || status == "trialing") a.update.tier = Tier::kPro;
    a.update.customer_id = a.customer_id;
    const std::string sub = Str(obj, "id");
    if (!sub.empty()) a.update.subscription_id = sub;
    a.update.set_period = true;
    a.update.period_start_ms = SecondsAt(obj, "/items/data/0/current_period_start");
    a.update.period_end_ms = SecondsAt(obj, "/items/data/0/current_period_end");
  } else if (a.type == "customer.subscription.deleted") {
    a.customer_id = IdOf(obj, "customer");
    if (a.customer_id.empty()) return a;
    a.applies = true;
    a.update.tier = Tier::kHobby;
    a.update.subscription_id = "";
    a.update.set_period = true;
    a.update.only_for_subscription = Str(obj, "id");
  } else if (a.type == "invoice.paid") {
    a.customer_id = IdOf(obj, "customer");
    if (a.customer_id.empty()) return a;
    if (Exists(obj, "/lines/data/0/period/start") && Exists(obj, "/lines/data/0/period/end")) {
      a.applies = true;
      a.update.set_period = true;
      a.update.period_start_ms = SecondsAt(obj, "/lines/data/0/period/start");
      a.update.period_end_ms = SecondsAt(obj, "/lines/data/0/period/end");
      a.update.reset_usage = true;
    }
  }
  return a;
}

int64_t TierIncludedExecutions(Tier tier) {
  switch (tier) {
    case Tier::kPro:
      return 100000;
    case Tier::kEnterprise:
      return 0;
    case Tier::kHobby:
      break;
  }
  return 5000;
}

BillingView ComputeBillingView(const AdminProject& p, int64_t now_ms, bool billing_configured) {
  BillingView v;
  v.tier = p.tier;
  if (p.tier_expires_at_ms && p.tier_expires_at_ms <= now_ms) v.tier = Tier::kHobby;
  v.tier_expires_at_ms = v.tier == Tier::kHobby ? 0 : p.tier_expires_at_ms;
  const bool grant_live =
      p.granted_executions_expires_at_ms == 0 || p.granted_executions_expires_at_ms > now_ms;
  v.granted_executions = grant_live ? p.granted_executions : 0;
  v.granted_executions_expires_at_ms = grant_live ? p.granted_executions_expires_at_ms : 0;
  v.included_executions =
      std::max<int64_t>(0, TierIncludedExecutions(v.tier) + v.granted_executions);
  v.executions_this_period = p.executions_this_period;
  // Without a Stripe period the count is per calendar month: a count from an earlier month
  // no longer applies (the next execution restarts it).
  if (!p.current_period_start_ms && p.usage_month_start_ms < MonthStartMs(now_ms)) {
    v.executions_this_period = 0;
  }
  v.can_upgrade = v.tier == Tier::kHobby && billing_configured;
  v.can_manage = !p.stripe_customer_id.empty() && billing_configured;
  return v;
}

}  // namespace vigil
