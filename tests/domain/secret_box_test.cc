#include "domain/secret_box.h"

#include <doctest/doctest.h>

#include <string>
#include <unordered_set>

#include "domain/base64.h"

using namespace vigil;

namespace {

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

}  // namespace

TEST_CASE(
    "SecretBox round-trips a secret and the blob has the layout of "
    "docs/protocol.md#sealed-secrets") {
  SecretBox box(kKeyA, {});
  const std::string aad = WebhookSecretAad("proj-1", "wh-1");
  auto blob = box.Seal("whsec_secret", aad);
  REQUIRE(blob.ok());
  CHECK(blob->size() == std::string("whsec_secret").size() + SecretBox::kOverheadBytes);
  CHECK(static_cast<unsigned char>(blob.value()[0]) == 0x01);
  CHECK(blob->substr(1, 4) == SecretBox::KeyId(kKeyA));
  CHECK(blob->find("whsec_secret") == std::string::npos);
  auto plain = box.Open(blob.value(), aad);
  REQUIRE(plain.ok());
  CHECK(plain.value() == "whsec_secret");
  CHECK(box.IsCurrent(blob.value()));
}

TEST_CASE("A flipped bit anywhere in the blob fails to open") {
  SecretBox box(kKeyA, {});
  const std::string aad = WebhookSecretAad("proj-1", "wh-1");
  const std::string blob = box.Seal("whsec_secret", aad).value();
  for (size_t i = 0; i < blob.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = blob;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      CAPTURE(i);
      CHECK_FALSE(box.Open(bad, aad).ok());
    }
  }
  CHECK_FALSE(box.Open(blob.substr(0, blob.size() - 1), aad).ok());
  CHECK_FALSE(box.Open("", aad).ok());
}

TEST_CASE("A blob moved to another row or another project's row fails to open") {
  SecretBox box(kKeyA, {});
  const std::string blob = box.Seal("whsec_secret", WebhookSecretAad("proj-1", "wh-1")).value();
  CHECK_FALSE(box.Open(blob, WebhookSecretAad("proj-1", "wh-2")).ok());  // swapped row
  CHECK_FALSE(box.Open(blob, WebhookSecretAad("proj-2", "wh-1")).ok());  // other project
  // The separator keeps ("proj-1", "wh-1") apart from ("proj-1\0wh", "-1") style shifts.
  CHECK(WebhookSecretAad("a", "bc") != WebhookSecretAad("ab", "c"));
}

TEST_CASE("Another key cannot open a blob; a previous key can, and only opens") {
  SecretBox old_box(kKeyA, {});
  const std::string aad = WebhookSecretAad("p", "w");
  const std::string blob = old_box.Seal("s", aad).value();
  CHECK_FALSE(SecretBox(kKeyB, {}).Open(blob, aad).ok());
  SecretBox rotated(kKeyB, {kKeyA});
  REQUIRE(rotated.Open(blob, aad).ok());
  CHECK(rotated.Open(blob, aad).value() == "s");
  CHECK_FALSE(rotated.IsCurrent(blob));
  const std::string resealed = rotated.Seal("s", aad).value();
  CHECK(rotated.IsCurrent(resealed));
  CHECK(resealed.substr(1, 4) == SecretBox::KeyId(kKeyB));
}

TEST_CASE("Without a key nothing is sealed (fail closed)") {
  SecretBox none;
  CHECK_FALSE(none.configured());
  CHECK_FALSE(none.any_key());
  auto r = none.Seal("s", "aad");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  SecretBox previous_only("", {kKeyA});
  CHECK_FALSE(previous_only.configured());
  CHECK(previous_only.any_key());
}

TEST_CASE("100,000 encryptions never repeat a nonce") {
  SecretBox box(kKeyA, {});
  std::unordered_set<std::string> nonces;
  nonces.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    const std::string blob = box.Seal("x", "aad").value();
    nonces.insert(blob.substr(1 + SecretBox::kKeyIdBytes, SecretBox::kNonceBytes));
  }
  CHECK(nonces.size() == 100000);
}

TEST_CASE("ParseKey takes 64 hex digits or base64 of exactly 32 bytes") {
  const std::string hex(64, 'f');
  REQUIRE(SecretBox::ParseKey(hex));
  CHECK(*SecretBox::ParseKey(hex) == std::string(32, '\xff'));
  const std::string b64 = Base64Encode(kKeyA);
  REQUIRE(SecretBox::ParseKey(b64));
  CHECK(*SecretBox::ParseKey(b64) == kKeyA);
  CHECK(SecretBox::ParseKey(b64.substr(0, b64.size() - 1)));  // unpadded
  const char* bad[] = {"", "short", "zz" /* not hex */, "0123456789abcdef", "AAAA" /* 3 bytes */};
  for (const char* b : bad) {
    CAPTURE(b);
    CHECK_FALSE(SecretBox::ParseKey(b));
  }
  CHECK_FALSE(SecretBox::ParseKey(std::string(63, 'a')));
  CHECK_FALSE(SecretBox::ParseKey(Base64Encode(std::string(31, 'x'))));
}

TEST_CASE("Base64 round-trips and refuses malformed text") {
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + n));
    const std::string text = Base64Encode(bytes);
    CHECK(text.size() % 4 == 0);
    auto back = Base64Decode(text);
    REQUIRE(back);
    CHECK(*back == bytes);
  }
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Decode("Zm8") == std::optional<std::string>("fo"));
  CHECK_FALSE(Base64Decode("Zm8=="));  // too much padding for the length
  CHECK_FALSE(Base64Decode("Z"));
  CHECK_FALSE(Base64Decode("Zm9v YmFy"));
  CHECK_FALSE(Base64Decode("Zm9="));  // non-zero leftover bits
}
