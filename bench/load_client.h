// What the benchmarks share: the SDK-shaped events they post, a lean keep-alive HTTP client for
// the load, and readings of a process's CPU time and memory from /proc.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "domain/random.h"

namespace vigil::bench {

constexpr int kBatch = 100;

// Writes the id of event `j` of request `i` to `out`. Ordered ids ("<run>-<i>-<j>") land next to
// each other in the events' unique id index; SDK ids ("evt-" + 12 random hex digits,
// docs/protocol.md#what-mesedi-sdks-send) land anywhere in it. `rng` is the caller's xorshift
// state.
inline void EventId(bool sdk_ids, const char* run, long i, int j, uint64_t& rng, char (&out)[64]) {
  if (!sdk_ids) {
    std::snprintf(out, sizeof out, "%s-%ld-%d", run, i, j);
    return;
  }
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  std::snprintf(out, sizeof out, "evt-%012llx",
                static_cast<unsigned long long>(rng & 0xffffffffffffULL));
}

inline uint64_t SeedRng() {
  uint64_t seed = std::stoull(vigil::RandomHex(8), nullptr, 16);
  return seed ? seed : 1;
}

// Appends one event of ~500 bytes, as an SDK's llm_call would send, to `out`.
inline void AppendEventJson(std::string& out, const char* exec_id, const char* event_id, long seq) {
  static const char kText[] =
      "Summarise the quarterly revenue figures for the northern region and compare them with the "
      "previous period, highlighting any anomalies in subscription renewals, churn and expansion "
      "revenue, then propose three follow-up questions for the finance team to answer.";
  char buf[1024];
  const int n = std::snprintf(
      buf, sizeof(buf),
      "{\"event_id\":\"%s\",\"execution_id\":\"%s\",\"event_type\":\"llm_call\","
      "\"sequence\":%ld,\"timestamp\":\"2026-05-14T17:33:42.123Z\",\"duration_ms\":812,"
      "\"payload\":{\"model\":\"gpt-4o-mini\",\"status\":\"ok\",\"input_tokens\":%ld,"
      "\"output_tokens\":212,\"user_message\":\"%s #%ld\"}}",
      event_id, exec_id, seq, 900 + seq % 50, kText, seq);
  out.append(buf, static_cast<size_t>(std::min<int>(n, sizeof(buf) - 1)));
}

// A TCP connection to 127.0.0.1:`port`, or -1.
inline int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A minimal HTTP/1.1 keep-alive client for the load: one connection, one request at a time.
// The load generator shares the machine's two cores with the server, so every microsecond it
// spends is taken from the server being measured; this costs about half of httplib's client.
class LoadConnection {
 public:
  LoadConnection(int port, std::string key) : port_(port), key_(std::move(key)) {}
  ~LoadConnection() { Close(); }

  // POSTs `body` to `path` (or GETs `path`); returns the status code, or -1 when the exchange
  // failed.
  int Post(const char* path, const std::string& body) { return Send("POST", path, body); }
  int Patch(const char* path, const std::string& body) { return Send("PATCH", path, body); }
  int Get(const char* path) { return Send("GET", path, std::string()); }
  void set_key(std::string key) { key_ = std::move(key); }
  void set_content_type(std::string type) { content_type_ = std::move(type); }
  // The body of the last response.
  std::string ResponseBody() const {
    const size_t at = response_.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response_.substr(at + 4);
  }

 private:
  int Send(const char* method, const char* path, const std::string& body) {
    request_.clear();
    request_.append(method).append(" ").append(path).append(
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ");
    request_.append(content_type_).append("\r\nAuthorization: Bearer ");
    request_.append(key_).append("\r\nContent-Length: ").append(std::to_string(body.size()));
    request_.append("\r\n\r\n").append(body);
    // A kept-alive connection the server closed after its last response fails before any reply:
    // then, and only then, send again on a new connection (a fresh one failing is a failure).
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (!reused && !Connect()) return -1;
      bool replied = false;
      const int status = Exchange(&replied);
      if (status > 0) return status;
      Close();
      if (replied || !reused) return -1;
    }
    return -1;
  }

  bool Connect() {
    fd_ = ConnectLoopback(port_);
    if (fd_ < 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval timeout{30, 0};  // a stuck server fails the request instead of hanging the run
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    return true;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int Exchange(bool* replied) {
    for (size_t sent = 0; sent < request_.size();) {
      const ssize_t n = send(fd_, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return -1;
      sent += static_cast<size_t>(n);
    }
    // Read the head, then as many body bytes as Content-Length says.
    response_.clear();
    size_t head_end = std::string::npos;
    char buf[4096];
    while (head_end == std::string::npos) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return -1;
      *replied = true;
      response_.append(buf, static_cast<size_t>(n));
      head_end = response_.find("\r\n\r\n");
    }
    int status = 0;
    if (std::sscanf(response_.c_str(), "HTTP/1.1 %d", &status) != 1) return -1;
    std::string head = response_.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    if (const size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
    }
    while (response_.size() < head_end + 4 + length) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return -1;
      response_.append(buf, static_cast<size_t>(n));
    }
    if (head.find("\r\nconnection: close") != std::string::npos) Close();
    return status;
  }

  int port_;
  std::string key_;
  std::string content_type_ = "application/json";
  int fd_ = -1;
  std::string request_, response_;
};

inline long RssKiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// CPU seconds (user + system) used so far by the process or thread whose /proc stat file is
// `stat_path`.
inline double CpuSecondsOf(const std::string& stat_path) {
  std::ifstream f(stat_path);
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state; utime is 14, stime 15
    if (i == 14) utime = std::atol(field.c_str());
    if (i == 15) {
      stime = std::atol(field.c_str());
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds (user + system) used so far by process `pid`.
inline double CpuSeconds(pid_t pid) {
  return CpuSecondsOf("/proc/" + std::to_string(pid) + "/stat");
}

// CPU seconds used so far by the threads of process `pid`, summed by thread name
// (pthread_setname_np; unnamed threads carry the process's name).
inline std::map<std::string, double> ThreadCpuByName(pid_t pid) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator(task, ec)) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) out[name] += CpuSecondsOf(t.path() / "stat");
  }
  return out;
}

inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// A figure of this machine's single-core speed at the moment: millions of 64-bit keys sorted per
// second. The machines share their cores with other tenants and the same work costs up to a third
// more from one hour to the next; printed beside results, it tells a slow day from a regression.
inline double CpuCalibration() {
  std::vector<uint64_t> keys(1u << 22);
  uint64_t x = 88172645463325252ULL;
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    for (uint64_t& k : keys) x ^= x << 13, x ^= x >> 7, x ^= x << 17, k = x;
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    std::sort(keys.begin(), keys.end());
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    const double secs = static_cast<double>(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    best = std::max(best, static_cast<double>(keys.size()) / secs / 1e6);
  }
  return best;
}

}  // namespace vigil::bench
