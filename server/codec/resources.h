// The JSON shapes of the API's resources (docs/api.md) that more than one route writes: the same
// object wherever it appears, e.g. a webhook in GET /webhooks and in an admin export.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/account.h"
#include "domain/detection_rows.h"
#include "domain/webhook.h"
#include "server/codec/json_writer.h"

namespace vigil {

// An API key as GET /api-keys lists it (never the raw key or its hash).
void WriteApiKey(JsonWriter& w, const ApiKeyRow& key, const std::string& project_id);
void WriteFailureGroup(JsonWriter& w, const FailureGroupRow& group, const std::string& project_id);
// A finding; `execution_id` ("" = left out) names its execution where the context does not.
void WriteFinding(JsonWriter& w, const StoredFinding& f, const std::string& execution_id);
// `"enabled_classes": [...]`
void WriteClasses(JsonWriter& w, const std::vector<std::string>& classes);
// One webhook as GET /webhooks lists it (never the secret).
void WriteWebhook(JsonWriter& w, const WebhookRow& hook, const std::string& project_id);
void WriteWebhookDelivery(JsonWriter& w, const WebhookAttemptRow& a, const std::string& webhook_id,
                          const std::string& project_id);
// A project as the admin API shows it.
void WriteAdminProject(JsonWriter& w, const AdminProject& p);
// `"expires_at": <timestamp | null>` (0 = null).
void WriteExpiry(JsonWriter& w, int64_t ms);
// `"<key>": <timestamp>`, left out when `ms` is 0.
void WriteOptionalTs(JsonWriter& w, const char* key, int64_t ms);

}  // namespace vigil
