#include "storage/recent_event_ids.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/event_id_filter.h"

using namespace vigil;

namespace {

std::string IdKey(int64_t project, std::string_view id) {
  std::string k;
  RecentEventIds::EncodeKey(project, id, &k);
  return k;
}

uint64_t IdHash(std::string_view key) { return RecentEventIds::Hash(key); }

int64_t FindId(const RecentEventIds& r, const std::string& key) { return r.Find(key, IdHash(key)); }

// Stages `id` of project 1 under the next row, as IngestEvents does; returns the row.
int64_t StageId(RecentEventIds* r, std::string_view id, int64_t project = 1) {
  const int64_t row = r->NextRow();
  const std::string k = IdKey(project, id);
  r->Stage(k, IdHash(k), row);
  return row;
}

std::vector<std::string> SliceKeys(const RecentEventIds::Slice& s) {
  std::vector<std::string> keys;
  for (const auto* e = s.begin; e != s.end; ++e) keys.emplace_back(s.set->key(e->index));
  return keys;
}

// Merges the frozen generation to its end, one committed slice per group; returns its keys in the
// order they were merged.
std::vector<std::string> MergeWholeGeneration(RecentEventIds* r) {
  std::vector<std::string> merged;
  while (r->frozen_left() > 0) {
    for (const std::string& k : SliceKeys(r->TakeMergeSlice())) merged.push_back(k);
    r->Commit();
  }
  return merged;
}

}  // namespace

TEST_CASE("EventIdFilter reports every added key and few others") {
  EventIdFilter f(1 << 20);
  CHECK_FALSE(f.MayContain(IdHash(IdKey(1, "evt-1"))));  // a new filter holds nothing
  for (int i = 0; i < 20000; ++i) f.Add(IdHash(IdKey(1, "evt-" + std::to_string(i))));
  int missing = 0;
  for (int i = 0; i < 20000; ++i)
    missing += !f.MayContain(IdHash(IdKey(1, "evt-" + std::to_string(i))));
  CHECK(missing == 0);
  int false_positives = 0;
  for (int i = 0; i < 20000; ++i)
    false_positives += f.MayContain(IdHash(IdKey(2, "evt-" + std::to_string(i))));
  CHECK(false_positives < 20);  // 8 Mbit for 20,000 keys: expected well under 0.1%
}

TEST_CASE("EventIdFilter at its capacity gives few false positives, and is sized by its ids") {
  CHECK(EventIdFilter::BytesFor(0, 24 << 20) == EventIdFilter::kMinBytes);
  CHECK(EventIdFilter::BytesFor(10000000, 24 << 20) >= 10000000);
  CHECK(EventIdFilter::BytesFor(100000000, 24 << 20) == (24 << 20));
  CHECK(EventIdFilter::BytesFor(100000000, 4096) == 4096);  // the bound wins over the minimum
  EventIdFilter f(EventIdFilter::BytesFor(200000, 1 << 30));
  const size_t n = f.capacity();
  REQUIRE(n >= 200000);
  for (size_t i = 0; i < n; ++i) f.Add(IdHash(IdKey(1, "evt-" + std::to_string(i))));
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i)
    false_positives += f.MayContain(IdHash(IdKey(3, "evt-" + std::to_string(i))));
  CHECK(false_positives < 4000);  // under 4% at eight bits an id
}

