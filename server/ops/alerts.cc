#include "server/ops/alerts.h"

#include <httplib.h>
#include <pthread.h>

#include <cctype>

#include "domain/percent.h"
#include "domain/time_util.h"
#include "server/codec/json_writer.h"
#include "server/http/log.h"
#include "server/webhooks/address.h"
#include "server/webhooks/message.h"

namespace vigil {
namespace {

constexpr size_t kMaxQueuedAlerts = 100;
constexpr int64_t kPerRouteIntervalMs = 60 * 1000;
constexpr int kAlertTimeoutSec = 10;
// (status, route) pairs remembered for the per-minute limit; older entries are swept past this.
constexpr size_t kMaxRememberedRoutes = 1000;

// An alert's host and path: longer ones are cut (an alert is a pointer to the log, not a copy).
constexpr size_t kMaxAlertTextBytes = 512;

// `text` shown as it is in a chat message: a backtick would close the code block it sits in, and
// Slack reads `&`, `<` and `>` as markup everywhere (its escapes are shown as the characters).
std::string ChatLiteral(std::string_view text, bool slack) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '`') {
      out += '\'';
    } else if (slack && c == '&') {
      out += "&amp;";
    } else if (slack && c == '<') {
      out += "&lt;";
    } else if (slack && c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string CodeBlock(std::string_view text, bool slack) {
  return "```\n" + ChatLiteral(text, slack) + "\n```";
}

}  // namespace

std::string AlertText(std::string_view text, size_t max_bytes) {
  return PercentEncode(
      text,
      [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '/' || c == ':' || c == '%';
      },
      max_bytes);
}

std::string RenderAlert(WebhookFormat format, const std::string& title, const std::string& json) {
  JsonWriter w;
  switch (format) {
    case WebhookFormat::kSlack:
      w.BeginObject()
          .Key("attachments")
          .BeginArray()
          .BeginObject()
          .Field("color", "#d93f0b")
          .Field("title", ChatLiteral(title, true))
          .Field("text", CodeBlock(json, true))
          .EndObject()
          .EndArray()
          .EndObject();
      return w.Take();
    case WebhookFormat::kDiscord:
      w.BeginObject()
          .Key("allowed_mentions")
          .BeginObject()
          .Key("parse")
          .BeginArray()
          .EndArray()
          .EndObject()
          .Key("embeds")
          .BeginArray()
          .BeginObject()
          .Field("title", ChatLiteral(title, false))
          .Field("description", CodeBlock(json, false))
          .EndObject()
          .EndArray()
          .EndObject();
      return w.Take();
    case WebhookFormat::kStandard:
      break;
  }
  return json;
}

AlertSink::AlertSink(std::string url) : url_(std::move(url)) {}

void AlertSink::Start() {
  if (!enabled()) return;
  thread_ = std::thread([this] { Run(); });
}

void AlertSink::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t AlertSink::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void AlertSink::OnServerError(const ServerError& e) {
  if (!enabled()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto key = std::make_pair(e.status, e.route);
    auto it = last_alert_ms_.find(key);
    if (it != last_alert_ms_.end() && e.now_ms - it->second < kPerRouteIntervalMs) return;
    if (last_alert_ms_.size() >= kMaxRememberedRoutes) {
      for (auto i = last_alert_ms_.begin(); i != last_alert_ms_.end();) {
        i = e.now_ms - i->second >= kPerRouteIntervalMs ? last_alert_ms_.erase(i) : std::next(i);
      }
    }
    last_alert_ms_[key] = e.now_ms;
  }
  JsonWriter w;
  w.BeginObject()
      .Field("service", "vigil")
      .Field("status", e.status)
      .Field("method", AlertText(e.method, kMaxAlertTextBytes))
      .Field("path", AlertText(e.path, kMaxAlertTextBytes))
      .Field("host", AlertText(e.host, kMaxAlertTextBytes));
  if (!e.project_id.empty()) w.Field("project_id", e.project_id);
  w.Field("duration_ms", e.duration_ms).Field("timestamp", FormatRfc3339Ms(e.now_ms)).EndObject();
  Enqueue("Vigil " + std::to_string(e.status) + " on " + AlertText(e.method, kMaxAlertTextBytes) +
              " " + e.route,
          w.Take());
}

void AlertSink::OnAbuseSignal(const std::string& kind, const std::string& signal_json) {
  if (!enabled()) return;
  Enqueue("Vigil abuse signal: " + kind, signal_json);
}

void AlertSink::Enqueue(std::string title, std::string json) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueuedAlerts) {
      ++dropped_;
      return;
    }
    queue_.emplace_back(std::move(title), std::move(json));
  }
  cv_.notify_one();
}

void AlertSink::Run() {
  pthread_setname_np(pthread_self(), "vigil-alerts");
  auto parsed = ParseWebhookUrl(url_);
  if (!parsed.ok()) {
    log::Warn("VIGIL_ALERT_WEBHOOK_URL is not an http(s) URL; alerts are off");
    return;
  }
  const std::string origin = parsed->Origin();
  const std::string target =
      url_.substr(std::min(url_.size(), url_.find('/', url_.find("//") + 2)));
  for (;;) {
    std::pair<std::string, std::string> alert;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      alert = std::move(queue_.front());
      queue_.pop_front();
    }
    httplib::Client client(origin);
    client.set_connection_timeout(kAlertTimeoutSec, 0);
    client.set_read_timeout(kAlertTimeoutSec, 0);
    client.set_write_timeout(kAlertTimeoutSec, 0);
    auto res =
        client.Post(target.empty() ? "/" : target,
                    RenderAlert(FormatForUrl(url_), alert.first, alert.second), "application/json");
    // Fire and forget: a failed alert is logged, never retried (the log has the facts anyway).
    if (!res || res->status < 200 || res->status > 299) {
      log::Warn("operator alert not delivered", {log::Num("status", res ? res->status : 0)});
    }
  }
}

}  // namespace vigil
