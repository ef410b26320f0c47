// The webhook routes called directly: create, list, delete, test and the delivery log. Addresses
// are literal IPs, so the address check needs no DNS; the only attempts made go to a receiver
// this test runs on the loopback interface, or are refused by the address check before any
// connection.
#include "server/webhooks/handlers.h"

#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "domain/secret_box.h"
#include "server/app/config.h"
#include "server/limits.h"
#include "server/webhooks/message.h"
#include "server/webhooks/webhooks.h"
#include "storage/webhooks.h"
#include "tests/server/handler_fixture.h"

using namespace vigil;
using vigil::testing::HandlerFixture;
using vigil::testing::HandlerRequest;
using vigil::testing::Reply;

namespace {

const std::string kMasterKey(32, 'k');

Config WebhookConfig(bool allow_private) {
  Config c;
  c.master_key = kMasterKey;
  c.webhook_allow_private = allow_private;
  return c;
}

class WebhookTest : public HandlerFixture {
 public:
  WebhookTest()
      : service(store.get(), WebhookConfig(false)),
        handlers(*store, service),
        private_service(store.get(), WebhookConfig(true)),
        private_handlers(*store, private_service) {}

  Reply Create(const std::string& body, WebhookHandlers* via = nullptr) {
    return Call(via ? *via : handlers, &WebhookHandlers::Create,
                KeyRequest("POST", "/webhooks").Body(body));
  }
  Reply CreateUrl(const std::string& url) { return Create(R"({"url":")" + url + R"("})"); }
  Reply List(const AuthRecord& key) {
    return Call(handlers, &WebhookHandlers::List, KeyRequest("GET", "/webhooks").As(key));
  }
  Reply Delete(const std::string& id, const AuthRecord& key) {
    return Call(handlers, &WebhookHandlers::Delete,
                KeyRequest("DELETE", "/webhooks/" + id).Param(id).As(key));
  }
  Reply Deliveries(const std::string& id, const AuthRecord& key) {
    return Call(handlers, &WebhookHandlers::ListDeliveries,
                KeyRequest("GET", "/webhooks/" + id + "/deliveries").Param(id).As(key));
  }
  Reply Test(WebhookHandlers& via, const std::string& id, const AuthRecord& key) {
    return Call(via, &WebhookHandlers::Test,
                KeyRequest("POST", "/webhooks/" + id + "/test").Param(id).As(key));
  }
  std::vector<WebhookRow> Stored(int64_t project) {
    return Read([&](Txn& txn) { return storage::ListWebhooks(txn, project); });
  }

