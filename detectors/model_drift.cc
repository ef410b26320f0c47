#include <set>

#include "detectors/detector_util.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

void AddModel(std::string_view raw, bool skip_placeholders, std::set<std::string>* models) {
  std::string model = LowerUtf8(TrimAsciiSpace(raw));
  if (model.empty()) return;
  // Instrumentation that cannot tell the model writes a placeholder, which names no model.
  if (skip_placeholders && (model == "unknown" || model == "none" || model == "null")) return;
  models->insert(std::move(model));
}

}  // namespace

std::optional<Finding> DetectModelDrift(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.model_drift.enabled) return std::nullopt;
  std::set<std::string> current;
  for (const Event& event : snapshot.events) {
    if (event.type == EventType::kLlmCall && event.fields.model)
      AddModel(*event.fields.model, policy.model_drift.skip_placeholders, &current);
  }
  if (current.empty()) return std::nullopt;
  // A young project (or agent) has no settled model to drift from: its second model is a choice,
  // not a change, so it takes min_history completed executions before anything is new.
  if (snapshot.history.completed_executions < policy.model_drift.min_history) return std::nullopt;
  // A project's first execution has no history to drift from; flagging every model it uses would
  // make the very first run of every project a failure.
  std::set<std::string> historical;
  for (const std::string& model : snapshot.history.models)
    AddModel(model, policy.model_drift.skip_placeholders, &historical);
  if (historical.empty()) return std::nullopt;
  // std::set orders std::string byte-wise (char_traits<char> compares as unsigned char), so the
  // first new model found is the byte-wise smallest one.
  for (const std::string& model : current) {
    if (historical.count(model) == 0) {
      return MakeFinding(snapshot, kModelDrift, "new_model:" + model);
    }
  }
  return std::nullopt;
}

}  // namespace vigil
