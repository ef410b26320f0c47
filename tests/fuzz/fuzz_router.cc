// Fuzz target: the route table and the handlers behind it, in process, against a real Store. The
// input is a request: "METHOD /path?query\n" then the body. The matched handler runs as the
// pipeline would run it after authentication (as project proj-fuzz); the oracle is that it
// answers, without a crash or a sanitizer report, with a status other than 500 (an internal error
// is a bug: bad input is a 4xx, storage trouble a 503).
//
// Not run: halt streams (they hold the request open for up to an hour), webhook creation and test
// deliveries (they resolve and contact the URL's host), and project deletion (it would delete the
// project every later input runs as).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "server/app/app.h"
#include "server/http/log.h"
#include "server/http/router.h"
#include "storage/projects.h"
#include "tests/server/query_params.h"

namespace {

vigil::App* MakeApp(vigil::AuthRecord* auth) {
  vigil::log::Init("error");
  // tmpfs when there is one: durable commits on a disk would make every input an fsync.
  const std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  const std::string dir = base + "/vigil-fuzz-router-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  vigil::StoreOptions options;
  options.path = dir + "/fuzz.db";
  auto store = vigil::Store::Open(options);
  if (!store.ok()) std::abort();
  int64_t project = 0;
  vigil::Status s = store.value()->Write([&](vigil::WriteTxn& txn) {
    auto r =
        vigil::storage::EnsureProject(txn, "proj-fuzz", "Fuzz", vigil::Tier::kHobby, 1778780022123);
    if (!r.ok()) return r.status();
    project = r.value();
    return vigil::Status::Ok();
  });
  if (!s.ok()) std::abort();
  auth->key_id = "key-fuzz";
  auth->project = project;
  auth->project_id = "proj-fuzz";
  vigil::Config config;
  config.db_path = options.path;
  return new vigil::App(config, std::move(store.value()));
}

bool Skipped(const vigil::Route& r) {
  const std::string_view p = r.pattern, m = r.method;
  return p.find("halt-stream") != std::string_view::npos ||
         (p.rfind("/webhooks", 0) == 0 && m == "POST") ||
         (p == "/admin/projects/{id}" && m == "DELETE");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vigil::AuthRecord auth;
  static vigil::App* app = MakeApp(&auth);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t eol = in.find('\n');
  const std::string_view line = in.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : in.substr(eol + 1);
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  httplib::Request req;
  req.method = std::string(line.substr(0, space));
  req.target = std::string(line.substr(space + 1));
  const size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) vigil::testing::AddQueryParams(req.target.substr(q + 1), &req);
  req.body = std::string(body);
  req.set_header("Content-Type", "application/json");
  const vigil::RouteMatch match = vigil::MatchRoute(app->routes(), req.method, req.path);
  if (match.route == nullptr || Skipped(*match.route)) return 0;
  httplib::Response res;
  vigil::RequestContext ctx;
  ctx.req = &req;
  ctx.res = &res;
  ctx.params = match.params;
  ctx.now_ms = 1778780022123;
  ctx.auth = auth;
  ctx.body = req.body;
  match.route->handler(ctx);
  if (res.status == 500) std::abort();
  return 0;
}
