// Streamed NDJSON responses (exports, audit-log downloads): produced row by row, so memory stays
// flat however much a project holds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/http/request.h"

namespace vigil {

class DrainSignal;

// Appends one line (a JSON value, without the newline) to the stream; false once the client has
// gone or the server is shutting down, and the producer should stop.
using EmitLine = std::function<bool(std::string_view json)>;

// A download slot, held while a body is written; nullptr when none is free. Taking it before any
// side effect lets a refused request leave no trace. A project's downloads draw on a pool shared by
// every project, at most limits::kMaxDownloadsPerProject each; the operator's (exports, the admin
// audit log) draw on their own limits::kAdminDownloadSlots, so projects never use them up
// (docs/operations.md#download-slots).
std::shared_ptr<void> AcquireProjectStreamSlot(int64_t project);
std::shared_ptr<void> AcquireAdminStreamSlot();

// Answers 200 `application/x-ndjson` whose body `produce` writes, on the thread that writes the
// response (after the handler returns). `produce` opens its own read transactions: one for a
// consistent snapshot, or short ones per page. A producer error ends the body without its final
// chunk, so the client sees a truncated transfer rather than a clean end.
// The stream stops once `drain` is set (shutdown).
void SendNdjsonStream(const DrainSignal& drain, RequestContext& ctx, std::shared_ptr<void> slot,
                      const std::string& filename,
                      std::function<Status(const EmitLine& emit)> produce);

}  // namespace vigil
