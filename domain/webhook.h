// Rows of outgoing webhooks as storage returns them (storage/webhooks.h): endpoints, queued
// messages and the delivery log. Plain structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/values.h"

namespace vigil {

// A project's webhook endpoint. `secret_blob` is the sealed signing secret (domain/secret_box.h):
// storage only ever sees ciphertext.
struct WebhookRow {
  int64_t row = 0;  // internal id
  std::string webhook_id;
  std::string name;
  std::string url;
  std::vector<std::string> enabled_classes;  // empty = every class
  bool enabled = true;
  std::string secret_blob;
  int64_t created_at_ms = 0;
};

// One queued message (an outbox row).
struct WebhookMessage {
  int64_t row = 0;
  std::string delivery_id;
  std::string event;  // failure_group.created | failure_group.regressed | failure_group.test
  std::string failure_class;
  std::string signature;
  std::string group_id;
  std::string sample_execution_id;
  std::string detail;         // why the sample's finding fired (StoredFinding::detail), "" = none
  int64_t attempts = 0;       // attempts made so far
  int64_t created_at_ms = 0;  // when it was queued
  int64_t next_attempt_at_ms = 0;
};

// A message due for an attempt, with what the sender needs to make it.
struct DueWebhookMessage {
  int64_t project = 0;
  std::string project_id;
  WebhookRow webhook;
  WebhookMessage message;
};

// One delivery log row (docs/api.md#delivery-and-retries).
struct WebhookAttemptRow {
  std::string delivery_id;
  std::string event;
  std::string failure_class;
  std::string signature;
  std::string group_id;
  int64_t attempt = 0;
  DeliveryStatus status = DeliveryStatus::kPending;
  std::optional<int64_t> http_status;
  std::string error;
  std::string response_body;
  int64_t duration_ms = 0;
  int64_t created_at_ms = 0;
  std::optional<int64_t> next_attempt_at_ms;
};

// What recording an attempt does to its message and its endpoint.
struct WebhookAttemptOutcome {
  int64_t outbox_row = 0;              // 0 = not an outbox message (a test delivery)
  std::optional<int64_t> retry_at_ms;  // keep the message queued for another attempt then
  bool disable_webhook = false;        // 410: disable the endpoint, drop its queued messages
};

// A sealed secret with the ids its associated data binds, for re-encryption.
struct StoredSecret {
  int64_t project = 0;
  std::string project_id;
  int64_t webhook_row = 0;
  std::string webhook_id;
  std::string blob;
};

}  // namespace vigil
