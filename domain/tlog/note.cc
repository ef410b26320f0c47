#include "domain/tlog/note.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "domain/base64.h"
#include "domain/hash.h"

namespace vigil::tlog {
namespace {

constexpr std::string_view kSigPrefix = "\xe2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Standard padded base64 of exactly `size` bytes, nothing else accepted.
bool StrictBase64(std::string_view text, size_t size, std::string* out) {
  std::optional<std::string> raw = Base64Decode(text);
  if (!raw || raw->size() != size || Base64Encode(*raw) != text) return false;
  *out = std::move(*raw);
  return true;
}

// A decimal without leading zeros that fits in 63 bits.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// Splits `text` at '\n' into lines; the last line is what follows the final '\n'.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

}  // namespace

Result<std::string> GenerateEd25519Seed() {
  std::string seed(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), 32) != 1) {
    ERR_clear_error();
    return Status::Internal("no randomness for a signing key");
  }
  return seed;
}

Result<std::string> Ed25519PublicKey(std::string_view seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()),
              EVP_PKEY_free);
  std::string pub(32, '\0');
  size_t len = pub.size();
  if (!key ||
      EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) !=
          1 ||
      len != 32) {
    ERR_clear_error();
    return Status::InvalidArgument("not an Ed25519 private key");
  }
  return pub;
}

Result<std::string> Ed25519Sign(std::string_view seed, std::string_view message) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()),
              EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != 64) {
    ERR_clear_error();
    return Status::Internal("Ed25519 signing failed");
  }
  return sig;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), 32),
              EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool ok = key && ctx &&
                  EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
                  EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                                   message.size()) == 1;
  ERR_clear_error();
  return ok;
}

bool ValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == '+' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string KeyId(std::string_view name, std::string_view public_key, unsigned char type) {
  const char t = static_cast<char>(type);
  return Sha256Raw({name, "\n", std::string_view(&t, 1), public_key}).substr(0, 4);
}

std::string FormatVerifierKey(std::string_view name, std::string_view public_key,
                              unsigned char type) {
  std::string typed(1, static_cast<char>(type));
  typed += public_key;
  return std::string(name) + "+" + HexEncode(KeyId(name, public_key, type)) + "+" +
         Base64Encode(typed);
}

Result<VerifierKey> ParseVerifierKey(std::string_view text, unsigned char type) {
  const Status bad = Status::InvalidArgument("malformed verifier key");
  const size_t first = text.find('+');
  const size_t second = first == std::string_view::npos ? first : text.find('+', first + 1);
  if (second == std::string_view::npos) return bad;
  VerifierKey k;
  k.name = std::string(text.substr(0, first));
  std::optional<std::string> id = HexDecode(text.substr(first + 1, second - first - 1));
  std::string typed;
  if (!ValidKeyName(k.name) || !id || id->size() != 4 ||
      !StrictBase64(text.substr(second + 1), 33, &typed) ||
      static_cast<unsigned char>(typed[0]) != type) {
    return bad;
  }
  k.key_id = *id;
  k.public_key = typed.substr(1);
  if (KeyId(k.name, k.public_key, type) != k.key_id) {
    return Status::InvalidArgument("verifier key id does not match its name and key");
  }
  return k;
}

Result<std::string> SignNote(std::string_view text, std::string_view name, std::string_view seed) {
  if (text.empty() || text.back() != '\n' || text.find("\n\n") != std::string_view::npos ||
      !ValidKeyName(name)) {
    return Status::InvalidArgument("note text or key name is malformed");
  }
  Result<std::string> pub = Ed25519PublicKey(seed);
  if (!pub.ok()) return pub.status();
  Result<std::string> sig = Ed25519Sign(seed, text);
  if (!sig.ok()) return sig.status();
  std::string note(text);
  note += "\n";
  note += kSigPrefix;
  note += name;
  note += " " + Base64Encode(KeyId(name, pub.value()) + sig.value()) + "\n";
  return note;
}

