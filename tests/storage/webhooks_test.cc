// Outgoing webhooks: endpoints, the outbox and the delivery log, per project.
#include "storage/webhooks.h"

#include <doctest/doctest.h>

#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::MakeAttempt;

namespace {

struct WebhookStore : vigil::testing::TempStore {
  WebhookRow Create(int64_t project, const std::string& id, int64_t created_at = 1) {
    WebhookRow w;
    w.webhook_id = id;
    w.url = "https://example.com/" + id;
    w.secret_blob = std::string("\x01sealed\0bytes", 13);
    w.created_at_ms = created_at;
    w.enabled_classes = {"crashes", "loops"};
    REQUIRE(store->Write([&](WriteTxn& txn) { return storage::CreateWebhook(txn, project, w, 3); })
                .ok());
    return Get(project, id).value();
  }
  std::optional<WebhookRow> Get(int64_t project, const std::string& id) {
    return Read([&](Txn& txn) { return storage::GetWebhook(txn, project, id); });
  }
  std::vector<WebhookAttemptRow> Log(int64_t project, int64_t row) {
    return Read([&](Txn& txn) { return storage::ListWebhookDeliveries(txn, project, row, 50); });
  }
  std::vector<DueWebhookMessage> Due(int64_t now) {
    return Read([&](Txn& txn) { return storage::ListDueWebhookMessages(txn, now, 100, 100); });
  }
  // Records the attempt `a` on the webhook at `row` of `project`, keeping `max_log_rows`.
  void Record(int64_t project, int64_t row, const WebhookAttemptRow& a,
              const WebhookAttemptOutcome& outcome, int64_t max_log_rows, int64_t now_ms) {
    REQUIRE(Write([&](WriteTxn& txn) {
              return storage::RecordWebhookAttempt(txn, project, row, a, outcome, max_log_rows,
                                                   now_ms);
            }).ok());
  }
  void Enqueue(int64_t project, int64_t row, const std::string& delivery_id, int64_t at) {
    WebhookMessage m;
    m.delivery_id = delivery_id;
    m.event = "failure_group.created";
    m.failure_class = "crashes";
    m.signature = "sig";
    m.group_id = "grp-1";
    m.sample_execution_id = "exec-1";
    m.created_at_ms = at;
    m.next_attempt_at_ms = at;
    REQUIRE(store
                ->Write([&](WriteTxn& txn) {
                  return storage::EnqueueWebhookMessage(txn, project, row, m, 2).status();
                })
                .ok());
  }
};

}  // namespace

TEST_CASE("Webhooks are per project, bounded, and keep their sealed secret byte for byte") {
  WebhookStore t;
  const WebhookRow w = t.Create(t.a, "wh-1");
  CHECK(w.secret_blob == std::string("\x01sealed\0bytes", 13));
  CHECK(w.enabled_classes == std::vector<std::string>{"crashes", "loops"});
  CHECK_FALSE(t.Get(t.b, "wh-1"));  // another project's id is simply missing
  t.Create(t.a, "wh-2", 2);
  t.Create(t.a, "wh-3", 3);
  Status s = t.Write([&](WriteTxn& txn) {
    return storage::CreateWebhook(txn, t.a, vigil::testing::MakeWebhook("wh-4"), 3);
  });
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "too many webhooks (max 3)");
  const auto list = t.Read([&](Txn& txn) { return storage::ListWebhooks(txn, t.a); });
  REQUIRE(list.size() == 3);
  CHECK(list[0].webhook_id == "wh-3");  // newest first
  CHECK_FALSE(t.Write([&](WriteTxn& txn) { return storage::DeleteWebhook(txn, t.b, "wh-1"); }));
}

