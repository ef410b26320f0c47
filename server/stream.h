// Streamed NDJSON responses (exports, audit-log downloads): produced row by row from one read
// transaction, so memory stays flat however much a project holds.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "server/http.h"

namespace vigil {

class App;

// Appends one line (a JSON value, without the newline) to the stream; false once the client
// has gone, and the producer should stop.
using EmitLine = std::function<bool(std::string_view json)>;

// Answers 200 `application/x-ndjson` whose body `produce` writes, inside one read transaction
// (one consistent snapshot), on the thread that writes the response. At most
// limits::kMaxConcurrentStreams run at once; past that the request gets 503 + Retry-After.
// A storage error mid-stream ends the body early (the status is already sent), so producers end
// with a trailer line that lets a reader detect truncation.
void SendNdjsonStream(App& app, httplib::Response& res, const std::string& filename,
                      std::function<Status(ReadTxn& txn, const EmitLine& emit)> produce);

}  // namespace vigil
