// Fuzz target: the ingest JSON decoders (POST /events and POST/PATCH /executions bodies) and the
// payload field extractor the detectors read. Any input must give a value or a Status; whatever
// is accepted must satisfy the limits the storage layer relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/codec/json_codec.h"
#include "server/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto batch = vigil::ParseEventBatch(body, 1778780022123, true);
  if (batch.ok()) {
    if (batch->total > vigil::limits::kMaxEventsPerBatch) std::abort();
    if (batch->events.size() + batch->errors.size() < batch->total) std::abort();
    for (const vigil::Event& e : batch->events) {
      if (e.event_id.empty() || e.event_id.size() > vigil::limits::kMaxIdBytes) std::abort();
      if (e.execution_id.empty() || e.execution_id.size() > vigil::limits::kMaxIdBytes) {
        std::abort();
      }
      if (e.payload_json.size() > vigil::limits::kMaxPayloadBytes) std::abort();
      vigil::ExtractPayloadFields(e.payload_json);
    }
  }
  std::string project_id;
  auto patch = vigil::ParseExecutionBody(body, &project_id);
  if (patch.ok() && patch->execution_id.size() > vigil::limits::kMaxIdBytes) std::abort();
  vigil::ExtractPayloadFields(body);
  vigil::ParseOptionalStringField(body, "name");
  return 0;
}
