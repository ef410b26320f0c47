// Playbooks (docs/detection.md#playbooks): a short markdown page per failure class and signature
// shape saying what the signal means, what to try first and how to tune the policy. The texts are
// Vigil's own and are compiled into the binary. Pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

struct Playbook {
  std::string_view failure_class;
  std::string_view signature_prefix;  // empty = any signature of the class
  std::string_view markdown;
};

// Every playbook, in lookup order.
const std::vector<Playbook>& AllPlaybooks();

// The markdown of the first playbook whose class equals `failure_class` and whose prefix starts
// `signature` (an empty prefix matches any signature); std::nullopt when none does.
std::optional<std::string> FindPlaybook(std::string_view failure_class, std::string_view signature);

}  // namespace vigil