TEST_CASE("Until a filter is built every id may be stored; the build holds the remembered ids") {
  RecentEventIds r(1000, 1 << 20);
  r.Reset(1);
  r.Load(IdKey(1, "unmerged"), 1);
  r.Reset(2);
  CHECK(r.WantsFilter());
  CHECK(r.MaybeStored(IdHash(IdKey(1, "never-seen"))));  // no filter: the index decides
  StageId(&r, "remembered");
  r.Commit();
  std::shared_ptr<EventIdFilter> building = r.StartFilter(10);
  CHECK(r.building_filter());
  CHECK_FALSE(r.WantsFilter());
  CHECK(building->MayContain(IdHash(IdKey(1, "remembered"))));  // added by StartFilter
  StageId(&r, "during-build");                                  // added as it is staged
  r.Commit();
  CHECK(building->MayContain(IdHash(IdKey(1, "during-build"))));
  CHECK(r.MaybeStored(IdHash(IdKey(1, "never-seen"))));  // still no filter in use
  building->Add(IdHash(IdKey(1, "indexed")));            // what a builder reads from the index
  r.FilterBuilt();
  CHECK_FALSE(r.building_filter());
  CHECK(r.filter_bytes() == building->bytes());
  CHECK(r.MaybeStored(IdHash(IdKey(1, "indexed"))));
  CHECK(r.MaybeStored(IdHash(IdKey(1, "during-build"))));
  int false_positives = 0;
  for (int i = 0; i < 1000; ++i)
    false_positives += r.MaybeStored(IdHash(IdKey(1, std::to_string(i))));
  CHECK(false_positives < 10);
  CHECK_FALSE(r.WantsFilter());
}

TEST_CASE("Ids that outgrow the filter ask for a larger one, which the old one serves meanwhile") {
  RecentEventIds r(1 << 20, 1 << 20);
  r.Reset(1);
  r.StartFilter(0);
  r.FilterBuilt();
  const size_t first = r.filter_bytes();
  CHECK(first == EventIdFilter::kMinBytes);
  std::vector<std::string> ids;
  for (size_t i = 0; r.stored_ids() <= first * 8 / EventIdFilter::kBitsPerId; ++i) {
    ids.push_back("id-" + std::to_string(i));
    StageId(&r, ids.back());
  }
  r.Commit();
  CHECK(r.WantsFilter());
  std::shared_ptr<EventIdFilter> bigger = r.StartFilter(r.stored_ids());
  CHECK(bigger->bytes() > first);
  StageId(&r, "while-rebuilding");
  r.Commit();
  // The old filter still answers, for the ids before and during the rebuild.
  CHECK(r.filter_bytes() == first);
  CHECK(r.MaybeStored(IdHash(IdKey(1, "while-rebuilding"))));
  CHECK(r.MaybeStored(IdHash(IdKey(1, ids.front()))));
  r.FilterBuildFailed();  // a failed build leaves the old filter in use
  CHECK(r.filter_bytes() == first);
  CHECK(r.WantsFilter());
}

TEST_CASE("Key byte order is the index's (project, event_id) order") {
  // Project ids compare as numbers; ids compare bytewise, a prefix first (SQLite's BINARY).
  std::vector<std::pair<int64_t, std::string>> ids = {{2, "a"},
                                                      {1, "b"},
                                                      {256, "a"},
                                                      {1, "ab"},
                                                      {1, std::string("ab\0", 3)},
                                                      {1, "ab\x01"},
                                                      {1, "a"},
                                                      {1, "\xff"},
                                                      {1, "evt-0123456789abcdefXYZ"},
                                                      {1, "evt-0123456789abcdefXY"}};
  RecentEventIds r(ids.size(), 4096);
  r.Reset(1);
  for (const auto& [p, id] : ids) StageId(&r, id, p);
  r.Commit();  // reaches the generation size: frozen
  const RecentEventIds::Slice s = r.TakeMergeSlice();
  std::vector<std::string> want;
  auto sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [p, id] : sorted) want.push_back(IdKey(p, id));
  CHECK(SliceKeys(s) == want);
  CHECK(s.completes);
  for (const auto& [p, id] : ids) {
    CHECK(RecentEventIds::KeyProject(IdKey(p, id)) == p);
    CHECK(RecentEventIds::KeyEventId(IdKey(p, id)) == id);
  }
}

