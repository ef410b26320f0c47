// A project's export: every row it owns, streamed, and none of another project's.
#include "storage/export.h"

#include <doctest/doctest.h>

#include <map>

#include "storage/detection.h"
#include "storage/events.h"
#include "storage/webhooks.h"
#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeEvent;
using vigil::testing::TempStore;

namespace {

// Two executions of `project` (e1 with two events, e2 with one), a finding on e1 and one
// delivery log row.
void Fill(TempStore& t, int64_t project) {
  const IngestResult r = t.Ingest(
      project,
      {MakeEvent("1", "e1", 2, 100), MakeEvent("2", "e1", 1, 110), MakeEvent("3", "e2", 1, 200)});
  const StoredFinding f = testing::MakeFinding("crash", "grp", 5);
  const std::string webhook_id = "wh-" + std::to_string(project);
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::PutFinding(txn, project, r.touched[0].row_id, "e1", f).status();
             if (s.ok())
               s = storage::CreateWebhook(txn, project, testing::MakeWebhook(webhook_id), 5);
             return s;
           }).ok());
  const int64_t hook =
      t.Read([&](Txn& txn) { return storage::GetWebhook(txn, project, webhook_id); })->row;
  WebhookAttemptRow a =
      testing::MakeAttempt("del", DeliveryStatus::kDelivered, 1, "failure_group.created");
  a.http_status = 200;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::RecordWebhookAttempt(txn, project, hook, a, {}, 10, 6);
           }).ok());
}

}  // namespace

TEST_CASE("The export streams every row of the project and none of another project's") {
  TempStore t;
  Fill(t, t.a);
  Fill(t, t.b);
  std::vector<std::string> lines;
  REQUIRE(t.Read([&](Txn& txn) {
             Status s = storage::ForEachExecution(txn, t.a, [&](int64_t row, const Execution& e) {
               lines.push_back("execution " + e.execution_id);
               Status inner = storage::ForEachEventOf(txn, t.a, row, [&](const Event& ev) {
                 lines.push_back("event " + ev.event_id);
                 return true;
               });
               return inner.ok();
             });
             if (s.ok()) {
               s = storage::ForEachFinding(
                   txn, t.a, [&](const std::string& exec, const StoredFinding& f) {
                     lines.push_back("finding " + exec + " " + f.detector + " " + f.group_id);
                     return true;
                   });
             }
             if (s.ok()) {
               s = storage::ForEachWebhookDelivery(
                   txn, t.a, [&](const std::string& webhook, const WebhookAttemptRow& a) {
                     lines.push_back("delivery " + webhook + " " + a.delivery_id + " " +
                                     std::to_string(a.http_status.value_or(0)));
                     return true;
                   });
             }
             return s;
           }).ok());
  // Executions newest started first; each one's events by sequence.
  CHECK(lines == std::vector<std::string>{"execution e2", "event 3", "execution e1", "event 2",
                                          "event 1", "finding e1 crash grp",
                                          "delivery wh-" + std::to_string(t.a) + " del 200"});
}

TEST_CASE("An export callback returning false stops its stream") {
  TempStore t;
  Fill(t, t.a);
  int executions = 0;
  int events = 0;
  REQUIRE(t.Read([&](Txn& txn) {
             Status s = storage::ForEachExecution(txn, t.a, [&](int64_t, const Execution&) {
               ++executions;
               return false;
             });
             if (!s.ok()) return s;
             const int64_t e1 = storage::LoadForDetection(txn, t.a, "e1").value()->row_id;
             return storage::ForEachEventOf(txn, t.a, e1, [&](const Event&) {
               ++events;
               return false;
             });
           }).ok());
  CHECK(executions == 1);
  CHECK(events == 1);
}

TEST_CASE("ForEachEventOf streams nothing for another project's execution") {
  TempStore t;
  Fill(t, t.b);
  const int64_t b_row = t.RowOf(t.b, "e1");
  int events = 0;
  REQUIRE(t.Read([&](Txn& txn) {
             return storage::ForEachEventOf(txn, t.a, b_row, [&](const Event&) {
               ++events;
               return true;
             });
           }).ok());
  CHECK(events == 0);
}

TEST_CASE("CountProjectRows counts the project's rows in every table that holds them") {
  TempStore t;
  Fill(t, t.a);
  auto counts = t.Read([&](Txn& txn) { return storage::CountProjectRows(txn, t.a); });
  std::map<std::string, int64_t> m(counts.begin(), counts.end());
  CHECK(m.size() == counts.size());  // each table once
  CHECK(m["projects"] == 1);
  CHECK(m["executions"] == 2);
  CHECK(m["events"] == 3);
  CHECK(m["findings"] == 1);
  CHECK(m["failure_groups"] == 1);
  CHECK(m["project_webhooks"] == 1);
  CHECK(m["webhook_deliveries"] == 1);
  CHECK(m["api_keys"] == 0);
  auto other = t.Read([&](Txn& txn) { return storage::CountProjectRows(txn, t.b); });
  std::map<std::string, int64_t> mb(other.begin(), other.end());
  CHECK(mb["projects"] == 1);
  CHECK(mb["executions"] == 0);
}
