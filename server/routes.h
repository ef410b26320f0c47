// The one route table: the inventory of Vigil's HTTP API (server/routes.cc), binding each route
// to the handler of its feature. The pipeline every request passes before its handler is listed in
// server/http/pipeline.cc.
#pragma once

#include <vector>

#include "server/accounts/key_handlers.h"
#include "server/accounts/signup_handlers.h"
#include "server/admin/export_handlers.h"
#include "server/admin/handlers.h"
#include "server/audit/handlers.h"
#include "server/billing/handlers.h"
#include "server/detection/handlers.h"
#include "server/halt/handlers.h"
#include "server/http/router.h"
#include "server/ingest/handlers.h"
#include "server/ops/handlers.h"
#include "server/otlp/handlers.h"
#include "server/reads/handlers.h"
#include "server/transparency/handlers.h"
#include "server/ui/handlers.h"
#include "server/webhooks/handlers.h"

namespace vigil {

// Every feature's handlers, each given only the services it uses (server/app/app.cc builds them).
struct FeatureHandlers {
  OpsHandlers ops;
  SignupHandlers signup;
  KeyHandlers keys;
  IngestHandlers ingest;
  OtlpHandlers otlp;
  ReadHandlers reads;
  HaltHandlers halt;
  WebhookHandlers webhooks;
  DetectionHandlers detection;
  AuditHandlers audit;
  BillingHandlers billing;
  AdminHandlers admin;
  ExportHandlers exports;
  UiHandlers ui;
  TransparencyHandlers transparency;
};

// The route table over `h`, which must outlive it.
std::vector<Route> BuildRoutes(FeatureHandlers& h);

}  // namespace vigil
