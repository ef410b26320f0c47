#include <algorithm>

#include "detectors/detector_util.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

struct PriceRow {
  std::string_view key;
  double input_usd_per_mtok;
  double output_usd_per_mtok;
};

// USD per million tokens (docs/detection.md#cost-velocity). The keys and numbers are part of the
// compatibility contract: changing one changes every cost_velocity signature computed from it.
constexpr PriceRow kPrices[] = {
    {"claude-opus-4-6", 15, 75},
    {"claude-sonnet-4-6", 3, 15},
    {"claude-haiku-4-5", 1, 5},
    {"claude-opus-4-1", 15, 75},
    {"claude-sonnet-4", 3, 15},
    {"claude-3-5-sonnet", 3, 15},
    {"claude-3-5-haiku", 1, 5},
    {"claude-3-opus", 15, 75},
    {"gpt-4o", 2.50, 10},
    {"gpt-4o-mini", 0.15, 0.60},
    {"gpt-4-turbo", 10, 30},
    {"gpt-4", 30, 60},
    {"gpt-3.5-turbo", 0.50, 1.50},
    {"o1", 15, 60},
    {"o1-mini", 3, 12},
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
  return ModelPrice{best->key, best->input_usd_per_mtok, best->output_usd_per_mtok};
}

std::vector<ModelPrice> PriceTable() {
  std::vector<ModelPrice> rows;
  for (const PriceRow& row : kPrices) {
    rows.push_back(ModelPrice{row.key, row.input_usd_per_mtok, row.output_usd_per_mtok});
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
    if (!price) continue;
    const double input = static_cast<double>(event.fields.input_tokens.value_or(0));
    const double output = static_cast<double>(event.fields.output_tokens.value_or(0));
    // Same operation order as the spec's formula, so sums match other implementations bit for bit.
    total +=
        (input / 1e6) * price->input_usd_per_mtok + (output / 1e6) * price->output_usd_per_mtok;
  }
  return total;
}

double EffectiveCostUsd(const Execution& execution, const std::vector<Event>& events) {
  if (execution.estimated_cost_usd > 0) return execution.estimated_cost_usd;
  return ComputeCostUsd(events);
}

}  // namespace vigil
