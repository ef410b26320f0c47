#include "domain/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>

#include "domain/base64.h"

namespace vigil {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status Undecryptable() { return Status::InvalidArgument("stored secret cannot be decrypted"); }

}  // namespace

std::optional<std::string> SecretBox::ParseKey(std::string_view text) {
  if (text.size() == 2 * kKeyBytes) {
    if (auto hex = HexDecode(text)) return hex;
  }
  auto raw = Base64Decode(text);
  if (raw && raw->size() == kKeyBytes) return raw;
  return std::nullopt;
}

std::string SecretBox::KeyId(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(U(key), key.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), kKeyIdBytes);
}

SecretBox::SecretBox(std::string current, std::vector<std::string> previous) {
  if (!current.empty()) current_ = {current, KeyId(current)};
  for (auto& k : previous) {
    if (!k.empty()) previous_.push_back({k, KeyId(k)});
  }
}

Result<std::string> SecretBox::Seal(std::string_view plaintext, std::string_view aad) const {
  if (!configured()) return Status::Unavailable("no master key configured");
  std::string blob(1 + kKeyIdBytes + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  out[0] = kVersion;
  std::copy(current_.id.begin(), current_.id.end(), blob.begin() + 1);
  unsigned char* nonce = out + 1 + kKeyIdBytes;
  // A nonce must never repeat under one key; RAND_bytes failing means the entropy source is
  // unusable, and sealing anyway could repeat one, so refuse.
  if (RAND_bytes(nonce, static_cast<int>(kNonceBytes)) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  unsigned char* ct = nonce + kNonceBytes;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(current_.bytes), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) != 1) {
    return Status::Internal("AES-256-GCM encryption failed");
  }
  return blob;
}

Result<std::string> SecretBox::Open(std::string_view blob, std::string_view aad) const {
  if (blob.size() < kOverheadBytes || static_cast<unsigned char>(blob[0]) != kVersion) {
    return Undecryptable();
  }
  const std::string_view key_id = blob.substr(1, kKeyIdBytes);
  const std::string_view nonce = blob.substr(1 + kKeyIdBytes, kNonceBytes);
  const std::string_view ct =
      blob.substr(1 + kKeyIdBytes + kNonceBytes, blob.size() - kOverheadBytes);
  std::string tag(blob.substr(blob.size() - kTagBytes));
  std::vector<const Key*> keys;
  if (configured()) keys.push_back(&current_);
  for (const Key& k : previous_) keys.push_back(&k);
  for (const Key* key : keys) {
    if (key->id != key_id) continue;
    std::string plain(ct.size(), '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0, tail = 0;
    auto* p = reinterpret_cast<unsigned char*>(plain.data());
    if (ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key->bytes), U(nonce)) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), p, &len, U(ct), static_cast<int>(ct.size())) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), p + len, &tail) == 1) {
      return plain;
    }
  }
  return Undecryptable();
}

bool SecretBox::IsCurrent(std::string_view blob) const {
  return configured() && blob.size() >= kOverheadBytes &&
         static_cast<unsigned char>(blob[0]) == kVersion &&
         blob.substr(1, kKeyIdBytes) == current_.id;
}

std::string WebhookSecretAad(std::string_view project_id, std::string_view webhook_id) {
  std::string aad = "vigil/webhook-secret/v1";
  aad.push_back('\0');
  aad.append(project_id);
  aad.push_back('\0');
  aad.append(webhook_id);
  return aad;
}

}  // namespace vigil
