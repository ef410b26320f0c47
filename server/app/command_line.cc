#include "server/app/command_line.h"

#include "server/app/config.h"

namespace vigil {
namespace {

// One command: how it is called, a line for the general usage, what it does, and the settings it
// reads (the rest are ignored by it, so its help leaves them out).
struct CommandSpec {
  const char* name;
  const char* usage;
  const char* summary;
  const char* description;
  std::vector<std::string> reads;
  std::vector<std::string> subcommands;  // required when not empty
  bool takes_dest = false;
  bool takes_project = false;  // --project ID (required) and --name N
  bool takes_key = false;      // --key KEY (required)
};

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {"serve",
       "vigil [serve] [settings]",
       "run the server (the default command)",
       "Runs the server until SIGTERM or SIGINT. Every setting below is also an environment\n"
       "variable; the flag wins.",
       {},
       {}},
      {"migrate",
       "vigil migrate [--db FILE]",
       "apply pending schema migrations",
       "Applies pending schema migrations to the database and exits.",
       {"VIGIL_DB"},
       {}},
      {"backup",
       "vigil backup DEST [--db FILE]",
       "write a consistent online copy of the database",
       "Writes a consistent copy of the database to DEST, safe while the server runs. Restore by\n"
       "stopping Vigil and putting DEST in the database's place.",
       {"VIGIL_DB"},
       {},
       true},
      {"check",
       "vigil check [--db FILE]",
       "run SQLite's integrity and foreign-key checks",
       "Runs SQLite's integrity and foreign-key checks and prints what they found.",
       {"VIGIL_DB"},
       {}},
      {"healthcheck",
       "vigil healthcheck [--port N]",
       "GET the local /health",
       "GETs /health on the local port; exit 0 when it answers 200. For container health checks\n"
       "without a shell.",
       {"VIGIL_PORT", "VIGIL_BIND", "VIGIL_TLS_CERT"},
       {}},
      {"keys",
       "vigil keys create --project ID [--name N]\n       vigil keys list --project ID",
       "create (printed once) or list a project's API keys",
       "create mints an API key for the project and prints it once; only its hash is stored.\n"
       "list prints the project's keys by id and display prefix, never a secret.",
       {"VIGIL_DB", "VIGIL_KEY_PREFIX"},
       {"create", "list"},
       false,
       true},
      {"projects",
       "vigil projects list [--db FILE]",
       "list the projects",
       "Prints every project: its public id, tier, creation time and name.",
       {"VIGIL_DB"},
       {"list"}},
      {"reencrypt",
       "vigil reencrypt [settings]",
       "re-encrypt stored secrets under the master key",
       "Re-encrypts stored secrets sealed with a VIGIL_MASTER_KEY_PREVIOUS key under\n"
       "VIGIL_MASTER_KEY (which it needs).",
       {"VIGIL_DB", "VIGIL_MASTER_KEY", "VIGIL_MASTER_KEY_PREVIOUS"},
       {}},
      {"prune",
       "vigil prune [settings]",
       "run the retention job once",
       "Deletes executions older than each project's retention (VIGIL_RETENTION_DAYS by default)\n"
       "with their events, and old audit and delivery rows.",
       {"VIGIL_DB", "VIGIL_RETENTION_DAYS", "VIGIL_AUDIT_RETENTION_DAYS"},
       {}},
      {"verify",
       "vigil verify CERT.json --key KEY [--witness WKEY]...",
       "check an execution certificate offline",
       "Checks a certificate (GET /executions/{id}/certificate) without a server: the entry's\n"
       "leaf hash, its inclusion proof, the checkpoint's root and the checkpoint's signature by\n"
       "KEY (GET /transparency/key: the key itself, or a file holding it). Each --witness WKEY\n"
       "(a witness's cosigner key, or a file holding it) requires that witness's valid\n"
       "cosignature on the checkpoint. Prints what the certificate binds; exit 1 when any check\n"
       "fails.",
       {},
       {},
       true,
       false,
       true},
      {"audit",
       "vigil audit check [--db FILE]",
       "recompute sealed records and report changes",
       "Recomputes every execution sealed in a transparency log from the database and reports\n"
       "the ones changed after sealing (an edited event, execution or finding) and stored log\n"
       "hashes that do not match the entries; exit 1 when it finds any.",
       {"VIGIL_DB"},
       {"check"}},
      {"transparency",
       "vigil transparency rotate-key [settings]",
       "add a new transparency signing key",
       "Generates a new Ed25519 signing key for the transparency logs, sealed under\n"
       "VIGIL_MASTER_KEY (which it needs). After the next start the new key signs every\n"
       "checkpoint and GET /transparency/key serves it; checkpoints and certificates signed\n"
       "before stay verifiable with the old verifier key. Prints the new public key.",
       {"VIGIL_DB", "VIGIL_MASTER_KEY", "VIGIL_MASTER_KEY_PREVIOUS"},
       {"rotate-key"}},
      {"gen-master-key",
       "vigil gen-master-key",
       "print a fresh random VIGIL_MASTER_KEY",
       "Prints 32 random bytes as 64 hex digits, the form VIGIL_MASTER_KEY takes. Store it like a\n"
       "password: losing it makes stored webhook secrets unreadable.",
       {},
       {}},
  };
  return kCommands;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const CommandSpec& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

// Removes `--name V` or `--name=V` from `flags`; false when absent.
bool TakeFlag(std::vector<std::string>* flags, const std::string& name, std::string* value) {
  for (size_t i = 0; i < flags->size(); ++i) {
    const std::string& a = (*flags)[i];
    if (a == name && i + 1 < flags->size()) {
      *value = (*flags)[i + 1];
      flags->erase(flags->begin() + i, flags->begin() + i + 2);
      return true;
    }
    if (a.rfind(name + "=", 0) == 0) {
      *value = a.substr(name.size() + 1);
      flags->erase(flags->begin() + i);
      return true;
    }
  }
  return false;
}

Status UsageError(const CommandSpec& spec, const std::string& what) {
  return Status::InvalidArgument(what + "\nusage: " + spec.usage);
}

// Takes the command's own words and flags off `cl` and `words`.
Status TakeCommandArguments(const CommandSpec& spec, std::vector<std::string>* words,
                            CommandLine* cl) {
  if (!spec.subcommands.empty()) {
    if (words->empty()) return UsageError(spec, std::string(spec.name) + " needs a subcommand");
    cl->subcommand = words->front();
    words->erase(words->begin());
    bool known = false;
    for (const auto& s : spec.subcommands) known = known || s == cl->subcommand;
    if (!known) return UsageError(spec, "unknown subcommand " + cl->subcommand);
  }
  if (spec.takes_dest) {
    if (words->empty()) {
      return UsageError(
          spec, std::string(spec.name) + (spec.takes_key ? " needs CERT.json" : " needs DEST"));
    }
    cl->positional = words->front();
    words->erase(words->begin());
  }
  if (spec.takes_project) {
    if (!TakeFlag(&cl->flags, "--project", &cl->project_id) || cl->project_id.empty()) {
      return UsageError(spec, "--project ID is required");
    }
    if (TakeFlag(&cl->flags, "--name", &cl->name) && cl->subcommand != "create") {
      return UsageError(spec, "--name applies to keys create only");
    }
  }
  if (spec.takes_key && (!TakeFlag(&cl->flags, "--key", &cl->key) || cl->key.empty())) {
    return UsageError(spec, "--key KEY is required");
  }
  for (std::string w; spec.takes_key && TakeFlag(&cl->flags, "--witness", &w);) {
    cl->witnesses.push_back(w);
  }
  if (!words->empty()) return UsageError(spec, "unexpected argument " + words->front());
  return Status::Ok();
}

}  // namespace

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  cl.command.clear();
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      cl.help = true;
    } else if (a == "-V" || a == "--version") {
      cl.version = true;
    } else if (a.size() > 1 && a[0] == '-') {
      cl.flags.push_back(a);
      // Every flag takes a value; a missing one is ParseConfig's to report.
      if (a.find('=') == std::string::npos && i + 1 < args.size()) cl.flags.push_back(args[++i]);
    } else {
      words.push_back(a);
    }
  }
  if (!words.empty()) {
    cl.command = words.front();
    words.erase(words.begin());
  }
  if (cl.command == "help") {
    cl.help = true;
    cl.command = words.empty() ? "" : words.front();
  }
  if (cl.help || cl.version) return cl;
  if (cl.command.empty()) cl.command = "serve";
  const CommandSpec* spec = FindCommand(cl.command);
  if (spec == nullptr) {
    return Status::InvalidArgument("unknown command " + cl.command + " (vigil --help lists them)");
  }
  Status s = TakeCommandArguments(*spec, &words, &cl);
  if (!s.ok()) return s;
  return cl;
}

