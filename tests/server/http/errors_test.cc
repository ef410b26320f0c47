// The one Status -> HTTP mapping, for the storage errors: what a client gets, what is logged.
#include <doctest/doctest.h>

#include "server/http/request.h"
#include "server/ops/handlers.h"

using namespace vigil;

TEST_CASE("A file that cannot be written is a 503 to retry; a damaged file is a 500") {
  const ErrorResponse fault = MapError(Status::StorageFault("disk I/O error"));
  CHECK(fault.http_status == 503);
  CHECK(fault.body == R"({"ok":false,"error":"storage unavailable, retry later"})");
  bool retry_after = false;
  for (const auto& [name, value] : fault.headers) {
    const bool is_retry = name == "Retry-After" && value == "1";
    retry_after = retry_after || is_retry;
  }
  CHECK(retry_after);
  const ErrorResponse corrupt =
      MapError(Status::StorageCorrupt("database disk image is malformed"));
  CHECK(corrupt.http_status == 500);
  CHECK(corrupt.body == R"({"ok":false,"error":"internal error"})");
  CHECK(MapError(Status::StorageFull("database or disk is full")).http_status == 503);
}

TEST_CASE("Only the server's own failures put their text on the request's log line") {
  httplib::Request req;
  httplib::Response res;
  RequestContext ctx;
  ctx.req = &req;
  ctx.res = &res;
  SendError(ctx, Status::StorageFault("attempt to write a readonly database"));
  CHECK(ctx.error == Code::kStorageFault);
  CHECK(ctx.error_text == "attempt to write a readonly database");
  CHECK(res.body.find("readonly") == std::string::npos);  // never sent

  RequestContext client;
  client.req = &req;
  client.res = &res;
  SendError(client, Status::InvalidArgument("bad field"));
  CHECK(client.error_text.empty());
  CHECK(LogsErrorText(Code::kStorageCorrupt));
  CHECK(LogsErrorText(Code::kInternal));
  CHECK_FALSE(LogsErrorText(Code::kUnauthenticated));
}

TEST_CASE("/health names a damaged file as corrupt and any other fault as not writable") {
  CHECK(HealthReason(Status::Ok()).empty());
  CHECK(HealthReason(Status::StorageCorrupt("database disk image is malformed")) ==
        "database is corrupt: database disk image is malformed");
  CHECK(HealthReason(Status::StorageFault("disk I/O error")) ==
        "database is not writable: disk I/O error");
  CHECK(HealthReason(Status::StorageFull("database or disk is full")) ==
        "database is not writable: database or disk is full");
}

TEST_CASE("The front's own refusals are answered in the JSON envelope with their status") {
  for (int code : {400, 408, 413, 414, 431, 503}) {
    const ErrorResponse e = MapError(StatusForHttpRefusal(code, "why"));
    CHECK(e.http_status == code);
    CHECK(e.body == R"({"ok":false,"error":"why"})");
  }
  CHECK(MapError(StatusForHttpRefusal(505, "version")).http_status == 400);
}
