#include "server/app/cli.h"

#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "domain/base64.h"
#include "domain/random.h"
#include "domain/secret_box.h"
#include "domain/time_util.h"
#include "domain/values.h"
#include "server/accounts/keys.h"
#include "server/app/app.h"
#include "server/app/command_line.h"
#include "server/app/config.h"
#include "server/app/dev_master_key.h"
#include "server/audit/audit.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "server/ops/retention.h"
#include "server/transparency/audit_check.h"
#include "server/transparency/transparency.h"
#include "server/transparency/verify.h"
#include "storage/audit.h"
#include "storage/database.h"
#include "storage/keys.h"
#include "storage/projects.h"

namespace vigil {
namespace {

Result<std::unique_ptr<Store>> OpenStore(const Config& c) {
  StoreOptions o;
  o.path = c.db_path;
  o.busy_timeout_ms = static_cast<int>(c.db_busy_timeout_ms);
  o.write_queue_max = static_cast<size_t>(c.write_queue_max);
  o.max_jobs_per_group = limits::kMaxJobsPerGroupCommit;
  o.event_id_generation = limits::kEventIdGeneration;
  o.event_id_filter_bytes = limits::kEventIdFilterBytes;
  o.wal_bound_bytes = limits::kWalBoundBytes;
  o.quick_check_max_bytes = limits::kStartupQuickCheckMaxBytes;
  return Store::Open(o);
}

// In dev mode without VIGIL_MASTER_KEY: the key kept beside the database, so webhooks work in a
// local trial. Outside dev mode nothing is generated and webhooks stay refused (fail closed).
bool UseDevMasterKey(Config* config) {
  if (!config->dev || !config->master_key.empty()) return true;
  const std::string path = DevMasterKeyPath(config->db_path);
  auto key = LoadOrCreateDevMasterKey(path);
  if (!key.ok()) {
    log::Error("dev master key unusable, refusing to start",
               {log::Str("error", key.status().message())});
    return false;
  }
  config->master_key = key.value();
  log::Warn(
      "dev mode: webhook secrets are sealed with the development master key kept beside the "
      "database; set VIGIL_MASTER_KEY outside a local trial",
      {log::Str("path", path)});
  return true;
}

// Start-up steps after the database opened: the master key, the stored secrets, the dev project.
// False (logged) when the server must not start.
bool PrepareStore(Store& store, Config* config) {
  if (!UseDevMasterKey(config)) return false;
  {
    // Start-up step 3 (docs/operations.md#start-up-and-shutdown): every stored secret must open
    // under a configured key, and rows under a previous key move to VIGIL_MASTER_KEY. Running
    // without them would fail every delivery later, silently; refusing now names the problem.
    auto secrets = ReencryptStoredSecrets(store, SecretBoxFromConfig(*config));
    if (!secrets.ok()) {
      log::Error("stored secrets cannot be decrypted, refusing to start",
                 {log::Str("error", secrets.status().message())});
      return false;
    }
    if (secrets->reencrypted > 0) {
      log::Info("stored secrets re-encrypted under VIGIL_MASTER_KEY",
                {log::Num("count", secrets->reencrypted)});
    }
    // The transparency signing key is a stored secret too (docs/transparency.md#keys). One that
    // opens under no configured key leaves the log without a signer (its routes answer 503) but
    // the server runs: the rest of the service does not depend on it, and a new key would break
    // the continuity of the logs' signatures.
    auto keys = ReencryptTransparencyKeys(store, SecretBoxFromConfig(*config));
    if (!keys.ok()) {
      log::Error("transparency signing key cannot be decrypted: the log stays unsigned",
                 {log::Str("error", keys.status().message())});
    }
  }
  if (config->dev) {
    Status s = BootstrapDev(store, config->dev_key, config->key_prefix);
    if (!s.ok()) {
      log::Error("dev bootstrap failed", {log::Str("error", s.message())});
      return false;
    }
    // Names the project, never the key: the run script prints the key it configured.
    log::Warn(
        "dev mode: project proj-dev has a well-known key; never use VIGIL_DEV=1 in production",
        {log::Str("project_id", "proj-dev")});
  }
  return true;
}

int Serve(Config config) {
  // glibc gives each busy thread its own malloc arena; with dozens of HTTP workers that multiplies
  // resident memory for no throughput gain. A few shared arenas keep RSS flat. Eight, not fewer:
  // with four, waiting for an arena's lock took ~2% of the workers' time under ingest load, while
  // RSS after a million events stayed at 83 MiB with eight.
  mallopt(M_ARENA_MAX, 8);
  // Large blocks come from the kernel and go back to it when freed (limits.h).
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(limits::kMallocMmapThresholdBytes));
  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto store = OpenStore(config);
  if (!store.ok()) {
    // The message names the file and the cause (storage/preflight.h); never a setting's value.
    log::Error("cannot open database, refusing to start",
               {log::Str("path", config.db_path), log::Str("error", store.status().message())});
    return 1;
  }
  if (!PrepareStore(*store.value(), &config)) return 1;
  App app(config, std::move(store.value()));
  Status s = app.Start();
  if (!s.ok()) {
    log::Error("cannot listen", {log::Str("error", s.message())});
    return 1;
  }
  if (config.stripe_api_base.rfind("http://", 0) == 0 && !config.stripe_secret_key.empty()) {
    log::Warn("VIGIL_STRIPE_API_BASE is plain http: the Stripe secret key travels unencrypted");
  }
  log::Info("listening", {log::Str("bind", config.bind), log::Num("port", app.port()),
                          log::Str("db", config.db_path)});
  // While it waits for a signal this thread hands the memory that threads freed back to the
  // kernel every few seconds: glibc keeps freed chunks inside each arena, so a burst (large
  // batches, many projects at once) would otherwise stay in the RSS long after it passed.
  int sig = -1;
  const timespec trim_every{limits::kMallocTrimIntervalS, 0};
  while (sig < 0) {
    sig = sigtimedwait(&signals, nullptr, &trim_every);
    if (sig < 0) malloc_trim(0);
  }
  log::Info("shutting down", {log::Num("signal", sig)});
  app.Shutdown();
  log::Info("stopped");
  return 0;
}

int Healthcheck(const Config& config) {
  const std::string host =
      config.bind == "0.0.0.0" || config.bind == "::" ? "127.0.0.1" : config.bind;
  // With native TLS the local server speaks HTTPS; its certificate names the public host, not
  // 127.0.0.1, so the local probe does not verify it (it only asks "are you up?").
  const std::string scheme = config.tls_cert.empty() ? "http://" : "https://";
  httplib::Client cli(scheme + host + ":" + std::to_string(config.port));
  cli.enable_server_certificate_verification(false);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(3, 0);
  auto res = cli.Get("/health");
  if (res && res->status == 200) {
    std::cout << "ok\n";
    return 0;
  }
  std::cerr << "unhealthy\n";
  return 1;
}

int KeysCreate(const Config& config, const std::string& project_id, const std::string& name) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "cannot open database: " << store.status().message() << "\n";
    return 1;
  }
  std::optional<int64_t> project;
  Status s = store.value()->Read([&](ReadTxn& txn) {
    auto r = storage::FindProjectId(txn, project_id);
    if (!r.ok()) return r.status();
    project = r.value();
    return Status::Ok();
  });
  if (s.ok() && !project) s = Status::NotFound("project not found");
  MintedKey key = MintKey(config.key_prefix);
  if (s.ok()) {
    s = store.value()->Write([&](WriteTxn& txn) {
      const int64_t now = NowMs();
      Status u =
          storage::UpsertKey(txn, *project, key.key_id, key.key_hash, key.key_prefix, name, now);
      if (!u.ok()) return u;
      AuditEntry e;
      e.time_ms = now;
      e.project = *project;
      e.actor = Actor::kCli;
      e.action = "api_key.create";
      e.detail_json = KeyDetail(key.key_id);
      return storage::InsertAudit(txn, e);
    });
  }
  if (!s.ok()) {
    std::cerr << "keys create: " << s.message() << "\n";
    return 1;
  }
  std::cout << "key_id: " << key.key_id << "\napi_key: " << key.raw_key
            << "\nStore this api_key now. It will never be shown again.\n";
  return 0;
}