  WebhookService service;  // the default: private addresses refused
  WebhookHandlers handlers;
  WebhookService private_service;  // VIGIL_WEBHOOK_ALLOW_PRIVATE=1
  WebhookHandlers private_handlers;
};

// One receiver on 127.0.0.1 that answers 200 and keeps the last request it got.
class LoopbackReceiver {
 public:
  LoopbackReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      last_ = req;
      res.set_content("thanks", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    // Bound and listening: a connection made before the thread accepts it waits in the backlog.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LoopbackReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  httplib::Request Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  httplib::Request last_;
};

}  // namespace

TEST_CASE_FIXTURE(WebhookTest, "create refuses a missing or malformed URL and unknown classes") {
  CHECK(Create(R"({"name":"x"})").Error() == "url required");
  CHECK(CreateUrl("not a url").Error() == "url is not a valid URL");
  CHECK(CreateUrl("ftp://203.0.113.10/hook").Error() == "url must use http or https scheme");
  Reply cls =
      Create(R"({"url":"https://93.184.215.14/hook","enabled_classes":["crashes","bogus"]})");
  CHECK(cls.status == 400);
  CHECK(cls.Error() ==
        "unknown failure_class: bogus (valid: crashes, loops, tool_failures, validator_failures, "
        "drift, cost_velocity, prompt_injection)");
  Reply name =
      Create(R"({"url":"https://93.184.215.14/hook","name":")" + std::string(201, 'n') + R"("})");
  CHECK(name.Error() == "name longer than 200 bytes");
  CHECK(Create(R"({"url":42})").Error() == "invalid JSON: field \"url\" must be a string");
  CHECK(Stored(a).empty());
}

TEST_CASE_FIXTURE(WebhookTest, "create refuses private and loopback addresses unless allowed") {
  for (const char* url :
       {"http://10.1.2.3/hook", "http://127.0.0.1:9/hook", "http://169.254.169.254/latest",
        "http://[::1]/hook", "http://192.168.0.10/hook"}) {
    INFO(url);
    Reply r = CreateUrl(url);
    CHECK(r.status == 400);
    CHECK(r.Error() == "url resolves to a non-public address");
  }
  CHECK(Stored(a).empty());
  Reply allowed = Create(R"({"url":"http://10.1.2.3/hook"})", &private_handlers);
  CHECK(allowed.status == 200);
  REQUIRE(Stored(a).size() == 1);
  CHECK(Stored(a)[0].url == "http://10.1.2.3/hook");
}

TEST_CASE_FIXTURE(WebhookTest, "the signing secret is answered once, stored sealed, never listed") {
  Reply r = Create(
      R"({"url":"https://93.184.215.14/hook","name":"ops","enabled_classes":["loops","loops"]})");
  CHECK(r.status == 200);
  CHECK(r.Header("Cache-Control") == "no-store");
  const std::string id = r.Str("/webhook_id");
  const std::string secret = r.Str("/secret");
  CHECK(id.rfind("wh-", 0) == 0);
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(r.Str("/warning").find("never be shown again") != std::string::npos);
  CHECK(r.Size("/enabled_classes") == 1);  // repeats collapse
  CHECK(r.Bool("/enabled"));

  auto stored = Stored(a);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].webhook_id == id);
  CHECK(stored[0].secret_blob.find(secret) == std::string::npos);  // sealed, not plain
  auto opened = SecretBox(kMasterKey, {}).Open(stored[0].secret_blob, WebhookSecretAad("pa", id));
  REQUIRE(opened.ok());
  CHECK(opened.value() == secret);

  Reply list = List(key_a);
  CHECK(list.status == 200);
  CHECK(list.Int("/count") == 1);
  CHECK(list.Str("/webhooks/0/webhook_id") == id);
  CHECK(list.Str("/webhooks/0/name") == "ops");
  CHECK_FALSE(list.Has("/webhooks/0/secret"));
  CHECK(list.body.find(secret) == std::string::npos);
  CHECK(List(key_b).Int("/count") == 0);

  FlushAudit();
  auto rows = Audit(a, "webhook.create");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].detail_json == R"({"webhook_id":")" + id + R"("})");
  CHECK(rows[0].detail_json.find(secret) == std::string::npos);
}

TEST_CASE_FIXTURE(WebhookTest, "create needs a master key to seal the secret") {
  WebhookService unkeyed(store.get(), Config{});
  WebhookHandlers h(*store, unkeyed);
  Reply r = Create(R"({"url":"https://93.184.215.14/hook"})", &h);
  CHECK(r.status == 503);
  CHECK(r.Error() == "webhook secrets need VIGIL_MASTER_KEY");
  CHECK(Stored(a).empty());
}

TEST_CASE_FIXTURE(WebhookTest, "deleting another project's webhook is 404 like a missing one") {
  Reply theirs = Call(
      handlers, &WebhookHandlers::Create,
      KeyRequest("POST", "/webhooks").As(key_b).Body(R"({"url":"https://93.184.215.14/hook"})"));
  REQUIRE(theirs.status == 200);
  const std::string id = theirs.Str("/webhook_id");

  Reply missing = Delete("wh-0000000000000000", key_a);
  Reply cross = Delete(id, key_a);
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"ok":false,"error":"webhook not found"})");
  CHECK(cross.status == missing.status);
  CHECK(cross.body == missing.body);
  CHECK(Stored(b).size() == 1);  // still there
  CHECK(Audit(a, "webhook.delete").empty());
  CHECK(Audit(b, "webhook.delete").empty());

  Reply own = Delete(id, key_b);
  CHECK(own.status == 200);
  CHECK(own.body == R"({"ok":true,"webhook_id":")" + id + R"("})");
  CHECK(Stored(b).empty());
  auto rows = Audit(b, "webhook.delete");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].detail_json == R"({"webhook_id":")" + id + R"("})");
}

