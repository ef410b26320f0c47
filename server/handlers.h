// Request handlers: parse -> validate -> one call into storage/detection -> write JSON.
// Each is registered in the one route table (server/routes.cc).
#pragma once

#include "server/http.h"

namespace vigil {

// ops
void HandleHealth(App& app, RequestContext& ctx);
// accounts (spec §3.4)
void HandleSignup(App& app, RequestContext& ctx);
// ingestion (spec §5)
void HandleCreateExecution(App& app, RequestContext& ctx);
void HandlePatchExecution(App& app, RequestContext& ctx);
void HandleIngestEvents(App& app, RequestContext& ctx);
// reads (spec §6)
void HandleGetProject(App& app, RequestContext& ctx);
void HandleListExecutions(App& app, RequestContext& ctx);
void HandleGetExecution(App& app, RequestContext& ctx);
void HandleListExecutionEvents(App& app, RequestContext& ctx);
void HandleStats(App& app, RequestContext& ctx);
// halt (spec §9)
void HandleHalt(App& app, RequestContext& ctx);
void HandleHaltStream(App& app, RequestContext& ctx);
// detection (spec §6, §8)
void HandleListFailureGroups(App& app, RequestContext& ctx);
void HandleGetFailureGroup(App& app, RequestContext& ctx);
void HandleListGroupExecutions(App& app, RequestContext& ctx);
void HandleGetPolicy(App& app, RequestContext& ctx);
void HandlePutPolicy(App& app, RequestContext& ctx);
void HandleGetPlaybook(App& app, RequestContext& ctx);

}  // namespace vigil
