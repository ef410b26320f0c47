// The lifecycle of failure groups (open, resolved, muted; a resolved group that recurs reopens)
// and the detail stored with each finding.
#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include "storage/detection.h"
#include "storage/migrations.h"
#include "storage/stats.h"
#include "storage/webhooks.h"
#include "tests/storage/old_schema.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeFinding;
using vigil::testing::MakeWebhook;
using vigil::testing::TempStore;

namespace {

std::optional<GroupState> MoveGroup(TempStore& t, int64_t project, const std::string& group,
                                    GroupState to, int64_t now_ms) {
  return t.Write([&](WriteTxn& txn) {
    return storage::SetGroupState(txn, project, group, to, "key-1", now_ms);
  });
}

FailureGroupRow GroupRow(TempStore& t, int64_t project, const std::string& group) {
  auto g = t.Read([&](Txn& txn) { return storage::GetFailureGroup(txn, project, group); });
  REQUIRE(g.has_value());
  return *g;
}

std::vector<std::string> ListedGroups(TempStore& t, int64_t project,
                                      std::optional<GroupState> state) {
  std::vector<std::string> ids;
  for (const FailureGroupRow& g :
       t.Read([&](Txn& txn) { return storage::ListFailureGroups(txn, project, state, 50, 0); })) {
    ids.push_back(g.group_id);
  }
  return ids;
}

}  // namespace

TEST_CASE("A finding's detail is stored with it and replaced with it") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  StoredFinding f = MakeFinding("prompt_injection", "g1", 10);
  f.detail = "classifier score 0.97 on the tool result of web_search";
  t.AddFinding(t.a, row, "e1", f);
  auto stored = t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, row); });
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].detail == f.detail);
  f.detail.clear();  // a later pass that says nothing leaves nothing behind
  t.AddFinding(t.a, row, "e1", f);
  CHECK(t.Read([&](Txn& txn) { return storage::LoadFindings(txn, t.a, row); })[0].detail.empty());
}

TEST_CASE("A group is created open; resolve, mute and reopen move it and record when and who") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  t.AddFinding(t.a, row, "e1", MakeFinding("crash", "g1", 10));
  FailureGroupRow g = GroupRow(t, t.a, "g1");
  CHECK(g.state == GroupState::kOpen);
  CHECK(g.state_changed_at_ms == 0);
  CHECK(g.state_changed_by.empty());

  struct Move {
    GroupState to;
    int64_t at_ms;
    GroupState before;            // what MoveGroup reports the group was
    int64_t state_changed_at_ms;  // what the group records afterwards
  };
  const Move moves[] = {
      {GroupState::kResolved, 100, GroupState::kOpen, 100},
      {GroupState::kResolved, 200, GroupState::kResolved, 100},  // again: not even the time moves
      {GroupState::kMuted, 300, GroupState::kResolved, 300},
      {GroupState::kOpen, 400, GroupState::kMuted, 400},
  };
  for (const Move& move : moves) {
    CAPTURE(move.at_ms);
    CHECK(MoveGroup(t, t.a, "g1", move.to, move.at_ms) == move.before);
    g = GroupRow(t, t.a, "g1");
    CHECK(g.state == move.to);
    CHECK(g.state_changed_at_ms == move.state_changed_at_ms);
    CHECK(g.state_changed_by == "key-1");
  }
  CHECK(MoveGroup(t, t.a, "missing", GroupState::kResolved, 500) == std::nullopt);
}

TEST_CASE("Another project cannot see or change a group: it behaves as a missing one") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  t.AddFinding(t.a, row, "e1", MakeFinding("crash", "g1", 10));
  CHECK(MoveGroup(t, t.b, "g1", GroupState::kResolved, 100) == std::nullopt);
  CHECK(MoveGroup(t, t.b, "g1", GroupState::kMuted, 100) == std::nullopt);
  CHECK(GroupRow(t, t.a, "g1").state == GroupState::kOpen);
  CHECK(ListedGroups(t, t.b, std::nullopt).empty());
  // The same group id in b is b's own group, with its own state.
  const int64_t b_row = t.NewExecution(t.b, "e1");
  t.AddFinding(t.b, b_row, "e1", MakeFinding("crash", "g1", 10));
  CHECK(MoveGroup(t, t.b, "g1", GroupState::kMuted, 100) == GroupState::kOpen);
  CHECK(GroupRow(t, t.a, "g1").state == GroupState::kOpen);
  CHECK(GroupRow(t, t.b, "g1").state == GroupState::kMuted);
}

