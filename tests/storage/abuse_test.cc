// Abuse signals: stored per project, listed for the operator, acted on, resolved, pruned.
#include "storage/abuse.h"

#include <doctest/doctest.h>

#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

namespace {

void Signal(TempStore& t, int64_t project, const std::string& id, int64_t detected_at_ms,
            const std::string& kind = "volume") {
  AbuseSignal s;
  s.signal_id = id;
  s.project = project;
  s.kind = kind;
  s.severity = "high";
  s.detail_json = "{\"x\":1}";
  s.detected_at_ms = detected_at_ms;
  REQUIRE(t.Write([&](WriteTxn& txn) { return storage::InsertAbuseSignal(txn, s); }).ok());
}

std::vector<std::string> Listed(TempStore& t, bool include_resolved) {
  std::vector<std::string> ids;
  for (const AbuseSignal& s :
       t.Read([&](Txn& txn) { return storage::ListAbuseSignals(txn, include_resolved, 10); })) {
    ids.push_back(s.signal_id);
  }
  return ids;
}

std::optional<AbuseSignal> Resolve(TempStore& t, const std::string& id, bool reactivate,
                                   bool* reactivated) {
  return t.Write([&](WriteTxn& txn) {
    return storage::ResolveAbuseSignal(txn, id, "checked", reactivate, 500, reactivated);
  });
}

AdminProject Project(TempStore& t, int64_t project) {
  return *t.Read([&](Txn& txn) { return storage::GetAdminProjectById(txn, project); });
}

}  // namespace

TEST_CASE("Abuse signals list newest first with their project; resolved ones only on request") {
  TempStore t;
  Signal(t, t.a, "s1", 10);
  Signal(t, t.b, "s2", 20);
  Signal(t, t.a, "s3", 30);
  auto all = t.Read([](Txn& txn) { return storage::ListAbuseSignals(txn, false, 10); });
  REQUIRE(all.size() == 3);
  CHECK(all[0].signal_id == "s3");
  CHECK(all[1].project == t.b);
  CHECK(all[1].project_id == "pb");
  CHECK(all[1].detail_json == "{\"x\":1}");
  bool reactivated = true;
  REQUIRE(Resolve(t, "s3", false, &reactivated).has_value());
  CHECK_FALSE(reactivated);
  CHECK(Listed(t, false) == std::vector<std::string>{"s2", "s1"});
  CHECK(Listed(t, true) == std::vector<std::string>{"s3", "s2", "s1"});
  CHECK(t.Read([](Txn& txn) { return storage::ListAbuseSignals(txn, true, 1); }).size() == 1);
}

TEST_CASE("SuspendForAbuse suspends each project once and marks its signals acted on") {
  TempStore t;
  Signal(t, t.a, "s1", 10);
  Signal(t, t.a, "s2", 20, "signup");
  Signal(t, t.b, "s3", 100);  // after the cutoff: left for later
  auto newly = t.Write([](WriteTxn& txn) { return storage::SuspendForAbuse(txn, 50, 60); });
  CHECK(newly == std::vector<int64_t>{t.a});  // s2 found a already suspended
  CHECK(Project(t, t.a).suspended_at_ms == 60);
  CHECK(Project(t, t.a).suspension_reason == "abuse:volume");
  CHECK(Project(t, t.b).suspended_at_ms == 0);
  // Both of a's signals have had their effect: a second pass does nothing.
  CHECK(t.Write([](WriteTxn& txn) { return storage::SuspendForAbuse(txn, 50, 70); }).empty());
  for (const AbuseSignal& s :
       t.Read([](Txn& txn) { return storage::ListAbuseSignals(txn, false, 10); })) {
    CAPTURE(s.signal_id);
    CHECK(s.suspended_at_ms == (s.signal_id == "s3" ? 0 : 60));
  }
}

TEST_CASE("Resolving a signal lifts only the suspension it caused") {
  TempStore t;
  Signal(t, t.a, "s1", 10);
  Signal(t, t.b, "s2", 10);
  REQUIRE(t.Write([](WriteTxn& txn) { return storage::SuspendForAbuse(txn, 50, 60); }).size() == 2);
  // The operator replaced b's suspension with one of their own.
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::SetSuspended(txn, t.b, true, "operator", 70);
           }).ok());
  bool reactivated = false;
  auto s1 = Resolve(t, "s1", true, &reactivated);
  REQUIRE(s1.has_value());
  CHECK(reactivated);
  CHECK(s1->resolved_at_ms == 500);
  CHECK(s1->resolved_by == "admin");
  CHECK(s1->resolution_note == "checked");
  CHECK(Project(t, t.a).suspended_at_ms == 0);
  REQUIRE(Resolve(t, "s2", true, &reactivated).has_value());
  CHECK_FALSE(reactivated);
  CHECK(Project(t, t.b).suspension_reason == "operator");
  CHECK_FALSE(Resolve(t, "unknown", true, &reactivated).has_value());
  CHECK_FALSE(reactivated);
}

TEST_CASE("PruneResolvedAbuse deletes only signals resolved before the cutoff") {
  TempStore t;
  Signal(t, t.a, "open", 10);
  Signal(t, t.a, "resolved", 10);
  bool reactivated = false;
  REQUIRE(Resolve(t, "resolved", false, &reactivated).has_value());  // resolved at 500
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneResolvedAbuse(txn, 500, 10); }) == 0);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneResolvedAbuse(txn, 501, 10); }) == 1);
  CHECK(Listed(t, true) == std::vector<std::string>{"open"});
}
