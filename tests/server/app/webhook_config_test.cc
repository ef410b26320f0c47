#include <doctest/doctest.h>

#include "domain/base64.h"
#include "server/app/config.h"
#include "tests/server/app/config_checks.h"

using namespace vigil;

TEST_CASE("Webhook settings parse with their defaults") {
  auto c = ParseConfig({}, {});
  REQUIRE(c.ok());
  CHECK(c->master_key.empty());
  CHECK(c->master_key_previous.empty());
  CHECK(c->dashboard_url.empty());
  CHECK_FALSE(c->webhook_allow_private);
  CHECK(c->webhook_max_attempts == 8);
  CHECK(c->webhook_max_age_hours == 24);
  CHECK(c->webhook_retry_base_ms == 5000);

  const std::string hex(64, 'a');
  const std::string b64 = Base64Encode(std::string(32, 'k'));
  c = ParseConfig({"--webhook-max-attempts", "3"},
                  {{"VIGIL_MASTER_KEY", hex},
                   {"VIGIL_MASTER_KEY_PREVIOUS", b64 + ", " + hex},
                   {"VIGIL_DASHBOARD_URL", "https://vigil.example/ui//"},
                   {"VIGIL_WEBHOOK_ALLOW_PRIVATE", "1"},
                   {"VIGIL_WEBHOOK_MAX_AGE_HOURS", "48"},
                   {"VIGIL_WEBHOOK_RETRY_BASE_MS", "200"}});
  REQUIRE(c.ok());
  CHECK(c->master_key == std::string(32, '\xaa'));
  REQUIRE(c->master_key_previous.size() == 2);
  CHECK(c->master_key_previous[0] == std::string(32, 'k'));
  CHECK(c->dashboard_url == "https://vigil.example/ui");
  CHECK(c->webhook_allow_private);
  CHECK(c->webhook_max_attempts == 3);
  CHECK(c->webhook_max_age_hours == 48);
  CHECK(c->webhook_retry_base_ms == 200);
}

TEST_CASE("Malformed webhook settings stop start-up naming the setting, never echoing a key") {
  const std::pair<const char*, const char*> bad[] = {
      {"VIGIL_MASTER_KEY", "too-short-secret-value"},
      {"VIGIL_MASTER_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"},
      {"VIGIL_MASTER_KEY_PREVIOUS", "aaaa,bbbb"},
      {"VIGIL_DASHBOARD_URL", "vigil.example"},
      {"VIGIL_DASHBOARD_URL", "https://a b"},
      {"VIGIL_WEBHOOK_ALLOW_PRIVATE", "yes"},
      {"VIGIL_WEBHOOK_MAX_ATTEMPTS", "0"},
      {"VIGIL_WEBHOOK_MAX_AGE_HOURS", "-1"},
      {"VIGIL_WEBHOOK_RETRY_BASE_MS", "fast"}};
  for (const auto& entry : bad) {
    INFO(entry.first);
    const std::string message = test::RejectedSettingMessage(entry.first, entry.second);
    CHECK(message.find(entry.second) == std::string::npos);  // the value may be a secret
  }
}
