#include "server/http/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "domain/time_util.h"
#include "server/codec/json_writer.h"

namespace vigil::log {
namespace {

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stdout_logger_mt("vigil");
    l->set_pattern("%v");  // the line is already a complete JSON object
    l->flush_on(spdlog::level::info);
    return l;
  }();
  return logger;
}

void Write(spdlog::level::level_enum level, const char* level_name, std::string_view msg,
           const std::vector<Field>& fields) {
  auto& logger = Logger();
  if (!logger->should_log(level)) return;
  std::string line = "{\"time\":\"" + FormatRfc3339Ms(NowMs()) + "\",\"level\":\"" + level_name +
                     "\",\"service\":\"vigil\",\"version\":\"" VIGIL_VERSION "\",\"msg\":";
  AppendJsonString(&line, msg);
  for (const Field& f : fields) {
    line.push_back(',');
    AppendJsonString(&line, f.key);
    line.push_back(':');
    if (f.raw) {
      line += f.value;
    } else {
      AppendJsonString(&line, f.value);
    }
  }
  line.push_back('}');
  logger->log(level, line);
}

}  // namespace

void Init(const std::string& level) {
  Logger()->set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
}
void Debug(std::string_view m, const std::vector<Field>& f) {
  Write(spdlog::level::debug, "debug", m, f);
}
void Info(std::string_view m, const std::vector<Field>& f) {
  Write(spdlog::level::info, "info", m, f);
}
void Warn(std::string_view m, const std::vector<Field>& f) {
  Write(spdlog::level::warn, "warn", m, f);
}
void Error(std::string_view m, const std::vector<Field>& f) {
  Write(spdlog::level::err, "error", m, f);
}

}  // namespace vigil::log
