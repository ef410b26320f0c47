#include <doctest/doctest.h>

#include <string>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

using test::LlmCall;

TEST_CASE("LookupPrice picks the exact key, else the longest prefix, after lower-casing") {
  struct Case {
    const char* model;
    const char* key;  // nullptr = no price
  };
  const Case cases[] = {
      {"claude-haiku-4-5-20251001", "claude-haiku-4-5"},
      {"GPT-4o-mini-2024-07-18", "gpt-4o-mini"},
      {"gpt-4o-2024-08-06", "gpt-4o"},
      {"gpt-4-0613", "gpt-4"},
      {"o1-preview", "o1"},
      {"o1-mini-2024", "o1-mini"},
      {"claude-sonnet-4-5", "claude-sonnet-4"},
      {"llama-3", nullptr},
      {"gpt-4-turbo-preview", "gpt-4-turbo"},
      {"claude-opus-4-6", "claude-opus-4-6"},
      {"", nullptr},
      {"unknown", nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.model);
    const auto price = LookupPrice(c.model);
    if (c.key == nullptr) {
      CHECK_FALSE(price.has_value());
    } else {
      REQUIRE(price.has_value());
      CHECK(price->key == c.key);
    }
  }
}

TEST_CASE("LookupPrice returns the per-million prices of the table") {
  const auto mini = LookupPrice("gpt-4o-mini");
  REQUIRE(mini);
  CHECK(mini->input_usd_per_mtok == 0.15);
  CHECK(mini->output_usd_per_mtok == 0.60);
  const auto turbo = LookupPrice("gpt-3.5-turbo-0125");
  REQUIRE(turbo);
  CHECK(turbo->input_usd_per_mtok == 0.50);
  CHECK(turbo->output_usd_per_mtok == 1.50);
}

TEST_CASE("ComputeCostUsd matches the spec's cost vectors") {
  CHECK(ComputeCostUsd({LlmCall("claude-opus-4-6", "q", 1200, 800)}) ==
        doctest::Approx(0.078).epsilon(1e-12));
  CHECK(ComputeCostUsd({LlmCall("gpt-4o-mini", "q", 10000, 2000)}) ==
        doctest::Approx(0.0027).epsilon(1e-12));
}

TEST_CASE("ComputeCostUsd sums llm calls only and treats missing tokens and models as free") {
  std::vector<Event> events = {
      LlmCall("gpt-4o", "a", 1000000, 0),   // 2.50
      LlmCall("gpt-4o", "b", 0, 1000000),   // 10.00
      LlmCall("llama-3", "c", 5000, 5000),  // unpriced
      test::ToolCall("search", "ok"),
  };
  Event no_model = test::MakeEvent("llm_call");
  no_model.fields.input_tokens = 1000000;
  events.push_back(no_model);
  Event not_llm = test::MakeEvent("checkpoint");
  not_llm.fields.model = "gpt-4o";
  not_llm.fields.input_tokens = 1000000;
  events.push_back(not_llm);
  CHECK(ComputeCostUsd(events) == doctest::Approx(12.5).epsilon(1e-12));
  CHECK(ComputeCostUsd({}) == 0.0);
}

TEST_CASE("Cached input is priced at its provider's cache rate, reasoning as output") {
  // gpt-4o: 2.50 in, 10 out; OpenAI bills cache reads at half the input price.
  Event openai = LlmCall("gpt-4o", "q", 1000000, 1000000);
  openai.fields.cached_input_tokens = 400000;
  openai.fields.reasoning_tokens = 300000;
  CHECK(ComputeCostUsd({openai}) == doctest::Approx(0.6 * 2.5 + 0.4 * 1.25 + 10).epsilon(1e-12));
  // claude-sonnet-4: 3 in, 15 out; Anthropic bills cache reads at a tenth.
  Event anthropic = LlmCall("claude-sonnet-4-20250514", "q", 1000000, 0);
  anthropic.fields.cached_input_tokens = 1000000;
  CHECK(ComputeCostUsd({anthropic}) == doctest::Approx(0.3).epsilon(1e-12));
  // A part larger than its total counts as the total, a negative one as none.
  Event over = LlmCall("claude-sonnet-4", "q", 1000, 0);
  over.fields.cached_input_tokens = 5000;
  CHECK(ComputeCostUsd({over}) == doctest::Approx(1000 / 1e6 * 0.3).epsilon(1e-12));
  Event negative = LlmCall("claude-sonnet-4", "q", 1000, 0);
  negative.fields.cached_input_tokens = -5000;
  CHECK(ComputeCostUsd({negative}) == doctest::Approx(1000 / 1e6 * 3).epsilon(1e-12));
}

TEST_CASE("Without cached or reasoning parts the cost is the protocol's formula bit for bit") {
  const Event call = LlmCall("gpt-4o-mini", "q", 12345, 678);
  CHECK(ComputeCostUsd({call}) == (12345 / 1e6) * 0.15 + (678 / 1e6) * 0.60);
  const std::optional<ModelPrice> price = LookupPrice("claude-haiku-4-5");
  REQUIRE(price.has_value());
  CHECK(price->cached_input_usd_per_mtok == doctest::Approx(0.1));
  CHECK(price->reasoning_usd_per_mtok == price->output_usd_per_mtok);
}

TEST_CASE("EffectiveCostUsd prefers the stored cost and falls back to the computed one") {
  Execution execution;
  const std::vector<Event> events = {LlmCall("claude-opus-4-6", "q", 1200, 800)};
  CHECK(EffectiveCostUsd(execution, events) == doctest::Approx(0.078));
  execution.estimated_cost_usd = 2.5;
  CHECK(EffectiveCostUsd(execution, events) == 2.5);
}

}  // namespace
}  // namespace vigil
