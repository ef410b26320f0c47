// The HTTP side of one webhook delivery attempt, apart from the service that schedules attempts:
// how the client is set up, the signed request, and what an answer means for the delivery
// (docs/api.md#delivery-and-retries). Internal to server/webhooks/.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "server/webhooks/address.h"
#include "server/webhooks/webhooks.h"

namespace vigil {

// The first bytes of a receiver's answer, kept for the delivery log; the rest is read and dropped.
struct CapturedBody {
  std::string bytes;
  bool truncated = false;
};

// Timeouts, no redirects, no keep-alive, the CA bundle for https; `address` (when not empty) is
// the one checked address the host must be reached at.
void ConfigureWebhookClient(httplib::Client* client, const WebhookUrl& url,
                            const std::string& address, const std::string& ca_file);

// POST `body` to `url` with the Standard Webhooks headers signed with `secret` at `timestamp_s`;
// the answer's body goes into `captured`, which must outlive the request.
httplib::Request SignedWebhookRequest(const WebhookUrl& url, const std::string& body,
                                      const std::string& secret, const std::string& delivery_id,
                                      int64_t timestamp_s, CapturedBody* captured);

// What an HTTP answer means: 2xx delivered; 410 disables the endpoint; 408, 429 and 5xx are
// retried (429 and 503 after their Retry-After); anything else is final.
void ClassifyWebhookResponse(const httplib::Response& res, const CapturedBody& captured,
                             WebhookAttemptResult* out);

// A transport failure in words for the delivery log.
std::string TransportError(httplib::Error e);

// A receiver's bytes, made valid UTF-8 for the log and its JSON (invalid sequences, including a
// character cut by truncation, become U+FFFD).
std::string ValidUtf8(std::string_view in);

}  // namespace vigil
