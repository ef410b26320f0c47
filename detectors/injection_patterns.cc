#include "detectors/injection_patterns.h"

#include <cstddef>
#include <string>
#include <vector>

namespace vigil {
namespace {

enum class Op {
  kBegin,     // ^ : only at offset 0
  kEnd,       // $ : only at the end of the text
  kLiteral,   // the literal in `text`
  kSpaces1,   // \s+ (greedy)
  kSpaces0,   // \s* (greedy)
  kOptional,  // (text)? : a literal that may be absent
  kOptWord,   // (text\s+)? : a word and its trailing spaces that may both be absent
  kAnyOf,     // (a|b|c) : `text` holds the alternatives separated by '|'
};

struct Token {
  Op op;
  std::string_view text = {};
};

struct Pattern {
  std::string_view signature;
  bool case_sensitive;
  std::vector<Token> tokens;
};

// Greedy \s runs never need to give characters back: in every pattern below a space token is
// followed by nothing, by $, or by a token that cannot start with whitespace. That invariant is
// what keeps matching linear per start offset; keep it when adding patterns.
const std::vector<Pattern>& Patterns() {
  constexpr Token kBegin{Op::kBegin};
  constexpr Token kEnd{Op::kEnd};
  constexpr Token kWs1{Op::kSpaces1};
  constexpr Token kWs0{Op::kSpaces0};
  const auto lit = [](std::string_view text) { return Token{Op::kLiteral, text}; };
  // One row per regular expression of docs/detection.md#prompt-injection, in table order, each
  // under its expression.
  // clang-format off
  static const std::vector<Pattern> patterns = {
      // \[INST\]  \[/INST\]  <<SYS>>  <</SYS>>
      {"instruction_tag", true, {lit("[INST]")}},
      {"instruction_tag", true, {lit("[/INST]")}},
      {"instruction_tag", true, {lit("<<SYS>>")}},
      {"instruction_tag", true, {lit("<</SYS>>")}},
      // <\s*system\s*>  <\|system\|>  ^\s*system\s*:
      {"system_prompt_inject", false, {lit("<"), kWs0, lit("system"), kWs0, lit(">")}},
      {"system_prompt_inject", false, {lit("<|system|>")}},
      {"system_prompt_inject", false, {kBegin, kWs0, lit("system"), kWs0, lit(":")}},
      // do\s+anything\s+now  ^DAN\s*$  act\s+as\s+DAN
      {"jailbreak_dan", false, {lit("do"), kWs1, lit("anything"), kWs1, lit("now")}},
      {"jailbreak_dan", false, {kBegin, lit("DAN"), kWs0, kEnd}},
      {"jailbreak_dan", false, {lit("act"), kWs1, lit("as"), kWs1, lit("DAN")}},
      // developer\s+mode  jailbreak\s+mode  admin\s+mode
      {"developer_mode", false, {lit("developer"), kWs1, lit("mode")}},
      {"developer_mode", false, {lit("jailbreak"), kWs1, lit("mode")}},
      {"developer_mode", false, {lit("admin"), kWs1, lit("mode")}},
      // you\s+are\s+now\s+  from\s+now\s+on,?\s+you
      {"role_override", false, {lit("you"), kWs1, lit("are"), kWs1, lit("now"), kWs1}},
      {"role_override", false,
       {lit("from"), kWs1, lit("now"), kWs1, lit("on"), {Op::kOptional, ","}, kWs1, lit("you")}},
      // ignore\s+(the\s+)?(previous|above|prior|earlier|all)
      {"ignore_instructions", false,
       {lit("ignore"), kWs1, {Op::kOptWord, "the"},
        {Op::kAnyOf, "previous|above|prior|earlier|all"}}},
      // disregard\s+(the|your|all|previous|above)
      {"ignore_instructions", false,
       {lit("disregard"), kWs1, {Op::kAnyOf, "the|your|all|previous|above"}}},
  };
  // clang-format on
  return patterns;
}

bool IsRegexSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Runs one pattern over one text. For case-insensitive patterns the caller passes the text already
// ASCII-lower-cased, so comparing only needs the literal lower-cased.
class Matcher {
 public:
  Matcher(std::string_view text, bool case_sensitive)
      : text_(text), case_sensitive_(case_sensitive) {}

