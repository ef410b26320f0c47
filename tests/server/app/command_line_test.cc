#include "server/app/command_line.h"

#include <doctest/doctest.h>

using namespace vigil;

TEST_CASE("ParseCommandLine: no words runs serve with the flags as settings") {
  auto cl = ParseCommandLine({"--port", "9000", "--dev=1"});
  REQUIRE(cl.ok());
  CHECK(cl->command == "serve");
  CHECK(cl->flags == std::vector<std::string>{"--port", "9000", "--dev=1"});
  CHECK_FALSE(cl->help);
}

TEST_CASE("ParseCommandLine: setting flags may come before or after the command") {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--db", "/tmp/x.db", "migrate"},
                                                                {"migrate", "--db", "/tmp/x.db"},
                                                                {"--db=/tmp/x.db", "migrate"}}) {
    auto cl = ParseCommandLine(args);
    REQUIRE(cl.ok());
    CHECK(cl->command == "migrate");
    CHECK(cl->flags.front().rfind("--db", 0) == 0);
  }
}

TEST_CASE("ParseCommandLine: keys takes its subcommand, --project and --name in any order") {
  auto cl = ParseCommandLine({"--db", "x.db", "keys", "--name", "ci", "create", "--project", "p1"});
  REQUIRE(cl.ok());
  CHECK(cl->command == "keys");
  CHECK(cl->subcommand == "create");
  CHECK(cl->project_id == "p1");
  CHECK(cl->name == "ci");
  CHECK(cl->flags == std::vector<std::string>{"--db", "x.db"});

  auto list = ParseCommandLine({"keys", "list", "--project=p2"});
  REQUIRE(list.ok());
  CHECK(list->subcommand == "list");
  CHECK(list->project_id == "p2");
}

TEST_CASE("ParseCommandLine: missing or stray arguments are usage errors that show the usage") {
  const std::vector<std::vector<std::string>> bad = {
      {"keys"},
      {"keys", "create"},
      {"keys", "delete", "--project", "p"},
      {"keys", "list", "--project", "p", "--name", "n"},
      {"projects"},
      {"backup"},
      {"migrate", "extra"},
      {"frobnicate"},
  };
  for (const auto& args : bad) {
    auto cl = ParseCommandLine(args);
    CHECK_FALSE(cl.ok());
    if (!cl.ok() && args.front() != "frobnicate") {
      CHECK(cl.status().message().find("usage: vigil " + args.front()) != std::string::npos);
    }
  }
  auto backup = ParseCommandLine({"backup", "/tmp/dest.db"});
  REQUIRE(backup.ok());
  CHECK(backup->positional == "/tmp/dest.db");
}

TEST_CASE("ParseCommandLine: -h, --help, help and --version never fail") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-h"}, {"--help"}, {"help"}, {"keys", "-h"}, {"help", "keys"}, {"nope", "--help"}}) {
    auto cl = ParseCommandLine(args);
    REQUIRE(cl.ok());
    CHECK(cl->help);
  }
  CHECK(ParseCommandLine({"-h"})->command.empty());
  CHECK(ParseCommandLine({"help", "keys"})->command == "keys");
  CHECK(ParseCommandLine({"--version"})->version);
  CHECK(ParseCommandLine({"-V"})->version);
}

TEST_CASE("Help: the general usage is short, serve's lists every setting, others only theirs") {
  const std::string general = GeneralUsage();
  CHECK(general.find("gen-master-key") != std::string::npos);
  CHECK(general.find("--rate-limit-burst") == std::string::npos);
  CHECK(CommandHelp("serve").find("--rate-limit-burst") != std::string::npos);
  const std::string keys = CommandHelp("keys");
  CHECK(keys.find("vigil keys list --project ID") != std::string::npos);
  CHECK(keys.find("VIGIL_DB") != std::string::npos);
  CHECK(keys.find("--rate-limit-burst") == std::string::npos);
  CHECK(CommandHelp("gen-master-key").find("settings it reads") == std::string::npos);
  CHECK(CommandHelp("no-such-command") == general);
}

TEST_CASE("ParseCommandLine: verify takes --witness any number of times, in order") {
  auto cl = ParseCommandLine(
      {"verify", "cert.json", "--witness", "w1+k", "--key", "log+k", "--witness=w2+k"});
  REQUIRE(cl.ok());
  CHECK(cl->positional == "cert.json");
  CHECK(cl->key == "log+k");
  CHECK(cl->witnesses == std::vector<std::string>{"w1+k", "w2+k"});
  CHECK(cl->flags.empty());
  auto none = ParseCommandLine({"verify", "cert.json", "--key", "log+k"});
  REQUIRE(none.ok());
  CHECK(none->witnesses.empty());
}

TEST_CASE("ParseCommandLine: transparency needs its rotate-key subcommand") {
  auto cl = ParseCommandLine({"transparency", "rotate-key", "--db", "x.db"});
  REQUIRE(cl.ok());
  CHECK(cl->command == "transparency");
  CHECK(cl->subcommand == "rotate-key");
  CHECK_FALSE(ParseCommandLine({"transparency"}).ok());
  CHECK_FALSE(ParseCommandLine({"transparency", "rotate"}).ok());
}
