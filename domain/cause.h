// Why an execution ended as it did, and what ran it: the crash cause of an `exception` event and
// the build identity of docs/protocol.md#protocol-extensions. Plain values and pure checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// One frame of a stack as an SDK reports it. `line` 0 = not known.
struct StackFrame {
  std::string file;
  int64_t line = 0;
  std::string function;
};

// The cause of a crash, from the execution's latest `exception` event: the exception's type name,
// its message and its stack, innermost frame last (the order Python and JavaScript print).
struct ExceptionCause {
  std::string type;
  std::string message;
  std::vector<StackFrame> frames;
};

// A `code_version`: letters, digits and `. _ + : / @ -`, which covers commit hashes, tags, semantic
// versions and `git describe` output, and keeps the value safe to show and to put in a URL.
bool IsCodeVersion(std::string_view v);

// A `container_digest` in the OCI form `<algorithm>:<encoded>`: the algorithm is lower-case
// letters and digits separated by single `+ . _ -`, the encoded part letters, digits and `= _ -`
// (for example `sha256:` and 64 hex digits).
bool IsContainerDigest(std::string_view v);

}  // namespace vigil
