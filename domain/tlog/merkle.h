// RFC 6962 Merkle trees over SHA-256 (docs/transparency.md): leaf and node hashes, tree hashes of
// ranges, and inclusion and consistency proofs, both made and checked. Pure functions, no I/O.
//
// Proofs are made from the hashes of complete subtrees, the way the log stores them: the subtree at
// level L and index K covers leaves [K·2^L, (K+1)·2^L) and is complete once the tree holds its
// last leaf. A NodeSource hands those out; every tree hash the RFC's recursion needs is built from
// at most log2(n) of them, so a proof never re-hashes the log.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/status.h"

namespace vigil::tlog {

using Hash = std::array<unsigned char, 32>;

// SHA-256 of the empty string: the tree hash of the empty tree.
Hash EmptyTreeHash();
// SHA-256(0x00 ‖ entry).
Hash LeafHash(std::string_view entry);
// SHA-256(0x01 ‖ left ‖ right).
Hash NodeHash(const Hash& left, const Hash& right);
// The 32 raw bytes as a string, and back (InvalidArgument unless exactly 32 bytes).
std::string HashBytes(const Hash& h);
Result<Hash> HashFromBytes(std::string_view bytes);

// The hash of the complete subtree at `level`, index `index`; may fail (storage reads).
using NodeSource = std::function<Result<Hash>(int level, uint64_t index)>;

// The hashes of the complete subtrees completed by appending leaf `index` (whose hash is `leaf`):
// level 0 is the leaf itself, level L > 0 exists while (index + 1) is a multiple of 2^L. `left`
// gives the already stored left siblings (level, index) those nodes combine with. Element i of the
// result is the node at level i.
Result<std::vector<Hash>> CompletedNodes(uint64_t index, const Hash& leaf, const NodeSource& left);

// The RFC 6962 tree hash of leaves [lo, hi), REQUIRES lo < hi and that the range is one the RFC's
// recursion over some tree reaches (lo a multiple of the largest power of two below hi - lo, or
// of hi - lo when that is a power of two); in particular [0, n).
Result<Hash> RangeHash(uint64_t lo, uint64_t hi, const NodeSource& nodes);
// The tree hash of a tree of `size` leaves (EmptyTreeHash for 0).
Result<Hash> TreeHash(uint64_t size, const NodeSource& nodes);

// RFC 6962 §2.1.1 audit path of leaf `index` in the tree of `size` leaves, leaf side first.
// InvalidArgument unless index < size.
Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const NodeSource& nodes);
// RFC 6962 §2.1.2 consistency proof from `from` leaves to `to` leaves. InvalidArgument unless
// from <= to; empty when from is 0 or equal to to.
Result<std::vector<Hash>> ConsistencyProof(uint64_t from, uint64_t to, const NodeSource& nodes);

// Whether `proof` shows the leaf hash `leaf` at `index` in the tree of `size` leaves with `root`
// (RFC 9162 §2.1.3.2).
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                     const std::vector<Hash>& proof, const Hash& root);
// Whether `proof` shows the tree of `to` leaves with `to_root` extends the one of `from` leaves
// with `from_root` (RFC 9162 §2.1.4.2).
bool VerifyConsistency(uint64_t from, uint64_t to, const Hash& from_root, const Hash& to_root,
                       const std::vector<Hash>& proof);

// Tree hashes computed leaf by leaf from nothing but the leaf hashes, for checking stored hashes
// against the entries: keeps one hash per level (log2 of the size of them).
class TreeBuilder {
 public:
  void Append(const Hash& leaf);
  uint64_t size() const { return size_; }
  // The tree hash of the leaves appended so far.
  Hash Root() const;

 private:
  std::vector<std::pair<int, Hash>> stack_;  // complete subtrees, largest first
  uint64_t size_ = 0;
};

}  // namespace vigil::tlog
