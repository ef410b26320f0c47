// An in-memory log for the tlog tests: leaf hashes appended the way storage appends them (the
// complete subtrees each leaf completes), and the naive RFC 6962 definitions to compare against.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "domain/tlog/merkle.h"

namespace vigil::tlog::testing {

class MemoryTree {
 public:
  void Append(const std::string& entry) {
    const uint64_t index = leaves_.size();
    leaves_.push_back(LeafHash(entry));
    auto nodes = CompletedNodes(index, leaves_.back(), Source());
    for (size_t level = 0; level < nodes.value().size(); ++level) {
      nodes_[{static_cast<int>(level), index >> level}] = nodes.value()[level];
    }
  }
  uint64_t size() const { return leaves_.size(); }
  const std::vector<Hash>& leaves() const { return leaves_; }
  NodeSource Source() const {
    return [this](int level, uint64_t index) -> Result<Hash> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return Status::NotFound("no such node");
      return it->second;
    };
  }

 private:
  std::vector<Hash> leaves_;
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
};

// RFC 6962 §2.1 MTH over leaf hashes [lo, hi).
inline Hash NaiveRoot(const std::vector<Hash>& d, uint64_t lo, uint64_t hi) {
  if (hi - lo == 1) return d[lo];
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return NodeHash(NaiveRoot(d, lo, lo + k), NaiveRoot(d, lo + k, hi));
}

// RFC 6962 §2.1.1 PATH(m, D[lo:hi]).
inline std::vector<Hash> NaivePath(const std::vector<Hash>& d, uint64_t m, uint64_t lo,
                                   uint64_t hi) {
  if (hi - lo <= 1) return {};
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  std::vector<Hash> out;
  if (m < k) {
    out = NaivePath(d, m, lo, lo + k);
    out.push_back(NaiveRoot(d, lo + k, hi));
  } else {
    out = NaivePath(d, m - k, lo + k, hi);
    out.push_back(NaiveRoot(d, lo, lo + k));
  }
  return out;
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b).
inline std::vector<Hash> NaiveSubproof(const std::vector<Hash>& d, uint64_t m, uint64_t lo,
                                       uint64_t hi, bool b) {
  const uint64_t n = hi - lo;
  if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{NaiveRoot(d, lo, hi)};
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Hash> out;
  if (m <= k) {
    out = NaiveSubproof(d, m, lo, lo + k, b);
    out.push_back(NaiveRoot(d, lo + k, hi));
  } else {
    out = NaiveSubproof(d, m - k, lo + k, hi, false);
    out.push_back(NaiveRoot(d, lo, lo + k));
  }
  return out;
}

}  // namespace vigil::tlog::testing