TEST_CASE("A rolled-back job's ids are forgotten and the group's other jobs keep theirs") {
  RecentEventIds r(100, 4096);
  r.Reset(10);
  const int64_t a = StageId(&r, "a");
  const size_t mark = r.JobMark();
  StageId(&r, "b");
  r.RollbackJob(mark);
  CHECK(FindId(r, IdKey(1, "a")) == a);
  CHECK(FindId(r, IdKey(1, "b")) == 0);
  r.Commit();
  CHECK(FindId(r, IdKey(1, "a")) == a);

  // A whole transaction that fails takes its staged ids with it, committed ones stay.
  StageId(&r, "c");
  r.Abort();
  CHECK(FindId(r, IdKey(1, "c")) == 0);
  CHECK(FindId(r, IdKey(1, "a")) == a);
  CHECK(r.fresh_size() == 1);
}

TEST_CASE(
    "Re-storing an id whose event was deleted names the new row, and a rollback restores it") {
  RecentEventIds r(100, 4096);
  r.Reset(1);
  const int64_t old_row = StageId(&r, "a");
  r.Commit();
  CHECK_FALSE(r.RowUnsure(old_row));
  r.NoteDeletes();
  CHECK(r.RowUnsure(old_row));
  // The writer found the old row gone, so it stores the event again.
  const int64_t new_row = StageId(&r, "a");
  CHECK(FindId(r, IdKey(1, "a")) == new_row);
  CHECK_FALSE(r.RowUnsure(new_row));
  r.Abort();
  CHECK(FindId(r, IdKey(1, "a")) == old_row);
}

TEST_CASE("Rows handed out are never handed out again, even when their transaction fails") {
  RecentEventIds r(100, 4096);
  r.Reset(7);
  CHECK(StageId(&r, "a") == 7);
  r.Abort();
  CHECK(StageId(&r, "b") == 8);
}

TEST_CASE(
    "A generation is merged in key-order slices, and its ids are remembered until committed") {
  RecentEventIds r(2000, 1 << 16);
  r.Reset(1);
  for (int i = 0; i < 1999; ++i) StageId(&r, "evt-" + std::to_string((i * 7919) % 1999));
  r.Commit();
  CHECK(r.frozen_left() == 0);  // one id short of a generation
  CHECK(r.TakeMergeSlice().begin == r.TakeMergeSlice().end);
  StageId(&r, "last");
  r.Commit();
  REQUIRE(r.frozen_left() == 2000);
  CHECK(r.fresh_size() == 0);

  // Nothing staged in this group: the smallest slice, 1024 ids, in key order.
  RecentEventIds::Slice s = r.TakeMergeSlice();
  std::vector<std::string> first = SliceKeys(s);
  REQUIRE(first.size() == 1024);
  CHECK(std::is_sorted(first.begin(), first.end()));
  CHECK_FALSE(s.completes);
  CHECK(s.watermark == 2000);
  // A slice whose writes were rolled back is offered again.
  r.ForgetMergeSlice();
  CHECK(SliceKeys(r.TakeMergeSlice()) == first);
  r.Abort();
  CHECK(SliceKeys(r.TakeMergeSlice()) == first);
  // Merged ids are still found here until the whole generation is merged (the index holds them
  // too, so either answer is right); then only the filter and the index know them.
  CHECK(FindId(r, first[0]) != 0);
  r.Commit();
  CHECK(FindId(r, first[0]) != 0);
  CHECK(r.frozen_left() == 976);
  CHECK(r.MaybeStored(IdHash(first[0])));  // the filter still knows it: the index lookup decides

  s = r.TakeMergeSlice();
  std::vector<std::string> rest = SliceKeys(s);
  CHECK(rest.size() == 976);
  CHECK(s.completes);
  CHECK(first.back() < rest.front());
  r.Commit();
  CHECK(r.frozen_left() == 0);
  CHECK(FindId(r, rest.back()) == 0);
  CHECK(FindId(r, first[0]) == 0);
}