TEST_CASE_FIXTURE(WebhookTest, "a test to a refused address is logged as a failed delivery") {
  // Registered while private addresses were allowed; the default service refuses it at send time.
  Reply created = Create(R"({"url":"http://127.0.0.1:9/hook"})", &private_handlers);
  REQUIRE(created.status == 200);
  const std::string id = created.Str("/webhook_id");

  Reply t = Test(handlers, id, key_a);
  CHECK(t.status == 200);
  CHECK_FALSE(t.Bool("/ok"));
  CHECK(t.Str("/status") == "failed");
  CHECK(t.Str("/error") == "destination address not allowed");
  CHECK(t.IsNull("/http_status"));
  CHECK(t.Int("/attempts") == 1);
  CHECK(t.Str("/payload/event") == "failure_group.test");
  CHECK(t.Bool("/payload/test"));
  const std::string delivery = t.Str("/delivery_id");

  Reply log = Deliveries(id, key_a);
  CHECK(log.status == 200);
  CHECK(log.Str("/webhook_id") == id);
  CHECK(log.Int("/count") == 1);
  CHECK(log.Str("/deliveries/0/delivery_id") == delivery);
  CHECK(log.Str("/deliveries/0/status") == "failed");
  CHECK(log.Str("/deliveries/0/error") == "destination address not allowed");
  CHECK(log.Str("/deliveries/0/project_id") == "pa");
}

TEST_CASE_FIXTURE(WebhookTest, "another project's webhook has no deliveries and cannot be tested") {
  Reply created = Create(R"({"url":"https://93.184.215.14/hook"})");
  const std::string id = created.Str("/webhook_id");
  Reply log = Deliveries(id, key_b);
  CHECK(log.status == 404);
  CHECK(log.body == R"({"ok":false,"error":"webhook not found"})");
  Reply t = Test(handlers, id, key_b);  // refused before any attempt
  CHECK(t.status == 404);
  CHECK(t.body == log.body);
  CHECK(Deliveries(id, key_a).Int("/count") == 0);
}

TEST_CASE_FIXTURE(WebhookTest, "a test delivery is signed with the secret shown at creation") {
  LoopbackReceiver receiver;
  Reply created = Create(R"({"url":")" + receiver.Url() + R"("})", &private_handlers);
  REQUIRE(created.status == 200);
  const std::string id = created.Str("/webhook_id");
  const std::string secret = created.Str("/secret");

  Reply t = Test(private_handlers, id, key_a);
  CHECK(t.status == 200);
  CHECK(t.Bool("/ok"));
  CHECK(t.Str("/status") == "delivered");
  CHECK(t.Int("/http_status") == 200);

  const httplib::Request got = receiver.Last();
  CHECK(got.get_header_value("webhook-id") == t.Str("/delivery_id"));
  const int64_t ts = std::stoll(got.get_header_value("webhook-timestamp"));
  CHECK(got.get_header_value("webhook-signature") ==
        SignWebhook(secret, t.Str("/delivery_id"), ts, got.body));
  Reply log = Deliveries(id, key_a);
  CHECK(log.Str("/deliveries/0/status") == "delivered");
  CHECK(log.Int("/deliveries/0/http_status") == 200);
  CHECK(log.Str("/deliveries/0/response_body") == "thanks");
  FlushAudit();
  CHECK(Audit(a, "webhook.test").size() == 1);
}

TEST_CASE_FIXTURE(WebhookTest, "test sends past the project's bound are 429 with Retry-After") {
  Reply created = Create(R"({"url":"https://93.184.215.14/hook"})");
  const std::string id = created.Str("/webhook_id");
  {
    auto first = service.AcquireTestSlot(a);
    auto second = service.AcquireTestSlot(a);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    Reply refused = Test(handlers, id, key_a);
    CHECK(refused.status == 429);
    CHECK(refused.Header("Retry-After") == "5");
    CHECK(refused.Error() == "too many webhook tests in progress, retry later");
    CHECK(service.AcquireTestSlot(b).ok());  // another project is not held back
  }
  // Finished tests give their places back.
  CHECK(service.AcquireTestSlot(a).ok());
}

TEST_CASE_FIXTURE(WebhookTest, "test sends past the server's bound are 503, whatever the project") {
  std::vector<std::shared_ptr<void>> held;
  for (int64_t project = 1000; held.size() < limits::kMaxWebhookTestsInFlight; ++project) {
    auto slot = service.AcquireTestSlot(project);
    REQUIRE(slot.ok());
    held.push_back(slot.value());
  }
  auto refused = service.AcquireTestSlot(a);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kOverloaded);
  held.pop_back();
  CHECK(service.AcquireTestSlot(a).ok());
}

namespace {

DueWebhookMessage DueFor(int64_t project, int64_t row) {
  DueWebhookMessage d;
  d.project = project;
  d.message.row = row;
  return d;
}

}  // namespace

TEST_CASE("a free sender takes the due message of the project with the fewest attempts under way") {
  // Project 1's backlog comes first in due order; project 2's message is due last.
  const std::vector<DueWebhookMessage> due = {DueFor(1, 10), DueFor(1, 11), DueFor(2, 20)};
  ProjectShares busy(16, 2);
  std::set<int64_t> in_flight;
  CHECK(WebhookService::PickDue(due, in_flight, busy)->message.row == 10);  // earliest first
  busy.TryTake(1);
  in_flight.insert(10);
  CHECK(WebhookService::PickDue(due, in_flight, busy)->message.row == 20);  // project 2's turn
  busy.TryTake(2);
  in_flight.insert(20);
  CHECK(WebhookService::PickDue(due, in_flight, busy)->message.row == 11);
  busy.TryTake(1);
  in_flight.insert(11);
  CHECK(WebhookService::PickDue(due, in_flight, busy) == nullptr);
  // A project at its share of the senders waits even when its messages are due.
  const std::vector<DueWebhookMessage> more = {DueFor(1, 12), DueFor(3, 30)};
  CHECK(WebhookService::PickDue(more, in_flight, busy)->message.row == 30);
}
