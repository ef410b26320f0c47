// Instruction-override phrasings in several languages: "forget all previous instructions",
// "Vergiss alles davor", "Oubliez toutes les instructions", "Забудьте все инструкции".
//
// The spec's `ignore_instructions` patterns list English wording only, and the classifier learns
// the languages its training data has. An override is short and formulaic in every language, so a
// small word table catches it where the model would need examples: a verb of forgetting or
// ignoring, then (after at most four determiners and adjectives) a word for instructions or rules;
// or that verb, a word for "everything", and within four words one for "before" or "above". All in
// one sentence, and not right after a negation ("don't forget the instructions" is not an
// override). English, German, French, Spanish, Italian, Portuguese, Dutch and Russian.
//
// Matching is by whole words. Each code point is lower-cased and then folded as
// NormalizeForInjection folds evasion characters, and the word tables go through the same steps
// when built; lower-casing first keeps the two sides equal where the homoglyph table maps only one
// case of a letter (Cyrillic "В" looks like "B", its "в" like no Latin letter). Linear in the
// text. Pure, thread-safe.
#pragma once

#include <string_view>

namespace vigil {

// Whether `text`, as received (not normalised), contains an override phrasing.
bool HasOverridePhrase(std::string_view text);

}  // namespace vigil
