#include "detectors/override_phrases.h"

#include <algorithm>
#include <bitset>
#include <initializer_list>
#include <string>
#include <vector>

#include "detectors/injection_normalize.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

// One code point as the tables and the text are compared: lower-cased, folded like the patterns
// fold evasion characters, and lower-cased again (a fold may yield an upper-case twin).
char32_t Fold(char32_t cp) {
  return LowerCodePoint(NormalizeInjectionCodePoint(LowerCodePoint(cp)));
}

std::string FoldWord(std::string_view word) {
  std::string out;
  for (size_t pos = 0; pos < word.size();) AppendUtf8(Fold(DecodeUtf8(word, &pos)), &out);
  return out;
}

// A sorted table of folded words, built once from space-separated lists.
class WordTable {
 public:
  explicit WordTable(std::initializer_list<std::string_view> lists) {
    for (std::string_view list : lists) {
      while (!list.empty()) {
        const size_t space = list.find(' ');
        if (space != 0) words_.push_back(FoldWord(list.substr(0, space)));
        if (space == std::string_view::npos) break;
        list.remove_prefix(space + 1);
      }
    }
    std::sort(words_.begin(), words_.end());
    for (const std::string& word : words_) starts_.set(FirstTwo(word));
  }

  bool Has(std::string_view word) const {
    return starts_.test(FirstTwo(word)) && std::binary_search(words_.begin(), words_.end(), word);
  }

  bool HasPrefixOf(std::string_view word) const {
    return std::any_of(words_.begin(), words_.end(), [word](const std::string& prefix) {
      return word.substr(0, prefix.size()) == prefix;
    });
  }

 private:
  // The first two bytes of a word: most words of a text share them with no word of the table,
  // which this bitmap tells without a search.
  static size_t FirstTwo(std::string_view word) {
    const auto at = [&](size_t i) { return i < word.size() ? static_cast<uint8_t>(word[i]) : 0u; };
    return at(0) << 8 | at(1);
  }

  std::vector<std::string> words_;
  std::bitset<1 << 16> starts_;
};

// The word tables, one line per language: English, German, French, Spanish, Italian, Portuguese,
// Dutch, Russian. Verbs are the imperative and infinitive forms an override is written in.
struct Tables {
  WordTable verbs{
      "ignore disregard forget override bypass",
      "ignoriere ignorieren ignoriert ignorier vergiss vergesst vergessen missachte missachtet "
      "missachten abweichend",
      "oublie oubliez oublies ignorez",
      "olvida olvide olviden olvidad olvides ignora ignoren ignorad",
      "dimentica dimenticate dimenticare ignorate ignorare",
      "esqueça esqueca esqueçam esquecam esquece",
      "vergeet negeer",
      "забудь забудьте игнорируй игнорируйте проигнорируй проигнорируйте"};
  // What may stand between the verb and its object: determiners, possessives, "previous".
  WordTable fillers{
      "all any every the your my our previous prior above earlier preceding original initial "
      "existing current these those of system",
      "alle alles die der den deine deinen ihre ihren eure sämtliche vorherigen vorherige vorigen "
      "bisherigen bisherige obigen früheren vorangegangenen zu von",
      "toutes tous tout les vos tes ces précédentes précédents",
      "todas todos todo las los tus sus estas esas anteriores previas",
      "tutte tutti tutto le tue sue queste precedenti",
      "as os suas tuas",
      "al de je jouw uw vorige eerdere",
      "все всё свои твои ваши предыдущие прошлые эти"};
  // Word beginnings that name instructions or rules.
  WordTable objects{"instruction rule guideline directive prompt programming restriction guardrail",
                    "anweisung instruktion regel vorgabe befehl richtlinie",
                    "consigne règle",
                    "instruccion instrucción regla indicacion indicación directriz",
                    "istruzion regol indicazion direttiv",
                    "instruç instruc regra diretriz",
                    "instructie richtlijn",
                    "инструкци правил указани"};
  WordTable everything{"everything all alles tout todo tutto tudo всё все"};
  WordTable before{"before above previously prior earlier said told",
                   "davor vorher zuvor oben bisher gesagt",
                   "avant précède précédemment dit",
                   "antes anterior dicho",
                   "prima precedente detto",
                   "eerder hierboven gezegd",
                   "выше ранее раньше сказал"};
  // Words after which a verb is still an order: "please forget", "now ignore", "you must ignore".
  // A verb after any other word ("drivers who ignore the rules", "don't forget the instructions")
  // is not read as an override.
  WordTable leads{
      "please now just and then so but also first simply ok okay must should will you'll shall",
      "bitte jetzt nun und dann musst müssen sollst sollen",
      "maintenant et puis devez dois",
      "ahora y luego debes debe",
      "ora e poi devi deve",
      "agora então",
      "nu en dan moet",
      "теперь и пожалуйста должен должны"};
};

