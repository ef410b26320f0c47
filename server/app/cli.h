// The `vigil` command line: `serve` (default) and the operator commands of
// docs/operations.md#commands.
#pragma once

namespace vigil {

// Returns the process exit code: 0 success, 1 failure, 2 bad usage or configuration.
int RunCli(int argc, char** argv);

}  // namespace vigil