Result<SplitNoteResult> SplitNote(std::string_view note) {
  const Status bad = Status::InvalidArgument("malformed signed note");
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos || note.empty() || note.back() != '\n') return bad;
  SplitNoteResult out;
  out.text = std::string(note.substr(0, split + 1));
  std::vector<std::string_view> lines = SplitLines(note.substr(split + 2));
  lines.pop_back();  // what follows the final newline: nothing
  if (lines.empty()) return bad;
  for (std::string_view line : lines) {
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) return bad;
    line.remove_prefix(kSigPrefix.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return bad;
    const std::string_view name = line.substr(0, space);
    std::optional<std::string> sig = Base64Decode(line.substr(space + 1));
    if (!ValidKeyName(name) || !sig || sig->size() < 5) return bad;
    out.signatures.push_back({std::string(name), sig->substr(0, 4), sig->substr(4)});
  }
  return out;
}

std::string FormatNoteSignature(const NoteSignature& sig) {
  return std::string(kSigPrefix) + sig.name + " " + Base64Encode(sig.key_id + sig.signature) + "\n";
}

Result<std::string> OpenNote(std::string_view note, const VerifierKey& key) {
  auto split = SplitNote(note);
  if (!split.ok()) return split.status();
  // Every signature line by the key must verify: one that fails rejects the note, whatever the
  // others say (C2SP signed-note).
  bool verified = false;
  for (const NoteSignature& sig : split->signatures) {
    if (sig.name != key.name || sig.key_id != key.key_id) continue;  // another signer's
    if (!Ed25519Verify(key.public_key, split->text, sig.signature)) {
      return Status::InvalidArgument("note signature does not verify");
    }
    verified = true;
  }
  if (!verified) return Status::InvalidArgument("note carries no signature by the key");
  return std::move(split->text);
}

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out =
      c.origin + "\n" + std::to_string(c.size) + "\n" + Base64Encode(HashBytes(c.root)) + "\n";
  for (const std::string& line : c.extensions) out += line + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  const Status bad = Status::InvalidArgument("malformed checkpoint");
  if (text.empty() || text.back() != '\n') return bad;
  std::vector<std::string_view> lines = SplitLines(text.substr(0, text.size() - 1));
  if (lines.size() < 3 || lines[0].empty()) return bad;
  Checkpoint c;
  c.origin = std::string(lines[0]);
  std::string root;
  if (!ParseDecimal(lines[1], &c.size) || !StrictBase64(lines[2], 32, &root)) return bad;
  c.root = HashFromBytes(root).value();
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad;
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::string FormatProofText(const ProofText& p) {
  std::string out = std::string(kProofHeader) + "\nindex " + std::to_string(p.index) + "\n";
  for (const Hash& h : p.hashes) out += Base64Encode(HashBytes(h)) + "\n";
  return out + "\n" + p.checkpoint;
}

Result<ProofText> ParseProofText(std::string_view text) {
  const Status bad = Status::InvalidArgument("malformed tlog-proof");
  const size_t blank = text.find("\n\n");
  if (blank == std::string_view::npos) return bad;
  std::vector<std::string_view> lines = SplitLines(text.substr(0, blank));
  size_t i = 0;
  if (lines.size() < 2 || lines[i++] != kProofHeader) return bad;
  if (lines[i].substr(0, 6) == "extra ") ++i;
  ProofText p;
  if (i >= lines.size() || lines[i].substr(0, 6) != "index " ||
      !ParseDecimal(lines[i].substr(6), &p.index)) {
    return bad;
  }
  for (++i; i < lines.size(); ++i) {
    std::string raw;
    if (!StrictBase64(lines[i], 32, &raw)) return bad;
    p.hashes.push_back(HashFromBytes(raw).value());
  }
  p.checkpoint = std::string(text.substr(blank + 2));
  return p;
}

}  // namespace vigil::tlog
