// Policy JSON (docs/detection.md#policy): nested by detector, every field of detectors/policy.h's
// field table.
#pragma once

#include <string>
#include <string_view>

#include "detectors/policy.h"
#include "domain/status.h"

namespace vigil {

// Parses a PUT /policy body: omitted fields take the values of its `preset` (omitted =>
// `default_preset`). InvalidArgument names the offending field.
Result<Policy> ParsePolicy(std::string_view body, const std::string& default_preset);

// The effective policy, every field.
std::string PolicyToJson(const Policy& policy);

}  // namespace vigil
