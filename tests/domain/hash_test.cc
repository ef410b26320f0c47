#include "domain/hash.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace vigil {
namespace {

TEST_CASE("Sha256Hex gives the FIPS 180-2 test vectors") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("Sha256First32 of parts is the first eight hex digits of their concatenation's hash") {
  const std::string joined = std::string("gpt-4o") + '\0' + "hello";
  const uint32_t parts = Sha256First32({"gpt-4o", std::string_view("\0", 1), "hello"});
  CHECK(parts == Sha256First32({joined}));
  CHECK(std::stoul(Sha256Hex(joined).substr(0, 8), nullptr, 16) == parts);
  CHECK(Sha256First32({}) == 0xe3b0c442u);  // no parts: the hash of the empty string
}

TEST_CASE("Sha256First64 of parts is the first sixteen hex digits of their concatenation's hash") {
  const std::string joined = std::string("tool") + '\0' + "{}";
  const uint64_t parts = Sha256First64({"tool", std::string_view("\0", 1), "{}"});
  CHECK(parts == Sha256First64({joined}));
  CHECK(std::stoull(Sha256Hex(joined).substr(0, 16), nullptr, 16) == parts);
  CHECK(Sha256First64({}) == 0xe3b0c44298fc1c14ull);
}

TEST_CASE("Sha256Hex keeps one digest context per thread: concurrent callers agree") {
  const std::string want = Sha256Hex("vigil");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256Hex("vigil") != want) ++mismatches[t];
        if (Sha256Hex(std::to_string(i)) != Sha256Hex(std::to_string(i))) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

}  // namespace
}  // namespace vigil
