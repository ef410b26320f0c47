#include "server/detection/judged_events.h"

#include <string>

#include "server/codec/json_codec.h"
#include "server/detection/live_cache.h"

namespace vigil {

storage::EventRead FinalPassEvents::Take(Event& e) {
  // The payload's fields are all the detectors read; the payload itself and the event's ids go.
  e.fields = ExtractPayloadFields(e.payload_json);
  std::string().swap(e.payload_json);
  std::string().swap(e.event_id);
  std::string().swap(e.execution_id);
  const size_t bytes = sizeof(Event) + EventHeapBytes(e);
  full_ = full_ || kept_ == max_events_ || bytes_ + bytes > max_bytes_;
  if (!full_) {
    ++kept_;
    bytes_ += bytes;
    return storage::EventRead::kKeep;
  }
  ++left_out_;
  left_out_cost_.Add(e);
  return storage::EventRead::kDrop;
}

}  // namespace vigil
