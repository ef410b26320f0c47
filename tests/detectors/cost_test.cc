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

TEST_CASE("LookupPrice picks the longest prefix among the rows of every provider") {
  struct Case {
    const char* model;
    const char* key;  // nullptr = no price
  };
  const Case cases[] = {
      {"gemini-2.5-flash-001", "gemini-2.5-flash"},
      {"gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"},
      {"gemini-2.5-pro-001", "gemini-2.5-pro"},
      {"Gemini-2.0-Flash", "gemini-2.0-flash"},
      {"gemini-1.5-pro", nullptr},
      {"command-a-03-2025", "command-a-03-2025"},
      {"command-a-reasoning-08-2025", "command-a-reasoning"},
      {"command-a-vision-07-2025", nullptr},
      {"command-r7b-12-2024", "command-r7b"},
      {"command-r-08-2024", "command-r-08-2024"},
      {"command-r-plus-08-2024", "command-r-plus-08-2024"},
      {"command-r", nullptr},
      {"gpt-4.1-2025-04-14", "gpt-4.1"},
      {"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
      {"gpt-4.1-nano", "gpt-4.1-nano"},
      {"gpt-5", "gpt-5"},
      {"GPT-5", "gpt-5"},
      {"gpt-5-2025-08-07", "gpt-5-"},
      {"gpt-5-codex", "gpt-5-"},
      {"gpt-5-mini-2025-08-07", "gpt-5-mini"},
      {"gpt-5-nano", "gpt-5-nano"},
      {"gpt-5-pro", "gpt-5-pro"},
      {"gpt-5.1", nullptr},
      {"gpt-5.4", nullptr},
      {"gpt-5.4-mini", nullptr},
      {"gpt-50", nullptr},
      {"o3-2025-04-16", "o3"},
      {"o3-mini-2025-01-31", "o3-mini"},
      {"o4-mini-2025-04-16", "o4-mini"},
      {"claude-opus-4-5-20251101", "claude-opus-4-5"},
      {"claude-opus-4-20250514", "claude-opus-4-20250514"},
      {"claude-3-7-sonnet-20250219", "claude-3-7-sonnet"},
      {"claude-3-haiku-20240307", "claude-3-haiku"},
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

TEST_CASE("Every row of the price table is found by its own key") {
  for (const ModelPrice& row : PriceTable()) {
    CAPTURE(row.key);
    const auto price = LookupPrice(row.key);
    REQUIRE(price.has_value());
    CHECK(price->key == row.key);
    CHECK(row.cached_input_usd_per_mtok <= row.input_usd_per_mtok);
    CHECK(row.reasoning_usd_per_mtok == row.output_usd_per_mtok);
  }
}

TEST_CASE("An exact-only row prices its own name and never a longer one") {
  // Before the exact-only "gpt-5" row, a call that named the bare "gpt-5" cost 0: only "gpt-5-"
  // was listed, since a "gpt-5" prefix would also have priced every gpt-5.x model.
  const auto bare = LookupPrice("gpt-5");
  REQUIRE(bare.has_value());
  CHECK(bare->exact_only);
  CHECK(bare->input_usd_per_mtok == 1.25);
  CHECK(bare->output_usd_per_mtok == 10);
  CHECK(bare->cached_input_usd_per_mtok == doctest::Approx(0.125));
  const auto snapshot = LookupPrice("gpt-5-2025-08-07");
  REQUIRE(snapshot.has_value());
  CHECK_FALSE(snapshot->exact_only);
  int exact_only_rows = 0;
  for (const ModelPrice& row : PriceTable()) exact_only_rows += row.exact_only ? 1 : 0;
  CHECK(exact_only_rows == 1);
}

TEST_CASE("A bare gpt-5 call costs GPT-5's price and a gpt-5.x call costs 0") {
  // 1M input of which 800k cached (a tenth of 1.25), 1M output of which 600k reasoning (as output).
  Event call = LlmCall("gpt-5", "q", 1000000, 1000000);
  call.fields.cached_input_tokens = 800000;
  call.fields.reasoning_tokens = 600000;
  CHECK(ComputeCostUsd({call}) == doctest::Approx(0.2 * 1.25 + 0.8 * 0.125 + 10).epsilon(1e-12));
  CHECK(ComputeCostUsd({LlmCall("gpt-5", "q", 12345, 678)}) ==
        (12345 / 1e6) * 1.25 + (678 / 1e6) * 10);
  CHECK(ComputeCostUsd({LlmCall("gpt-5.1", "q", 1000000, 1000000),
                        LlmCall("gpt-5.4", "q", 1000000, 1000000)}) == 0.0);
}

// The cached rate of `model` in USD per million tokens.
double CachedRate(const char* model) {
  const auto price = LookupPrice(model);
  REQUIRE(price.has_value());
  return price->cached_input_usd_per_mtok;
}

TEST_CASE("The cache rate is each model's own") {
  CHECK(CachedRate("gpt-4o") == doctest::Approx(1.25));
  CHECK(CachedRate("gpt-4.1") == doctest::Approx(0.50));
  CHECK(CachedRate("gpt-4.1-nano") == doctest::Approx(0.025));
  CHECK(CachedRate("o4-mini") == doctest::Approx(0.275));
  CHECK(CachedRate("o3-mini") == doctest::Approx(0.55));
  CHECK(CachedRate("gpt-5-2025-08-07") == doctest::Approx(0.125));
  CHECK(CachedRate("gpt-5-mini") == doctest::Approx(0.025));
  CHECK(CachedRate("gpt-4-0613") == 30);  // no prompt cache: cached input is input
  CHECK(CachedRate("claude-opus-4-5") == doctest::Approx(0.50));
  CHECK(CachedRate("claude-3-haiku") == doctest::Approx(0.03));
  CHECK(CachedRate("gemini-2.5-pro") == doctest::Approx(0.125));
  CHECK(CachedRate("gemini-2.5-flash") == doctest::Approx(0.03));
  CHECK(CachedRate("gemini-2.5-flash-lite") == doctest::Approx(0.01));
  CHECK(CachedRate("gemini-2.0-flash") == doctest::Approx(0.025));
  CHECK(CachedRate("command-a-03-2025") == 2.50);  // Cohere: no cache price
}

TEST_CASE("A Gemini call: cached input at Google's cache rate, thinking as output") {
  // gemini-2.5-flash: 0.30 in, 2.50 out, 0.03 cached. The SDK sends thoughts as reasoning_tokens.
  Event call = LlmCall("gemini-2.5-flash-001", "q", 1000000, 1000000);
  CHECK(ComputeCostUsd({call}) == doctest::Approx(0.30 + 2.50).epsilon(1e-12));
  call.fields.cached_input_tokens = 400000;
  call.fields.reasoning_tokens = 300000;
  CHECK(ComputeCostUsd({call}) == doctest::Approx(0.6 * 0.30 + 0.4 * 0.03 + 2.50).epsilon(1e-12));
  // gemini-2.0-flash: 0.10 in, 0.40 out; its cache reads bill at a quarter of the input price.
  Event flash2 = LlmCall("gemini-2.0-flash", "q", 2000000, 500000);
  flash2.fields.cached_input_tokens = 1000000;
  CHECK(ComputeCostUsd({flash2}) == doctest::Approx(0.10 + 0.025 + 0.20).epsilon(1e-12));
}

TEST_CASE("A Cohere call: cached input bills as input, reasoning as output") {
  // command-a-03-2025: 2.50 in, 10 out.
  Event call = LlmCall("command-a-03-2025", "q", 1000000, 500000);
  const double plain = 2.50 + 0.5 * 10;
  CHECK(ComputeCostUsd({call}) == doctest::Approx(plain).epsilon(1e-12));
  call.fields.cached_input_tokens = 600000;
  call.fields.reasoning_tokens = 200000;
  CHECK(ComputeCostUsd({call}) == doctest::Approx(plain).epsilon(1e-12));
  // command-r7b: 0.0375 in, 0.15 out.
  CHECK(ComputeCostUsd({LlmCall("command-r7b", "q", 2000000, 1000000)}) ==
        doctest::Approx(0.075 + 0.15).epsilon(1e-12));
}

TEST_CASE("OpenAI's cache rate follows the model in one execution") {
  // Each call: 1M input of which 800k cached, 1M output of which 600k reasoning.
  auto call = [](const char* model) {
    Event e = LlmCall(model, "q", 1000000, 1000000);
    e.fields.cached_input_tokens = 800000;
    e.fields.reasoning_tokens = 600000;
    return e;
  };
  const double gpt4o = 0.2 * 2.50 + 0.8 * 1.25 + 10;  // half
  const double gpt41 = 0.2 * 2 + 0.8 * 0.50 + 8;      // a quarter
  const double gpt5 = 0.2 * 1.25 + 0.8 * 0.125 + 10;  // a tenth
  const double o3 = 0.2 * 2 + 0.8 * 0.50 + 8;         // a quarter; reasoning as output
  CHECK(ComputeCostUsd({call("gpt-4o"), call("gpt-4.1"), call("gpt-5-codex"), call("o3")}) ==
        doctest::Approx(gpt4o + gpt41 + gpt5 + o3).epsilon(1e-12));
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
