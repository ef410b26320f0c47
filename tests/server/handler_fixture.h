// What the handler unit tests share: a temporary store holding two projects, `a` ("pa", named
// "A") and `b` ("pb", named "B"), each with a stored API key, and a way to call one handler as the
// pipeline would after its steps passed: a RequestContext built from a method, a target, the
// route's path parameters, a body and a caller, and the answer read back as its status and its
// parsed JSON body. No listener, no binary: the handler under test gets only the services it is
// constructed with.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/account.h"
#include "domain/audit.h"
#include "server/accounts/keys.h"
#include "server/http/request.h"
#include "storage/audit.h"
#include "storage/keys.h"
#include "tests/server/query_params.h"
#include "tests/storage/temp_store.h"

namespace vigil::testing {

// One request as a route's handler receives it.
struct HandlerRequest {
  std::string method = "GET";
  std::string target = "/";         // path and query, as on the request line
  std::vector<std::string> params;  // the route's `{id}` segments, decoded
  std::string body;
  AuthRecord auth;             // the API key's record (key routes)
  std::string authorization;   // the Authorization header ("" = none)
  std::optional<Actor> actor;  // an API key or the admin token, as the pipeline sets it

  HandlerRequest& Param(std::string p) {
    params.push_back(std::move(p));
    return *this;
  }
  HandlerRequest& Body(std::string b) {
    body = std::move(b);
    return *this;
  }
  HandlerRequest& As(const AuthRecord& key) {
    auth = key;
    actor = Actor::kKey;
    return *this;
  }
};

// A handler's answer: status, headers, the error code it recorded, and its body parsed as JSON.
class Reply {
 public:
  int status = 0;
  std::string body;
  httplib::Headers headers;
  Code error = Code::kOk;

  // Parses `body` (every answer of the handlers under test is JSON).
  void Parse() {
    parser_ = std::make_shared<simdjson::dom::parser>();
    const bool ok = parser_->parse(body).get(root_) == simdjson::SUCCESS;
    INFO("body: ", body);
    REQUIRE(ok);
  }
  // Values by JSON pointer (RFC 6901: "/errors/0/index"); a missing value or one of another
  // type fails the test.
  std::string Str(std::string_view pointer) const {
    std::string_view v;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(At(pointer).get_string().get(v) == simdjson::SUCCESS);
    return std::string(v);
  }
  int64_t Int(std::string_view pointer) const {
    int64_t v = 0;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(At(pointer).get_int64().get(v) == simdjson::SUCCESS);
    return v;
  }
  double Double(std::string_view pointer) const {
    double v = 0;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(At(pointer).get_double().get(v) == simdjson::SUCCESS);
    return v;
  }
  bool Bool(std::string_view pointer) const {
    bool v = false;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(At(pointer).get_bool().get(v) == simdjson::SUCCESS);
    return v;
  }
  size_t Size(std::string_view pointer) const {
    simdjson::dom::array a;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(At(pointer).get_array().get(a) == simdjson::SUCCESS);
    return a.size();
  }
  bool IsNull(std::string_view pointer) const { return At(pointer).is_null(); }
  bool Has(std::string_view pointer) const {
    simdjson::dom::element e;
    return root_.at_pointer(pointer).get(e) == simdjson::SUCCESS;
  }
  // The error message of a `{"ok":false,"error":...}` answer.
  std::string Error() const { return Str("/error"); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }

 private:
  simdjson::dom::element At(std::string_view pointer) const {
    simdjson::dom::element e;
    INFO("body: ", body, " pointer: ", pointer);
    REQUIRE(root_.at_pointer(pointer).get(e) == simdjson::SUCCESS);
    return e;
  }

  std::shared_ptr<simdjson::dom::parser> parser_;  // owns what root_ points into
  simdjson::dom::element root_;
};

class HandlerFixture : public TempStore {
 public:
  HandlerFixture() {
    key_a = StoreKey(a, "pa");
    key_b = StoreKey(b, "pb");
  }

