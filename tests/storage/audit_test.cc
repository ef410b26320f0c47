// The audit log: appended, read per project or across projects, paged, streamed, pruned.
#include "storage/audit.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

namespace {

AuditEntry Entry(int64_t project, int64_t time_ms, const std::string& action) {
  AuditEntry e;
  e.time_ms = time_ms;
  e.project = project;
  e.actor = Actor::kKey;
  e.key_id = "key-1";
  e.action = action;
  e.method = "POST";
  e.path = "/v1/events";
  e.status = 200;
  e.client_ip = "10.0.0.1";
  e.detail_json = "{\"n\":1}";
  return e;
}

void Insert(TempStore& t, const AuditEntry& e) {
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::InsertAudit(txn, e); }).ok());
}

std::vector<std::string> Actions(const std::vector<AuditEntry>& rows) {
  std::vector<std::string> out;
  for (const AuditEntry& e : rows) out.push_back(e.action);
  return out;
}

// a: a1 (t=10), a2 (t=20), a3 (t=30); b: b1 (t=15); no project: sys (t=25).
void Fill(TempStore& t) {
  Insert(t, Entry(t.a, 10, "a1"));
  Insert(t, Entry(t.b, 15, "b1"));
  Insert(t, Entry(t.a, 20, "a2"));
  Insert(t, Entry(0, 25, "sys"));
  Insert(t, Entry(t.a, 30, "a3"));
}

}  // namespace

TEST_CASE("InsertAudit keeps every field and assigns increasing ids") {
  TempStore t;
  Fill(t);
  AuditFilter f;
  f.project = t.a;
  auto rows = t.Read([&](Txn& txn) { return storage::ListAudit(txn, f); });
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].audit_id > rows[1].audit_id);
  const AuditEntry& e = rows[2];
  CHECK(e.time_ms == 10);
  CHECK(e.project == t.a);
  CHECK(e.project_id == "pa");
  CHECK(e.actor == Actor::kKey);
  CHECK(e.key_id == "key-1");
  CHECK(e.method == "POST");
  CHECK(e.path == "/v1/events");
  CHECK(e.status == 200);
  CHECK(e.client_ip == "10.0.0.1");
  CHECK(e.detail_json == "{\"n\":1}");
}

TEST_CASE("An audit row of a deleted project is dropped rather than left as an orphan") {
  TempStore t;
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::DeleteProject(txn, t.b); }).ok());
  Insert(t, Entry(t.b, 1, "late"));
  AuditFilter all;
  all.all_projects = true;
  CHECK(t.Read([&](Txn& txn) { return storage::ListAudit(txn, all); }).empty());
}

TEST_CASE("A project's audit view holds its rows only; the admin view holds every row") {
  TempStore t;
  Fill(t);
  AuditFilter mine;
  mine.project = t.b;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, mine); })) ==
        std::vector<std::string>{"b1"});
  AuditFilter all;
  all.all_projects = true;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, all); })) ==
        std::vector<std::string>{"a3", "sys", "a2", "b1", "a1"});
  all.project = t.a;  // the admin view narrowed to one project
  all.since_ms = 20;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, all); })) ==
        std::vector<std::string>{"a3", "a2"});
  AuditFilter window;
  window.all_projects = true;
  window.since_ms = 15;  // both bounds inclusive
  window.until_ms = 25;
  window.limit = 2;
  window.offset = 1;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, window); })) ==
        std::vector<std::string>{"a2", "b1"});
  AuditFilter action;
  action.project = t.a;
  action.action = "a2";
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, action); })) ==
        std::vector<std::string>{"a2"});
  AuditFilter without;
  without.project = t.a;
  without.exclude_action = "a2";
  const auto rest = Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, without); }));
  CHECK_FALSE(rest.empty());
  CHECK(std::find(rest.begin(), rest.end(), "a2") == rest.end());
}

TEST_CASE("ListAuditAfter pages oldest first by id; ForEachAudit streams and stops on request") {
  TempStore t;
  Fill(t);
  AuditFilter f;
  f.project = t.a;
  f.limit = 2;
  auto first = t.Read([&](Txn& txn) { return storage::ListAuditAfter(txn, f); });
  CHECK(Actions(first) == std::vector<std::string>{"a1", "a2"});
  f.after_audit_id = first.back().audit_id;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAuditAfter(txn, f); })) ==
        std::vector<std::string>{"a3"});

  AuditFilter all;
  all.all_projects = true;
  std::vector<std::string> seen;
  REQUIRE(t.Read([&](Txn& txn) {
             return storage::ForEachAudit(txn, all, [&](const AuditEntry& e) {
               seen.push_back(e.action);
               return seen.size() < 3;
             });
           }).ok());
  CHECK(seen == std::vector<std::string>{"a1", "b1", "a2"});
}

TEST_CASE("PruneAudit deletes at most `limit` rows older than the cutoff, of every project") {
  TempStore t;
  Fill(t);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneAudit(txn, 25, 2); }) == 2);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneAudit(txn, 25, 2); }) == 1);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneAudit(txn, 25, 2); }) == 0);
  AuditFilter all;
  all.all_projects = true;
  CHECK(Actions(t.Read([&](Txn& txn) { return storage::ListAudit(txn, all); })) ==
        std::vector<std::string>{"a3", "sys"});  // the cutoff itself is kept
}
