// The shape of a `vigil` command line (docs/operations.md#commands): which command, its own
// arguments and flags, and the setting flags left for ParseConfig. Pure: no I/O, so the unit tests
// cover every form.
#pragma once

#include <string>
#include <vector>

#include "domain/status.h"

namespace vigil {

struct CommandLine {
  std::string command = "serve";
  std::string subcommand;  // `keys create`, `keys list`, `projects list`, `audit check`,
                           // `transparency rotate-key`
  std::string positional;  // backup's DEST, verify's CERT.json
  std::string key;         // verify's --key
  std::vector<std::string> witnesses;  // verify's --witness, repeatable
  std::string project_id, name;        // the keys commands' --project and --name
  bool help = false;                   // -h or --help anywhere
  bool version = false;                // --version or -V
  std::vector<std::string> flags;      // settings, for ParseConfig
};

// Splits argv (without the program name). Flags may come before or after the command; every
// setting flag takes a value (`--port 8080` or `--port=8080`). InvalidArgument, with a message
// fit for the user, for an unknown command, a missing argument or a stray word; -h and --version
// never fail (help for an unknown command is the general usage).
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// What `vigil --help` prints: the commands, one line each.
std::string GeneralUsage();
// The help of one command: its usage, what it does, and the settings it reads. `serve` lists every
// setting. Unknown commands get GeneralUsage().
std::string CommandHelp(const std::string& command);

}  // namespace vigil