// Key ids and display prefixes only: the raw key was printed once at creation and is not stored.
int KeysList(const Config& config, const std::string& project_id) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "cannot open database: " << store.status().message() << "\n";
    return 1;
  }
  auto keys = store.value()->ReadValue([&](ReadTxn& txn) -> Result<std::vector<ApiKeyRow>> {
    auto project = storage::FindProjectId(txn, project_id);
    if (!project.ok()) return project.status();
    if (!project.value()) return Status::NotFound("project not found");
    return storage::ListKeys(txn, *project.value());
  });
  if (!keys.ok()) {
    std::cerr << "keys list: " << keys.status().message() << "\n";
    return 1;
  }
  std::cout << "key_id\tprefix\tcreated_at\tlast_used_at\tname\n";
  for (const ApiKeyRow& k : keys.value()) {
    std::cout << k.key_id << "\t" << k.key_prefix << "\t" << FormatRfc3339Ms(k.created_at_ms)
              << "\t" << (k.last_used_at_ms > 0 ? FormatRfc3339Ms(k.last_used_at_ms) : "-") << "\t"
              << k.name << "\n";
  }
  return 0;
}

int ProjectsList(const Config& config) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "cannot open database: " << store.status().message() << "\n";
    return 1;
  }
  std::cout << "project_id\ttier\tcreated_at\tname\n";
  for (int64_t offset = 0;; offset += limits::kMaxPageSize) {
    auto page = store.value()->ReadValue([&](ReadTxn& txn) {
      return storage::ListAdminProjects(txn, limits::kMaxPageSize, offset);
    });
    if (!page.ok()) {
      std::cerr << "projects list: " << page.status().message() << "\n";
      return 1;
    }
    for (const AdminProject& p : page.value()) {
      std::cout << p.project_id << "\t" << TierName(p.tier) << "\t"
                << FormatRfc3339Ms(p.created_at_ms) << "\t" << p.name << "\n";
    }
    if (static_cast<int64_t>(page->size()) < limits::kMaxPageSize) return 0;
  }
}

