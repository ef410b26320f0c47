#include "server/app/config.h"

#include <doctest/doctest.h>

#include "domain/tlog/cosignature.h"
#include "tests/server/app/config_checks.h"

using namespace vigil;

TEST_CASE("ParseConfig: flags win over environment, empty means unset") {
  auto c = ParseConfig({"--port", "9000", "--log-level=debug"},
                       {{"VIGIL_PORT", "7000"}, {"VIGIL_DB", ""}, {"VIGIL_DEV", "1"}});
  REQUIRE(c.ok());
  CHECK(c->port == 9000);
  CHECK(c->log_level == "debug");
  CHECK(c->db_path == "./data/vigil.db");
  CHECK(c->dev);
}

TEST_CASE("ParseConfig names the malformed setting") {
  const std::pair<const char*, const char*> bad[] = {
      {"VIGIL_PORT", "70000"},          {"VIGIL_PORT", "80a"}, {"VIGIL_KEY_PREFIX", "bad prefix"},
      {"VIGIL_RATE_LIMIT_BURST", "-1"}, {"VIGIL_DEV", "yes"},  {"VIGIL_LOG_LEVEL", "loud"},
      {"VIGIL_MAX_BODY_BYTES", "1e6"}};
  for (const auto& entry : bad) test::RejectedSettingMessage(entry.first, entry.second);
  CHECK_FALSE(ParseConfig({"--no-such-flag", "1"}, {}).ok());
}

TEST_CASE("Unknown VIGIL_ environment variables are ignored") {
  CHECK(ParseConfig({}, {{"VIGIL_API_KEY", "x"}, {"VIGIL_BASE_URL", "y"}}).ok());
}

TEST_CASE("ParseConfig: an unknown flag is named as unknown even without a value") {
  auto c = ParseConfig({"-x"}, {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() == "unknown flag -x");
  auto missing = ParseConfig({"--port"}, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "flag --port needs a value");
}

TEST_CASE("ParseConfig: dev mode raises the rate limit unless it is set; production keeps it") {
  auto prod = ParseConfig({}, {});
  REQUIRE(prod.ok());
  CHECK(prod->rate_limit_burst == limits::kDefaultRateBurst);
  CHECK(prod->rate_limit_per_sec == limits::kDefaultRatePerSec);
  auto dev = ParseConfig({}, {{"VIGIL_DEV", "1"}});
  REQUIRE(dev.ok());
  CHECK(dev->rate_limit_burst == limits::kDevRateBurst);
  CHECK(dev->rate_limit_per_sec == limits::kDevRatePerSec);
  CHECK(limits::kDevRatePerSec > limits::kDefaultRatePerSec);
  auto set = ParseConfig({"--rate-limit-burst", "5"}, {{"VIGIL_DEV", "1"}});
  REQUIRE(set.ok());
  CHECK(set->rate_limit_burst == 5);
  CHECK(set->rate_limit_per_sec == limits::kDevRatePerSec);
}

TEST_CASE("ParseConfig refuses an admin token shorter than 32 characters; empty leaves it unset") {
  for (const char* env : {"VIGIL_ADMIN_TOKEN", "VIGIL_METRICS_TOKEN"}) {
    for (const char* token : {"Q", "admin-token", "0123456789abcdef0123456789abcde"}) {
      CAPTURE(env);
      CAPTURE(token);
      auto c = ParseConfig({}, {{env, token}});
      REQUIRE_FALSE(c.ok());
      CHECK(c.status().message().find(env) != std::string::npos);
      CHECK(c.status().message().find(token) == std::string::npos);  // never echoed
    }
  }
  auto metrics = ParseConfig({}, {{"VIGIL_METRICS_TOKEN", "0123456789abcdef0123456789abcdef"}});
  REQUIRE(metrics.ok());
  CHECK(metrics->metrics_token.size() == limits::kMinAdminTokenBytes);
  auto ok = ParseConfig({}, {{"VIGIL_ADMIN_TOKEN", "0123456789abcdef0123456789abcdef"}});
  REQUIRE(ok.ok());
  CHECK(ok->admin_token.size() == limits::kMinAdminTokenBytes);
  auto unset = ParseConfig({}, {{"VIGIL_ADMIN_TOKEN", ""}});
  REQUIRE(unset.ok());
  CHECK(unset->admin_token.empty());
}

TEST_CASE("ParseConfig: witness keys are cosigner keys, each once; the audit interval may be 0") {
  // A C2SP cosigner key (type 0x04) for the name "w1" and the all-zero public key.
  const std::string pub(32, '\0');
  const std::string w1 = tlog::FormatVerifierKey("w1", pub, tlog::kCosignatureV1Type);
  const std::string w2 = tlog::FormatVerifierKey("w2", pub, tlog::kCosignatureV1Type);
  auto c = ParseConfig({}, {{"VIGIL_TRANSPARENCY_WITNESSES", w1 + " , " + w2},
                            {"VIGIL_TRANSPARENCY_AUDIT_INTERVAL_S", "0"}});
  REQUIRE(c.ok());
  CHECK(c->transparency_witnesses == std::vector<std::string>{w1, w2});
  CHECK(c->transparency_audit_interval_s == 0);
  CHECK(ParseConfig({}, {})->transparency_audit_interval_s == 21600);
  test::RejectedSettingMessage("VIGIL_TRANSPARENCY_WITNESSES", (w1 + "," + w1).c_str());
  test::RejectedSettingMessage("VIGIL_TRANSPARENCY_WITNESSES", (w1 + ",").c_str());
  // A log's note-signing key (type 0x01) is not a witness key.
  test::RejectedSettingMessage("VIGIL_TRANSPARENCY_WITNESSES",
                               tlog::FormatVerifierKey("w1", pub).c_str());
  test::RejectedSettingMessage("VIGIL_TRANSPARENCY_AUDIT_INTERVAL_S", "-1");
  std::string many;
  for (size_t i = 0; i <= limits::kMaxTransparencyWitnesses; ++i) {
    many += (i ? "," : "") +
            tlog::FormatVerifierKey("w" + std::to_string(i), pub, tlog::kCosignatureV1Type);
  }
  test::RejectedSettingMessage("VIGIL_TRANSPARENCY_WITNESSES", many.c_str());
}

TEST_CASE("ParseConfig: not sealing is a dev-mode setting, refused without VIGIL_DEV") {
  CHECK(test::RejectedSettingMessage("VIGIL_DEV_NO_SEALER", "1").find("VIGIL_DEV=1") !=
        std::string::npos);
  auto dev = ParseConfig({}, {{"VIGIL_DEV", "1"}, {"VIGIL_DEV_NO_SEALER", "1"}});
  REQUIRE(dev.ok());
  CHECK(dev->dev_no_sealer);
  auto deployed = ParseConfig({}, {{"VIGIL_DEV", "1"}});
  REQUIRE(deployed.ok());
  CHECK_FALSE(deployed->dev_no_sealer);
}
