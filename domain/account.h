// Rows of accounts: projects, their API keys, billing state and abuse signals, as storage returns
// them (storage/projects.h, keys.h, billing.h, abuse.h) and the server reads them. Plain structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/values.h"

namespace vigil {

// What an API key authenticates as (docs/api.md#bearer-authentication). `project` is the internal
// project id.
struct AuthRecord {
  std::string key_id;
  std::string key_prefix;
  int64_t project = 0;
  std::string project_id;
  bool suspended = false;
  std::string suspended_reason;
  std::optional<double> rate_limit_burst;
  std::optional<double> rate_limit_per_sec;
};

struct ProjectInfo {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  Tier tier = Tier::kHobby;
  int64_t created_at_ms = 0;
};

struct ApiKeyRow {
  std::string key_id;
  std::string key_prefix;
  std::string name;
  int64_t created_at_ms = 0;
  int64_t last_used_at_ms = 0;
};

// A project as the admin API shows it (docs/api.md#admin-projects AdminProjectRow). Zero/empty =
// absent.
struct AdminProject {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  int64_t created_at_ms = 0;
  Tier tier = Tier::kHobby;
  std::string stripe_customer_id;
  std::string stripe_subscription_id;
  int64_t current_period_start_ms = 0;
  int64_t current_period_end_ms = 0;
  int64_t executions_this_period = 0;
  int64_t granted_executions = 0;
  int64_t granted_executions_expires_at_ms = 0;
  int64_t tier_expires_at_ms = 0;
  int64_t suspended_at_ms = 0;
  std::string suspension_reason;
  std::optional<double> rate_limit_burst;
  std::optional<double> rate_limit_per_sec;
  std::optional<int64_t> retention_days;
  int64_t last_activity_at_ms = 0;
  int64_t total_executions = 0;
  int64_t usage_month_start_ms = 0;  // calendar month the counter counts (no Stripe period)
};

struct ProjectUsage {
  int64_t id = 0;
  std::string project_id;
  std::string name;
  std::string owner_email;
  Tier tier = Tier::kHobby;
  int64_t executions = 0;
  int64_t events = 0;
  int64_t failure_groups = 0;
  int64_t webhook_deliveries = 0;
  int64_t estimated_bytes = 0;
};

// Billing fields a Stripe event changes (docs/api.md#stripe-webhook); nullopt = leave as stored.
struct BillingUpdate {
  std::optional<Tier> tier;
  std::optional<std::string> customer_id;      // "" = clear
  std::optional<std::string> subscription_id;  // "" = clear
  bool set_period = false;                     // then period_*_ms (0 = NULL) are stored
  int64_t period_start_ms = 0;
  int64_t period_end_ms = 0;
  bool reset_usage = false;  // executions_this_period = 0
  // Apply only while the stored subscription is this one (or none): the deletion of an old
  // subscription must not undo a newer one. "" = unconditional.
  std::string only_for_subscription;
};

struct AbuseSignal {
  std::string signal_id;
  int64_t project = 0;
  std::string project_id;  // public id (reads only)
  std::string kind;
  std::string severity;
  std::string detail_json;
  int64_t detected_at_ms = 0;
  int64_t notified_at_ms = 0;
  int64_t suspended_at_ms = 0;
  int64_t resolved_at_ms = 0;
  std::string resolved_by;
  std::string resolution_note;
};

}  // namespace vigil
