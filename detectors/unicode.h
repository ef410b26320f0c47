// Small UTF-8 and case helpers for the detectors.
//
// The detectors read user text that the JSON codec has already validated, but they must never crash
// or loop on malformed bytes, so decoding here is total: any invalid or truncated sequence yields
// U+FFFD and consumes exactly one byte. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at `*pos` and advances `*pos` past it.
// REQUIRES: *pos < text.size().
// Overlong forms, surrogates, values above U+10FFFF and truncated sequences decode as U+FFFD
// with `*pos` advanced by one byte.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

// Appends the UTF-8 encoding of `cp` (U+FFFD for surrogates or values above U+10FFFF).
void AppendUtf8(char32_t cp, std::string* out);

// Simple (one-to-one) Unicode lower-casing for the scripts agents' text mostly uses: ASCII,
// Latin-1, Latin Extended-A, most of Latin Extended-B, Latin Extended Additional, Greek, Cyrillic
// (with Cyrillic Supplement), Armenian and fullwidth Latin. Other code points are returned as is.
// Known limits, accepted because trigram distances only need to be stable, not linguistic:
// no context-sensitive rules (Greek final sigma stays σ), İ (U+0130) lower-cases to plain `i`
// rather than Python's two-code-point "i̇", and scripts outside the table (Georgian, Cherokee,
// Deseret, ...) keep their case.
char32_t LowerCodePoint(char32_t cp);

// LowerCodePoint applied to every code point of `text` (invalid bytes become U+FFFD).
std::string LowerUtf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence (a cut never splits a character).
std::string_view CutUtf8(std::string_view text, size_t max_bytes);

// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view TrimAsciiSpace(std::string_view text);

}  // namespace vigil