const Tables& OverrideTables() {
  static const Tables tables;
  return tables;
}

// A word of the sentence being read: where it lies in the sentence's folded text.
struct WordSpan {
  size_t offset;
  size_t size;
  bool clause_initial;  // first word of its sentence, or right after a comma, quote or dash
};

// Whether one sentence (its folded words, one after another, and where each lies) holds an
// override.
bool SentenceHasOverride(std::string_view folded, const std::vector<WordSpan>& words) {
  const Tables& t = OverrideTables();
  constexpr size_t kMaxFillers = 4;
  constexpr size_t kMaxGapToBefore = 4;
  const auto text = [&](size_t i) { return folded.substr(words[i].offset, words[i].size); };
  for (size_t i = 0; i < words.size(); ++i) {
    if (!t.verbs.Has(text(i))) continue;
    if (!words[i].clause_initial && (i == 0 || !t.leads.Has(text(i - 1)))) continue;
    size_t j = i + 1;
    while (j < words.size() && j - i - 1 < kMaxFillers && t.fillers.Has(text(j))) ++j;
    if (j < words.size() && t.objects.HasPrefixOf(text(j))) return true;
    if (i + 1 < words.size() && t.everything.Has(text(i + 1))) {
      const size_t end = std::min(words.size(), i + 2 + kMaxGapToBefore);
      for (size_t k = i + 2; k < end; ++k) {
        if (t.before.Has(text(k))) return true;
      }
    }
  }
  return false;
}

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return cp >= 'a' && cp <= 'z';
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == kReplacementChar) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, arrows, symbols
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  return !(cp >= 0xFF00 && cp <= 0xFF0F);
}

bool IsSentenceEnd(char32_t cp) {
  return cp == '.' || cp == '!' || cp == '?' || cp == ';' || cp == ':' || cp == '\n' ||
         cp == 0x3002;
}

bool IsApostrophe(char32_t cp) { return cp == '\'' || cp == 0x2019 || cp == 0x02BC; }

}  // namespace

bool HasOverridePhrase(std::string_view text) {
  std::string folded;  // the current sentence's words, folded, one after another
  std::vector<WordSpan> spans;
  const auto sentence_has_override = [&] {
    const bool found = SentenceHasOverride(folded, spans);
    spans.clear();
    folded.clear();
    return found;
  };
  size_t word_start = std::string::npos;
  bool clause_initial = true;
  bool apostrophe = false;
  const auto end_word = [&] {
    if (word_start != std::string::npos) {
      spans.push_back({word_start, folded.size() - word_start, clause_initial});
      clause_initial = false;
    }
    word_start = std::string::npos;
    apostrophe = false;
  };
  for (size_t pos = 0; pos < text.size();) {
    // ASCII folds to its lower case; only other code points need the tables.
    char32_t cp = static_cast<unsigned char>(text[pos]);
    if (cp < 0x80) {
      ++pos;
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    } else {
      cp = Fold(DecodeUtf8(text, &pos));
      if (cp == 0) continue;  // invisible: removed, as NormalizeForInjection removes it
    }
    if (IsLetter(cp)) {
      if (word_start == std::string::npos) word_start = folded.size();
      if (apostrophe) folded.push_back('\'');
      apostrophe = false;
      if (cp < 0x80) {
        folded.push_back(static_cast<char>(cp));
      } else {
        AppendUtf8(cp, &folded);
      }
      continue;
    }
    if (IsApostrophe(cp) && word_start != std::string::npos && !apostrophe) {
      apostrophe = true;
      continue;
    }
    end_word();
    if (IsSentenceEnd(cp)) {
      if (sentence_has_override()) return true;
      clause_initial = true;
    } else if (cp != ' ' && cp != '\t' && cp != '\r') {
      clause_initial = true;  // a comma, quote, dash or bracket opens a clause
    }
  }
  end_word();
  return sentence_has_override();
}

}  // namespace vigil
