// The failure-group lifecycle routes as a client sees them: resolve, mute and reopen answer with
// the group, write an audit row, treat another project's group as a missing one, and the list
// filters by state.
#include "server/detection/handlers.h"

#include <doctest/doctest.h>

#include "server/detection/detection.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/webhooks.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::MakeFinding;
using vigil::testing::MakeWebhook;
using vigil::testing::TempStore;

namespace {

struct Answer {
  int status = 0;
  std::string body;
  bool Has(const std::string& text) const { return body.find(text) != std::string::npos; }
};

// Project a has the groups "g1" and "g2" (one execution each), project b none.
struct HandlerFixture {
  TempStore t;
  Detection detection{t.store.get(), true, "vigil"};
  DetectionHandlers handlers{*t.store, detection};

  HandlerFixture() {
    int n = 0;
    for (const char* g : {"g1", "g2"}) {
      const std::string id = "e" + std::to_string(++n);
      const int64_t row = t.Ingest(t.a, {MakeEvent(id + "-ev", id, 1, 10)}).touched[0].row_id;
      t.AddFinding(t.a, row, id, MakeFinding(std::string("d-") + g, g, 10 * n));
    }
  }

  // Calls `handler` as project `project` with the key "key-" + project, the path parameter `id`
  // and the query `query`.
  Answer Call(void (DetectionHandlers::*handler)(RequestContext&), int64_t project,
              const std::string& id, const httplib::Params& query = {}) {
    httplib::Request req;
    httplib::Response res;
    req.method = id.empty() ? "GET" : "POST";
    req.target = "/failure-groups/" + id;
    req.params = query;
    RequestContext ctx;
    ctx.req = &req;
    ctx.res = &res;
    if (!id.empty()) ctx.params = {id};
    ctx.auth.project = project;
    ctx.auth.project_id = project == t.a ? "pa" : "pb";
    ctx.auth.key_id = "key-" + std::to_string(project);
    ctx.now_ms = 5000;
    (handlers.*handler)(ctx);
    return {res.status, res.body};
  }

  std::vector<AuditEntry> Audit(int64_t project) {
    AuditFilter filter;
    filter.project = project;
    std::vector<AuditEntry> rows;
    for (AuditEntry& e : t.Read([&](Txn& txn) { return storage::ListAudit(txn, filter); })) {
      if (e.action.rfind("failure_group.", 0) == 0) rows.push_back(e);
    }
    return rows;
  }
};

}  // namespace

TEST_CASE("Resolving a group answers with it resolved and audits who did it") {
  HandlerFixture f;
  const Answer a = f.Call(&DetectionHandlers::ResolveGroup, f.t.a, "g1");
  CHECK(a.status == 200);
  CHECK(a.Has(R"("changed":true)"));
  CHECK(a.Has(R"("state":"resolved")"));
  CHECK(a.Has(R"("state_changed_by":"key-)" + std::to_string(f.t.a) + "\""));
  auto audit = f.Audit(f.t.a);
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].action == "failure_group.resolve");
  CHECK(audit[0].key_id == "key-" + std::to_string(f.t.a));
  CHECK(audit[0].detail_json.find(R"("previous_state":"open")") != std::string::npos);

  // Resolving it again changes nothing and audits nothing.
  const Answer again = f.Call(&DetectionHandlers::ResolveGroup, f.t.a, "g1");
  CHECK(again.status == 200);
  CHECK(again.Has(R"("changed":false)"));
  CHECK(f.Audit(f.t.a).size() == 1);
}

TEST_CASE("Mute and reopen move the group and each writes its audit row") {
  HandlerFixture f;
  CHECK(f.Call(&DetectionHandlers::MuteGroup, f.t.a, "g2").Has(R"("state":"muted")"));
  CHECK(f.Call(&DetectionHandlers::ReopenGroup, f.t.a, "g2").Has(R"("state":"open")"));
  auto audit = f.Audit(f.t.a);
  REQUIRE(audit.size() == 2);
  std::vector<std::string> actions = {audit[0].action, audit[1].action};
  std::sort(actions.begin(), actions.end());
  CHECK(actions == std::vector<std::string>{"failure_group.mute", "failure_group.reopen"});
}

TEST_CASE("Muting a group drops the webhook messages it still had queued") {
  HandlerFixture f;
  REQUIRE(
      f.t.Write([&](WriteTxn& txn) -> Status {
           Status s = storage::CreateWebhook(txn, f.t.a, MakeWebhook("wh-1"), 20);
           if (!s.ok()) return s;
           auto hooks = storage::ListWebhooks(txn, f.t.a);
           if (!hooks.ok()) return hooks.status();
           WebhookMessage m;
           m.delivery_id = "del-1";
           m.event = "failure_group.created";
           m.group_id = "g1";
           return storage::EnqueueWebhookMessage(txn, f.t.a, hooks.value()[0].row, m, 10).status();
         })
          .ok());
  CHECK(f.Call(&DetectionHandlers::MuteGroup, f.t.a, "g1").status == 200);
  CHECK(f.t.Read([&](Txn& txn) { return storage::ListDueWebhookMessages(txn, 1000000, 10); })
            .empty());
}

TEST_CASE("Another project's group answers exactly like a missing one and stays unchanged") {
  HandlerFixture f;
  for (auto handler : {&DetectionHandlers::ResolveGroup, &DetectionHandlers::MuteGroup,
                       &DetectionHandlers::ReopenGroup}) {
    const Answer foreign = f.Call(handler, f.t.b, "g1");
    const Answer missing = f.Call(handler, f.t.b, "no-such-group");
    CHECK(foreign.status == 404);
    CHECK(foreign.status == missing.status);
    CHECK(foreign.body == missing.body);
  }
  const Answer long_id = f.Call(&DetectionHandlers::ResolveGroup, f.t.a, std::string(300, 'g'));
  CHECK(long_id.status == 404);
  CHECK(f.Audit(f.t.a).empty());
  CHECK(f.Audit(f.t.b).empty());
  auto g1 = f.t.Read([&](Txn& txn) { return storage::GetFailureGroup(txn, f.t.a, "g1"); });
  REQUIRE(g1.has_value());
  CHECK(g1->state == GroupState::kOpen);
}

TEST_CASE("The group list shows open groups unless asked, filters by state and refuses others") {
  HandlerFixture f;
  REQUIRE(f.Call(&DetectionHandlers::ResolveGroup, f.t.a, "g1").status == 200);
  const Answer open = f.Call(&DetectionHandlers::ListGroups, f.t.a, "");
  CHECK(open.status == 200);
  CHECK(open.Has(R"("state":"open")"));
  CHECK(open.Has(R"("group_id":"g2")"));
  CHECK_FALSE(open.Has(R"("group_id":"g1")"));
  const Answer resolved =
      f.Call(&DetectionHandlers::ListGroups, f.t.a, "", {{"state", "resolved"}});
  CHECK(resolved.Has(R"("group_id":"g1")"));
  CHECK_FALSE(resolved.Has(R"("group_id":"g2")"));
  const Answer all = f.Call(&DetectionHandlers::ListGroups, f.t.a, "", {{"state", "all"}});
  CHECK(all.Has(R"("group_id":"g1")"));
  CHECK(all.Has(R"("group_id":"g2")"));
  CHECK(f.Call(&DetectionHandlers::ListGroups, f.t.a, "", {{"state", "closed"}}).status == 400);
  CHECK_FALSE(
      f.Call(&DetectionHandlers::ListGroups, f.t.b, "", {{"state", "all"}}).Has("group_id"));
}
