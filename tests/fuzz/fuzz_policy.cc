// Fuzz target: the policy decoder (PUT /policy). Any input gives a Policy or a Status; an accepted
// policy must survive a round trip through its JSON form unchanged (what GET /policy shows is
// what PUT stored).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/codec/policy_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const char* preset : {"vigil", "mesedi"}) {
    auto policy = vigil::ParsePolicy(body, preset);
    if (!policy.ok()) continue;
    const std::string json = vigil::PolicyToJson(policy.value());
    auto again = vigil::ParsePolicy(json, preset);
    if (!again.ok()) std::abort();
    if (vigil::PolicyToJson(again.value()) != json) std::abort();
  }
  return 0;
}
