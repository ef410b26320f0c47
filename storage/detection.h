// Detection state of a project: the snapshot a detection pass reads, the history the drift
// detectors compare against, findings, failure groups and the project's policy.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. Executions are named here
// by their row id (DetectionInput::row_id): a pass loads one and writes its findings back, usually
// in the same write job. A project has one failure group per (failure_class, signature), named by
// group_id: the caller derives group_id from those two, so a given group_id always comes with the
// same pair. A group's lifecycle state (open, resolved, muted) is stored on it as a word of the
// `state` column; the words live only in storage/detection.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// --- what a pass reads ---
// The execution with every stored event (by sequence, then arrival), its stored event count and
// its revision; nullopt when the project has no such execution.
Result<std::optional<DetectionInput>> LoadForDetection(Txn& txn, int64_t project,
                                                       const std::string& execution_id);
// What a reader does with an event `prepare` has just seen.
enum class EventRead {
  kKeep,  // keep it, as `prepare` left it
  kDrop,  // leave it out and read on
  kStop,  // leave it out and read no further
};
// The same, with each event passed through `prepare` as it is read (before the next is read), so
// a pass that keeps only part of each event, or only some events, never holds every event whole.
// With `skip_terminal_events`, a terminal execution comes without its events (the live pass does
// not look at them).
Result<std::optional<DetectionInput>> LoadForDetection(
    Txn& txn, int64_t project, const std::string& execution_id,
    const std::function<EventRead(Event&)>& prepare, bool skip_terminal_events = false);
// The execution's stored event count, 0 when the project has no such execution: one indexed read,
// for a pass to size its memory before it reads the events.
Result<int64_t> EventCount(Txn& txn, int64_t project, const std::string& execution_id);
// The execution's current revision (bumped by every write to it or its events): a pass that read
// an older one is stale. nullopt when it no longer exists.
Result<std::optional<int64_t>> Revision(Txn& txn, int64_t project, int64_t row);
// Distinct models used by the project's other executions (not `exclude_row`) in
// [since_ms, until_ms]; only by those named `name` when it is not empty.
Result<std::vector<std::string>> HistoryModels(Txn& txn, int64_t project, int64_t exclude_row,
                                               int64_t since_ms, int64_t until_ms,
                                               const std::string& name = std::string());
// The project's completed executions other than `exclude_row` that started in
// [since_ms, until_ms], only those named `name` when it is not empty, counted up to `at_most`
// (the scan stops there).
Result<int64_t> CountCompleted(Txn& txn, int64_t project, int64_t exclude_row,
                               const std::string& name, int64_t since_ms, int64_t until_ms,
                               int64_t at_most);
// The baseline samples of `name` (not empty): the project's at most `limit` most recently started
// completed executions of that name, newest first.
Result<std::vector<BaselineSample>> BaselineSamples(Txn& txn, int64_t project,
                                                    const std::string& name, int64_t limit);
// Non-empty user messages of the project's other executions' llm_call events with timestamps in
// [since_ms, until_ms], newest stored first, at most `max_messages`.
Result<std::vector<std::string>> HistoryMessages(Txn& txn, int64_t project, int64_t exclude_row,
                                                 int64_t since_ms, int64_t until_ms,
                                                 int64_t max_messages);

// --- findings and groups ---
// The execution's findings by priority.
Result<std::vector<StoredFinding>> LoadFindings(Txn& txn, int64_t project, int64_t row);
// Deletes the execution's finding of `detector`, if it has one.
Status DeleteFinding(WriteTxn& txn, int64_t project, int64_t row, const std::string& detector);
// Stores (or replaces) the execution's finding of `f.detector` and updates its group:
//   - no such group yet: creates it, open (first_seen = last_seen = f.detected_at_ms, sample =
//     `execution_id`): kCreated;
//   - otherwise moves the group's last_seen forward (never back) and, when the group is resolved
//     and this execution held no finding in it before this call (the failure recurred in another
//     execution), reopens it, changed by "system" at f.detected_at_ms: kRegressed;
//   - else kNone. A muted group stays muted and keeps counting.
// Internal when the project has another group_id for the same (failure_class, signature).
Result<GroupChange> PutFinding(WriteTxn& txn, int64_t project, int64_t row,
                               const std::string& execution_id, const StoredFinding& f);
// Sets the execution's failure_group_id to `group_id` ("" = none).
Status SetPrimaryGroup(WriteTxn& txn, int64_t project, int64_t row, const std::string& group_id);
Status SetEstimatedCost(WriteTxn& txn, int64_t project, int64_t row, double cost_usd);
// One page of the project's groups (of every state), most recently seen first; affected
// executions and wasted cost are counted on read.
Result<std::vector<FailureGroupRow>> ListFailureGroups(Txn& txn, int64_t project, int64_t limit,
                                                       int64_t offset);
// The same, of the groups in `state` only (nullopt: every state).
Result<std::vector<FailureGroupRow>> ListFailureGroups(Txn& txn, int64_t project,
                                                       std::optional<GroupState> state,
                                                       int64_t limit, int64_t offset);
// nullopt when the project has no such group.
Result<std::optional<FailureGroupRow>> GetFailureGroup(Txn& txn, int64_t project,
                                                       const std::string& group_id);
// Moves the project's group `group_id` to `to`, recording `now_ms` and `actor` (who moved it) as
// when and by whom its state changed. A group already in `to` is left as it is, its record too.
// Returns the state the group had before, or nullopt when the project has no such group.
Result<std::optional<GroupState>> SetGroupState(WriteTxn& txn, int64_t project,
                                                const std::string& group_id, GroupState to,
                                                const std::string& actor, int64_t now_ms);

// --- policy ---
// Stores the project's policy document (JSON, validated by the caller), replacing any.
Status PutPolicy(WriteTxn& txn, int64_t project, const std::string& policy_json, int64_t now_ms);
// The project's stored policy; "" when it has none.
Result<std::string> GetPolicy(Txn& txn, int64_t project);

}  // namespace vigil::storage