TEST_CASE("A resolved group reopens when the failure recurs in another execution, once") {
  TempStore t;
  const int64_t e1 = t.NewExecution(t.a, "e1");
  const int64_t e2 = t.NewExecution(t.a, "e2");
  const int64_t e3 = t.NewExecution(t.a, "e3");
  CHECK(t.StoreFinding(t.a, e1, "e1", MakeFinding("crash", "g1", 10)) == GroupChange::kCreated);
  MoveGroup(t, t.a, "g1", GroupState::kResolved, 100);
  // The execution already in the group, stored again (a final pass after a live one, another
  // detector of it): no recurrence.
  CHECK(t.StoreFinding(t.a, e1, "e1", MakeFinding("crash", "g1", 150)) == GroupChange::kNone);
  CHECK(t.StoreFinding(t.a, e1, "e1", MakeFinding("other", "g1", 150)) == GroupChange::kNone);
  CHECK(GroupRow(t, t.a, "g1").state == GroupState::kResolved);
  // A new execution in the group: a regression, which opens it again.
  CHECK(t.StoreFinding(t.a, e2, "e2", MakeFinding("crash", "g1", 200)) == GroupChange::kRegressed);
  FailureGroupRow g = GroupRow(t, t.a, "g1");
  CHECK(g.state == GroupState::kOpen);
  CHECK(g.state_changed_at_ms == 200);  // reopened by the system when the finding was detected
  CHECK(g.state_changed_by == "system");
  CHECK(g.last_seen_ms == 200);
  CHECK(g.affected_executions == 2);
  // Open now: a third execution is no regression.
  CHECK(t.StoreFinding(t.a, e3, "e3", MakeFinding("crash", "g1", 300)) == GroupChange::kNone);
}

TEST_CASE("A muted group keeps counting and stays muted when the failure recurs") {
  TempStore t;
  const int64_t e1 = t.NewExecution(t.a, "e1");
  const int64_t e2 = t.NewExecution(t.a, "e2");
  t.AddFinding(t.a, e1, "e1", MakeFinding("crash", "g1", 10));
  MoveGroup(t, t.a, "g1", GroupState::kMuted, 100);
  CHECK(t.StoreFinding(t.a, e2, "e2", MakeFinding("crash", "g1", 200)) == GroupChange::kNone);
  FailureGroupRow g = GroupRow(t, t.a, "g1");
  CHECK(g.state == GroupState::kMuted);
  CHECK(g.state_changed_at_ms == 100);
  CHECK(g.affected_executions == 2);
  CHECK(g.last_seen_ms == 200);
}

TEST_CASE("ListFailureGroups filters by state, in the list's order, within the project") {
  TempStore t;
  const int64_t row = t.NewExecution(t.a, "e1");
  t.AddFinding(t.a, row, "e1", MakeFinding("d1", "open-old", 100));
  t.AddFinding(t.a, row, "e1", MakeFinding("d2", "resolved", 200));
  t.AddFinding(t.a, row, "e1", MakeFinding("d3", "muted", 300));
  t.AddFinding(t.a, row, "e1", MakeFinding("d4", "open-new", 400));
  MoveGroup(t, t.a, "resolved", GroupState::kResolved, 500);
  MoveGroup(t, t.a, "muted", GroupState::kMuted, 500);
  const int64_t b_row = t.NewExecution(t.b, "e1");
  t.AddFinding(t.b, b_row, "e1", MakeFinding("d1", "b-open", 100));
  CHECK(ListedGroups(t, t.a, GroupState::kOpen) ==
        std::vector<std::string>{"open-new", "open-old"});
  CHECK(ListedGroups(t, t.a, GroupState::kResolved) == std::vector<std::string>{"resolved"});
  CHECK(ListedGroups(t, t.a, GroupState::kMuted) == std::vector<std::string>{"muted"});
  CHECK(ListedGroups(t, t.a, std::nullopt) ==
        std::vector<std::string>{"open-new", "muted", "resolved", "open-old"});
  CHECK(ListedGroups(t, t.b, GroupState::kResolved).empty());
}

