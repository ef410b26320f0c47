// vigil_eval_detectors: replays executions through the server's own ingest parsing and detection
// passes and prints what each pass found. scripts/eval-detectors feeds it and scores the output.
//
// Input (stdin), one JSON object per line, each field exactly what an SDK would send:
//   {"case": "<id>", "project": "<name>", "start": <POST /executions body>,
//    "batches": [<POST /events body>, ...], "end": <PATCH /executions/{id} body>}
// Output (stdout), one line per input line, in input order:
//   {"case": "<id>", "findings": [{"detector", "signature", "pass": "live"|"final", "detail"},
//   ...]}
// Live findings are listed once, when a live pass first raises them (as the server stores and
// alerts on them), then the final pass's findings (which replace the stored ones on the server).
//
// What runs is the server's code, not a copy: ParseExecutionBody and MergeExecution for the
// execution, ParseEventBatch for each batch (the fields ingestion extracts), SlimForLivePass and
// RunDetectors(kLive) after each batch on the running execution, and ExtractPayloadFields on every
// stored payload then RunDetectors(kFinal) once the execution is terminal. What it stands in for is
// storage: events are kept in memory in arrival order; a project's history (the drift detectors'
// input) is the earlier cases of the same project, read with the server's window and scope
// (DriftScopeName); an agent's baseline is ComputeBaseline over the earlier completed cases of the
// same project and `name`, newest first, as storage::BaselineSamples returns them.
//
// Usage: vigil_eval_detectors [--preset vigil|mesedi] [--set section.key=value ...]
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detectors/detectors.h"
#include "detectors/policy.h"
#include "domain/merge.h"
#include "server/codec/json_codec.h"
#include "server/codec/json_writer.h"
#include "server/detection/detection.h"

