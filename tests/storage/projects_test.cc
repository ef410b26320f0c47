// Projects: creation, settings, deletion with everything they own, and the admin views.
#include "storage/projects.h"

#include <doctest/doctest.h>

#include <map>

#include "storage/abuse.h"
#include "storage/audit.h"
#include "storage/billing.h"
#include "storage/detection.h"
#include "storage/events.h"
#include "storage/export.h"
#include "storage/keys.h"
#include "storage/webhooks.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

namespace {

std::optional<AdminProject> Admin(TempStore& t, int64_t project) {
  return t.Read([&](Txn& txn) { return storage::GetAdminProjectById(txn, project); });
}

// Gives `project` a row in every table that holds project rows.
void Populate(TempStore& t, int64_t project) {
  const std::string n = std::to_string(project);
  Event llm = MakeEvent("ev-1", "exec-1", 1, 1000, "llm_call");
  llm.fields.model = "model-1";
  const int64_t row = t.Ingest(project, {llm}).touched[0].row_id;
  const StoredFinding f = testing::MakeFinding("d", "grp", 2);
  AuditEntry e;
  e.time_ms = 5;
  e.project = project;
  e.actor = Actor::kAdmin;
  e.action = "test";
  AbuseSignal sig;
  sig.signal_id = "sig-" + n;
  sig.project = project;
  sig.kind = "volume";
  sig.severity = "high";
  sig.detected_at_ms = 7;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::UpsertKey(txn, project, "key-" + n, "hash-" + n, "vk_", "k", 1);
             if (s.ok()) s = storage::PutFinding(txn, project, row, "exec-1", f).status();
             if (s.ok()) s = storage::PutPolicy(txn, project, "{}", 3);
             if (s.ok())
               s = storage::CreateWebhook(txn, project, testing::MakeWebhook("wh-" + n), 5);
             if (s.ok()) s = storage::InsertAudit(txn, e);
             if (s.ok()) s = storage::RecordStripeEvent(txn, project, "evt-" + n, "t", 6).status();
             if (s.ok()) s = storage::InsertAbuseSignal(txn, sig);
             return s;
           }).ok());
  const int64_t hook =
      t.Read([&](Txn& txn) { return storage::GetWebhook(txn, project, "wh-" + n); })->row;
  WebhookMessage m;
  m.delivery_id = "del-" + n;
  m.event = "failure_group.created";
  const WebhookAttemptRow attempt = testing::MakeAttempt("del-old", DeliveryStatus::kDelivered);
  REQUIRE(t.Write(
      [&](WriteTxn& txn) { return storage::EnqueueWebhookMessage(txn, project, hook, m, 5); }));
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::RecordWebhookAttempt(txn, project, hook, attempt, {}, 5, 4);
           }).ok());
}

std::map<std::string, int64_t> Rows(TempStore& t, int64_t project) {
  auto counts = t.Read([&](Txn& txn) { return storage::CountProjectRows(txn, project); });
  return std::map<std::string, int64_t>(counts.begin(), counts.end());
}

}  // namespace

TEST_CASE("EnsureProject returns the existing project's id and never hands out a deleted one's") {
  TempStore t;
  CHECK(t.a != t.b);
  CHECK(t.Write([](WriteTxn& txn) {
    return storage::EnsureProject(txn, "pa", "other", Tier::kHobby, 9);
  }) == t.a);
  CHECK(t.Read([&](Txn& txn) { return storage::GetProject(txn, t.a); })->name == "A");
  const int64_t c = t.Write(
      [](WriteTxn& txn) { return storage::EnsureProject(txn, "pc", "C", Tier::kHobby, 2); });
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::DeleteProject(txn, c); }).ok());
  const int64_t d = t.Write([](WriteTxn& txn) {
    return storage::CreateProject(txn, "pd", "D", "d@example.com", Tier::kHobby, 3);
  });
  CHECK(d > c);  // the deleted newest project's id is not reused
}

TEST_CASE("CreateProject refuses a public id that exists, and stores nothing") {
  TempStore t;
  Status s = t.Write([](WriteTxn& txn) {
    return storage::CreateProject(txn, "pa", "again", "x@example.com", Tier::kPro, 5).status();
  });
  CHECK(s.code() == Code::kConflict);
  CHECK(t.Read([&](Txn& txn) { return storage::GetProject(txn, t.a); })->tier == Tier::kHobby);
}

TEST_CASE("A project is found by either id; an unknown one is missing, not an error") {
  TempStore t;
  auto info = t.Read([&](Txn& txn) { return storage::GetProject(txn, t.b); });
  REQUIRE(info.has_value());
  CHECK(info->project_id == "pb");
  CHECK(info->created_at_ms == 1);
  CHECK(t.Read([](Txn& txn) { return storage::FindProjectId(txn, "pb"); }) == t.b);
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::FindProjectId(txn, "nope"); }).has_value());
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::GetProject(txn, 999); }).has_value());
}

