#include "server/webhooks/http_attempt.h"

#include <algorithm>

#include "server/limits.h"
#include "server/webhooks/message.h"

namespace vigil {
namespace {

// Retry-After in seconds (the HTTP-date form is rare from webhook receivers and ignored).
int64_t RetryAfterMs(const httplib::Response& res) {
  const std::string v = res.get_header_value("Retry-After");
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(v) * 1000;
}

}  // namespace

void ConfigureWebhookClient(httplib::Client* client, const WebhookUrl& url,
                            const std::string& address, const std::string& ca_file) {
  if (!address.empty()) client->set_hostname_addr_map({{url.host, address}});
  client->set_connection_timeout(limits::kWebhookAttemptTimeoutSec, 0);
  client->set_read_timeout(limits::kWebhookAttemptTimeoutSec, 0);
  client->set_write_timeout(limits::kWebhookAttemptTimeoutSec, 0);
  client->set_follow_location(false);
  client->set_keep_alive(false);
  if (url.scheme == "https" && !ca_file.empty()) client->set_ca_cert_path(ca_file);
}

httplib::Request SignedWebhookRequest(const WebhookUrl& url, const std::string& body,
                                      const std::string& secret, const std::string& delivery_id,
                                      int64_t timestamp_s, CapturedBody* captured) {
  httplib::Request req;
  req.method = "POST";
  req.path = url.path;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "Vigil-Webhook/1"},
                 {"webhook-id", delivery_id},
                 {"webhook-timestamp", std::to_string(timestamp_s)},
                 {"webhook-signature", SignWebhook(secret, delivery_id, timestamp_s, body)}};
  req.body = body;
  req.content_receiver = [captured](const char* data, size_t len, uint64_t, uint64_t) {
    const size_t room = limits::kWebhookResponseBodyBytes - captured->bytes.size();
    captured->bytes.append(data, std::min(room, len));
    if (len > room) captured->truncated = true;
    return true;
  };
  return req;
}

void ClassifyWebhookResponse(const httplib::Response& res, const CapturedBody& captured,
                             WebhookAttemptResult* out) {
  const int status = res.status;
  out->http_status = status;
  out->response_body = ValidUtf8(captured.bytes);
  if (captured.truncated) out->response_body += "…[truncated]";
  if (status >= 200 && status < 300) {
    out->delivered = true;
    return;
  }
  out->error = "non-2xx status: " + std::to_string(status);
  if (status == 410) {
    out->disable = true;
  } else if (status == 408 || status == 429 || status >= 500) {
    out->retryable = true;
    if (status == 429 || status == 503) out->retry_after_ms = RetryAfterMs(res);
  }
}

std::string TransportError(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "error reading the response";
    case httplib::Error::Write:
      return "error sending the request";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "TLS certificates could not be loaded";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    case httplib::Error::Canceled:
      return "request canceled";
    default:
      return "transport error: " + httplib::to_string(e);
  }
}

std::string ValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
    const unsigned char c = b(i);
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = len > 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const unsigned char cc = b(i + k);
      ok = k == 1 ? (cc >= lo && cc <= hi) : (cc >= 0x80 && cc <= 0xBF);
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace vigil
