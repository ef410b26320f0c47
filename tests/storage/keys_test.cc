// API keys: per project, found by hash, rotated in place, touched in batches.
#include "storage/keys.h"

#include <doctest/doctest.h>

#include "tests/storage/temp_store.h"

using namespace vigil;
using vigil::testing::TempStore;

namespace {

Status AddKey(TempStore& t, int64_t project, const std::string& id, const std::string& hash,
              int64_t now_ms = 1) {
  return t.Write([&](WriteTxn& txn) {
    return storage::UpsertKey(txn, project, id, hash, "vk_" + id.substr(0, 4), "name-" + id,
                              now_ms);
  });
}

}  // namespace

TEST_CASE("A key is found by its hash, with the project it authenticates as") {
  TempStore t;
  REQUIRE(AddKey(t, t.b, "key-1", "hash-1").ok());
  REQUIRE(t.Write([&](WriteTxn& txn) {
             Status s = storage::SetSuspended(txn, t.b, true, "abuse:volume", 9);
             if (s.ok()) s = storage::SetRateLimit(txn, t.b, 5, 0.5);
             return s;
           }).ok());
  auto rec = t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-1"); });
  REQUIRE(rec.has_value());
  CHECK(rec->key_id == "key-1");
  CHECK(rec->key_prefix == "vk_key-");
  CHECK(rec->project == t.b);
  CHECK(rec->project_id == "pb");
  CHECK(rec->suspended);
  CHECK(rec->suspended_reason == "abuse:volume");
  CHECK(rec->rate_limit_burst == std::optional<double>(5));
  CHECK(rec->rate_limit_per_sec == std::optional<double>(0.5));
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-2"); }).has_value());
}

TEST_CASE("UpsertKey rotates the project's own key and leaves another project's key id alone") {
  TempStore t;
  REQUIRE(AddKey(t, t.a, "key-1", "hash-old", 10).ok());
  REQUIRE(AddKey(t, t.a, "key-1", "hash-new", 20).ok());  // rotation keeps the id
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-old"); }).has_value());
  CHECK(t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-new"); })->project == t.a);
  auto keys = t.Read([&](Txn& txn) { return storage::ListKeys(txn, t.a); });
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].created_at_ms == 10);  // creation time survives the rotation

  // The same key id under project b changes nothing and is not an error.
  CHECK(AddKey(t, t.b, "key-1", "hash-stolen").ok());
  CHECK_FALSE(t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-stolen"); }));
  CHECK(t.Read([&](Txn& txn) { return storage::ListKeys(txn, t.b); }).empty());
  CHECK(t.Read([](Txn& txn) { return storage::FindKeyByHash(txn, "hash-new"); })->project == t.a);
}

TEST_CASE("Another project's key behaves like a missing one") {
  TempStore t;
  REQUIRE(AddKey(t, t.a, "key-a", "hash-a").ok());
  REQUIRE(AddKey(t, t.b, "key-b1", "hash-b1").ok());
  REQUIRE(AddKey(t, t.b, "key-b2", "hash-b2").ok());
  CHECK(t.Read([&](Txn& txn) { return storage::CountKeys(txn, t.a); }) == 1);
  CHECK(t.Read([&](Txn& txn) { return storage::CountKeys(txn, t.b); }) == 2);
  CHECK(t.Read([&](Txn& txn) { return storage::KeyName(txn, t.a, "key-a"); }) ==
        std::optional<std::string>("name-key-a"));
  CHECK_FALSE(t.Read([&](Txn& txn) { return storage::KeyName(txn, t.a, "key-b1"); }));
  CHECK_FALSE(t.Write([&](WriteTxn& txn) { return storage::DeleteKey(txn, t.a, "key-b1"); }));
  CHECK(t.Read([&](Txn& txn) { return storage::CountKeys(txn, t.b); }) == 2);
  CHECK(t.Write([&](WriteTxn& txn) { return storage::DeleteKey(txn, t.b, "key-b1"); }));
  CHECK_FALSE(t.Write([&](WriteTxn& txn) { return storage::DeleteKey(txn, t.b, "key-b1"); }));
  auto left = t.Read([&](Txn& txn) { return storage::ListKeys(txn, t.b); });
  REQUIRE(left.size() == 1);
  CHECK(left[0].key_id == "key-b2");
}

TEST_CASE("ListKeys lists newest first with the last use") {
  TempStore t;
  REQUIRE(AddKey(t, t.a, "key-1", "hash-1", 100).ok());
  REQUIRE(AddKey(t, t.a, "key-2", "hash-2", 200).ok());
  REQUIRE(t.Write([](WriteTxn& txn) {
             return storage::TouchKeys(txn, {{"key-1", 150}, {"no-such-key", 160}});
           }).ok());
  auto keys = t.Read([&](Txn& txn) { return storage::ListKeys(txn, t.a); });
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].key_id == "key-2");
  CHECK(keys[0].last_used_at_ms == 0);  // never used
  CHECK(keys[1].key_id == "key-1");
  CHECK(keys[1].last_used_at_ms == 150);
  CHECK(keys[1].name == "name-key-1");
}
