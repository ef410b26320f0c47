// Offline verification of an execution certificate (`vigil verify`, docs/transparency.md#verify):
// entry -> leaf hash -> inclusion proof -> checkpoint root -> the checkpoint's Ed25519 signature
// by the given verifier key. Needs no server and no database. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"

namespace vigil {

struct VerifiedCertificate {
  std::string origin;  // the log (= the verifier key's name)
  uint64_t index = 0;
  uint64_t tree_size = 0;
  std::string root_base64;
  std::string entry;  // the sealed entry's bytes (canonical JSON)
  // "<witness name> at <POSIX seconds>", one per witness required and found.
  std::vector<std::string> witnessed;
};

// Checks a certificate ({"entry","index","proof"} as GET /executions/{id}/certificate answers)
// against a verifier key "<name>+<key id>+<key>", and, for each of `witnesses` (cosigner keys,
// domain/tlog/cosignature.h), a valid cosignature of its checkpoint by that witness.
// InvalidArgument naming the first check that failed.
Result<VerifiedCertificate> VerifyCertificate(std::string_view certificate_json,
                                              std::string_view verifier_key,
                                              const std::vector<std::string>& witnesses = {});

}  // namespace vigil
