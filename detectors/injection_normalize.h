// Evasion-resistant normalisation of text before prompt-injection matching
// (docs/detection.md#prompt-injection).
//
// Attackers dodge literal patterns with characters that look the same to a model but not to a
// byte matcher. NormalizeForInjection folds those back so "Ｉｇｎｏｒｅ ａｌｌ", a Cyrillic "о",
// an NBSP or a zero-width space between letters cannot slip past. Plain ASCII is returned
// unchanged, so results on ASCII text are exactly those of the raw patterns. Only the injection
// detector uses this; the trigram detectors keep their exact rules.
//
// Mapping, per code point:
//  * Unicode space separators (NBSP, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000) and the
//    line/paragraph separators U+2028/U+2029 -> ASCII space;
//  * zero-width and other invisible format characters (soft hyphen, U+200B-U+200F, bidi controls,
//    word joiners, BOM, tag characters, variation selectors, ...) -> removed;
//  * fullwidth ASCII (U+FF01-U+FF5E, so letters, digits and brackets) -> ASCII;
//  * mathematical alphanumeric Latin letters and digits (U+1D400-U+1D7FF) and the letter-like
//    symbols that fill their gaps (ℎ, ℬ, ℰ, ...) -> ASCII;
//  * common Cyrillic and Greek homoglyphs of Latin letters (а е о р с у х і ј ѕ, Α Β Ε Ι Κ Μ Ν Ο
//    Ρ Τ Χ, ...) -> their Latin twins.
//  * the styled letters of "fancy text": small capitals (ᴀ ʙ ᴄ), modifier and superscript small
//    letters (ᵃ ᵇ ᶜ), parenthesised, circled and squared letters (⒜ Ⓐ ⓐ 🄐 🄰 🅐 🅰) and regional
//    indicators (🇦) -> plain letters (a flag's pair of indicators reads as its two letters).
// Invalid UTF-8 bytes become U+FFFD; the function never fails. Pure, thread-safe.
// Not covered: combining marks over letters, other scripts' look-alikes (Armenian, Cherokee),
// letters spelled with spaces or punctuation between them, and paraphrases.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

std::string NormalizeForInjection(std::string_view text);

// The replacement for one code point: the ASCII/Latin twin, ' ' for spaces, 0 when the code point
// is to be removed, or `cp` itself when it is left alone. Exposed for tests.
char32_t NormalizeInjectionCodePoint(char32_t cp);

}  // namespace vigil