int Reencrypt(const Config& config) {
  if (config.master_key.empty()) {
    std::cerr << "reencrypt: VIGIL_MASTER_KEY is not set\n";
    return 1;
  }
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "cannot open database: " << store.status().message() << "\n";
    return 1;
  }
  auto report = ReencryptStoredSecrets(*store.value(), SecretBoxFromConfig(config));
  if (!report.ok()) {
    std::cerr << "reencrypt: " << report.status().message() << "\n";
    return 1;
  }
  auto keys = ReencryptTransparencyKeys(*store.value(), SecretBoxFromConfig(config));
  if (!keys.ok()) {
    std::cerr << "reencrypt: " << keys.status().message() << "\n";
    return 1;
  }
  std::cout << "re-encrypted " << report->reencrypted << " of " << report->total
            << " stored secrets under VIGIL_MASTER_KEY\n";
  std::cout << "re-encrypted " << keys.value() << " transparency signing key(s)\n";
  return 0;
}

int Prune(const Config& config) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "prune: " << store.status().message() << "\n";
    return 1;
  }
  auto r = PruneOnce(*store.value(), config.retention_days, config.audit_retention_days, NowMs());
  if (!r.ok()) {
    std::cerr << "prune: " << r.status().message() << "\n";
    return 1;
  }
  std::cout << "pruned " << r->executions << " executions and " << r->deliveries
            << " webhook delivery rows; " << r->audit << " audit rows, " << r->stripe_events
            << " Stripe event ids, " << r->abuse_signals << " resolved abuse signals\n";
  return 0;
}

int Migrate(const Config& config) {
  auto store = OpenStore(config);  // Open applies pending migrations
  if (!store.ok()) {
    std::cerr << "migrate: " << store.status().message() << "\n";
    return 1;
  }
  std::cout << "migrations applied\n";
  return 0;
}

int Backup(const Config& config, const std::string& dest) {
  Status s = storage::BackupDatabase(config.db_path, dest);
  if (!s.ok()) {
    std::cerr << "backup: " << s.message() << "\n";
    return 1;
  }
  std::cout << "backup written to " << dest << "\n";
  return 0;
}

// The whole of file `path` into `out`; false when it cannot be read.
bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

// A verifier key given on the command line: the key itself, or a file holding it.
bool ReadKeyArgument(const std::string& arg, std::string* key) {
  *key = arg;
  if (key->find('+') == std::string::npos && !ReadWholeFile(arg, key)) {
    std::cerr << "verify: cannot read the key file " << arg << "\n";
    return false;
  }
  while (!key->empty() && (key->back() == '\n' || key->back() == '\r' || key->back() == ' ')) {
    key->pop_back();
  }
  return true;
}

