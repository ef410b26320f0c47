// Structured JSON logs on stdout (spdlog sink): one object per line with time, level, service,
// version and the given fields. Never pass a key, token or secret as a field.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::log {

// Sets the minimum level ("debug", "info", "warn", "error").
void Init(const std::string& level);

struct Field {
  std::string key;
  std::string value;  // JSON-escaped when written unless `raw`
  bool raw = false;   // numbers/booleans
};
inline Field Str(std::string k, std::string v) { return {std::move(k), std::move(v), false}; }
inline Field Num(std::string k, long long v) { return {std::move(k), std::to_string(v), true}; }

void Debug(std::string_view msg, const std::vector<Field>& fields = {});
void Info(std::string_view msg, const std::vector<Field>& fields = {});
void Warn(std::string_view msg, const std::vector<Field>& fields = {});
void Error(std::string_view msg, const std::vector<Field>& fields = {});

}  // namespace vigil::log
