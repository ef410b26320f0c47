// The prompt-injection patterns of docs/detection.md#prompt-injection, matched without a regex
// engine.
//
// Inputs can be 256 KiB per field, so the patterns are small token sequences run by a linear
// matcher instead of std::regex (which recurses per character and can overflow the stack or take
// exponential time). Semantics are those of the spec's regular expressions: `\s` is [\t\n\f\r ],
// `^` and `$` anchor the whole text, matching is ASCII case-insensitive except for
// `instruction_tag`, and there are no word boundaries ("ignore allergies" matches by design).
// Pure, thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace vigil {

// Signatures, in the order the patterns are tried.
inline constexpr std::string_view kInjectionSignatures[] = {
    "instruction_tag", "system_prompt_inject", "jailbreak_dan",
    "developer_mode",  "role_override",        "ignore_instructions",
};

// The signature of the first pattern (table order) that matches anywhere in `text`, or
// std::nullopt. `text` should already be normalised (NormalizeForInjection); this function only
// matches.
std::optional<std::string_view> MatchInjectionPattern(std::string_view text);

}  // namespace vigil
