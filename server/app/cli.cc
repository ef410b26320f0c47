#include "server/app/cli.h"

#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "domain/time_util.h"
#include "server/accounts/keys.h"
#include "server/app/app.h"
#include "server/app/config.h"
#include "server/audit/audit.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "server/ops/retention.h"
#include "storage/audit.h"
#include "storage/database.h"
#include "storage/keys.h"
#include "storage/projects.h"

namespace vigil {
namespace {

const char kUsage[] =
    "usage: vigil [command] [flags]\n"
    "\n"
    "commands:\n"
    "  serve                       run the server (default)\n"
    "  migrate                     apply pending schema migrations and exit\n"
    "  backup DEST                 write a consistent online copy of the database to DEST\n"
    "  check                       run SQLite's integrity and foreign-key checks\n"
    "  healthcheck                 GET the local /health (for container health checks)\n"
    "  keys create --project ID [--name N]\n"
    "                              mint an API key for a project and print it once\n"
    "  reencrypt                   re-encrypt stored secrets under VIGIL_MASTER_KEY\n"
    "  prune                       run the retention job once (docs/operations.md#retention)\n"
    "\n"
    "Every setting is an environment variable and a flag (the flag wins):\n";

// Per-command help: what it does, its exit codes, then the settings every command reads.
void PrintHelp(const std::string& command = "serve") {
  static const std::pair<const char*, const char*> kCommands[] = {
      {"migrate",
       "usage: vigil migrate [settings]\n  Applies pending schema migrations to VIGIL_DB.\n"},
      {"backup",
       "usage: vigil backup DEST [settings]\n  Writes a consistent online copy of VIGIL_DB to DEST"
       " (safe while the server runs). Restore by stopping Vigil and putting DEST in its place.\n"},
      {"check",
       "usage: vigil check [settings]\n  Runs SQLite's integrity and foreign-key checks.\n"},
      {"healthcheck",
       "usage: vigil healthcheck [settings]\n  GETs /health on the local port (VIGIL_PORT); exit 0"
       " when it answers 200. For container health checks without a shell.\n"},
      {"keys",
       "usage: vigil keys create --project ID [--name N] [settings]\n  Mints an API key for"
       " the project and prints it once.\n"},
      {"prune",
       "usage: vigil prune [settings]\n  Runs the retention job once: deletes executions older"
       " than each project's retention (VIGIL_RETENTION_DAYS by default) with their events.\n"},
      {"reencrypt",
       "usage: vigil reencrypt [settings]\n  Re-encrypts stored secrets under VIGIL_MASTER_KEY"
       " (rows sealed with a VIGIL_MASTER_KEY_PREVIOUS key).\n"},
  };
  for (const auto& [name, text] : kCommands) {
    if (command == name) {
      std::cout << text << "\nexit codes: 0 success, 1 failure, 2 bad usage\n\nsettings:\n"
                << ConfigHelp();
      return;
    }
  }
  std::cout << kUsage << ConfigHelp();
}

// Splits out command-specific flags; the rest are settings.
bool TakeFlag(std::vector<std::string>* args, const std::string& name, std::string* value) {
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == name && i + 1 < args->size()) {
      *value = (*args)[i + 1];
      args->erase(args->begin() + i, args->begin() + i + 2);
      return true;
    }
    if (a.rfind(name + "=", 0) == 0) {
      *value = a.substr(name.size() + 1);
      args->erase(args->begin() + i);
      return true;
    }
  }
  return false;
}

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

