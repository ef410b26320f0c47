// The operator's routes called directly: each change of a project is validated, stored with its
// audit row, and drops the per-project state (cached keys, rate buckets, halt streams) it makes
// stale; abuse signals are resolved with theirs.
#include "server/admin/handlers.h"

#include <doctest/doctest.h>

#include <string>

#include "domain/time_util.h"
#include "server/accounts/auth.h"
#include "server/accounts/rate_limiter.h"
#include "server/halt/halt.h"
#include "storage/abuse.h"
#include "storage/billing.h"
#include "storage/executions.h"
#include "storage/projects.h"
#include "storage/webhooks.h"
#include "tests/server/handler_fixture.h"

using namespace vigil;
using vigil::testing::HandlerFixture;
using vigil::testing::HandlerRequest;
using vigil::testing::MakeWebhook;
using vigil::testing::Reply;

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

class AdminTest : public HandlerFixture {
 public:
  AdminTest()
      : keys(100, 60000),
        limiter(2, 0.001),
        streams(10, 10),
        handlers(*store, keys, limiter, streams) {}

  // POST /admin/projects/{id}/<what> with `body`.
  Reply Post(const std::string& project_id, const std::string& what, const std::string& body,
             void (AdminHandlers::*method)(RequestContext&)) {
    return Call(handlers, method,
                AdminRequest("POST", "/admin/projects/" + project_id + "/" + what)
                    .Param(project_id)
                    .Body(body));
  }
  Reply Tier(const std::string& body, const std::string& project_id = "pa") {
    return Post(project_id, "tier", body, &AdminHandlers::SetTier);
  }
  Reply Delete(const std::string& project_id, const std::string& query) {
    return Call(handlers, &AdminHandlers::DeleteProject,
                AdminRequest("DELETE", "/admin/projects/" + project_id + query).Param(project_id));
  }
  std::optional<AdminProject> Project(const std::string& project_id) {
    return Read([&](Txn& txn) { return storage::GetAdminProject(txn, project_id); });
  }
  // Puts project a's key in the cache, as a request authenticated with it would.
  void CacheKeyA() {
    keys.Put(hash_a, key_a, now_ms, keys.epoch());
    REQUIRE(keys.Get(hash_a, now_ms).has_value());
  }
  bool KeyACached() { return keys.Get(hash_a, now_ms).has_value(); }
  // The only audit row of `action` for project a: an admin's, on this request's path.
  AuditEntry OnlyAuditRow(const std::string& action, int64_t project = -1) {
    auto rows = project < 0 ? Audit(a, action) : Audit(project, action, project == 0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].actor == Actor::kAdmin);
    CHECK(rows[0].key_id.empty());
    CHECK(rows[0].status == 200);
    CHECK(rows[0].time_ms == now_ms);
    return rows[0];
  }

  KeyCache keys;
  RateLimiter limiter;
  HaltRegistry streams;
  AdminHandlers handlers;
};

}  // namespace

TEST_CASE_FIXTURE(AdminTest, "an unknown project is 404 before its body is read") {
  Reply r = Tier("not json", "nope");
  CHECK(r.status == 404);
  CHECK(r.body == R"({"ok":false,"error":"project not found"})");
  CHECK(Tier(R"({"tier":"pro"})", std::string(129, 'p')).body == r.body);
  CHECK(Delete("nope", "?confirm=nope").body == r.body);
  CHECK(last_audit_project == 0);
}

TEST_CASE_FIXTURE(AdminTest, "admin bodies must be one small JSON object") {
  CHECK(Tier("").Error() == "invalid JSON: empty body");
  CHECK(Tier("[1]").Error() == "invalid JSON: expected a JSON object");
  CHECK(Tier("{").Error().rfind("invalid JSON: ", 0) == 0);
  Reply big = Tier(R"({"tier":"pro","pad":")" + std::string(1024, ' ') + R"("})");
  CHECK(big.status == 413);
  CHECK(big.Error() == "request body too large (limit 1024 bytes)");
  CHECK(Audit(a, "admin.tier").empty());
}

