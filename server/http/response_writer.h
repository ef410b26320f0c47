// Writing one response on a worker: blocking writes (poll with limits::kWriteTimeoutSec per
// stall) of the head and the body, or of a streamed body as chunks.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/message.h"
#include "server/http/request.h"
#include "server/http/transport.h"

namespace vigil {

// Writes all of `data`; false when the client stalls past `timeout_ms` or the connection breaks.
bool WriteFully(Transport& io, std::string_view data, int timeout_ms);

// Writes `ctx.res` (and `ctx.stream` when set, as chunks or, for HTTP/1.0, as raw bytes until
// the close). `framing.chunked` must say whether a stream is set. False when the client has gone
// (the connection must be closed). The stream's on_end always runs.
bool WriteResponse(Transport& io, RequestContext& ctx, const ResponseFraming& framing,
                   const std::vector<std::pair<std::string, std::string>>& defaults);

}  // namespace vigil