std::string GeneralUsage() {
  std::string out =
      "usage: vigil [command] [settings]\n\n"
      "Vigil watches AI agents: SDKs post what each run does, detectors flag failures, the\n"
      "dashboard is at /ui/.\n\ncommands:\n";
  for (const CommandSpec& c : Commands()) {
    std::string left = std::string("  ") + c.name;
    left.resize(18, ' ');
    out += left + c.summary + "\n";
  }
  out +=
      "\nSettings are environment variables VIGIL_FOO_BAR or flags --foo-bar, before or after the\n"
      "command. `vigil serve --help` lists every setting; `vigil COMMAND --help` shows one\n"
      "command. `vigil --version` prints the version. Reference: docs/operations.md.\n";
  return out;
}

std::string CommandHelp(const std::string& command) {
  const CommandSpec* spec = FindCommand(command);
  if (spec == nullptr) return GeneralUsage();
  std::string out = std::string("usage: ") + spec->usage + "\n\n" + spec->description + "\n";
  if (command == "serve") return out + "\nsettings:\n" + ConfigHelp();
  if (!spec->reads.empty()) out += "\nsettings it reads:\n" + ConfigHelp(spec->reads);
  out += "\nexit codes: 0 success, 1 failure, 2 bad usage\n";
  return out;
}

}  // namespace vigil