TEST_CASE("Each setting changes its own project only") {
  TempStore t;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::SetTier(txn, t.a, Tier::kPro, 5000);
             if (s.ok()) s = storage::AddGrant(txn, t.a, 100, 6000);
             if (s.ok()) s = storage::AddGrant(txn, t.a, -30, 0);
             if (s.ok()) s = storage::SetRateLimit(txn, t.a, 7.5, std::nullopt);
             if (s.ok()) s = storage::SetSuspended(txn, t.a, true, "billing", 42);
             if (s.ok()) s = storage::SetRetention(txn, t.a, 14);
             return s;
           }).ok());
  const auto pa = Admin(t, t.a);
  REQUIRE(pa.has_value());
  CHECK(pa->tier == Tier::kPro);
  CHECK(pa->tier_expires_at_ms == 5000);
  CHECK(pa->granted_executions == 70);
  CHECK(pa->granted_executions_expires_at_ms == 0);  // the last grant set "never"
  CHECK(pa->rate_limit_burst == std::optional<double>(7.5));
  CHECK_FALSE(pa->rate_limit_per_sec.has_value());
  CHECK(pa->suspended_at_ms == 42);
  CHECK(pa->suspension_reason == "billing");
  CHECK(pa->retention_days == std::optional<int64_t>(14));

  const auto pb = Admin(t, t.b);
  REQUIRE(pb.has_value());
  CHECK(pb->tier == Tier::kHobby);
  CHECK(pb->granted_executions == 0);
  CHECK_FALSE(pb->rate_limit_burst.has_value());
  CHECK(pb->suspended_at_ms == 0);
  CHECK_FALSE(pb->retention_days.has_value());

  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::SetSuspended(txn, t.a, false, "ignored", 50);
             if (s.ok()) s = storage::SetRetention(txn, t.a, std::nullopt);
             return s;
           }).ok());
  CHECK(Admin(t, t.a)->suspended_at_ms == 0);
  CHECK(Admin(t, t.a)->suspension_reason.empty());
  CHECK_FALSE(Admin(t, t.a)->retention_days.has_value());
}

TEST_CASE("Settings of a missing project are a no-op, not an error") {
  TempStore t;
  CHECK(t.Write([](WriteTxn& txn) { return storage::SetTier(txn, 999, Tier::kPro, 0); }).ok());
  CHECK(t.Write([](WriteTxn& txn) { return storage::DeleteProject(txn, 999); }).ok());
  CHECK_FALSE(Admin(t, 999).has_value());
}

TEST_CASE("RetentionPolicies gives the default to projects without their own and skips zero") {
  TempStore t;
  const int64_t c = t.Write(
      [](WriteTxn& txn) { return storage::EnsureProject(txn, "pc", "C", Tier::kHobby, 1); });
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::SetRetention(txn, t.a, 7);
             if (s.ok()) s = storage::SetRetention(txn, c, 0);  // keep forever
             return s;
           }).ok());
  auto with_default = t.Read([](Txn& txn) { return storage::RetentionPolicies(txn, 30); });
  std::map<int64_t, int64_t> got(with_default.begin(), with_default.end());
  CHECK(got == std::map<int64_t, int64_t>{{t.a, 7}, {t.b, 30}});
  auto without = t.Read([](Txn& txn) { return storage::RetentionPolicies(txn, 0); });
  CHECK(without == std::vector<std::pair<int64_t, int64_t>>{{t.a, 7}});
}

TEST_CASE("DeleteProject removes every row the project owns and nothing of another project's") {
  TempStore t;
  Populate(t, t.a);
  Populate(t, t.b);
  const auto before_b = Rows(t, t.b);
  for (const auto& row : Rows(t, t.a)) {
    CAPTURE(row.first);
    CHECK(row.second >= 1);  // the fixture reaches every table
  }
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::DeleteProject(txn, t.a); }).ok());
  for (const auto& row : Rows(t, t.a)) {
    CAPTURE(row.first);
    CHECK(row.second == 0);
  }
  CHECK(Rows(t, t.b) == before_b);
  CHECK_FALSE(t.Read([&](Txn& txn) {
                 return storage::FindKeyByHash(txn, "hash-" + std::to_string(t.a));
               }).has_value());
  CHECK(t.Read([&](Txn& txn) {
           return storage::FindKeyByHash(txn, "hash-" + std::to_string(t.b));
         }).has_value());
}

TEST_CASE("Admin views list every project, newest first, with usage counts") {
  TempStore t;
  const int64_t c = t.Write(
      [](WriteTxn& txn) { return storage::EnsureProject(txn, "pc", "C", Tier::kHobby, 5); });
  t.Ingest(t.b, {MakeEvent("e1", "x1", 1), MakeEvent("e2", "x1", 2), MakeEvent("e3", "x2", 1)}, 9);
  auto page = t.Read([](Txn& txn) { return storage::ListAdminProjects(txn, 2, 0); });
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == c);  // newest first
  CHECK(page[1].id == t.b);
  CHECK(t.Read([](Txn& txn) { return storage::ListAdminProjects(txn, 2, 2); }).size() == 1);
  auto pb = t.Read([](Txn& txn) { return storage::GetAdminProject(txn, "pb"); });
  REQUIRE(pb.has_value());
  CHECK(pb->total_executions == 2);
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::GetAdminProject(txn, "zz"); }).has_value());
  std::map<int64_t, ProjectUsage> usage;
  for (const ProjectUsage& u : t.Read([](Txn& txn) { return storage::ProjectUsages(txn); })) {
    usage[u.id] = u;
  }
  REQUIRE(usage.size() == 3);
  CHECK(usage[t.b].executions == 2);
  CHECK(usage[t.b].events == 3);
  CHECK(usage[t.b].estimated_bytes > 0);
  CHECK(usage[t.a].executions == 0);
  CHECK(usage[t.a].estimated_bytes == 0);
}
