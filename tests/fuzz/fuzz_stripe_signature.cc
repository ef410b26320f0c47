// Fuzz target: the Stripe webhook's input handling (docs/api.md#stripe-webhook). The input is split
// at the first newline into a Stripe-Signature header and a body. Parsing never fails; verification
// either accepts or refuses with the one generic message; a body that verifies is decoded without
// crashing. As a property, a header signed with the secret over the body must always verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/hash.h"
#include "server/billing/billing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string_view header = input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? "" : input.substr(nl + 1);
  const std::string secret = "whsec_fuzz";
  const int64_t now = 1700000000;

  const vigil::StripeSignatureHeader parsed = vigil::ParseStripeSignature(header);
  if (parsed.v1.size() > 16) std::abort();  // the parser's own bound
  const vigil::Status s = vigil::VerifyStripeSignature(header, body, secret, now);
  if (!s.ok() && s.message() != "signature verification failed") std::abort();
  (void)vigil::DecodeStripeEvent(body);

  const std::string good =
      "t=" + std::to_string(now) + ",v1=" +
      vigil::HexEncode(vigil::HmacSha256(secret, std::to_string(now) + "." + std::string(body)));
  const bool small = body.size() <= vigil::kMaxStripeBodyBytes;
  if (small && !vigil::VerifyStripeSignature(good, body, secret, now).ok()) std::abort();
  return 0;
}
