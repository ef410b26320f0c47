#include "detectors/playbooks.h"

#include <doctest/doctest.h>

#include <string>

namespace vigil {
namespace {

TEST_CASE("FindPlaybook finds a playbook for every class and signature shape") {
  struct Case {
    const char* failure_class;
    const char* signature;
    const char* heading;  // the playbook's first line
  };
  const Case cases[] = {
      {"loops", "identical_call_ca3b6bcf", "# Loop: identical LLM calls"},
      {"loops", "similar_call_f1ba2fb5", "# Loop: near-identical LLM calls"},
      {"loops", "tool_loop_0a1b2c3d", "# Loop: repeated tool call"},
      {"loops", "time_budget_60s+", "# Loop: time budget exceeded"},
      {"loops", "step_count_10+", "# Loop: too many steps"},
      {"tool_failures", "fetch_url", "# Tool failures"},
      {"validator_failures", "json_schema", "# Validator failures"},
      {"cost_velocity", "cost_$1+", "# Cost velocity"},
      {"prompt_injection", "instruction_tag", "# Prompt injection: instruction template tags"},
      {"prompt_injection", "system_prompt_inject", "# Prompt injection: fake system prompt"},
      {"prompt_injection", "jailbreak_dan", "# Prompt injection: \"DAN\" jailbreak"},
      {"prompt_injection", "developer_mode",
       "# Prompt injection: \"developer / jailbreak / admin mode\""},
      {"prompt_injection", "role_override", "# Prompt injection: role override"},
      {"prompt_injection", "ignore_instructions",
       "# Prompt injection: \"ignore previous instructions\""},
      {"prompt_injection", "injection_classifier", "# Prompt injection: classifier"},
      {"drift", "new_model:gpt-4o", "# Drift: new model"},
      {"drift", "lexical_drift_0.70+", "# Drift: lexical drift"},
      {"crashes", "0123456789abcdef", "# Crashes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.signature);
    const auto markdown = FindPlaybook(c.failure_class, c.signature);
    REQUIRE(markdown.has_value());
    CHECK(markdown->substr(0, markdown->find('\n')) == c.heading);
  }
}

TEST_CASE("FindPlaybook returns nothing for unknown classes or signature shapes") {
  CHECK_FALSE(FindPlaybook("loops", "something_else"));
  CHECK_FALSE(FindPlaybook("loops", "identical_cal"));  // a prefix must be whole
  CHECK_FALSE(FindPlaybook("drift", "new_model"));
  CHECK_FALSE(FindPlaybook("prompt_injection", "other"));
  CHECK_FALSE(FindPlaybook("cost_velocity", "$1+"));
  CHECK_FALSE(FindPlaybook("unknown", "x"));
  CHECK_FALSE(FindPlaybook("Loops", "step_count_10+"));  // classes are case-sensitive
}

TEST_CASE("Every playbook says what the signal means, what to try first and how to tune it") {
  REQUIRE(AllPlaybooks().size() == 18);
  for (const Playbook& playbook : AllPlaybooks()) {
    CAPTURE(playbook.failure_class);
    CAPTURE(playbook.signature_prefix);
    const std::string_view md = playbook.markdown;
    CHECK(md.substr(0, 2) == "# ");
    CHECK(md.find("**What it means.**") != std::string_view::npos);
    CHECK(md.find("**What to try first.**") != std::string_view::npos);
    CHECK(md.find("**Tuning.**") != std::string_view::npos);
    CHECK(md.back() == '\n');
  }
}

}  // namespace
}  // namespace vigil
