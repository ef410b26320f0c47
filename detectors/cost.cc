#include <algorithm>

#include "detectors/detector_util.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

struct PriceRow {
  std::string_view key;
  double input_usd_per_mtok;
  double output_usd_per_mtok;
  // The price of input read from the provider's prompt cache, as a fraction of the input price
  // (docs/protocol.md#cached-and-reasoning-tokens). Providers set it per model: Anthropic bills
  // cache reads at a tenth (Claude 3 Haiku at 0.12); OpenAI at a half (GPT-4o, o1, o3-mini), a
  // quarter (GPT-4.1, o3, o4-mini) or a tenth (GPT-5); Google at a tenth (Gemini 2.5) or a quarter
  // (Gemini 2.0). A model whose provider publishes no cache price (Cohere, OpenAI's models without
  // prompt caching) bills its cached input as input: 1.
  double cached_input_factor;
  // A row that prices only the model named exactly by its key, never a longer name that starts
  // with it: the key is also the prefix of other models that its provider prices differently.
  bool exact_only = false;
};

constexpr bool kExactOnly = true;

// Reasoning tokens are output the model generated but did not show. OpenAI, Anthropic and Google
// bill them exactly as output, and Cohere publishes no other price for them.
ModelPrice PriceOf(const PriceRow& row) {
  return ModelPrice{row.key,
                    row.input_usd_per_mtok,
                    row.output_usd_per_mtok,
                    row.input_usd_per_mtok * row.cached_input_factor,
                    row.output_usd_per_mtok,
                    row.exact_only};
}

// USD per million tokens (docs/detection.md#price-table, which names the source of each row). The
// keys and numbers are part of the compatibility contract: changing one changes every
// cost_velocity signature computed from it, so rows are added and never repriced. The first
// fifteen are the protocol's original table and keep its numbers where a provider has since changed
// its list price; the others are list prices as the providers publish them.
constexpr PriceRow kPrices[] = {
    {"claude-opus-4-6", 15, 75, 0.10},
    {"claude-sonnet-4-6", 3, 15, 0.10},
    {"claude-haiku-4-5", 1, 5, 0.10},
    {"claude-opus-4-1", 15, 75, 0.10},
    {"claude-sonnet-4", 3, 15, 0.10},
    {"claude-3-5-sonnet", 3, 15, 0.10},
    {"claude-3-5-haiku", 1, 5, 0.10},
    {"claude-3-opus", 15, 75, 0.10},
    {"gpt-4o", 2.50, 10, 0.50},
    {"gpt-4o-mini", 0.15, 0.60, 0.50},
    {"gpt-4-turbo", 10, 30, 1},
    {"gpt-4", 30, 60, 1},
    {"gpt-3.5-turbo", 0.50, 1.50, 1},
    {"o1", 15, 60, 0.50},
    {"o1-mini", 3, 12, 0.50},
    {"claude-opus-4-7", 5, 25, 0.10},
    {"claude-opus-4-5", 5, 25, 0.10},
    {"claude-opus-4-0", 15, 75, 0.10},
    {"claude-opus-4-20250514", 15, 75, 0.10},
    {"claude-3-7-sonnet", 3, 15, 0.10},
    {"claude-3-haiku", 0.25, 1.25, 0.12},
    {"gpt-4.1", 2, 8, 0.25},
    {"gpt-4.1-mini", 0.40, 1.60, 0.25},
    {"gpt-4.1-nano", 0.10, 0.40, 0.25},
    // GPT-5 by its "gpt-5-" names (dated snapshots, gpt-5-codex) and by the bare name exactly: as a
    // prefix, "gpt-5" would also price every later gpt-5.x model, which OpenAI prices differently.
    {"gpt-5-", 1.25, 10, 0.10},
    {"gpt-5", 1.25, 10, 0.10, kExactOnly},
    {"gpt-5-mini", 0.25, 2, 0.10},
    {"gpt-5-nano", 0.05, 0.40, 0.10},
    {"gpt-5-pro", 15, 120, 1},
    {"o3", 2, 8, 0.25},
    {"o3-mini", 1.10, 4.40, 0.50},
    {"o3-pro", 20, 80, 1},
    {"o4-mini", 1.10, 4.40, 0.25},
    {"gemini-2.5-pro", 1.25, 10, 0.10},
    {"gemini-2.5-flash", 0.30, 2.50, 0.10},
    {"gemini-2.5-flash-lite", 0.10, 0.40, 0.10},
    {"gemini-2.0-flash", 0.10, 0.40, 0.25},
    {"command-a-03-2025", 2.50, 10, 1},
    {"command-a-reasoning", 2.50, 10, 1},
    {"command-r-plus-08-2024", 2.50, 10, 1},
    {"command-r-08-2024", 0.15, 0.60, 1},
    {"command-r7b", 0.0375, 0.15, 1},
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
    if (row.exact_only) continue;
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

void CallCostSum::Add(const Event& event) {
  if (event.type != EventType::kLlmCall) return;
  // An execution almost always calls one model: the lookup lower-cases the name and scans the
  // table, and the live pass sums an execution's calls after every batch.
  const std::string_view model = event.fields.model ? *event.fields.model : std::string_view();
  if (!looked_up_ || model != model_) {
    model_.assign(model);
    price_ = LookupPrice(model);
    looked_up_ = true;
  }
  if (price_) total_ += CallCostUsd(*price_, event.fields);
}

double ComputeCostUsd(const std::vector<Event>& events) {
  CallCostSum sum;
  for (const Event& event : events) sum.Add(event);
  return sum.total();
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
