#include "domain/tlog/merkle.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "domain/hash.h"
#include "tests/domain/tlog/memory_tree.h"

namespace vigil::tlog {
namespace {

using testing::MemoryTree;

std::string HexOf(const Hash& h) { return HexEncode(HashBytes(h)); }

// The eight leaves of the RFC 6962 reference test data (certificate-transparency's tree tests).
std::vector<std::string> ReferenceLeaves() {
  return {"",
          std::string("\x00", 1),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

TEST_CASE("The empty tree hashes to SHA-256 of nothing") {
  CHECK(HexOf(EmptyTreeHash()) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  MemoryTree t;
  CHECK(HexOf(TreeHash(0, t.Source()).value()) == HexOf(EmptyTreeHash()));
}

TEST_CASE("Leaf and node hashes carry the RFC 6962 domain-separation prefixes") {
  CHECK(HexOf(LeafHash("")) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const Hash a = LeafHash("");
  const Hash b = LeafHash(std::string("\x00", 1));
  CHECK(HexOf(NodeHash(a, b)) ==
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  CHECK(HexOf(NodeHash(b, a)) != HexOf(NodeHash(a, b)));
}

TEST_CASE("Tree hashes of the reference leaves match the RFC 6962 reference roots") {
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  MemoryTree t;
  for (const std::string& leaf : ReferenceLeaves()) t.Append(leaf);
  for (uint64_t n = 1; n <= 8; ++n) {
    CAPTURE(n);
    CHECK(HexOf(TreeHash(n, t.Source()).value()) == roots[n - 1]);
  }
}

TEST_CASE("Proofs from stored subtree hashes equal the naive RFC 6962 proofs and verify") {
  std::mt19937_64 rng(6962);
  for (int round = 0; round < 40; ++round) {
    MemoryTree t;
    const uint64_t n = 1 + rng() % (round < 20 ? 40 : 600);
    for (uint64_t i = 0; i < n; ++i) t.Append("entry " + std::to_string(rng()));
    const Hash root = TreeHash(n, t.Source()).value();
    CHECK(HexOf(root) == HexOf(testing::NaiveRoot(t.leaves(), 0, n)));
    for (int probe = 0; probe < 10; ++probe) {
      const uint64_t m = rng() % n;
      const uint64_t size = m + 1 + rng() % (n - m);
      CAPTURE(n);
      CAPTURE(m);
      CAPTURE(size);
      const std::vector<Hash> path = InclusionProof(m, size, t.Source()).value();
      CHECK(path == testing::NaivePath(t.leaves(), m, 0, size));
      const Hash sized_root = TreeHash(size, t.Source()).value();
      CHECK(VerifyInclusion(m, size, t.leaves()[m], path, sized_root));
      const uint64_t from = 1 + rng() % size;
      const std::vector<Hash> cons = ConsistencyProof(from, size, t.Source()).value();
      if (from < size) CHECK(cons == testing::NaiveSubproof(t.leaves(), from, 0, size, true));
      CHECK(VerifyConsistency(from, size, TreeHash(from, t.Source()).value(), sized_root, cons));
    }
  }
}

TEST_CASE("A flipped bit in the leaf, a proof hash or the root fails verification") {
  MemoryTree t;
  for (int i = 0; i < 77; ++i) t.Append("e" + std::to_string(i));
  const Hash root = TreeHash(77, t.Source()).value();
  const std::vector<Hash> path = InclusionProof(42, 77, t.Source()).value();
  REQUIRE(VerifyInclusion(42, 77, t.leaves()[42], path, root));
  Hash leaf = t.leaves()[42];
  leaf[5] ^= 0x10;
  CHECK_FALSE(VerifyInclusion(42, 77, leaf, path, root));
  CHECK_FALSE(VerifyInclusion(42, 77, LeafHash("e42 "), path, root));
  for (size_t i = 0; i < path.size(); ++i) {
    std::vector<Hash> bad = path;
    bad[i][31] ^= 0x01;
    CHECK_FALSE(VerifyInclusion(42, 77, t.leaves()[42], bad, root));
  }
  Hash bad_root = root;
  bad_root[0] ^= 0x80;
  CHECK_FALSE(VerifyInclusion(42, 77, t.leaves()[42], path, bad_root));
  CHECK_FALSE(VerifyInclusion(43, 77, t.leaves()[42], path, root));
  CHECK_FALSE(VerifyInclusion(42, 300, t.leaves()[42], path, root));
  std::vector<Hash> longer = path;
  longer.push_back(root);
  CHECK_FALSE(VerifyInclusion(42, 77, t.leaves()[42], longer, root));

  const std::vector<Hash> cons = ConsistencyProof(30, 77, t.Source()).value();
  const Hash old_root = TreeHash(30, t.Source()).value();
  REQUIRE(VerifyConsistency(30, 77, old_root, root, cons));
  CHECK_FALSE(VerifyConsistency(30, 77, old_root, bad_root, cons));
  CHECK_FALSE(VerifyConsistency(31, 77, old_root, root, cons));
  std::vector<Hash> bad_cons = cons;
  bad_cons[1][3] ^= 0x04;
  CHECK_FALSE(VerifyConsistency(30, 77, old_root, root, bad_cons));
}

TEST_CASE("TreeBuilder's root from leaf hashes alone equals the tree hash at every size") {
  MemoryTree t;
  TreeBuilder b;
  CHECK(b.Root() == EmptyTreeHash());
  for (int i = 0; i < 300; ++i) {
    t.Append("leaf " + std::to_string(i));
    b.Append(t.leaves().back());
    CHECK(b.Root() == TreeHash(t.size(), t.Source()).value());
  }
}

TEST_CASE("Proof requests outside the tree are invalid arguments") {
  MemoryTree t;
  for (int i = 0; i < 5; ++i) t.Append(std::to_string(i));
  CHECK(InclusionProof(5, 5, t.Source()).status().code() == Code::kInvalidArgument);
  CHECK(ConsistencyProof(4, 3, t.Source()).status().code() == Code::kInvalidArgument);
  CHECK(ConsistencyProof(0, 5, t.Source()).value().empty());
  CHECK(ConsistencyProof(5, 5, t.Source()).value().empty());
}

}  // namespace
}  // namespace vigil::tlog
