// The vigil executable: everything lives in the libraries so tests can reach it.
#include "server/app/cli.h"

int main(int argc, char** argv) { return vigil::RunCli(argc, argv); }
