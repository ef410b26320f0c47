#include "domain/tlog/merkle.h"

#include <algorithm>
#include <cstring>

#include "domain/hash.h"

namespace vigil::tlog {
namespace {

Hash HashOfParts(std::initializer_list<std::string_view> parts) {
  const std::string raw = Sha256Raw(parts);
  Hash h;
  std::memcpy(h.data(), raw.data(), h.size());
  return h;
}

std::string_view ViewOf(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// The largest power of two strictly below n (REQUIRES n >= 2).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int Log2(uint64_t n) {
  int l = 0;
  while ((uint64_t{1} << l) < n) ++l;
  return l;
}

}  // namespace

Hash EmptyTreeHash() { return HashOfParts({}); }

Hash LeafHash(std::string_view entry) { return HashOfParts({std::string_view("\x00", 1), entry}); }

Hash NodeHash(const Hash& left, const Hash& right) {
  return HashOfParts({std::string_view("\x01", 1), ViewOf(left), ViewOf(right)});
}

std::string HashBytes(const Hash& h) { return std::string(ViewOf(h)); }

Result<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return Status::InvalidArgument("a hash is 32 bytes");
  Hash h;
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

Result<std::vector<Hash>> CompletedNodes(uint64_t index, const Hash& leaf, const NodeSource& left) {
  std::vector<Hash> out{leaf};
  uint64_t i = index;
  int level = 0;
  while ((i & 1) != 0) {
    Result<Hash> sibling = left(level, i - 1);
    if (!sibling.ok()) return sibling.status();
    out.push_back(NodeHash(sibling.value(), out.back()));
    i >>= 1;
    ++level;
  }
  return out;
}

Result<Hash> RangeHash(uint64_t lo, uint64_t hi, const NodeSource& nodes) {
  const uint64_t n = hi - lo;
  if (lo >= hi) return Status::Internal("empty range has no subtree hash");
  if (IsPowerOfTwo(n) && lo % n == 0) {
    const int level = Log2(n);
    return nodes(level, lo >> level);
  }
  const uint64_t k = SplitPoint(n);
  if (lo % k != 0) return Status::Internal("range is not one of the tree's subtrees");
  Result<Hash> left = RangeHash(lo, lo + k, nodes);
  if (!left.ok()) return left;
  Result<Hash> right = RangeHash(lo + k, hi, nodes);
  if (!right.ok()) return right;
  return NodeHash(left.value(), right.value());
}

Result<Hash> TreeHash(uint64_t size, const NodeSource& nodes) {
  if (size == 0) return EmptyTreeHash();
  return RangeHash(0, size, nodes);
}

Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const NodeSource& nodes) {
  if (index >= size) return Status::InvalidArgument("index must be below the tree size");
  // Descends from the whole tree to the leaf, noting the sibling subtree at each step; the proof
  // lists them from the leaf up.
  std::vector<Hash> path;
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    Result<Hash> sibling =
        index < lo + k ? RangeHash(lo + k, hi, nodes) : RangeHash(lo, lo + k, nodes);
    if (!sibling.ok()) return sibling.status();
    path.push_back(sibling.value());
    if (index < lo + k) {
      hi = lo + k;
    } else {
      lo += k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Result<std::vector<Hash>> ConsistencyProof(uint64_t from, uint64_t to, const NodeSource& nodes) {
  if (from > to) return Status::InvalidArgument("from must not exceed to");
  std::vector<Hash> proof;
  if (from == 0 || from == to) return proof;
  // RFC 6962 SUBPROOF(m, D[lo:hi], b), unrolled: each step notes one subtree, and the proof lists
  // them from the deepest step up.
  uint64_t m = from, lo = 0, hi = to;
  bool whole = true;  // b: the subtree [lo, lo + m) is the old tree itself
  while (m != hi - lo) {
    const uint64_t k = SplitPoint(hi - lo);
    Result<Hash> h = m <= k ? RangeHash(lo + k, hi, nodes) : RangeHash(lo, lo + k, nodes);
    if (!h.ok()) return h.status();
    proof.push_back(h.value());
    if (m <= k) {
      hi = lo + k;
    } else {
      m -= k;
      lo += k;
      whole = false;
    }
  }
  if (!whole) {
    Result<Hash> h = RangeHash(lo, hi, nodes);
    if (!h.ok()) return h.status();
    proof.push_back(h.value());
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t from, uint64_t to, const Hash& from_root, const Hash& to_root,
                       const std::vector<Hash>& proof) {
  if (from > to) return false;
  if (from == to) return proof.empty() && from_root == to_root;
  if (from == 0) return proof.empty();
  std::vector<Hash> c;
  if (IsPowerOfTwo(from)) c.push_back(from_root);
  c.insert(c.end(), proof.begin(), proof.end());
  if (c.empty()) return false;
  uint64_t fn = from - 1, sn = to - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = c[0], sr = c[0];
  for (size_t i = 1; i < c.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c[i], fr);
      sr = NodeHash(c[i], sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == from_root && sr == to_root && sn == 0;
}

void TreeBuilder::Append(const Hash& leaf) {
  stack_.emplace_back(0, leaf);
  while (stack_.size() >= 2 && stack_[stack_.size() - 2].first == stack_.back().first) {
    const Hash right = stack_.back().second;
    stack_.pop_back();
    stack_.back().second = NodeHash(stack_.back().second, right);
    ++stack_.back().first;
  }
  ++size_;
}

Hash TreeBuilder::Root() const {
  if (stack_.empty()) return EmptyTreeHash();
  Hash h = stack_.back().second;
  for (size_t i = stack_.size() - 1; i-- > 0;) h = NodeHash(stack_[i].second, h);
  return h;
}

}  // namespace vigil::tlog
