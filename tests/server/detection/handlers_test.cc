// The failure-group lifecycle routes called directly: resolve, mute and reopen answer with the
// group and write an audit row, another project's group answers exactly like a missing one, and
// the list filters by state.
#include "server/detection/handlers.h"

#include <doctest/doctest.h>

#include <string>

#include "server/detection/detection.h"
#include "storage/detection.h"
#include "storage/webhooks.h"
#include "tests/server/handler_fixture.h"

using namespace vigil;
using vigil::testing::HandlerFixture;
using vigil::testing::HandlerRequest;
using vigil::testing::MakeFinding;
using vigil::testing::MakeWebhook;
using vigil::testing::Reply;

namespace {

using LifecycleRoute = void (DetectionHandlers::*)(RequestContext&);

// Project a has the groups "g1" and "g2" (one execution each); project b has none.
class LifecycleTest : public HandlerFixture {
 public:
  LifecycleTest() : detection(store.get(), true, "vigil"), handlers(*store, detection) {
    AddFinding(a, NewExecution(a, "e1"), "e1", MakeFinding("d-g1", "g1", 10));
    AddFinding(a, NewExecution(a, "e2"), "e2", MakeFinding("d-g2", "g2", 20));
  }

  // POST /failure-groups/{id}/<action> as `key`.
  Reply Move(LifecycleRoute route, const std::string& action, const std::string& id,
             const AuthRecord& key) {
    HandlerRequest r = KeyRequest("POST", "/failure-groups/" + id + "/" + action).Param(id);
    return Call(handlers, route, r.As(key));
  }
  Reply Resolve(const std::string& id) {
    return Move(&DetectionHandlers::ResolveGroup, "resolve", id, key_a);
  }
  Reply List(const std::string& query, const AuthRecord& key) {
    return Call(handlers, &DetectionHandlers::ListGroups,
                KeyRequest("GET", "/failure-groups" + query).As(key));
  }
  GroupState StateOf(int64_t project, const std::string& id) {
    auto g = Read([&](Txn& txn) { return storage::GetFailureGroup(txn, project, id); });
    REQUIRE(g.has_value());
    return g->state;
  }

  Detection detection;
  DetectionHandlers handlers;
};

// The group ids a list answer holds, in its order.
std::string GroupIdsOf(const Reply& r) {
  std::string out;
  for (size_t i = 0; i < r.Size("/failure_groups"); ++i) {
    out += (i ? "," : "") + r.Str("/failure_groups/" + std::to_string(i) + "/group_id");
  }
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(LifecycleTest, "Resolving a group answers with it resolved and audits who did") {
  const Reply r = Resolve("g1");
  CHECK(r.status == 200);
  CHECK(r.Bool("/changed"));
  CHECK(r.Str("/failure_group/state") == "resolved");
  CHECK(r.Str("/failure_group/state_changed_by") == key_a.key_id);
  CHECK(r.Has("/failure_group/state_changed_at"));
  const auto audit = Audit(a, "failure_group.resolve");
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].key_id == key_a.key_id);
  CHECK(audit[0].detail_json == R"({"group_id":"g1","previous_state":"open"})");

  // Resolving it again changes nothing and audits nothing.
  const Reply again = Resolve("g1");
  CHECK(again.status == 200);
  CHECK_FALSE(again.Bool("/changed"));
  CHECK(Audit(a, "failure_group.resolve").size() == 1);
}

TEST_CASE_FIXTURE(LifecycleTest, "Mute and reopen move the group and each writes its audit row") {
  CHECK(Move(&DetectionHandlers::MuteGroup, "mute", "g2", key_a).Str("/failure_group/state") ==
        "muted");
  CHECK(StateOf(a, "g2") == GroupState::kMuted);
  CHECK(Move(&DetectionHandlers::ReopenGroup, "reopen", "g2", key_a).Str("/failure_group/state") ==
        "open");
  CHECK(StateOf(a, "g2") == GroupState::kOpen);
  CHECK(Audit(a, "failure_group.mute").size() == 1);
  CHECK(Audit(a, "failure_group.reopen").size() == 1);
}

TEST_CASE_FIXTURE(LifecycleTest, "Muting a group drops the webhook messages it still had queued") {
  REQUIRE(Write([&](WriteTxn& txn) -> Status {
            Status s = storage::CreateWebhook(txn, a, MakeWebhook("wh-1"), 20);
            if (!s.ok()) return s;
            auto hooks = storage::ListWebhooks(txn, a);
            if (!hooks.ok()) return hooks.status();
            WebhookMessage m;
            m.delivery_id = "del-1";
            m.event = "failure_group.created";
            m.group_id = "g1";
            return storage::EnqueueWebhookMessage(txn, a, hooks.value()[0].row, m, 10).status();
          }).ok());
  CHECK(Move(&DetectionHandlers::MuteGroup, "mute", "g1", key_a).status == 200);
  CHECK(
      Read([&](Txn& txn) { return storage::ListDueWebhookMessages(txn, now_ms, 10, 10); }).empty());
}

TEST_CASE_FIXTURE(LifecycleTest, "Another project's group answers like a missing one, unchanged") {
  const std::pair<LifecycleRoute, const char*> routes[] = {
      {&DetectionHandlers::ResolveGroup, "resolve"},
      {&DetectionHandlers::MuteGroup, "mute"},
      {&DetectionHandlers::ReopenGroup, "reopen"}};
  for (const auto& route : routes) {
    const Reply foreign = Move(route.first, route.second, "g1", key_b);
    const Reply missing = Move(route.first, route.second, "no-such-group", key_b);
    CHECK(foreign.status == 404);
    CHECK(foreign.status == missing.status);
    CHECK(foreign.body == missing.body);
  }
  CHECK(Resolve(std::string(300, 'g')).status == 404);
  CHECK(StateOf(a, "g1") == GroupState::kOpen);
  CHECK(Audit(0, "failure_group.resolve", true).empty());
  CHECK(Audit(0, "failure_group.mute", true).empty());
}

TEST_CASE_FIXTURE(LifecycleTest, "The list shows open groups unless asked and filters by state") {
  REQUIRE(Resolve("g1").status == 200);
  const Reply open = List("", key_a);
  CHECK(open.Str("/state") == "open");
  CHECK(GroupIdsOf(open) == "g2");
  CHECK(GroupIdsOf(List("?state=resolved", key_a)) == "g1");
  CHECK(GroupIdsOf(List("?state=muted", key_a)).empty());
  CHECK(GroupIdsOf(List("?state=all", key_a)) == "g2,g1");
  const Reply refused = List("?state=closed", key_a);
  CHECK(refused.status == 400);
  CHECK(refused.Error() == "invalid state: must be open, resolved, muted or all");
  CHECK(GroupIdsOf(List("?state=all", key_b)).empty());
}
