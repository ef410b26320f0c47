#include "detectors/injection_normalize.h"

#include <algorithm>
#include <cstddef>
#include <iterator>

#include "detectors/unicode.h"

namespace vigil {
namespace {

bool IsUnicodeSpace(char32_t cp) {
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Format (Cf) characters and other code points that render as nothing.
bool IsInvisible(char32_t cp) {
  return cp == 0xAD ||                        // soft hyphen
         cp == 0x34F ||                       // combining grapheme joiner
         cp == 0x61C ||                       // Arabic letter mark
         cp == 0x115F || cp == 0x1160 ||      // Hangul fillers
         (cp >= 0x17B4 && cp <= 0x17B5) ||    // Khmer inherent vowels
         (cp >= 0x180B && cp <= 0x180F) ||    // Mongolian free variation selectors, vowel separator
         (cp >= 0x200B && cp <= 0x200F) ||    // zero-width space/non-joiner/joiner, LRM, RLM
         (cp >= 0x202A && cp <= 0x202E) ||    // bidi embeddings and overrides
         (cp >= 0x2060 && cp <= 0x206F) ||    // word joiner, invisible operators, bidi isolates
         cp == 0x3164 ||                      // Hangul filler
         (cp >= 0xFE00 && cp <= 0xFE0F) ||    // variation selectors
         cp == 0xFEFF ||                      // zero-width no-break space (BOM)
         cp == 0xFFA0 ||                      // halfwidth Hangul filler
         (cp >= 0xFFF9 && cp <= 0xFFFB) ||    // interlinear annotation
         (cp >= 0x1D173 && cp <= 0x1D17A) ||  // musical formatting
         (cp >= 0xE0000 && cp <= 0xE007F) ||  // tag characters
         (cp >= 0xE0100 && cp <= 0xE01EF);    // variation selectors supplement
}

// Cyrillic, Greek and letter-like code points that render like a Latin letter, sorted by code
// point for binary search. The list is deliberately limited to shapes that are near-identical in
// common fonts; folding every vaguely similar letter would turn ordinary Russian or Greek text
// into Latin noise.
struct Homoglyph {
  char32_t cp;
  char latin;
};
// clang-format off
constexpr Homoglyph kHomoglyphs[] = {
    // Latin dotless ı.
    {0x0131, 'i'},
    // Greek capitals Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ.
    {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'}, {0x0399, 'I'},
    {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'}, {0x03A1, 'P'}, {0x03A4, 'T'},
    {0x03A5, 'Y'}, {0x03A7, 'X'},
    // Greek small α ι κ ν ο ρ υ χ, lunate sigma ϲ, yot ϳ, capital lunate sigma Ϲ.
    {0x03B1, 'a'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'},
    {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03F2, 'c'}, {0x03F3, 'j'}, {0x03F9, 'C'},
    // Cyrillic capitals Ѕ І Ј А В Е К М Н О Р С Т У Х.
    {0x0405, 'S'}, {0x0406, 'I'}, {0x0408, 'J'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'},
    {0x041A, 'K'}, {0x041C, 'M'}, {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'},
    {0x0422, 'T'}, {0x0423, 'Y'}, {0x0425, 'X'},
    // Cyrillic small а е о р с у х ѕ і ј.
    {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
    {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'},
    // Cyrillic Ү ү Һ һ Ӏ ӏ ԁ Ԛ ԛ Ԝ ԝ.
    {0x04AE, 'Y'}, {0x04AF, 'y'}, {0x04BA, 'H'}, {0x04BB, 'h'}, {0x04C0, 'I'}, {0x04CF, 'l'},
    {0x0501, 'd'}, {0x051A, 'Q'}, {0x051B, 'q'}, {0x051C, 'W'}, {0x051D, 'w'},
    // Letter-like symbols, several of which fill the gaps of the mathematical alphabets:
    // ℂ ℊ ℋ ℌ ℍ ℎ ℐ ℑ ℒ ℓ ℕ ℙ ℚ ℛ ℜ ℝ ℤ ℨ ℬ ℭ ℯ ℰ ℱ ℳ ℴ ℹ.
    {0x2102, 'C'}, {0x210A, 'g'}, {0x210B, 'H'}, {0x210C, 'H'}, {0x210D, 'H'}, {0x210E, 'h'},
    {0x2110, 'I'}, {0x2111, 'I'}, {0x2112, 'L'}, {0x2113, 'l'}, {0x2115, 'N'}, {0x2119, 'P'},
    {0x211A, 'Q'}, {0x211B, 'R'}, {0x211C, 'R'}, {0x211D, 'R'}, {0x2124, 'Z'}, {0x2128, 'Z'},
    {0x212C, 'B'}, {0x212D, 'C'}, {0x212F, 'e'}, {0x2130, 'E'}, {0x2131, 'F'}, {0x2133, 'M'},
    {0x2134, 'o'}, {0x2139, 'i'},
};
// clang-format on

// Styled Latin letters that "fancy text" generators substitute for plain ones: small capitals
// (ᴀ ʙ ᴄ ...; ǫ stands in for q) and the modifier and superscript small letters of "tiny text"
// (ᵃ ᵇ ᶜ ...). Sorted by code point.
// clang-format off
constexpr Homoglyph kStyledLetters[] = {
    {0x01EB, 'q'}, {0x0262, 'g'}, {0x026A, 'i'}, {0x0274, 'n'}, {0x0280, 'r'}, {0x028F, 'y'},
    {0x0299, 'b'}, {0x029C, 'h'}, {0x029F, 'l'}, {0x02B0, 'h'}, {0x02B2, 'j'}, {0x02B3, 'r'},
    {0x02B7, 'w'}, {0x02B8, 'y'}, {0x02E1, 'l'}, {0x02E2, 's'}, {0x02E3, 'x'}, {0x1D00, 'a'},
    {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0x1D0A, 'j'}, {0x1D0B, 'k'}, {0x1D0D, 'm'},
    {0x1D0F, 'o'}, {0x1D18, 'p'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'}, {0x1D21, 'w'},
    {0x1D22, 'z'}, {0x1D43, 'a'}, {0x1D47, 'b'}, {0x1D48, 'd'}, {0x1D49, 'e'}, {0x1D4D, 'g'},
    {0x1D4F, 'k'}, {0x1D50, 'm'}, {0x1D52, 'o'}, {0x1D56, 'p'}, {0x1D57, 't'}, {0x1D58, 'u'},
    {0x1D5B, 'v'}, {0x1D9C, 'c'}, {0x1DA0, 'f'}, {0x1DBB, 'z'}, {0x2071, 'i'}, {0x207F, 'n'},
    {0xA730, 'f'}, {0xA731, 's'}, {0xA7AF, 'q'},
};
// clang-format on

// Whole alphabets of enclosed or boxed letters, each 26 code points from `first` in the order
// A-Z (or a-z): ⒜ Ⓐ ⓐ, and the squared, circled and parenthesised capitals (🄐 🄰 🅐 🅰) and the
// regional indicators (🇦) of the supplement.
struct Alphabet {
  char32_t first;
  char a;  // the letter `first` stands for: 'A' or 'a'
};
constexpr Alphabet kAlphabets[] = {
    {0x249C, 'a'},  {0x24B6, 'A'},  {0x24D0, 'a'},  {0x1F110, 'A'},
    {0x1F130, 'A'}, {0x1F150, 'A'}, {0x1F170, 'A'}, {0x1F1E6, 'A'},
};

template <size_t N>
constexpr bool IsSortedByCodePoint(const Homoglyph (&table)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (table[i - 1].cp >= table[i].cp) return false;
  }
  return true;
}
static_assert(IsSortedByCodePoint(kHomoglyphs), "kHomoglyphs must be sorted for binary search");
static_assert(IsSortedByCodePoint(kStyledLetters), "kStyledLetters must be sorted");

template <size_t N>
char Lookup(const Homoglyph (&table)[N], char32_t cp) {
  const Homoglyph* end = std::end(table);
  const Homoglyph* it = std::lower_bound(
      std::begin(table), end, cp, [](const Homoglyph& h, char32_t key) { return h.cp < key; });
  return (it != end && it->cp == cp) ? it->latin : '\0';
}

char LatinTwin(char32_t cp) {
  for (const Alphabet& alphabet : kAlphabets) {
    if (cp >= alphabet.first && cp < alphabet.first + 26) {
      return static_cast<char>(alphabet.a + (cp - alphabet.first));
    }
  }
  if (char latin = Lookup(kHomoglyphs, cp)) return latin;
  return Lookup(kStyledLetters, cp);
}

}  // namespace

char32_t NormalizeInjectionCodePoint(char32_t cp) {
  if (cp < 0x80) return cp;
  if (IsUnicodeSpace(cp)) return ' ';
  if (IsInvisible(cp)) return 0;
  // Fullwidth forms of the printable ASCII range.
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFF01 + 0x21;
  // Mathematical alphanumeric Latin: 13 alphabets of 52 letters (A-Z, a-z) from U+1D400. The code
  // points left unassigned in Unicode (their letters live among the letter-like symbols) fall in
  // the same arithmetic and map harmlessly.
  if (cp >= 0x1D400 && cp <= 0x1D6A3) {
    const char32_t index = (cp - 0x1D400) % 52;
    return index < 26 ? 'A' + index : 'a' + (index - 26);
  }
  if (cp == 0x1D6A4) return 'i';  // mathematical italic dotless i
  if (cp == 0x1D6A5) return 'j';  // mathematical italic dotless j
  // Mathematical digits: 5 styles of 0-9 from U+1D7CE.
  if (cp >= 0x1D7CE && cp <= 0x1D7FF) return '0' + (cp - 0x1D7CE) % 10;
  if (char latin = LatinTwin(cp)) return static_cast<unsigned char>(latin);
  return cp;
}

std::string NormalizeForInjection(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {  // ASCII is never changed
      out.push_back(static_cast<char>(byte));
      ++pos;
      continue;
    }
    const char32_t mapped = NormalizeInjectionCodePoint(DecodeUtf8(text, &pos));
    if (mapped != 0) AppendUtf8(mapped, &out);
  }
  return out;
}

}  // namespace vigil