TEST_CASE("A queued message is due, shows as pending, and an attempt reschedules or removes it") {
  WebhookStore t;
  const WebhookRow w = t.Create(t.a, "wh-1");
  t.Enqueue(t.a, w.row, "del-1", 1000);
  CHECK(t.Due(999).empty());
  auto due = t.Due(1000);
  REQUIRE(due.size() == 1);
  CHECK(due[0].project_id == "pa");
  CHECK(due[0].webhook.webhook_id == "wh-1");
  CHECK(due[0].message.delivery_id == "del-1");
  auto log = t.Log(t.a, w.row);
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == DeliveryStatus::kPending);
  CHECK(log[0].attempt == 1);

  WebhookAttemptRow a = MakeAttempt("del-1", DeliveryStatus::kFailed, 1, "failure_group.created");
  a.http_status = 500;
  a.error = "non-2xx status: 500";
  a.created_at_ms = 1001;
  a.next_attempt_at_ms = 5000;
  WebhookAttemptOutcome retry;
  retry.outbox_row = due[0].message.row;
  retry.retry_at_ms = 5000;
  t.Record(t.a, w.row, a, retry, 100, 1001);
  CHECK(t.Due(4999).empty());
  REQUIRE(t.Due(5000).size() == 1);
  CHECK(t.Due(5000)[0].message.attempts == 1);
  log = t.Log(t.a, w.row);
  REQUIRE(log.size() == 2);
  CHECK(log[0].status == DeliveryStatus::kPending);
  CHECK(log[0].attempt == 2);
  CHECK(log[1].status == DeliveryStatus::kFailed);
  CHECK(log[1].http_status == std::optional<int64_t>(500));

  a.attempt = 2;
  a.status = DeliveryStatus::kDelivered;
  a.http_status = 200;
  a.error.clear();
  a.next_attempt_at_ms.reset();
  WebhookAttemptOutcome done;
  done.outbox_row = due[0].message.row;
  t.Record(t.a, w.row, a, done, 100, 6000);
  CHECK(t.Due(1 << 30).empty());
  log = t.Log(t.a, w.row);
  REQUIRE(log.size() == 2);
  CHECK(log[0].status == DeliveryStatus::kDelivered);
  CHECK(t.Log(t.b, w.row).empty());  // another project sees nothing
}

TEST_CASE("The outbox and the log are bounded per webhook") {
  WebhookStore t;
  const WebhookRow w = t.Create(t.a, "wh-1");
  t.Enqueue(t.a, w.row, "del-1", 1);
  t.Enqueue(t.a, w.row, "del-2", 2);
  t.Enqueue(t.a, w.row, "del-3", 3);  // over the bound of 2: dropped
  CHECK(t.Due(10).size() == 2);
  for (int i = 0; i < 5; ++i) {
    const WebhookAttemptRow a =
        MakeAttempt("del-t" + std::to_string(i), DeliveryStatus::kDelivered);
    t.Record(t.a, w.row, a, {}, 3, 1);
  }
  auto log = t.Log(t.a, w.row);
  CHECK(log.size() == 2 + 3);  // two pending + the newest three attempts
  CHECK(log[2].delivery_id == "del-t4");
}

TEST_CASE("A 410 disables the webhook and drops its queue; deleting removes queue and log") {
  WebhookStore t;
  const WebhookRow w = t.Create(t.a, "wh-1");
  t.Enqueue(t.a, w.row, "del-1", 1);
  t.Enqueue(t.a, w.row, "del-2", 2);
  WebhookAttemptRow a = MakeAttempt("del-1", DeliveryStatus::kFailed, 1, "failure_group.created");
  a.http_status = 410;
  WebhookAttemptOutcome gone;
  gone.outbox_row = t.Due(10)[0].message.row;
  gone.disable_webhook = true;
  t.Record(t.a, w.row, a, gone, 100, 5);
  CHECK_FALSE(t.Get(t.a, "wh-1")->enabled);
  CHECK(t.Due(10).empty());
  std::vector<WebhookRow> enabled;
  REQUIRE(t.Write([&](WriteTxn& txn) {
             enabled = storage::ListEnabledWebhooks(txn, t.a).value();
             return storage::DeleteWebhook(txn, t.a, "wh-1").status();
           }).ok());
  CHECK(enabled.empty());
  CHECK(t.Log(t.a, w.row).empty());
  // Recording against a deleted webhook is a no-op, not an error.
  t.Record(t.a, w.row, a, {}, 100, 6);
}

TEST_CASE("Stored secrets are listed across projects for re-encryption and replaced by CAS") {
  WebhookStore t;
  const WebhookRow w1 = t.Create(t.a, "wh-1");
  const WebhookRow w2 = t.Create(t.b, "wh-2");
  const auto all = t.Read([](Txn& txn) { return storage::ListStoredSecrets(txn, 0, 10); });
  REQUIRE(all.size() == 2);
  CHECK(all[0].project_id == "pa");
  CHECK(all[1].project_id == "pb");
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::ReplaceWebhookSecret(txn, t.a, w1.row, "stale", "new-1");
             if (!s.ok()) return s;
             return storage::ReplaceWebhookSecret(txn, t.b, w2.row, w2.secret_blob, "new-2");
           }).ok());
  CHECK(t.Get(t.a, "wh-1")->secret_blob == w1.secret_blob);  // not the expected old value
  CHECK(t.Get(t.b, "wh-2")->secret_blob == "new-2");
}

