#include <doctest/doctest.h>
#include <simdjson.h>

#include "domain/base64.h"
#include "server/webhooks/message.h"
#include "server/webhooks/webhooks.h"

using namespace vigil;

TEST_CASE(
    "SignWebhook reproduces the Standard Webhooks test vector of docs/protocol.md#test-vectors") {
  CHECK(SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                    1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("SignWebhook refuses secrets that are not whsec_ + base64") {
  CHECK(SignWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", 1, "{}").empty());
  CHECK(SignWebhook("whsec_not base64!", "id", 1, "{}").empty());
  CHECK(SignWebhook("whsec_", "id", 1, "{}").empty());
}

TEST_CASE("NewWebhookSecret is whsec_ + padded base64 of 32 random bytes") {
  const std::string a = NewWebhookSecret(), b = NewWebhookSecret();
  REQUIRE(a.rfind("whsec_", 0) == 0);
  CHECK(a.size() == 6 + 44);
  CHECK(a.back() == '=');
  auto raw = Base64Decode(a.substr(6));
  REQUIRE(raw);
  CHECK(raw->size() == 32);
  CHECK(a != b);
}

TEST_CASE("FormatForUrl picks the adapter by URL prefix") {
  const std::pair<const char*, WebhookFormat> cases[] = {
      {"https://hooks.slack.com/services/T0/B0/x", WebhookFormat::kSlack},
      {"https://hooks.slack.com/triggers/T0/1/x", WebhookFormat::kSlack},
      {"https://hooks.slack.com/workflows/T0/1/x", WebhookFormat::kSlack},
      {"HTTPS://Hooks.Slack.com/services/x", WebhookFormat::kSlack},
      {"https://discord.com/api/webhooks/1/abc", WebhookFormat::kDiscord},
      {"https://discordapp.com/api/webhooks/1/abc", WebhookFormat::kDiscord},
      {"https://canary.discord.com/api/webhooks/1/abc", WebhookFormat::kDiscord},
      {"https://ptb.discord.com/api/webhooks/1/abc", WebhookFormat::kDiscord},
      // Not the adapters' prefixes: the canonical body.
      {"http://hooks.slack.com/services/x", WebhookFormat::kStandard},
      {"https://hooks.slack.com/other/x", WebhookFormat::kStandard},
      {"https://hooks.slack.com.evil.example/services/x", WebhookFormat::kStandard},
      {"https://discord.com/webhooks/1", WebhookFormat::kStandard},
      {"https://evil.example/api/webhooks/1", WebhookFormat::kStandard},
      {"https://example.com/hook", WebhookFormat::kStandard},
  };
  for (const auto& c : cases) {
    CAPTURE(c.first);
    CHECK(FormatForUrl(c.first) == c.second);
  }
}

namespace {

WebhookPayload Sample() {
  WebhookPayload p;
  p.project_id = "proj-dev";
  p.webhook_id = "wh-0123456789abcdef";
  p.group_id = "grp-4008a8d17d634f3d";
  p.failure_class = "crashes";
  p.signature = "0123456789abcdef";
  p.sample_execution_id = "exec 1";
  p.delivery_id = "del-00112233aabbccdd";
  p.queued_at_ms = 1778760000123;  // 2026-05-14T12:00:00.123Z
  return p;
}

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  return doc;
}

}  // namespace

TEST_CASE("The canonical body has the keys of docs/api.md#webhook-messages in order") {
  const std::string body = RenderWebhookBody(Sample(), WebhookFormat::kStandard, "");
  CHECK(body == R"({"version":"1","event":"failure_group.created","project_id":"proj-dev",)"
                R"("webhook_id":"wh-0123456789abcdef","group_id":"grp-4008a8d17d634f3d",)"
                R"("failure_class":"crashes","signature":"0123456789abcdef",)"
                R"("sample_execution_id":"exec 1","delivery_id":"del-00112233aabbccdd",)"
                R"("timestamp":"2026-05-14T12:00:00.123Z"})");
}

TEST_CASE("With a dashboard URL the body links the dashboard and the playbook") {
  const std::string body =
      RenderWebhookBody(Sample(), WebhookFormat::kStandard, "https://vigil.example/ui");
  CHECK(body.find(R"("dashboard_url":"https://vigil.example/ui")") != std::string::npos);
  CHECK(body.find(R"("playbook_url":"https://vigil.example/ui/playbooks?class=crashes&)"
                  R"(signature=0123456789abcdef")") != std::string::npos);
  // dashboard_url comes before playbook_url, both before delivery_id.
  CHECK(body.find("dashboard_url") < body.find("playbook_url"));
  CHECK(body.find("playbook_url") < body.find("delivery_id"));
}

TEST_CASE("A test message is marked and carries no group, sample or playbook") {
  WebhookPayload p = Sample();
  p.event = WebhookEvent::kTest;
  p.group_id.clear();
  p.sample_execution_id.clear();
  p.signature = "test_signature";
  const std::string body = RenderWebhookBody(p, WebhookFormat::kStandard, "https://d.example");
  CHECK(body.rfind(R"({"version":"1","event":"failure_group.test","test":true,"project_id")", 0) ==
        0);
  CHECK(body.find("group_id") == std::string::npos);
  CHECK(body.find("sample_execution_id") == std::string::npos);
  CHECK(body.find("playbook_url") == std::string::npos);
}

TEST_CASE("The Slack adapter builds one attachment with escaped text and dashboard fields") {
  WebhookPayload p = Sample();
  p.signature = "a<b>&c";
  simdjson::dom::parser parser;
  auto doc = Parse(parser, RenderWebhookBody(p, WebhookFormat::kSlack, "https://d.example"));
  CHECK(std::string_view(doc["username"]) == "Vigil");
  auto att = doc["attachments"].at(0);
  CHECK(std::string_view(att["color"]) == "#EF4444");
  CHECK(std::string_view(att["pretext"]) == "*Vigil alert*");
  CHECK(std::string_view(att["title"]) == "crashes · a&lt;b&gt;&amp;c");
  CHECK(std::string_view(att["footer"]) == "Vigil · delivery del-00112233aabbccdd");
  CHECK(int64_t(att["ts"]) == 1778760000);
  CHECK(std::string_view(att["fields"].at(0)["title"]) == "Sample execution");
  CHECK(std::string_view(att["fields"].at(0)["value"]) ==
        "<https://d.example/executions/exec%201|exec 1>");
  CHECK(std::string_view(att["mrkdwn_in"].at(1)) == "text");
  // Without a dashboard there is nothing to link.
  auto plain = Parse(parser, RenderWebhookBody(p, WebhookFormat::kSlack, ""));
  CHECK(plain["attachments"].at(0)["fields"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("The Discord adapter builds one embed with a decimal colour") {
  WebhookPayload p = Sample();
  p.failure_class = "cost_velocity";
  p.signature = "cost_$0.10+";
  simdjson::dom::parser parser;
  auto doc = Parse(parser, RenderWebhookBody(p, WebhookFormat::kDiscord, "https://d.example"));
  auto embed = doc["embeds"].at(0);
  CHECK(std::string_view(embed["title"]) == "Vigil alert · cost_velocity");
  CHECK(int64_t(embed["color"]) == 0xF59E0B);
  CHECK(std::string_view(embed["description"]).find("`cost_$0.10+`") != std::string_view::npos);
  CHECK(std::string_view(embed["footer"]["text"]) == "delivery del-00112233aabbccdd");
  CHECK(std::string_view(embed["timestamp"]) == "2026-05-14T12:00:00.123Z");
  p.event = WebhookEvent::kTest;
  auto test = Parse(parser, RenderWebhookBody(p, WebhookFormat::kDiscord, ""));
  CHECK(std::string_view(test["embeds"].at(0)["title"]) == "Vigil test · cost_velocity");
}

TEST_CASE("Retry delays grow x4 from the base, with jitter, capped at 10 h") {
  CHECK(WebhookService::RetryDelayMs(5000, 1, 0, 0.5) == 5000);
  CHECK(WebhookService::RetryDelayMs(5000, 2, 0, 0.5) == 20000);
  CHECK(WebhookService::RetryDelayMs(5000, 3, 0, 0.5) == 80000);
  CHECK(WebhookService::RetryDelayMs(5000, 1, 0, 0.0) == 3750);
  CHECK(WebhookService::RetryDelayMs(5000, 1, 0, 1.0) == 6250);
  const int64_t ten_hours = 10LL * 3600 * 1000;
  CHECK(WebhookService::RetryDelayMs(5000, 20, 0, 0.5) == ten_hours);
  CHECK(WebhookService::RetryDelayMs(5000, 20, 0, 1.0) == ten_hours * 5 / 4);
  // A larger Retry-After wins, within the cap.
  CHECK(WebhookService::RetryDelayMs(5000, 1, 60000, 0.5) == 60000);
  CHECK(WebhookService::RetryDelayMs(5000, 1, 1000, 0.5) == 5000);
  CHECK(WebhookService::RetryDelayMs(5000, 1, 100 * ten_hours, 0.5) == ten_hours);
}