TEST_CASE_FIXTURE(AdminTest, "a tier is trimmed and lower-cased, stored with its expiry, audited") {
  Reply r = Tier(R"({"tier":" Pro ","expires_days":30})");
  const std::string expires = FormatRfc3339Ms(now_ms + 30 * kDayMs);
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"ok":true,"project_id":"pa","tier":"pro","expires_at":")" + expires + R"("})");
  auto p = Project("pa");
  CHECK(p->tier == Tier::kPro);
  CHECK(p->tier_expires_at_ms == now_ms + 30 * kDayMs);
  const AuditEntry row = OnlyAuditRow("admin.tier");
  CHECK(row.method == "POST");
  CHECK(row.path == "/admin/projects/pa/tier");
  CHECK(row.detail_json == R"({"tier":"pro","expires_at":")" + expires + R"("})");
  CHECK(last_audit_project == a);
  CHECK(Project("pb")->tier == Tier::kHobby);

  Reply forever = Tier(R"({"tier":"enterprise"})");
  CHECK(forever.body == R"({"ok":true,"project_id":"pa","tier":"enterprise","expires_at":null})");
}

TEST_CASE_FIXTURE(AdminTest, "an unknown tier or a non-integer expiry is 400 and changes nothing") {
  CHECK(Tier(R"({"tier":"gold"})").Error() == "tier must be hobby, pro, or enterprise");
  CHECK(Tier(R"({"tier":7})").Error() == "tier must be hobby, pro, or enterprise");
  CHECK(Tier(R"({})").Error() == "tier must be hobby, pro, or enterprise");
  CHECK(Tier(R"({"tier":"pro","expires_days":"soon"})").Error() ==
        "invalid JSON: field \"expires_days\" must be an integer");
  CHECK(Tier(R"({"tier":"pro","expires_days":1.5})").status == 400);
  CHECK(Project("pa")->tier == Tier::kHobby);
  CHECK(Audit(a, "admin.tier").empty());
}

TEST_CASE_FIXTURE(AdminTest, "a grant adds executions within the guardrail and is audited") {
  auto grant = [&](const std::string& body) {
    return Post("pa", "grant", body, &AdminHandlers::Grant);
  };
  CHECK(grant("{}").Error() == "executions must be non-zero, or expires_days must be set");
  CHECK(grant(R"({"executions":10000001})").Error() == "executions delta exceeds 10M guardrail");
  CHECK(grant(R"({"executions":-10000001})").Error() == "executions delta exceeds 10M guardrail");
  CHECK(grant(R"({"executions":"5"})").Error() ==
        "invalid JSON: field \"executions\" must be an integer");
  CHECK(Audit(a, "admin.grant").empty());

  Reply r = grant(R"({"executions":500,"expires_days":7})");
  const std::string expires = FormatRfc3339Ms(now_ms + 7 * kDayMs);
  CHECK(r.body == R"({"ok":true,"project_id":"pa","delta":500,"expires_at":")" + expires + R"("})");
  auto p = Project("pa");
  CHECK(p->granted_executions == 500);
  CHECK(p->granted_executions_expires_at_ms == now_ms + 7 * kDayMs);
  CHECK(OnlyAuditRow("admin.grant").detail_json ==
        R"({"delta":500,"expires_at":")" + expires + R"("})");
  // Expiry in days is capped at 100 years.
  Reply capped = grant(R"({"executions":1,"expires_days":99999})");
  CHECK(capped.Str("/expires_at") == FormatRfc3339Ms(now_ms + 36500 * kDayMs));
}