TEST_CASE("The sender's scans see every project's outbox; counts and prunes keep to their scope") {
  WebhookStore t;
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::NextWebhookAttemptAt(txn); }));
  const WebhookRow wa = t.Create(t.a, "wh-a");
  const WebhookRow wb = t.Create(t.b, "wh-b");
  t.Enqueue(t.a, wa.row, "del-a", 300);
  t.Enqueue(t.b, wb.row, "del-b", 200);
  CHECK(t.Read([](Txn& txn) { return storage::NextWebhookAttemptAt(txn); }) ==
        std::optional<int64_t>(200));
  CHECK(t.Read([](Txn& txn) { return storage::CountOutbox(txn); }) == 2);
  auto due = t.Due(1000);
  REQUIRE(due.size() == 2);
  CHECK(due[0].project == t.b);  // earliest due first, whichever project
  CHECK(due[1].project == t.a);

  // Project b naming a's message drops nothing.
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::DropWebhookMessage(txn, t.b, due[1].message.row);
           }).ok());
  CHECK(t.Read([](Txn& txn) { return storage::CountOutbox(txn); }) == 2);
  REQUIRE(t.Write([&](WriteTxn& txn) {
             return storage::DropWebhookMessage(txn, t.a, due[1].message.row);
           }).ok());
  CHECK(t.Read([](Txn& txn) { return storage::CountOutbox(txn); }) == 1);
  CHECK(t.Log(t.a, wa.row).empty());  // dropped without a log row

  WebhookAttemptRow a = MakeAttempt("", DeliveryStatus::kDelivered);
  for (int64_t at : {10, 20, 30}) {
    a.delivery_id = "d" + std::to_string(at);
    a.created_at_ms = at;
    REQUIRE(t.Write([&](WriteTxn& txn) {
               return storage::RecordWebhookAttempt(txn, at == 20 ? t.b : t.a,
                                                    at == 20 ? wb.row : wa.row, a, {}, 100, at);
             }).ok());
  }
  CHECK(t.Read([&](Txn& txn) { return storage::CountWebhookDeliveries(txn, t.a); }) == 2);
  CHECK(t.Read([&](Txn& txn) { return storage::CountWebhookDeliveries(txn, t.b); }) == 1);
  // Retention prunes old log rows of every project, in batches.
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneDeliveries(txn, 30, 1); }) == 1);
  CHECK(t.Write([](WriteTxn& txn) { return storage::PruneDeliveries(txn, 30, 5); }) == 1);
  CHECK(t.Read([&](Txn& txn) { return storage::CountWebhookDeliveries(txn, t.a); }) == 1);
  CHECK(t.Read([&](Txn& txn) { return storage::CountWebhookDeliveries(txn, t.b); }) == 0);
}

TEST_CASE("A scan of due messages takes at most its share from each project's backlog") {
  WebhookStore t;
  const WebhookRow a1 = t.Create(t.a, "wh-a1");
  const WebhookRow a2 = t.Create(t.a, "wh-a2");
  const WebhookRow b1 = t.Create(t.b, "wh-b1");
  t.Enqueue(t.a, a1.row, "del-a1", 10);
  t.Enqueue(t.a, a1.row, "del-a2", 11);
  t.Enqueue(t.a, a2.row, "del-a3", 12);
  t.Enqueue(t.a, a2.row, "del-a4", 13);
  t.Enqueue(t.b, b1.row, "del-b1", 20);  // due last of all
  auto ids = [](const std::vector<DueWebhookMessage>& due) {
    std::vector<std::string> out;
    for (const auto& d : due) out.push_back(d.message.delivery_id);
    return out;
  };
  auto scan = [&](int64_t limit, int64_t per_project) {
    return ids(t.Read(
        [&](Txn& txn) { return storage::ListDueWebhookMessages(txn, 100, limit, per_project); }));
  };
  CHECK(scan(2, 100) == std::vector<std::string>{"del-a1", "del-a2"});  // earliest first
  CHECK(scan(2, 1) == std::vector<std::string>{"del-a1", "del-b1"});
  CHECK(scan(10, 2) == std::vector<std::string>{"del-a1", "del-a2", "del-b1"});
  CHECK(ids(t.Read([&](Txn& txn) {
          return storage::ListDueWebhookMessages(txn, 15, 10, 2);
        })).size() == 2);  // b's message is not due yet
}
