#include "server/otlp/stacktrace.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "server/limits.h"
#include "server/otlp/messages.h"

namespace vigil::otlp {
namespace {

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int64_t LineNumber(std::string_view digits) {
  int64_t n = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return r.ec == std::errc() && n > 0 ? n : 0;
}

StackFrame MakeFrame(std::string_view file, int64_t line, std::string_view function) {
  StackFrame f;
  f.file = CutText(std::string(file), limits::kMaxFrameFieldBytes);
  f.line = line;
  f.function = CutText(std::string(function), limits::kMaxFrameFieldBytes);
  return f;
}

// `File "x.py", line 3, in f`
bool PythonFrame(std::string_view line, StackFrame* out) {
  if (line.substr(0, 6) != "File \"") return false;
  const size_t close = line.find('"', 6);
  if (close == std::string_view::npos) return false;
  const std::string_view file = line.substr(6, close - 6);
  std::string_view rest = line.substr(close + 1);
  int64_t number = 0;
  if (rest.substr(0, 7) == ", line ") {
    const size_t end = rest.find(',', 7);
    number = LineNumber(rest.substr(7, end == std::string_view::npos ? end : end - 7));
  }
  const size_t in = rest.find(", in ");
  *out = MakeFrame(file, number, in == std::string_view::npos ? "" : rest.substr(in + 5));
  return true;
}

// `at f (x.js:3:5)`, `at x.js:3:5`, `at a.B.f(B.java:3)`
bool AtFrame(std::string_view line, StackFrame* out) {
  if (line.substr(0, 3) != "at ") return false;
  line.remove_prefix(3);
  std::string_view function, location = line;
  const size_t open = line.find('(');
  if (open != std::string_view::npos && line.back() == ')') {
    function = TrimLine(line.substr(0, open));
    location = line.substr(open + 1, line.size() - open - 2);
  }
  // file:line[:column], the file itself possibly holding colons (URLs, Windows drives).
  int64_t number = 0;
  for (int part = 0; part < 2; ++part) {
    const size_t colon = location.rfind(':');
    if (colon == std::string_view::npos) break;
    const int64_t n = LineNumber(location.substr(colon + 1));
    if (n == 0) break;
    number = n;
    location = location.substr(0, colon);
  }
  *out = MakeFrame(location, number, function);
  return true;
}

}  // namespace

std::vector<StackFrame> ParseStacktrace(std::string_view stack) {
  std::vector<StackFrame> frames;
  bool innermost_first = false;
  while (!stack.empty()) {
    const size_t nl = stack.find('\n');
    const std::string_view line = TrimLine(stack.substr(0, nl));
    stack = nl == std::string_view::npos ? std::string_view() : stack.substr(nl + 1);
    StackFrame f;
    if (PythonFrame(line, &f)) {
      frames.push_back(std::move(f));
    } else if (AtFrame(line, &f)) {
      innermost_first = true;
      frames.push_back(std::move(f));
    }
    if (frames.size() >= 4 * limits::kMaxExceptionFrames) break;
  }
  if (innermost_first) std::reverse(frames.begin(), frames.end());
  if (frames.size() > limits::kMaxExceptionFrames) {
    frames.erase(frames.begin(), frames.end() - limits::kMaxExceptionFrames);
  }
  return frames;
}

}  // namespace vigil::otlp
