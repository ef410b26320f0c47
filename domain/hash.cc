#include "domain/hash.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>

namespace vigil {
namespace {

// SHA-256 of the concatenation of `parts`. OpenSSL 3's one-shot SHA256() looks the algorithm up
// in its provider store on every call (locks, string hashing), which under ingestion cost about
// as much CPU as hashing the message itself. So the algorithm is fetched once and each thread
// keeps one digest context. Should any of that fail, the one-shot function gives the same bytes.
void Sha256Of(std::initializer_list<std::string_view> parts, unsigned char* digest) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                            EVP_MD_CTX_free);
  bool ok = md && ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1;
  for (std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  }
  unsigned int len = 0;
  if (ok && EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1 && len == SHA256_DIGEST_LENGTH) {
    return;
  }
  ERR_clear_error();  // what failed above must not surface in a later, unrelated OpenSSL call
  std::string joined;
  for (std::string_view part : parts) joined.append(part);
  // Both ways failing leaves no hash to give: API keys could not be checked, so stop rather than
  // compare or store garbage.
  if (!SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest)) {
    std::abort();
  }
}

}  // namespace

std::string Sha256Raw(std::initializer_list<std::string_view> parts) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  Sha256Of(parts, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256Of({data}, digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

uint32_t Sha256First32(std::initializer_list<std::string_view> parts) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256Of(parts, digest);
  return uint32_t{digest[0]} << 24 | uint32_t{digest[1]} << 16 | uint32_t{digest[2]} << 8 |
         uint32_t{digest[3]};
}

uint64_t Sha256First64(std::initializer_list<std::string_view> parts) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256Of(parts, digest);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | digest[i];
  return value;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace vigil
