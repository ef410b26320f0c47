// The server under test as the benchmarks start it: a child process of the given binary on
// 127.0.0.1:port with its own database, dev mode with a known key, warnings-only logs and no rate
// limit (the benchmarks measure the server, not the limiter).
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::bench {

// Forks and execs `vigil`; `extra_env` adds settings of the benchmark's own. Returns the child.
inline pid_t StartVigil(const std::string& vigil, const std::string& db, int port,
                        const std::string& dev_key,
                        const std::vector<std::pair<std::string, std::string>>& extra_env) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  setenv("VIGIL_DB", db.c_str(), 1);
  setenv("VIGIL_PORT", std::to_string(port).c_str(), 1);
  setenv("VIGIL_BIND", "127.0.0.1", 1);
  setenv("VIGIL_DEV", "1", 1);
  setenv("VIGIL_DEV_KEY", dev_key.c_str(), 1);
  setenv("VIGIL_LOG_LEVEL", "warn", 1);
  setenv("VIGIL_RATE_LIMIT_BURST", "1000000000", 1);
  setenv("VIGIL_RATE_LIMIT_PER_SEC", "1000000000", 1);
  for (const auto& [name, value] : extra_env) setenv(name.c_str(), value.c_str(), 1);
  execl(vigil.c_str(), vigil.c_str(), static_cast<char*>(nullptr));
  std::perror("exec vigil");
  _exit(127);
}

// True once /health answers 200, false after about 10 s without it.
inline bool AwaitHealth(int port) {
  for (int i = 0; i < 500; ++i) {
    httplib::Client probe("127.0.0.1", port);
    if (auto r = probe.Get("/health"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace vigil::bench