TEST_CASE_FIXTURE(AdminTest, "a rate limit is validated, stored, audited and effective at once") {
  auto limit = [&](const std::string& body) {
    return Post("pa", "rate-limit", body, &AdminHandlers::SetRateLimit);
  };
  CHECK(limit(R"({"burst":5})").Error() == "burst and per_second must both be set, or both null");
  const std::string bad_burst = "burst must be an integer from 1 to 1000000000";
  const std::string bad_rate = "per_second must be a number from 0.001 to 1000000000";
  CHECK(limit(R"({"burst":0,"per_second":1})").Error() == bad_burst);
  CHECK(limit(R"({"burst":2.5,"per_second":1})").Error() == bad_burst);
  CHECK(limit(R"({"burst":1000000001,"per_second":1})").Error() == bad_burst);
  CHECK(limit(R"({"burst":5,"per_second":0})").Error() == bad_rate);
  CHECK(limit(R"({"burst":5,"per_second":"fast"})").Error() == bad_rate);
  CHECK(limit(R"({"burst":5,"per_second":1e-300})").Error() == bad_rate);
  CHECK(limit(R"({"burst":5,"per_second":0.0009})").Error() == bad_rate);
  CHECK(limit(R"({"burst":5,"per_second":1e10})").Error() == bad_rate);
  CHECK(limit(R"({"burst":5,"per_second":-1})").Error() == bad_rate);
  CHECK(Audit(a, "admin.rate_limit").empty());

  // Project a has spent its bucket (burst 2, next to no refill) and its key is cached.
  CHECK(limiter.Take(a, Bucket::kIngest, now_ms).allowed);
  CHECK(limiter.Take(a, Bucket::kIngest, now_ms).allowed);
  CHECK_FALSE(limiter.Take(a, Bucket::kIngest, now_ms).allowed);
  CacheKeyA();

  Reply r = limit(R"({"burst":5,"per_second":0.5})");
  CHECK(r.body == R"({"ok":true,"project_id":"pa","burst":5,"per_second":0.5})");
  auto p = Project("pa");
  CHECK(p->rate_limit_burst == 5.0);
  CHECK(p->rate_limit_per_sec == 0.5);
  CHECK(OnlyAuditRow("admin.rate_limit").detail_json == R"({"burst":5,"per_second":0.5})");
  CHECK_FALSE(KeyACached());                                // the next request reads the override
  CHECK(limiter.Take(a, Bucket::kIngest, now_ms).allowed);  // and starts with a full bucket

  Reply cleared = limit(R"({"burst":null,"per_second":null})");
  CHECK(cleared.body == R"({"ok":true,"project_id":"pa","burst":null,"per_second":null})");
  CHECK_FALSE(Project("pa")->rate_limit_burst.has_value());
}

TEST_CASE_FIXTURE(AdminTest, "retention is an integer of days up to 100 years, or null") {
  auto retention = [&](const std::string& body) {
    return Post("pa", "retention", body, &AdminHandlers::SetRetention);
  };
  CHECK(retention("{}").Error() == "days is required (an integer >= 0, or null)");
  CHECK(retention(R"({"days":-1})").Error() == "days must be an integer >= 0, or null");
  CHECK(retention(R"({"days":36501})").Error() == "days must be an integer >= 0, or null");
  CHECK(retention(R"({"days":"7"})").Error() == "days must be an integer >= 0, or null");
  CHECK(Audit(a, "admin.retention").empty());

  Reply r = retention(R"({"days":7})");
  CHECK(r.body == R"({"ok":true,"project_id":"pa","retention_days":7})");
  CHECK(Project("pa")->retention_days == 7);
  CHECK(OnlyAuditRow("admin.retention").detail_json == R"({"days":7})");
  Reply unset = retention(R"({"days":null})");
  CHECK(unset.body == R"({"ok":true,"project_id":"pa","retention_days":null})");
  CHECK_FALSE(Project("pa")->retention_days.has_value());
  CHECK(Audit(a, "admin.retention").back().detail_json == R"({"days":null})");
}

