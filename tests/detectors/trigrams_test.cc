#include "detectors/trigrams.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include "detectors/unicode.h"

namespace vigil {
namespace {

std::map<std::string, int64_t> Sorted(const TrigramBag& bag) {
  std::map<std::string, int64_t> counts;
  for (const auto& [key, count] : bag.entries) counts[TrigramText(key)] = count;
  return counts;
}

TEST_CASE("Trigrams matches the spec's bag vectors") {
  using Bag = std::map<std::string, int64_t>;
  // Two punctuation characters in a window drop it: "i!!" and "!! " are skipped.
  CHECK(Sorted(Trigrams("Hi!! you")) == Bag{{"hi!", 1}, {"! y", 1}, {" yo", 1}, {"you", 1}});
  // Whitespace runs collapse to one space, leading and trailing ones included.
  CHECK(Sorted(Trigrams("  Ab\t\tc ")) == Bag{{" ab", 1}, {"ab ", 1}, {"b c", 1}, {" c ", 1}});
  // Non-ASCII letters are punctuation, but a single one per window is kept.
  CHECK(Sorted(Trigrams("café")) == Bag{{"caf", 1}, {"afé", 1}});
  CHECK(Trigrams("ab").empty());
  CHECK(Trigrams("").empty());
}

TEST_CASE("Trigrams counts repeats and adds bags of several strings without joining them") {
  CHECK(Sorted(Trigrams("aaaa")) == std::map<std::string, int64_t>{{"aaa", 2}});
  // "de" is too short: it adds nothing, and never forms "cde" with the previous string.
  const TrigramBag bag = CombinedTrigrams({"abc", "abc", "de"});
  CHECK(Sorted(bag) == std::map<std::string, int64_t>{{"abc", 2}});
  CHECK(bag.Count("abc") == 2);
  CHECK(bag.Count("cde") == 0);
  CHECK(bag.norm == 2.0);
}

TEST_CASE("Trigrams lower-cases Latin, Greek and Cyrillic letters") {
  CHECK(Sorted(Trigrams("ÀÉÎ")) == Sorted(Trigrams("àéî")));
  CHECK(Sorted(Trigrams("ΑΒΓ")) == Sorted(Trigrams("αβγ")));
  CHECK(Sorted(Trigrams("ПРИВЕТ")) == Sorted(Trigrams("привет")));
  CHECK(Sorted(Trigrams("ЁЖ Ї")) == Sorted(Trigrams("ёж ї")));
}

TEST_CASE("CosineDistance matches the spec's vectors") {
  CHECK(CosineDistance(Trigrams("abcd"), Trigrams("abce")) == doctest::Approx(0.5).epsilon(1e-12));
  const double d = CosineDistance(Trigrams("Fetch user 1234 at 2026-05-15T10:00:00Z"),
                                  Trigrams("Fetch user 1234 at 2026-05-15T10:00:01Z"));
  CHECK(d == doctest::Approx(0.0497030).epsilon(1e-6));
}

TEST_CASE("CosineDistance is 1 for an empty bag and 0 for identical bags") {
  CHECK(CosineDistance(Trigrams(""), Trigrams("abc")) == 1.0);
  CHECK(CosineDistance(Trigrams("abc"), Trigrams("ab")) == 1.0);
  CHECK(CosineDistance(Trigrams("hello world"), Trigrams("hello world")) ==
        doctest::Approx(0.0).epsilon(1e-12));
  CHECK(CosineDistance(Trigrams("abc"), Trigrams("xyz")) == 1.0);
}

TEST_CASE("TopTrigrams orders by count descending then trigram byte-wise") {
  const TrigramBag bag = CombinedTrigrams({"zzzz", "abc", "abd"});  // "zzz" twice
  const auto top = TopTrigrams(bag, 16);
  REQUIRE(top.size() == 3);
  CHECK(top[0] == "zzz");
  CHECK(top[1] == "abc");
  CHECK(top[2] == "abd");
  CHECK(TopTrigrams(bag, 1) == std::vector<std::string>{"zzz"});
}

TEST_CASE("Trigrams never fails on invalid UTF-8") {
  const std::string invalid =
      std::string("ab\xff\xfe") + "cd\xc3" + "\xe2\x82" + "ef\xf4\x90\x80\x80";
  const TrigramBag bag = Trigrams(invalid);
  CHECK_FALSE(bag.empty());
  CHECK(bag.Count("\xef\xbf\xbd"
                  "cd") == 1);  // each bad byte became U+FFFD
}

TEST_CASE("Trigram keys order like the UTF-8 bytes of the trigrams") {
  // Byte-wise "zzz" < "zéa" < "z一a" (0x7A < 0xC3 < 0xE4), as are their code points.
  const TrigramBag bag =
      CombinedTrigrams({"z\xc3\xa9"
                        "a",
                        "z\xe4\xb8\x80"
                        "a",
                        "zzz"});
  std::vector<std::string> texts;
  for (const auto& [key, count] : bag.entries) texts.push_back(TrigramText(key));
  CHECK(std::is_sorted(texts.begin(), texts.end()));
  CHECK(texts.size() == 3);
}

TEST_CASE("DecodeUtf8 replaces every malformed sequence by U+FFFD one byte at a time") {
  struct Case {
    std::string bytes;
    char32_t first;
    size_t consumed;
  };
  const Case cases[] = {
      {"A", 'A', 1},
      {"\xc3\xa9", 0xE9, 2},
      {"\xe2\x82\xac", 0x20AC, 3},
      {"\xf0\x9f\x98\x80", 0x1F600, 4},
      {"\xc0\xaf", kReplacementChar, 1},          // overlong '/'
      {"\xed\xa0\x80", kReplacementChar, 1},      // surrogate
      {"\xf4\x90\x80\x80", kReplacementChar, 1},  // above U+10FFFF
      {"\xe2\x82", kReplacementChar, 1},          // truncated
      {"\x80", kReplacementChar, 1},              // lone continuation
      {"\xc3(", kReplacementChar, 1},             // bad continuation
  };
  for (const Case& c : cases) {
    size_t pos = 0;
    CHECK(DecodeUtf8(c.bytes, &pos) == c.first);
    CHECK(pos == c.consumed);
  }
}

TEST_CASE("LowerUtf8 lower-cases the supported scripts and leaves the rest") {
  CHECK(LowerUtf8("GPT-4o-Mini") == "gpt-4o-mini");
  CHECK(LowerUtf8("ÄÖÜ ŁŻŚ Ÿ") == "äöü łżś ÿ");
  CHECK(LowerUtf8("ΣΟΦΙΑ Ά") == "σοφια ά");
  CHECK(LowerUtf8("ЖУРНАЛ Ђ") == "журнал ђ");
  CHECK(LowerUtf8("日本語 ß ×") == "日本語 ß ×");
}

}  // namespace
}  // namespace vigil
