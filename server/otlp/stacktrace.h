// The frames of an `exception.stacktrace` as the common runtimes print it, for the `exception`
// event a crashed trace becomes (docs/protocol.md#exception-events). Pure and lenient: lines it
// does not recognise are skipped, and a stack it cannot read gives no frames.
#pragma once

#include <string_view>
#include <vector>

#include "domain/cause.h"

namespace vigil::otlp {

// Python tracebacks (`File "x.py", line 3, in f`) and V8 / JVM stacks (`at f (x.js:3:5)`,
// `at x.js:3:5`, `at a.B.f(B.java:3)`), innermost frame last, at most
// limits::kMaxExceptionFrames (the innermost ones), strings cut to limits::kMaxFrameFieldBytes.
std::vector<StackFrame> ParseStacktrace(std::string_view stack);

}  // namespace vigil::otlp