TEST_CASE("Slices are paced by the group so a generation is merged before the next one fills") {
  RecentEventIds r(4000, 1 << 16);  // merged by 3,200 fresh ids (80%)
  r.Reset(1);
  for (int i = 0; i < 4000; ++i) StageId(&r, "g1-" + std::to_string(i));
  r.Commit();
  REQUIRE(r.frozen_left() == 4000);
  // 1,500 of the 3,200 fresh ids the merge may take: 1,500/3,200 of the generation.
  for (int i = 0; i < 1500; ++i) StageId(&r, "g2-" + std::to_string(i));
  CHECK(SliceKeys(r.TakeMergeSlice()).size() == 1875);
  r.Commit();
  // Fresh ids pass 80% while the generation is still merging: the rest goes at once.
  for (int i = 1500; i < 4000; ++i) StageId(&r, "g2-" + std::to_string(i));
  r.Commit();
  CHECK(r.fresh_size() == 4000);
  CHECK(SliceKeys(r.TakeMergeSlice()).size() == 2125);
  r.Commit();
  CHECK(r.frozen_left() == 4000);  // the next generation froze right after
  CHECK(r.fresh_size() == 0);
}

TEST_CASE("Under steady ingestion every group carries a similar slice, done by 80% of the next") {
  RecentEventIds r(20000, 1 << 16);
  r.Reset(1);
  int next = 0;
  while (r.frozen_left() == 0) {
    for (int i = 0; i < 500; ++i) StageId(&r, "a" + std::to_string(next++));
    r.Commit();
  }
  std::vector<size_t> slices;
  while (r.frozen_left() > 0) {
    for (int i = 0; i < 500; ++i) StageId(&r, "a" + std::to_string(next++));
    slices.push_back(SliceKeys(r.TakeMergeSlice()).size());
    r.Commit();
  }
  CHECK(r.fresh_size() <= 16000);
  REQUIRE(slices.size() >= 20);
  // No group merges twice the pace of the first (the last slice is whatever is left).
  for (size_t i = 0; i + 1 < slices.size(); ++i) {
    CHECK(slices[i] >= slices[0] - 1);
    CHECK(slices[i] <= 2 * slices[0]);
  }
}

TEST_CASE("Groups that shrink one id at a time still leave only a few sorted runs") {
  RecentEventIds r(1 << 20, 1 << 16);
  r.Reset(1);
  int next = 0;
  size_t most = 0;
  for (int n = 600; n > 0; --n) {
    for (int i = 0; i < n; ++i) StageId(&r, "s" + std::to_string((next++ * 7919) % 1000003));
    r.Commit();
    most = std::max(most, r.fresh_runs());
  }
  CHECK(r.fresh_size() == 180300);
  CHECK(most <= 18);  // log2(180,300) rounded up
}

TEST_CASE("Ids committed in many groups of any size freeze into one key-ordered generation") {
  RecentEventIds r(5000, 1 << 16);
  r.Reset(1);
  // Scrambled ids, some of them alike in their first 24 key bytes (the inline prefix) so the
  // order must read the keys, and groups of 1 to 400 ids so runs of every length pair up.
  std::vector<std::string> keys;
  uint32_t x = 12345;
  int group = 0;
  while (r.frozen_left() == 0) {
    x = x * 1103515245u + 12345u;
    const int n = 1 + static_cast<int>((x >> 8) % 400);
    for (int i = 0; i < n; ++i) {
      x = x * 1103515245u + 12345u;
      const std::string id = (x & 1 ? "shared-prefix-0123456789-" : "") + std::to_string(x >> 4) +
                             "-" + std::to_string(keys.size());
      keys.push_back(IdKey(1, id));
      StageId(&r, id);
    }
    r.Commit();
    ++group;
  }
  CHECK(group > 20);
  const std::vector<std::string> merged = MergeWholeGeneration(&r);
  std::sort(keys.begin(), keys.end());
  CHECK(merged == keys);
}