  // Whether tokens[i..] match the text starting at `pos`. Recursion depth is bounded by the
  // number of tokens, never by the text length.
  bool MatchFrom(const std::vector<Token>& tokens, size_t i, size_t pos) const {
    if (i == tokens.size()) return true;
    const Token& token = tokens[i];
    switch (token.op) {
      case Op::kBegin:
        return pos == 0 && MatchFrom(tokens, i + 1, pos);
      case Op::kEnd:
        return pos == text_.size() && MatchFrom(tokens, i + 1, pos);
      case Op::kLiteral:
        return LiteralAt(token.text, pos) && MatchFrom(tokens, i + 1, pos + token.text.size());
      case Op::kSpaces1:
      case Op::kSpaces0: {
        const size_t end = SkipSpaces(pos);
        if (token.op == Op::kSpaces1 && end == pos) return false;
        return MatchFrom(tokens, i + 1, end);
      }
      case Op::kOptional:
        if (LiteralAt(token.text, pos) && MatchFrom(tokens, i + 1, pos + token.text.size())) {
          return true;
        }
        return MatchFrom(tokens, i + 1, pos);
      case Op::kOptWord:
        if (LiteralAt(token.text, pos)) {
          const size_t word_end = pos + token.text.size();
          const size_t end = SkipSpaces(word_end);
          if (end > word_end && MatchFrom(tokens, i + 1, end)) return true;
        }
        return MatchFrom(tokens, i + 1, pos);
      case Op::kAnyOf: {
        std::string_view rest = token.text;
        while (!rest.empty()) {
          const size_t bar = rest.find('|');
          const std::string_view option = rest.substr(0, bar);
          if (LiteralAt(option, pos) && MatchFrom(tokens, i + 1, pos + option.size())) return true;
          if (bar == std::string_view::npos) break;
          rest.remove_prefix(bar + 1);
        }
        return false;
      }
    }
    return false;
  }

  bool Search(const std::vector<Token>& tokens) const {
    if (tokens.empty()) return true;
    if (tokens.front().op == Op::kBegin) return MatchFrom(tokens, 0, 0);
    if (tokens.front().op != Op::kLiteral) {
      for (size_t pos = 0; pos <= text_.size(); ++pos) {
        if (MatchFrom(tokens, 0, pos)) return true;
      }
      return false;
    }
    // Unanchored patterns start with a literal: jump between its occurrences with find() instead
    // of trying every offset.
    std::string first(tokens.front().text);
    if (!case_sensitive_) {
      for (char& c : first) c = AsciiLower(c);
    }
    for (size_t pos = text_.find(first); pos != std::string_view::npos;
         pos = text_.find(first, pos + 1)) {
      if (MatchFrom(tokens, 1, pos + first.size())) return true;
    }
    return false;
  }

 private:
  size_t SkipSpaces(size_t pos) const {
    while (pos < text_.size() && IsRegexSpace(text_[pos])) ++pos;
    return pos;
  }

  bool LiteralAt(std::string_view literal, size_t pos) const {
    if (pos > text_.size() || text_.size() - pos < literal.size()) return false;
    for (size_t k = 0; k < literal.size(); ++k) {
      const char expected = case_sensitive_ ? literal[k] : AsciiLower(literal[k]);
      if (text_[pos + k] != expected) return false;
    }
    return true;
  }

  std::string_view text_;  // ASCII-lower-cased when !case_sensitive_
  bool case_sensitive_;
};

}  // namespace

std::optional<std::string_view> MatchInjectionPattern(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = AsciiLower(c);
  for (const Pattern& pattern : Patterns()) {
    const std::string_view subject = pattern.case_sensitive ? text : std::string_view(lowered);
    if (Matcher(subject, pattern.case_sensitive).Search(pattern.tokens)) return pattern.signature;
  }
  return std::nullopt;
}

}  // namespace vigil