  // A request from project a's key.
  HandlerRequest KeyRequest(std::string method, std::string target) const {
    HandlerRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.authorization = "Bearer " + raw_key_a;
    return r.As(key_a);
  }
  // A request behind the admin token.
  HandlerRequest AdminRequest(std::string method, std::string target) const {
    HandlerRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.actor = Actor::kAdmin;
    return r;
  }

  // Runs `run` with a context built from `r` and answers into `res`; returns the context's error.
  template <typename Run>
  Code Invoke(const HandlerRequest& r, httplib::Response& res, Run&& run) {
    httplib::Request req;
    req.method = r.method;
    req.target = r.target;
    const size_t q = r.target.find('?');
    req.path = r.target.substr(0, q);
    if (q != std::string::npos) AddQueryParams(r.target.substr(q + 1), &req);
    req.body = r.body;
    if (!r.authorization.empty()) req.headers.emplace("Authorization", r.authorization);
    RequestContext ctx;
    ctx.req = &req;
    ctx.res = &res;
    ctx.params = r.params;
    ctx.auth = r.auth;
    ctx.now_ms = now_ms;
    ctx.body = r.body;
    ctx.actor = r.actor;
    ctx.request_id = "req-test";
    ctx.client_ip = "203.0.113.7";
    ctx.key_id = r.actor == Actor::kAdmin ? "admin" : r.auth.key_id;
    run(ctx);
    last_audit_project = ctx.audit_project;
    if (ctx.stream.next) last_stream = std::move(ctx.stream);
    return ctx.error;
  }

  // Calls `method` of `handlers` with `r` and returns its parsed answer.
  template <typename Handlers>
  Reply Call(Handlers& handlers, void (Handlers::*method)(RequestContext&),
             const HandlerRequest& r) {
    httplib::Response res;
    Reply out;
    out.error = Invoke(r, res, [&](RequestContext& ctx) { (handlers.*method)(ctx); });
    out.status = res.status;
    out.body = res.body;
    out.headers = res.headers;
    out.Parse();
    return out;
  }

  // The audit rows of `project` (0 with `all`: every project's) with `action`, oldest first.
  std::vector<AuditEntry> Audit(int64_t project, const std::string& action, bool all = false) {
    AuditFilter f;
    f.project = project;
    f.all_projects = all;
    f.action = action;
    f.limit = 1000;
    auto rows = Read([&](Txn& txn) { return storage::ListAudit(txn, f); });
    return {rows.rbegin(), rows.rend()};
  }
  // Commits the audit rows handlers queued with Store::AppendAudit (a write job carries them).
  void FlushAudit() {
    REQUIRE(Write([](WriteTxn&) { return Status::Ok(); }).ok());
  }

  AuthRecord key_a;
  AuthRecord key_b;
  std::string raw_key_a;               // project a's key as a client sends it
  std::string hash_a;                  // ... and as storage and the key cache know it
  int64_t now_ms = 1'780'000'000'000;  // 2026-05-28
  int64_t last_audit_project = 0;      // ctx.audit_project after the last call
  StreamBody last_stream;              // the last streamed answer's ctx.stream

 private:
  AuthRecord StoreKey(int64_t project, const std::string& project_id) {
    const MintedKey k = MintKey("vgl_");
    REQUIRE(Write([&](WriteTxn& txn) {
              return storage::UpsertKey(txn, project, k.key_id, k.key_hash, k.key_prefix, "default",
                                        1);
            }).ok());
    if (project_id == "pa") {
      raw_key_a = k.raw_key;
      hash_a = k.key_hash;
    }
    AuthRecord rec;
    rec.key_id = k.key_id;
    rec.key_prefix = k.key_prefix;
    rec.project = project;
    rec.project_id = project_id;
    return rec;
  }
};

}  // namespace vigil::testing
