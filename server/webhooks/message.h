// Webhook messages (docs/api.md#webhook-messages–10.4): the canonical body, the Slack and Discord
// adapters and the Standard Webhooks signature. Pure functions of their inputs (no clock, no I/O);
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

inline constexpr std::string_view kEventGroupCreated = "failure_group.created";
inline constexpr std::string_view kEventGroupRegressed = "failure_group.regressed";
inline constexpr std::string_view kEventGroupTest = "failure_group.test";

// What a message announces: a new group, a resolved group that recurred, or nothing (a test).
enum class WebhookEvent { kGroupCreated, kGroupRegressed, kTest };

// The `event` word of each (the outbox stores it; docs/api.md#webhook-messages).
std::string_view WebhookEventName(WebhookEvent event);
// The event a stored word names; a test for a word it does not know, so that nothing unknown is
// ever announced as a failure.
WebhookEvent WebhookEventFromName(std::string_view name);

// What one message says. Empty strings are "not applicable" and leave their key out.
struct WebhookPayload {
  WebhookEvent event = WebhookEvent::kGroupCreated;
  std::string project_id;
  std::string webhook_id;
  std::string group_id;
  std::string failure_class;
  std::string signature;
  // The execution whose finding created (or, for a regression, reopened) the group.
  std::string sample_execution_id;
  std::string detail;  // why that finding fired (StoredFinding::detail)
  std::string delivery_id;
  int64_t queued_at_ms = 0;  // the body's `timestamp` (the same on every attempt)
};

enum class WebhookFormat { kStandard, kSlack, kDiscord };

// Slack for https://hooks.slack.com/{services,triggers,workflows}/..., Discord for
// https://{discord.com,discordapp.com,canary.discord.com,ptb.discord.com}/api/webhooks/...,
// the canonical body for anything else.
WebhookFormat FormatForUrl(std::string_view url);

// The body sent to a webhook of `format`. `dashboard_url` ("" = none) adds the dashboard links.
std::string RenderWebhookBody(const WebhookPayload& p, WebhookFormat format,
                              const std::string& dashboard_url);

// Standard Webhooks v1: "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)), key =
// base64-decoded secret after "whsec_". "" when the secret is not of that form.
std::string SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp_s,
                        std::string_view body);

// "whsec_" + padded standard base64 of 32 CSPRNG bytes.
std::string NewWebhookSecret();

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

}  // namespace vigil
