// Sealing terminal executions into their project's log, and their certificates, without a server.
#include "server/transparency/sealer.h"

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include <string>

#include "domain/secret_box.h"
#include "server/detection/detection.h"
#include "server/limits.h"
#include "server/transparency/handlers.h"
#include "server/transparency/transparency.h"
#include "server/transparency/verify.h"
#include "storage/connection.h"
#include "storage/transparency.h"
#include "tests/storage/temp_store.h"

using namespace vigil;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

struct SealerStore : vigil::testing::TempStore {
  explicit SealerStore(SecretBox box = SecretBox(std::string(32, 'k'), {}))
      : log(store.get(), std::move(box), "host.example") {
    REQUIRE(log.LoadKey(kNow).ok());
  }
  // A run of project `a` that ended.
  void End(const std::string& id) {
    NewExecution(a, id);
    REQUIRE(store
                ->Write([&](WriteTxn& txn) {
                  return GuardSqlite([&] {
                    SQLite::Statement q(txn.conn()->db(),
                                        "UPDATE executions SET status = 'completed' "
                                        "WHERE execution_id = ?");
                    q.bind(1, id);
                    q.exec();
                    return Status::Ok();
                  });
                })
                .ok());
  }
  uint64_t Size() {
    auto row = Read([&](Txn& txn) { return storage::GetTransparencyLog(txn, a); });
    return row ? row->size : 0;
  }
  std::string CertificateJson(const std::string& id) {
    auto cert = log.CertificateOf(a, "pa", id, kNow + 5000);
    REQUIRE(cert.ok());
    return vigil::CertificateJson(cert.value());
  }

  Detection detection{store.get(), false, "vigil"};
  Transparency log;
  Sealer sealer{store.get(), &detection, &log};
};

TEST_CASE(
    "A run that ended is sealed once its final pass is done, once, and its certificate "
    "verifies") {
  SealerStore s;
  s.End("r1");
  CHECK(s.sealer.SealDue(kNow).value() == 0);  // its final pass was not seen yet
  s.sealer.MarkReady(s.a, "r1");
  CHECK(s.sealer.SealDue(kNow).value() == 1);
  CHECK(s.sealer.SealDue(kNow).value() == 0);
  CHECK(s.Size() == 1);
  const std::string vkey = s.log.VerifierKey("pa").value();
  CHECK(vkey.rfind("host.example/vigil/pa+", 0) == 0);
  auto verified = VerifyCertificate(s.CertificateJson("r1"), vkey);
  REQUIRE(verified.ok());
  CHECK(verified->index == 0);
  CHECK(verified->entry.find("\"execution_id\":\"r1\"") != std::string::npos);
  CHECK_FALSE(VerifyCertificate(s.CertificateJson("r1"), s.log.VerifierKey("pb").value()).ok());
}

TEST_CASE("A run whose final pass was never seen is sealed after the grace period") {
  SealerStore s;
  s.End("r2");
  CHECK(s.sealer.SealDue(kNow).value() == 0);
  CHECK(s.sealer.SealDue(kNow + limits::kSealGraceMs).value() == 1);
  CHECK(s.Size() == 1);
}

TEST_CASE("Certificates of running, unknown and unsealed runs are refused as such") {
  SealerStore s;
  s.NewExecution(s.a, "running");
  CHECK(s.log.CertificateOf(s.a, "pa", "running", kNow).status().code() == Code::kConflict);
  CHECK(s.log.CertificateOf(s.a, "pa", "nope", kNow).status().code() == Code::kNotFound);
  CHECK(s.log.CertificateOf(s.b, "pb", "running", kNow).status().code() == Code::kNotFound);
  s.End("ended");
  CHECK(s.log.CertificateOf(s.a, "pa", "ended", kNow).status().code() == Code::kConflict);
}

TEST_CASE("Without a master key runs are still sealed and the log answers NotConfigured") {
  SealerStore s{SecretBox()};
  CHECK_FALSE(s.log.has_key());
  s.End("r3");
  s.sealer.MarkReady(s.a, "r3");
  CHECK(s.sealer.SealDue(kNow).value() == 1);
  CHECK(s.log.CertificateOf(s.a, "pa", "r3", kNow).status().code() == Code::kNotConfigured);
  CHECK(s.log.VerifierKey("pa").status().message() == "transparency log needs VIGIL_MASTER_KEY");
}

}  // namespace
