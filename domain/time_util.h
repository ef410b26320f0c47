// Timestamps: RFC 3339 in, integer milliseconds UTC inside, `YYYY-MM-DDTHH:MM:SS.mmmZ` out (spec
// docs/api.md#timestamps).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// Parses RFC 3339 (any offset, 0-9 fraction digits, years 1970-9999) into UTC milliseconds;
// extra fraction digits are truncated. Returns nullopt for anything else.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

// Formats UTC milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
std::string FormatRfc3339Ms(int64_t ms);

// Wall-clock now in UTC milliseconds. Only edges (handlers, workers) read the clock; pure code
// takes time as a parameter.
int64_t NowMs();

// Start (00:00:00.000 UTC on the 1st) of the calendar month holding `ms`.
int64_t MonthStartMs(int64_t ms);

}  // namespace vigil