TEST_CASE("Rolled-back jobs and aborted groups between run merges leave no trace in the order") {
  RecentEventIds r(3000, 1 << 16);
  r.Reset(1);
  // Loaded ids start the first run, as after a restart.
  std::vector<std::string> kept;
  for (int i = 0; i < 700; ++i) {
    const std::string k = IdKey(1, "load-" + std::to_string((i * 7919) % 100003));
    r.Load(k, i + 1);
    kept.push_back(k);
  }
  r.MaybeFreeze();
  uint32_t x = 99;
  int n = 0;
  auto next_id = [&] {
    x = x * 1103515245u + 12345u;
    return "k" + std::to_string(x >> 8) + "-" + std::to_string(n++);
  };
  for (int group = 0; r.frozen_left() == 0; ++group) {
    if (group % 5 == 4) {
      // A group whose transaction failed: everything it staged is undone.
      for (int i = 0; i < 30; ++i) StageId(&r, "aborted-" + next_id());
      r.Abort();
      continue;
    }
    // A small run after a large one, then a large one after a small one: both merge directions.
    const int size = group % 3 == 0 ? 400 : 7;
    for (int i = 0; i < size; ++i) {
      const std::string id = next_id();
      StageId(&r, id);
      kept.push_back(IdKey(1, id));
    }
    const size_t mark = r.JobMark();
    for (int i = 0; i < 50; ++i) StageId(&r, "rolled-back-" + next_id());
    r.RollbackJob(mark);
    r.Commit();
  }
  const std::vector<std::string> merged = MergeWholeGeneration(&r);
  std::sort(kept.begin(), kept.end());
  CHECK(merged == kept);
}

TEST_CASE("A generation whose runs grew while the last one merged, and past its size, is ordered") {
  RecentEventIds r(2000, 1 << 16);
  r.Reset(1);
  for (int i = 0; i < 2000; ++i) StageId(&r, "first-" + std::to_string(i));
  r.Commit();
  REQUIRE(r.frozen_left() == 2000);
  // Every merge slice fails (rolled back), so the fresh ids grow past a generation in runs while
  // the first generation waits.
  std::vector<std::string> second;
  for (int group = 0; group < 30; ++group) {
    for (int i = 0; i < 100; ++i) {
      const std::string id = std::to_string((group * 100 + i) * 7919 % 10007) + "-second";
      StageId(&r, id);
      second.push_back(IdKey(1, id));
    }
    r.TakeMergeSlice();
    r.ForgetMergeSlice();
    r.Commit();
  }
  CHECK(r.fresh_size() == 3000);
  CHECK(r.frozen_left() == 2000);
  while (r.frozen_left() == 2000 || r.fresh_size() > 0) {
    // Merging resumes: the first generation goes at once (fresh is past 80%), then the second
    // freezes, all 3,000 ids of it.
    r.TakeMergeSlice();
    r.Commit();
    if (r.frozen_left() == 3000) break;
  }
  REQUIRE(r.frozen_left() == 3000);
  const std::vector<std::string> merged = MergeWholeGeneration(&r);
  std::sort(second.begin(), second.end());
  CHECK(merged == second);
}

TEST_CASE("Ids loaded on open are remembered and merged like committed ones") {
  RecentEventIds r(3, 4096);
  r.Reset(100);
  r.Load(IdKey(1, "x"), 50);
  r.Load(IdKey(1, "y"), 51);
  r.MaybeFreeze();
  CHECK(FindId(r, IdKey(1, "old")) == 0);  // the index decides
  CHECK(FindId(r, IdKey(1, "x")) == 50);
  CHECK(r.frozen_left() == 0);
  r.Load(IdKey(1, "z"), 52);
  r.MaybeFreeze();
  CHECK(r.frozen_left() == 3);
  CHECK(r.TakeMergeSlice().watermark == 99);
  CHECK(r.NextRow() == 100);
}