TEST_CASE_FIXTURE(AdminTest,
                  "suspension is stored, audited, and evicts the project's cached keys") {
  CacheKeyA();
  Reply r = Post("pa", "suspend", R"({"reason":"spam"})", &AdminHandlers::Suspend);
  CHECK(r.body == R"({"ok":true,"project_id":"pa","suspended":true})");
  auto p = Project("pa");
  CHECK(p->suspended_at_ms == now_ms);
  CHECK(p->suspension_reason == "spam");
  CHECK(OnlyAuditRow("admin.suspend").detail_json == R"({"reason":"spam"})");
  CHECK_FALSE(KeyACached());
  CHECK(Project("pb")->suspended_at_ms == 0);

  CacheKeyA();
  Reply lifted = Post("pa", "unsuspend", "", &AdminHandlers::Suspend);
  CHECK(lifted.body == R"({"ok":true,"project_id":"pa","suspended":false})");
  CHECK(Project("pa")->suspended_at_ms == 0);
  CHECK(OnlyAuditRow("admin.unsuspend").detail_json == "{}");
  CHECK_FALSE(KeyACached());
}

TEST_CASE_FIXTURE(AdminTest, "a suspension reason longer than 1024 bytes is refused") {
  Reply r = Post("pa", "suspend", R"({"reason":")" + std::string(1025, 'r') + R"("})",
                 &AdminHandlers::Suspend);
  CHECK(r.status == 400);
  CHECK(r.Error() == "reason longer than 1024 bytes");
  CHECK(Project("pa")->suspended_at_ms == 0);
  CHECK(Audit(a, "admin.suspend").empty());
  CHECK(Post("pa", "suspend", R"({"reason":5})", &AdminHandlers::Suspend).status == 400);
}

TEST_CASE_FIXTURE(AdminTest, "deletion needs the exact name and no live subscription") {
  Reply mismatch = Delete("pa", "?confirm=a");
  CHECK(mismatch.status == 400);
  CHECK(mismatch.Error() == "confirmation mismatch, pass ?confirm=<exact project name>");
  CHECK(Delete("pa", "").status == 400);
  BillingUpdate paid;
  paid.subscription_id = "sub_123";
  REQUIRE(Write([&](WriteTxn& txn) { return storage::ApplyBilling(txn, a, paid); }).ok());
  Reply subscribed = Delete("pa", "?confirm=A");
  CHECK(subscribed.status == 409);
  CHECK(subscribed.Error() ==
        "project has an active Stripe subscription (sub_123). Cancel it via the Stripe Dashboard "
        "before deleting.");
  CHECK(Project("pa").has_value());
  CHECK(Audit(0, "admin.project_delete", true).empty());
}

TEST_CASE_FIXTURE(AdminTest,
                  "deleting a project removes its rows, closes its streams, is audited") {
  ExecutionPatch run;
  run.execution_id = "run";
  run.status = ExecutionStatus::kStarted;
  for (int64_t p : {a, b}) {
    Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, p, run, 1); });
    REQUIRE(Write([&](WriteTxn& txn) {
              return storage::CreateWebhook(txn, p, MakeWebhook("wh-" + std::to_string(p)), 20);
            }).ok());
  }
  auto stream_a = streams.Subscribe(a, "run");
  auto stream_b = streams.Subscribe(b, "run");
  REQUIRE(stream_a.ok());
  REQUIRE(stream_b.ok());
  CacheKeyA();

  Reply r = Delete("pa", "?confirm=A");
  CHECK(r.body == R"({"ok":true,"project_id":"pa"})");
  CHECK_FALSE(Project("pa").has_value());
  CHECK_FALSE(Read([&](Txn& txn) { return storage::GetExecution(txn, a, "run", 10); }));
  CHECK(Read([&](Txn& txn) { return storage::ListKeys(txn, a); }).empty());
  CHECK(Read([&](Txn& txn) { return storage::ListWebhooks(txn, a); }).empty());
  CHECK(stream_a.value()->closed);
  CHECK_FALSE(KeyACached());
  CHECK(last_audit_project == 0);  // the request's own row must not name the deleted project
  // The other project keeps everything.
  CHECK(Project("pb").has_value());
  CHECK(Read([&](Txn& txn) { return storage::GetExecution(txn, b, "run", 10); }));
  CHECK(Read([&](Txn& txn) { return storage::ListKeys(txn, b); }).size() == 1);
  CHECK_FALSE(stream_b.value()->closed);

  const AuditEntry row = OnlyAuditRow("admin.project_delete", 0);
  CHECK(row.project == 0);  // the one row that outlives the project
  CHECK(row.detail_json == R"({"project_id":"pa","name":"A"})");
  CHECK(row.method == "DELETE");
  CHECK(row.path == "/admin/projects/pa");
}

