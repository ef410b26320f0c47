// Settings (docs/operations.md#settings): each is an environment variable VIGIL_FOO_BAR and a flag
// --foo-bar; the flag wins; an empty value means unset; a malformed value stops start-up naming the
// setting.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/status.h"
#include "server/limits.h"

namespace vigil {

struct Config {
  int port = 8080;
  std::string bind = "0.0.0.0";
  std::string db_path = "./data/vigil.db";
  std::string log_level = "info";
  bool dev = false;
  std::string dev_key = "vigil_sk_dev_local_only";
  // Benchmarks only, and only with `dev`: the sealer does not run. Terminal executions stay queued
  // (the queue is filled in SQL) and a start without it seals them (docs/transparency.md#sealing).
  bool dev_no_sealer = false;
  std::string key_prefix = "vigil_sk_";
  std::string cors_origins;
  std::string trusted_proxy_header;
  int64_t max_body_bytes = limits::kDefaultMaxBodyBytes;
  double rate_limit_burst = limits::kDefaultRateBurst;
  double rate_limit_per_sec = limits::kDefaultRatePerSec;
  int64_t write_queue_max = limits::kDefaultWriteQueueMax;
  int64_t db_busy_timeout_ms = limits::kDefaultDbBusyTimeoutMs;
  int64_t key_cache_size = limits::kDefaultKeyCacheSize;
  int64_t http_threads = limits::kDefaultHttpThreads;
  bool hsts = false;
  std::string tls_cert;  // PEM files; both set => HTTPS
  std::string tls_key;
  std::string admin_token;
  std::string metrics_token;
  int64_t retention_days = 0;
  int64_t retention_interval_s = 3600;
  bool signup = true;
  std::string default_policy = "vigil";
  bool detectors = true;
  int64_t sse_max = 2000;
  int64_t sse_max_per_project = 500;
  int64_t sse_keepalive_s = 15;
  // --- webhooks and secrets at rest (docs/api.md#webhooks) ---
  std::string master_key;                        // 32 raw bytes; "" = not configured
  std::vector<std::string> master_key_previous;  // retired keys, 32 raw bytes each (decrypt only)
  std::string dashboard_url;                     // origin for links, no trailing '/'; "" = none
  // Names the transparency logs: origin "<host>/vigil/<project_id>" (docs/transparency.md). ""
  // = the host of dashboard_url, else "localhost".
  std::string transparency_host;
  // C2SP cosigner verifier keys (type 0x04, Ed25519 cosignature/v1) of the witnesses whose
  // cosignatures the logs accept (docs/transparency.md#witnesses); validated when parsed.
  std::vector<std::string> transparency_witnesses;
  // Seconds between the server's audit checks of sealed records (docs/transparency.md#audit-check);
  // 0 = none (the metrics stay -1).
  int64_t transparency_audit_interval_s = limits::kSealAuditIntervalMs / 1000;
  bool webhook_allow_private = false;
  int64_t webhook_max_attempts = 8;
  int64_t webhook_max_age_hours = 24;
  int64_t webhook_retry_base_ms = 5000;  // delay before the second attempt (tests shorten it)
  // --- audit, abuse, billing, disclosure (docs/api.md) ---
  int64_t audit_retention_days = 365;
  bool abuse_suspend = false;
  int64_t abuse_suspend_after_s = 172800;
  int64_t abuse_check_interval_s = 300;
  std::string stripe_secret_key;
  std::string stripe_webhook_secret;
  std::string stripe_pro_price_id;
  std::string stripe_api_base = "https://api.stripe.com";
  std::string security_txt;  // path of the file served at /.well-known/security.txt
  std::string
      alert_webhook_url;  // operator alert sink (docs/operations.md#logs-and-alerts); "" = none
};

// Parses `args` (flags, without the program and command names) over `env` (VIGIL_* variables).
// Returns InvalidArgument naming the setting for malformed values or unknown flags.
Result<Config> ParseConfig(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env);

// Collects the process environment's VIGIL_* variables.
std::map<std::string, std::string> VigilEnvironment();

// The settings table for --help: one line per setting with its default. `only` (VIGIL_* names)
// keeps those settings; empty = every setting.
std::string ConfigHelp(const std::vector<std::string>& only = {});

}  // namespace vigil