int Serve(const Config& config) {
  // glibc gives each busy thread its own malloc arena; with dozens of HTTP workers that multiplies
  // resident memory for no throughput gain. A few shared arenas keep RSS flat. Eight, not fewer:
  // with four, waiting for an arena's lock took ~2% of the workers' time under ingest load, while
  // RSS after a million events stayed at 83 MiB with eight.
  mallopt(M_ARENA_MAX, 8);
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
  {
    // Start-up step 3 (docs/operations.md#start-up-and-shutdown): every stored secret must open
    // under a configured key, and rows under a previous key move to VIGIL_MASTER_KEY. Running
    // without them would fail every delivery later, silently; refusing now names the problem.
    auto secrets = ReencryptStoredSecrets(*store.value(), SecretBoxFromConfig(config));
    if (!secrets.ok()) {
      log::Error("stored secrets cannot be decrypted, refusing to start",
                 {log::Str("error", secrets.status().message())});
      return 1;
    }
    if (secrets->reencrypted > 0) {
      log::Info("stored secrets re-encrypted under VIGIL_MASTER_KEY",
                {log::Num("count", secrets->reencrypted)});
    }
  }
  if (config.dev) {
    Status s = BootstrapDev(*store.value(), config.dev_key, config.key_prefix);
    if (!s.ok()) {
      log::Error("dev bootstrap failed", {log::Str("error", s.message())});
      return 1;
    }
    // Names the project, never the key: the run script prints the key it configured.
    log::Warn(
        "dev mode: project proj-dev has a well-known key; never use VIGIL_DEV=1 in production",
        {log::Str("project_id", "proj-dev")});
  }
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
  std::cout << "re-encrypted " << report->reencrypted << " of " << report->total
            << " stored secrets under VIGIL_MASTER_KEY\n";
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

int Check(const Config& config) {
  std::string report;
  Status s = storage::CheckDatabase(config.db_path, &report);
  std::cout << report << "\n";
  return s.ok() ? 0 : 1;
}

// A command line: the command, its own arguments, and the flags left for ParseConfig.
struct CommandLine {
  std::string command = "serve";
  std::string positional;        // backup's DEST
  std::string project_id, name;  // keys create's --project and --name
  std::vector<std::string> flags;
};

// Takes the command's own arguments off the command line; false (usage printed) when they are
// missing.
bool TakeCommandArguments(CommandLine* cl) {
  auto& args = cl->flags;
  if (cl->command == "backup") {
    if (args.empty() || args[0].rfind("--", 0) == 0) {
      std::cerr << "usage: vigil backup DEST\n";
      return false;
    }
    cl->positional = args[0];
    args.erase(args.begin());
  }
  if (cl->command == "keys") {
    const bool create = !args.empty() && args[0] == "create";
    if (create) args.erase(args.begin());
    if (!create || !TakeFlag(&args, "--project", &cl->project_id) || cl->project_id.empty()) {
      std::cerr << "usage: vigil keys create --project ID [--name N]\n";
      return false;
    }
    TakeFlag(&args, "--name", &cl->name);
  }
  return true;
}

int RunCommand(const CommandLine& cl, const Config& config) {
  const std::string& c = cl.command;
  if (c == "serve") return Serve(config);
  if (c == "healthcheck") return Healthcheck(config);
  if (c == "keys") return KeysCreate(config, cl.project_id, cl.name);
  if (c == "reencrypt") return Reencrypt(config);
  if (c == "prune") return Prune(config);
  if (c == "migrate") return Migrate(config);
  if (c == "backup") return Backup(config, cl.positional);
  if (c == "check") return Check(config);
  std::cerr << "vigil: unknown command " << c << "\n" << kUsage;
  return 2;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CommandLine cl;
  cl.flags.assign(argv + 1, argv + argc);
  if (!cl.flags.empty() && cl.flags[0].rfind("--", 0) != 0) {
    cl.command = cl.flags[0];
    cl.flags.erase(cl.flags.begin());
  }
  for (const auto& a : cl.flags) {
    if (a == "--help" || a == "-h") {
      PrintHelp(cl.command);
      return 0;
    }
  }
  if (cl.command == "help") {
    PrintHelp();
    return 0;
  }
  if (!TakeCommandArguments(&cl)) return 2;
  auto config = ParseConfig(cl.flags, VigilEnvironment());
  if (!config.ok()) {
    std::cerr << "vigil: " << config.status().message() << "\n";
    return 2;
  }
  log::Init(config->log_level);
  return RunCommand(cl, config.value());
}

}  // namespace vigil