TEST_CASE("open_failure_groups counts the open groups an execution holds a finding in") {
  TempStore t;
  const int64_t e1 = t.NewExecution(t.a, "e1");
  for (const char* g : {"g1", "g2", "g3"}) {
    t.AddFinding(t.a, e1, "e1", MakeFinding(std::string("d-") + g, g, 10));
  }
  const int64_t b_row = t.NewExecution(t.b, "e1");
  t.AddFinding(t.b, b_row, "e1", MakeFinding("d-g1", "g1", 10));
  const auto open = [&](int64_t project) {
    return t.Read([&](Txn& txn) { return storage::GetStats(txn, project, 1000); })
        .open_failure_groups;
  };
  CHECK(open(t.a) == 3);
  MoveGroup(t, t.a, "g1", GroupState::kResolved, 100);
  MoveGroup(t, t.a, "g2", GroupState::kMuted, 100);
  CHECK(open(t.a) == 1);
  CHECK(open(t.b) == 1);
  // A group no execution holds a finding in any more is not counted, open or not.
  REQUIRE(
      t.Write([&](WriteTxn& txn) { return storage::DeleteFinding(txn, t.a, e1, "d-g3"); }).ok());
  CHECK(open(t.a) == 0);
  MoveGroup(t, t.a, "g2", GroupState::kOpen, 200);
  CHECK(open(t.a) == 1);
}

TEST_CASE("DropGroupWebhookMessages drops the project's queued messages of that group only") {
  TempStore t;
  const auto hook = [&](int64_t project, const std::string& id) {
    return t.Write([&](WriteTxn& txn) -> Result<int64_t> {
      Status s = storage::CreateWebhook(txn, project, MakeWebhook(id), 20);
      if (!s.ok()) return s;
      auto rows = storage::ListWebhooks(txn, project);
      if (!rows.ok()) return rows.status();
      return rows.value()[0].row;
    });
  };
  const int64_t wa = hook(t.a, "wh-a"), wb = hook(t.b, "wh-b");
  const auto enqueue = [&](int64_t project, int64_t webhook, const std::string& delivery,
                           const std::string& group) {
    WebhookMessage m;
    m.delivery_id = delivery;
    m.event = "failure_group.created";
    m.group_id = group;
    m.detail = "why";
    REQUIRE(t.Write([&](WriteTxn& txn) {
      return storage::EnqueueWebhookMessage(txn, project, webhook, m, 10);
    }));
  };
  enqueue(t.a, wa, "del-1", "g1");
  enqueue(t.a, wa, "del-2", "g2");
  enqueue(t.b, wb, "del-3", "g1");
  CHECK(t.Write([&](WriteTxn& txn) { return storage::DropGroupWebhookMessages(txn, t.a, "g1"); }) ==
        1);
  auto due = t.Read([&](Txn& txn) { return storage::ListDueWebhookMessages(txn, 1000, 10, 10); });
  std::vector<std::string> left;
  for (const DueWebhookMessage& d : due) left.push_back(d.message.delivery_id);
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"del-2", "del-3"});
  CHECK(due[0].message.detail == "why");
}

TEST_CASE("The lifecycle migration opens every existing group and gives findings no detail") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigil-group-lifecycle-migrate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "old.db").string();
  {
    // A database as migrations 1-9 left it, with a group and its finding.
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    vigil::testing::ApplyMigrationsUpTo(db, 9);
    db.exec("INSERT INTO projects(id, project_id, name, created_at) VALUES (1, 'p', 'P', 0)");
    db.exec(
        "INSERT INTO executions(id, project, execution_id, status, started_at)"
        " VALUES (1, 1, 'e1', 'crashed', 0)");
    db.exec(
        "INSERT INTO failure_groups(project, group_id, failure_class, signature, first_seen,"
        " last_seen, sample_execution_id) VALUES (1, 'g1', 'crashes', 's', 5, 5, 'e1')");
    db.exec(
        "INSERT INTO findings(project, execution, detector, priority, failure_class, signature,"
        " group_id, detected_at, source) VALUES (1, 1, 'crash', 1, 'crashes', 's', 'g1', 5,"
        " 'final')");
  }
  {
    StoreOptions o;
    o.path = path;
    auto s = Store::Open(o);
    REQUIRE(s.ok());
    Store& store = *s.value();
    std::optional<FailureGroupRow> g;
    std::vector<StoredFinding> findings;
    REQUIRE(store
                .Read([&](ReadTxn& txn) {
                  g = storage::GetFailureGroup(txn, 1, "g1").value();
                  findings = storage::LoadFindings(txn, 1, 1).value();
                  return Status::Ok();
                })
                .ok());
    REQUIRE(g.has_value());
    CHECK(g->state == GroupState::kOpen);
    CHECK(g->state_changed_at_ms == 0);
    CHECK(g->state_changed_by.empty());
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].detail.empty());
  }
  std::filesystem::remove_all(dir);
}
