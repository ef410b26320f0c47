#include "server/transparency/entry_builder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/limits.h"

namespace vigil {
namespace entry_builder_test {

// An llm_call whose model name is `model`, as storage returns it.
Event CallWithModel(int64_t row, const std::string& model) {
  Event e;
  e.event_id = "evt-" + std::to_string(row);
  e.execution_id = "exec-1";
  e.event_type = "llm_call";
  e.sequence = row;
  e.arrival = row;
  e.payload_json = "{\"model\":\"" + model + "\"}";
  return e;
}

TEST_CASE("an entry stays within a tile bundle's 65535 bytes whatever model names a client sends") {
  Execution execution;
  execution.execution_id = "exec-1";
  std::vector<Event> events;
  // Distinct long names made of escaped control characters, six canonical bytes each.
  for (int i = 0; i < 100; ++i) {
    std::string model = std::to_string(i) + "-";
    for (int j = 0; j < 2000; ++j) model += "\\u0001";
    events.push_back(CallWithModel(i + 1, model));
  }
  const tlog::ExecutionEntry entry =
      BuildExecutionEntry("proj-1", execution, events, LastEventRow(events), {}, "");
  CHECK(entry.models.size() == limits::kMaxSealedModels);
  for (const std::string& m : entry.models) CHECK(m.size() <= limits::kMaxSealedModelBytes);
  CHECK(entry.event_count == 100);
  CHECK(tlog::EntryBytes(entry).size() <= tlog::kMaxEntryBytes);
}

TEST_CASE("a model name within the bound is listed unchanged") {
  Execution execution;
  execution.execution_id = "exec-1";
  const std::vector<Event> events = {CallWithModel(1, "gpt-4o"), CallWithModel(2, "gpt-4o")};
  const tlog::ExecutionEntry entry =
      BuildExecutionEntry("proj-1", execution, events, LastEventRow(events), {}, "");
  CHECK(entry.models == std::vector<std::string>{"gpt-4o"});
}

}  // namespace entry_builder_test
}  // namespace vigil
