// Operator alerts (docs/operations.md#logs-and-alerts): 5xx responses (except overload and shutdown
// 503s) and abuse signals, POSTed fire-and-forget to VIGIL_ALERT_WEBHOOK_URL from one background
// thread. The queue holds at most 100 alerts (more are dropped and counted) and each (status,
// route) alerts at most once a minute, so an outage cannot turn into a flood. Slack and Discord
// URLs get their formats.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "server/webhooks/message.h"

namespace vigil {

// Client-controlled text (a request's method, path, Host header) as an alert shows it: every byte
// but letters, digits and `. - / : %` percent-encoded (a path keeps its own escapes), at most
// `max_bytes`, so no chat service can read markup, a mention or a link into it.
std::string AlertText(std::string_view text, size_t max_bytes);

// The body POSTed for an alert: Slack and Discord get a message that shows the alert's JSON as a
// code block, with whatever could still act inside one neutralised (Slack's `&`, `<`, `>`; a
// backtick that would close the block) and Discord's mentions switched off; anything else gets the
// alert's JSON itself.
std::string RenderAlert(WebhookFormat format, const std::string& title, const std::string& json);

class AlertSink {
 public:
  explicit AlertSink(std::string url);  // "" = alerts off
  ~AlertSink() { Stop(); }
  void Start();
  void Stop();  // idempotent; queued alerts not yet sent are dropped
  bool enabled() const { return !url_.empty(); }

  struct ServerError {
    int status = 0;
    std::string method;
    std::string route;  // the route pattern: the rate-limit key
    std::string path;
    std::string host;
    std::string project_id;
    int64_t duration_ms = 0;
    int64_t now_ms = 0;
  };
  void OnServerError(const ServerError& e);
  // `signal_json`: the signal object as GET /admin/abuse shows it.
  void OnAbuseSignal(const std::string& kind, const std::string& signal_json);

  int64_t dropped() const;

 private:
  void Enqueue(std::string title, std::string json);
  void Run();

  const std::string url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;  // (title, JSON body)
  std::map<std::pair<int, std::string>, int64_t> last_alert_ms_;
  int64_t dropped_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vigil
