#include <algorithm>

#include "detectors/detector_util.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

enum class Provider { kAnthropic, kOpenAi };

struct PriceRow {
  std::string_view key;
  double input_usd_per_mtok;
  double output_usd_per_mtok;
  Provider provider;
};

// How each provider bills the two parts of a call that llm_call may report separately
// (docs/protocol.md#cached-and-reasoning-tokens), as fractions of the model's own prices. Cached
// input is read from the provider's prompt cache instead of being processed again: Anthropic bills
// cache reads at a tenth of the input price, OpenAI at half. Reasoning tokens are output the model
// generated but did not show, and both bill them exactly as output.
struct ProviderRates {
  Provider provider;
  double cached_input_factor;  // of the input price
  double reasoning_factor;     // of the output price
};
constexpr ProviderRates kProviderRates[] = {
    {Provider::kAnthropic, 0.10, 1.0},
    {Provider::kOpenAi, 0.50, 1.0},
};

ModelPrice PriceOf(const PriceRow& row) {
  for (const ProviderRates& r : kProviderRates) {
    if (r.provider != row.provider) continue;
    return ModelPrice{row.key, row.input_usd_per_mtok, row.output_usd_per_mtok,
                      row.input_usd_per_mtok * r.cached_input_factor,
                      row.output_usd_per_mtok * r.reasoning_factor};
  }
  return ModelPrice{row.key, row.input_usd_per_mtok, row.output_usd_per_mtok,
                    row.input_usd_per_mtok, row.output_usd_per_mtok};
}

// USD per million tokens (docs/detection.md#cost-velocity). The keys and numbers are part of the
// compatibility contract: changing one changes every cost_velocity signature computed from it.
constexpr PriceRow kPrices[] = {
    {"claude-opus-4-6", 15, 75, Provider::kAnthropic},
    {"claude-sonnet-4-6", 3, 15, Provider::kAnthropic},
    {"claude-haiku-4-5", 1, 5, Provider::kAnthropic},
    {"claude-opus-4-1", 15, 75, Provider::kAnthropic},
    {"claude-sonnet-4", 3, 15, Provider::kAnthropic},
    {"claude-3-5-sonnet", 3, 15, Provider::kAnthropic},
    {"claude-3-5-haiku", 1, 5, Provider::kAnthropic},
    {"claude-3-opus", 15, 75, Provider::kAnthropic},
    {"gpt-4o", 2.50, 10, Provider::kOpenAi},
    {"gpt-4o-mini", 0.15, 0.60, Provider::kOpenAi},
    {"gpt-4-turbo", 10, 30, Provider::kOpenAi},
    {"gpt-4", 30, 60, Provider::kOpenAi},
    {"gpt-3.5-turbo", 0.50, 1.50, Provider::kOpenAi},
    {"o1", 15, 60, Provider::kOpenAi},
    {"o1-mini", 3, 12, Provider::kOpenAi},
};

}  // namespace

std::optional<ModelPrice> LookupPrice(std::string_view model) {
  const std::string lower = LowerUtf8(model);
  const PriceRow* best = nullptr;
  for (const PriceRow& row : kPrices) {
    if (row.key == lower) {
      best = &row;
      break;
    }
    const bool prefix = lower.compare(0, row.key.size(), row.key) == 0;
    if (prefix && (best == nullptr || row.key.size() > best->key.size())) best = &row;
  }
  if (best == nullptr) return std::nullopt;
  return PriceOf(*best);
}

std::vector<ModelPrice> PriceTable() {
  std::vector<ModelPrice> rows;
  for (const PriceRow& row : kPrices) {
    rows.push_back(PriceOf(row));
  }
  return rows;
}

double ComputeCostUsd(const std::vector<Event>& events) {
  double total = 0;
  // An execution almost always calls one model: look each run of equal names up once (the lookup
  // lower-cases the name and scans the table, and the live pass calls this after every batch).
  const std::string* last_model = nullptr;
  std::optional<ModelPrice> price;
  static const std::string kNoModel;
  for (const Event& event : events) {
    if (event.type != EventType::kLlmCall) continue;
    const std::string& model = event.fields.model ? *event.fields.model : kNoModel;
    if (last_model == nullptr || *last_model != model) {
      price = LookupPrice(model);
      last_model = &model;
    }
    if (price) total += CallCostUsd(*price, event.fields);
  }
  return total;
}

double CallCostUsd(const ModelPrice& price, const PayloadFields& fields) {
  const int64_t input = fields.input_tokens.value_or(0);
  const int64_t output = fields.output_tokens.value_or(0);
  // Parts of the totals: never below 0, never more than the total.
  const int64_t cached =
      std::clamp<int64_t>(fields.cached_input_tokens.value_or(0), 0, std::max<int64_t>(input, 0));
  const int64_t reasoning =
      std::clamp<int64_t>(fields.reasoning_tokens.value_or(0), 0, std::max<int64_t>(output, 0));
  // Without the parts: the protocol's formula in its operation order, so sums match other
  // implementations bit for bit.
  double cost = (static_cast<double>(input - cached) / 1e6) * price.input_usd_per_mtok +
                (static_cast<double>(output - reasoning) / 1e6) * price.output_usd_per_mtok;
  if (cached > 0) cost += (static_cast<double>(cached) / 1e6) * price.cached_input_usd_per_mtok;
  if (reasoning > 0) cost += (static_cast<double>(reasoning) / 1e6) * price.reasoning_usd_per_mtok;
  return cost;
}

double EffectiveCostUsd(const Execution& execution, const std::vector<Event>& events) {
  if (execution.estimated_cost_usd > 0) return execution.estimated_cost_usd;
  return ComputeCostUsd(events);
}

}  // namespace vigil