// `vigil verify`: KEY and each witness key are the key itself or a file holding it.
int Verify(const CommandLine& cl) {
  std::string cert, key;
  if (!ReadWholeFile(cl.positional, &cert)) {
    std::cerr << "verify: cannot read " << cl.positional << "\n";
    return 1;
  }
  if (!ReadKeyArgument(cl.key, &key)) return 1;
  std::vector<std::string> witnesses(cl.witnesses.size());
  for (size_t i = 0; i < witnesses.size(); ++i) {
    if (!ReadKeyArgument(cl.witnesses[i], &witnesses[i])) return 1;
  }
  auto v = VerifyCertificate(cert, key, witnesses);
  if (!v.ok()) {
    std::cout << "FAILED: " << v.status().message() << "\n";
    return 1;
  }
  std::cout << "OK: the certificate verifies\n"
            << "log:       " << v->origin << "\n"
            << "index:     " << v->index << " of a tree of " << v->tree_size << " entries\n"
            << "root:      " << v->root_base64 << "\n"
            << "entry:     " << v->entry << "\n";
  for (const std::string& w : v->witnessed) std::cout << "witnessed: " << w << "\n";
  return 0;
}

// `vigil transparency rotate-key`: a new signing key, used from the next start. In dev mode the
// development master key seals it, as the server would.
int RotateTransparencyKey(Config config) {
  if (!UseDevMasterKey(&config)) return 1;
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "transparency rotate-key: " << store.status().message() << "\n";
    return 1;
  }
  Transparency log(store.value().get(), SecretBoxFromConfig(config), "");
  auto public_key = log.RotateKey(NowMs());
  if (!public_key.ok()) {
    std::cerr << "transparency rotate-key: " << public_key.status().message() << "\n";
    return 1;
  }
  std::cout << "new transparency signing key, Ed25519 public key "
            << Base64Encode(public_key.value())
            << "\nRestart the server: from then on it signs every checkpoint, and GET "
               "/transparency/key serves each project's new verifier key.\n";
  return 0;
}

int AuditCheck(const Config& config) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "audit check: " << store.status().message() << "\n";
    return 1;
  }
  auto report = AuditSealedRecords(*store.value());
  if (!report.ok()) {
    std::cerr << "audit check: " << report.status().message() << "\n";
    return 1;
  }
  for (const std::string& line : report->changed) std::cout << "CHANGED " << line << "\n";
  for (const std::string& line : report->log_faults) std::cout << "LOG FAULT " << line << "\n";
  std::cout << report->checked << " sealed record(s) in " << report->logs << " log(s) checked, "
            << report->removed << " removed by retention or deletion, " << report->changed.size()
            << " changed after sealing, " << report->log_faults.size() << " log fault(s)\n";
  return report->clean() ? 0 : 1;
}

int Check(const Config& config) {
  std::string report;
  Status s = storage::CheckDatabase(config.db_path, &report);
  std::cout << report << "\n";
  return s.ok() ? 0 : 1;
}

int RunCommand(const CommandLine& cl, const Config& config) {
  const std::string& c = cl.command;
  if (c == "serve") return Serve(config);
  if (c == "healthcheck") return Healthcheck(config);
  if (c == "keys" && cl.subcommand == "create") {
    return KeysCreate(config, cl.project_id, cl.name);
  }
  if (c == "keys") return KeysList(config, cl.project_id);
  if (c == "projects") return ProjectsList(config);
  if (c == "reencrypt") return Reencrypt(config);
  if (c == "prune") return Prune(config);
  if (c == "migrate") return Migrate(config);
  if (c == "backup") return Backup(config, cl.positional);
  if (c == "check") return Check(config);
  if (c == "audit") return AuditCheck(config);
  if (c == "transparency") return RotateTransparencyKey(config);
  std::cerr << "vigil: unknown command " << c << "\n";
  return 2;
}

}  // namespace

int RunCli(int argc, char** argv) {
  auto cl = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.ok()) {
    std::cerr << "vigil: " << cl.status().message() << "\n";
    return 2;
  }
  if (cl->help) {
    std::cout << (cl->command.empty() ? GeneralUsage() : CommandHelp(cl->command));
    return 0;
  }
  if (cl->version) {
    std::cout << "vigil " << VIGIL_VERSION << "\n";
    return 0;
  }
  // Needs no settings and no database: everything it checks is in the certificate and the key.
  if (cl->command == "verify") return Verify(cl.value());
  // Needs no settings and no database: it only prints fresh random bytes.
  if (cl->command == "gen-master-key") {
    std::cout << RandomHex(SecretBox::kKeyBytes) << "\n";
    return 0;
  }
  auto config = ParseConfig(cl->flags, VigilEnvironment());
  if (!config.ok()) {
    std::cerr << "vigil: " << config.status().message() << "\n";
    return 2;
  }
  log::Init(config->log_level);
  return RunCommand(cl.value(), config.value());
}

}  // namespace vigil