namespace vigil {
namespace {

// One llm_call of an earlier execution, as the history queries see it.
struct HistoryCall {
  int64_t timestamp_ms;
  std::string model;
  std::string user_message;
};

// An earlier execution of a project, as the history and baseline queries see it.
struct PastExecution {
  std::string name;
  int64_t started_at_ms = 0;
  bool completed = false;
  BaselineSample sample;  // its steps, elapsed time and cost
  std::vector<HistoryCall> calls;
};

// A finding and the pass that raised it.
struct Raised {
  Finding finding;
  const char* pass;
};

// The execution under replay: its stored state, its stored events and the live pass's view.
struct Replay {
  std::optional<Execution> execution;
  std::vector<Event> stored;
  ExecutionSnapshot live;  // slimmed events, as the server's live cache keeps them
  std::map<std::string, std::string> written;  // detector -> signature it last raised live
  int64_t next_arrival = 1;
  int64_t clock_ms = 0;  // the latest time an SDK request carried: the replay's receive time
};

std::string Minify(simdjson::dom::element value) { return simdjson::minify(value); }

bool Merge(Replay* r, simdjson::dom::element body, const std::string& project_id,
           std::string* error) {
  std::string body_project;
  Result<ExecutionPatch> patch = ParseExecutionBody(Minify(body), &body_project);
  if (!patch.ok()) {
    *error = patch.status().message();
    return false;
  }
  const ExecutionPatch& p = patch.value();
  r->clock_ms = std::max({r->clock_ms, p.started_at_ms, p.ended_at_ms});
  r->execution = MergeExecution(r->execution, p, r->clock_ms, r->clock_ms);
  r->execution->project_id = project_id;
  return true;
}

std::optional<AgentBaseline> BaselineFor(const std::vector<PastExecution>& past,
                                         const Policy& policy, const Execution& execution) {
  if (!NeedsBaseline(policy, execution)) return std::nullopt;
  std::vector<BaselineSample> samples;
  for (auto it = past.rbegin(); it != past.rend(); ++it) {  // newest first
    if (it->completed && it->name == execution.name) samples.push_back(it->sample);
  }
  return ComputeBaseline(samples);
}

// The live pass of one committed batch, as Detection::PrepareLive runs it: the batch's events are
// appended to the cached view in (sequence, arrival) order and the live detectors run on it.
void LivePass(Replay* r, const std::vector<Event>& fresh, const Policy& policy,
              const std::vector<PastExecution>& past, std::vector<Raised>* out) {
  if (!r->execution || IsTerminal(r->execution->status) || fresh.empty()) return;
  r->live.execution = *r->execution;
  auto& events = r->live.events;
  for (const Event& e : fresh) events.push_back(SlimForLivePass(e));
  SortEventsForDetection(&events);
  r->live.now_ms = r->clock_ms;
  r->live.baseline = BaselineFor(past, policy, r->live.execution);
  for (Finding& f : RunDetectors(r->live, policy, Pass::kLive)) {
    auto w = r->written.find(f.detector);
    if (w != r->written.end() && w->second == f.signature) continue;
    r->written[f.detector] = f.signature;
    out->push_back({std::move(f), "live"});
  }
}

bool Ingest(Replay* r, simdjson::dom::element batch, const Policy& policy,
            const std::vector<PastExecution>& past, std::vector<Raised>* out, std::string* error) {
  Result<EventBatch> parsed = ParseEventBatch(Minify(batch), r->clock_ms, true);
  if (!parsed.ok()) {
    *error = parsed.status().message();
    return false;
  }
  if (!parsed.value().errors.empty()) {
    *error = "event " + std::to_string(parsed.value().errors.front().first) + ": " +
             parsed.value().errors.front().second;
    return false;
  }
  std::vector<Event> fresh = std::move(parsed.value().events);
  int64_t earliest = 0;
  for (Event& e : fresh) {
    e.arrival = r->next_arrival++;
    r->clock_ms = std::max(r->clock_ms, e.timestamp_ms);
    earliest = earliest == 0 ? e.timestamp_ms : std::min(earliest, e.timestamp_ms);
    r->stored.push_back(e);
  }
  if (!r->execution) {  // implicit creation by events (the merge rule)
    r->execution = MergeExecution(std::nullopt, ExecutionPatch(), earliest, r->clock_ms);
    r->execution->execution_id = fresh.empty() ? "" : fresh.front().execution_id;
  }
  LivePass(r, fresh, policy, past, out);
  return true;
}

ProjectHistory HistoryFor(const std::vector<PastExecution>& past, const Policy& policy,
                          const Execution& execution, int64_t now_ms) {
  ProjectHistory history;
  const HistoryWindow w = HistoryWindowFor(policy, now_ms);
  const std::string& scope = DriftScopeName(policy, execution);
  std::set<std::string> models;
  for (auto it = past.rbegin(); it != past.rend(); ++it) {  // newest first
    const bool in_scope = scope.empty() || it->name == scope;
    if (in_scope && it->completed && it->started_at_ms >= w.since_ms &&
        it->started_at_ms <= w.until_ms &&
        history.completed_executions < policy.model_drift.min_history) {
      ++history.completed_executions;
    }
    for (auto call = it->calls.rbegin(); call != it->calls.rend(); ++call) {
      if (call->timestamp_ms < w.since_ms || call->timestamp_ms > w.until_ms) continue;
      if (policy.model_drift.enabled && in_scope) models.insert(call->model);
      if (policy.lexical_drift.enabled && !call->user_message.empty() &&
          static_cast<int64_t>(history.user_messages.size()) < w.max_messages) {
        history.user_messages.push_back(call->user_message);
      }
    }
  }
  history.models.assign(models.begin(), models.end());
  return history;
}

void FinalPass(Replay* r, const Policy& policy, std::vector<PastExecution>* past,
               std::vector<Raised>* out) {
  ExecutionSnapshot snap;
  snap.execution = *r->execution;
  snap.events = r->stored;
  SortEventsForDetection(&snap.events);
  for (Event& e : snap.events) e.fields = ExtractPayloadFields(e.payload_json);
  snap.now_ms = r->clock_ms;
  if (NeedsHistory(policy, Pass::kFinal)) {
    snap.history = HistoryFor(*past, policy, snap.execution, snap.now_ms);
  }
  snap.baseline = BaselineFor(*past, policy, snap.execution);
  for (Finding& f : RunDetectors(snap, policy, Pass::kFinal)) {
    out->push_back({std::move(f), "final"});
  }
  PastExecution done;
  done.name = snap.execution.name;
  done.started_at_ms = snap.execution.started_at_ms;
  done.completed = snap.execution.status == ExecutionStatus::kCompleted;
  done.sample.row_id = static_cast<int64_t>(past->size()) + 1;
  done.sample.steps = static_cast<int64_t>(snap.events.size());
  done.sample.duration_ms = ElapsedMs(snap.execution, snap.events);
  done.sample.cost_usd = EffectiveCostUsd(snap.execution, snap.events);
  for (const Event& e : snap.events) {
    if (e.type != EventType::kLlmCall) continue;
    done.calls.push_back(
        {e.timestamp_ms, e.fields.model.value_or(""), e.fields.user_message.value_or("")});
  }
  past->push_back(std::move(done));
}

std::string Report(std::string_view case_id, const std::vector<Raised>& raised,
                   const std::string& error) {
  JsonWriter w;
  w.BeginObject().Field("case", case_id);
  if (!error.empty()) w.Field("error", error);
  w.Key("findings").BeginArray();
  for (const Raised& r : raised) {
    w.BeginObject()
        .Field("detector", r.finding.detector)
        .Field("signature", r.finding.signature)
        .Field("pass", r.pass);
    if (!r.finding.detail.empty()) w.Field("detail", r.finding.detail);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

class Evaluator {
 public:
  explicit Evaluator(Policy policy) : policy_(std::move(policy)) {}

  // Replays one input line; returns its output line.
  std::string Run(std::string_view line) {
    simdjson::dom::element doc;
    if (parser_.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) {
      return Report("", {}, "input line is not JSON");
    }
    std::string_view case_id, project;
    simdjson::dom::element start, end;
    simdjson::dom::array batches;
    if (doc["case"].get(case_id) || doc["project"].get(project) || doc["start"].get(start) ||
        doc["batches"].get(batches) || doc["end"].get(end)) {
      return Report(case_id, {}, "needs case, project, start, batches and end");
    }
    Replay replay;
    std::vector<Raised> raised;
    std::string error;
    const std::string project_id(project);
    bool ok = Merge(&replay, start, project_id, &error);
    std::vector<PastExecution>& past = history_[project_id];
    for (simdjson::dom::element batch : batches) {
      ok = ok && Ingest(&replay, batch, policy_, past, &raised, &error);
    }
    ok = ok && Merge(&replay, end, project_id, &error);
    if (ok && !IsTerminal(replay.execution->status)) error = "end is not terminal", ok = false;
    if (ok) FinalPass(&replay, policy_, &past, &raised);
    return Report(case_id, raised, error);
  }

 private:
  Policy policy_;
  simdjson::dom::parser parser_;
  std::map<std::string, std::vector<PastExecution>> history_;  // project -> earlier executions
};

// Applies "section.key=value" to a policy (booleans as true/false, numbers as JSON numbers).
bool SetField(std::string_view assignment, Policy* policy) {
  const size_t eq = assignment.find('=');
  const PolicyField* field =
      eq == std::string_view::npos ? nullptr : FindPolicyField(assignment.substr(0, eq));
  if (field == nullptr) return false;
  const std::string value(assignment.substr(eq + 1));
  switch (field->kind) {
    case PolicyFieldKind::kBool:
      if (value != "true" && value != "false") return false;
      return field->set(*policy, PolicyValue(value == "true"));
    case PolicyFieldKind::kInt:
      return field->set(*policy, PolicyValue(static_cast<int64_t>(std::stoll(value))));
    case PolicyFieldKind::kDouble:
      return field->set(*policy, PolicyValue(std::stod(value)));
  }
  return false;
}

int Main(int argc, char** argv) {
  std::string preset(kPresetVigil);
  std::vector<std::string_view> assignments;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--preset" && i + 1 < argc) {
      preset = argv[++i];
    } else if (arg == "--set" && i + 1 < argc) {
      assignments.push_back(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: vigil_eval_detectors [--preset vigil|mesedi] [--set section.key=value]"
                   " < cases.jsonl\n");
      return 2;
    }
  }
  if (!IsKnownPreset(preset)) {
    std::fprintf(stderr, "unknown preset: %s\n", preset.c_str());
    return 2;
  }
  Policy policy = PolicyPreset(preset);
  for (std::string_view assignment : assignments) {
    if (!SetField(assignment, &policy)) {
      std::fprintf(stderr, "cannot set %.*s\n", static_cast<int>(assignment.size()),
                   assignment.data());
      return 2;
    }
  }
  if (ValidatePolicy(policy)) {
    std::fprintf(stderr, "policy out of range: %s\n", ValidatePolicy(policy)->c_str());
    return 2;
  }
  Evaluator evaluator(policy);
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << evaluator.Run(line) << '\n';
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) { return vigil::Main(argc, argv); }