TEST_CASE_FIXTURE(AdminTest, "resolving an abuse signal can lift the suspension it caused") {
  AbuseSignal s;
  s.signal_id = "abs-1";
  s.project = a;
  s.kind = "rate_limit_storm";
  s.severity = "high";
  s.detected_at_ms = 1000;
  REQUIRE(Write([&](WriteTxn& txn) { return storage::InsertAbuseSignal(txn, s); }).ok());
  auto suspended = Write([&](WriteTxn& txn) { return storage::SuspendForAbuse(txn, 2000, 3000); });
  REQUIRE(suspended.size() == 1);
  REQUIRE(Project("pa")->suspended_at_ms == 3000);
  CacheKeyA();

  auto resolve = [&](const std::string& id, const std::string& body) {
    return Call(handlers, &AdminHandlers::ResolveAbuse,
                AdminRequest("POST", "/admin/abuse/" + id + "/resolve").Param(id).Body(body));
  };
  Reply missing = resolve("abs-404", "");
  CHECK(missing.status == 404);
  CHECK(missing.Error() == "abuse signal not found");
  CHECK(resolve("abs-1", R"({"note":5})").Error() == "note must be a string");
  CHECK(resolve("abs-1", R"({"reactivate":"yes"})").Error() == "reactivate must be a boolean");
  CHECK(Audit(a, "admin.abuse_resolve").empty());

  Reply r = resolve("abs-1", R"({"note":"false alarm","reactivate":true})");
  CHECK(r.body == R"({"ok":true,"signal_id":"abs-1","reactivated":true})");
  CHECK(Project("pa")->suspended_at_ms == 0);
  CHECK_FALSE(KeyACached());
  CHECK(last_audit_project == a);
  CHECK(OnlyAuditRow("admin.abuse_resolve").detail_json ==
        R"({"signal_id":"abs-1","reactivated":true})");
  auto signals = Read([&](Txn& txn) { return storage::ListAbuseSignals(txn, true, 10); });
  REQUIRE(signals.size() == 1);
  CHECK(signals[0].resolved_at_ms == now_ms);
  CHECK(signals[0].resolution_note == "false alarm");
  Reply open = Call(handlers, &AdminHandlers::ListAbuse, AdminRequest("GET", "/admin/abuse"));
  CHECK(open.Size("/signals") == 0);  // resolved signals are hidden by default
  Reply all = Call(handlers, &AdminHandlers::ListAbuse,
                   AdminRequest("GET", "/admin/abuse?include_resolved=true"));
  CHECK(all.Str("/signals/0/resolution_note") == "false alarm");
}

TEST_CASE_FIXTURE(AdminTest, "the project view lists its keys and webhooks, never a secret") {
  REQUIRE(Write([&](WriteTxn& txn) {
            return storage::CreateWebhook(txn, a, MakeWebhook("wh-a"), 20);
          }).ok());
  Reply r = Call(handlers, &AdminHandlers::GetProject,
                 AdminRequest("GET", "/admin/projects/pa").Param("pa"));
  CHECK(r.status == 200);
  CHECK(r.Str("/project/project_id") == "pa");
  CHECK(r.Str("/project/name") == "A");
  REQUIRE(r.Size("/api_keys") == 1);
  CHECK(r.Str("/api_keys/0/key_id") == key_a.key_id);
  REQUIRE(r.Size("/webhooks") == 1);
  CHECK_FALSE(r.Has("/webhooks/0/secret"));
  CHECK(r.body.find("sealed") == std::string::npos);
  CHECK(last_audit_project == a);

  Reply list = Call(handlers, &AdminHandlers::ListProjects, AdminRequest("GET", "/admin/projects"));
  CHECK(list.Int("/count") == 2);
}
