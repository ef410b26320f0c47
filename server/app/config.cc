#include "server/app/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "domain/secret_box.h"

extern char** environ;

namespace vigil {
namespace {

struct Setting {
  const char* env;  // VIGIL_FOO_BAR; the flag is --foo-bar
  const char* help;
  std::function<bool(Config&, const std::string&)> apply;  // false = malformed
};

bool ParseInt(const std::string& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n < lo || n > hi) return false;
  *out = n;
  return true;
}

bool ParseDouble(const std::string& v, double lo, double* out) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(d) || d < lo) return false;
  *out = d;
  return true;
}

bool ParseBool(const std::string& v, bool* out) {
  if (v == "1" || v == "true") {
    *out = true;
  } else if (v == "0" || v == "false") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

bool ValidKeyPrefix(const std::string& p) {
  if (p.empty() || p.size() > 32) return false;
  for (char c : p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"VIGIL_PORT", "listen port (default 8080; 0 = pick a free port)",
       [](Config& c, const std::string& v) {
         int64_t n;
         if (!ParseInt(v, 0, 65535, &n)) return false;
         c.port = static_cast<int>(n);
         return true;
       }},
      {"VIGIL_BIND", "listen address (default 0.0.0.0)",
       [](Config& c, const std::string& v) {
         c.bind = v;
         return true;
       }},
      {"VIGIL_DB", "SQLite file, directory created (default ./data/vigil.db)",
       [](Config& c, const std::string& v) {
         c.db_path = v;
         return true;
       }},
      {"VIGIL_LOG_LEVEL", "debug | info | warn | error (default info)",
       [](Config& c, const std::string& v) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") return false;
         c.log_level = v;
         return true;
       }},
      {"VIGIL_DEV", "1 = bootstrap project proj-dev and key key-dev (default 0)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.dev); }},
      {"VIGIL_DEV_KEY", "raw dev key (default vigil_sk_dev_local_only)",
       [](Config& c, const std::string& v) {
         if (v.size() > 256) return false;
         c.dev_key = v;
         return true;
       }},
      {"VIGIL_KEY_PREFIX", "prefix of minted keys, 1-32 of [A-Za-z0-9_-] (default vigil_sk_)",
       [](Config& c, const std::string& v) {
         if (!ValidKeyPrefix(v)) return false;
         c.key_prefix = v;
         return true;
       }},
      {"VIGIL_CORS_ORIGINS", "comma-separated allowed browser origins, '*' matches [A-Za-z0-9-]+",
       [](Config& c, const std::string& v) {
         c.cors_origins = v;
         return true;
       }},
      {"VIGIL_TRUSTED_PROXY_HEADER", "header carrying the client IP, e.g. Fly-Client-IP",
       [](Config& c, const std::string& v) {
         c.trusted_proxy_header = v;
         return true;
       }},
      {"VIGIL_MAX_BODY_BYTES", "largest request body in bytes (default 5242880)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1024, int64_t{1} << 30, &c.max_body_bytes);
       }},
      {"VIGIL_RATE_LIMIT_BURST", "per-project token bucket capacity (default 100)",
       [](Config& c, const std::string& v) { return ParseDouble(v, 1, &c.rate_limit_burst); }},
      {"VIGIL_RATE_LIMIT_PER_SEC", "per-project refill, tokens per second (default 10)",
       [](Config& c, const std::string& v) {
         return ParseDouble(v, 0.001, &c.rate_limit_per_sec);
       }},
      {"VIGIL_WRITE_QUEUE_MAX", "write jobs queued before 503 (default 1024)",
       [](Config& c, const std::string& v) { return ParseInt(v, 1, 1000000, &c.write_queue_max); }},
      {"VIGIL_DB_BUSY_TIMEOUT_MS", "ms a write may wait before 503 (default 5000)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 600000, &c.db_busy_timeout_ms);
       }},
      {"VIGIL_KEY_CACHE_SIZE", "API-key cache entries (default 10000)",
       [](Config& c, const std::string& v) { return ParseInt(v, 1, 10000000, &c.key_cache_size); }},
      {"VIGIL_HTTP_THREADS", "HTTP worker threads = connections served at once (default 64)",
       [](Config& c, const std::string& v) { return ParseInt(v, 2, 4096, &c.http_threads); }},
      {"VIGIL_SIGNUP", "0 = POST /signup answers 403 signup disabled (default 1)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.signup); }},
      {"VIGIL_DEFAULT_POLICY", "policy preset for projects without one: vigil | mesedi",
       [](Config& c, const std::string& v) {
         if (v != "vigil" && v != "mesedi") return false;
         c.default_policy = v;
         return true;
       }},
      {"VIGIL_DETECTORS", "0 = run no detection passes (benchmark baseline) (default 1)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.detectors); }},
      {"VIGIL_SSE_MAX", "open halt streams in total (default 2000)",
       [](Config& c, const std::string& v) { return ParseInt(v, 1, 100000, &c.sse_max); }},
      {"VIGIL_SSE_MAX_PER_PROJECT", "open halt streams per project (default 500)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 100000, &c.sse_max_per_project);
       }},
      {"VIGIL_SSE_KEEPALIVE_S", "seconds between halt-stream keepalive comments (default 15)",
       [](Config& c, const std::string& v) { return ParseInt(v, 1, 3600, &c.sse_keepalive_s); }},
      {"VIGIL_ADMIN_TOKEN",
       "admin bearer token; unset = every /admin request is 503 (secret: use env)",
       [](Config& c, const std::string& v) {
         c.admin_token = v;
         return true;
       }},
      {"VIGIL_METRICS_TOKEN", "bearer token for /metrics (else the admin token; neither = 503)",
       [](Config& c, const std::string& v) {
         c.metrics_token = v;
         return true;
       }},
      {"VIGIL_RETENTION_DAYS", "default retention in days, 0 = keep forever (default 0)",
       [](Config& c, const std::string& v) { return ParseInt(v, 0, 36500, &c.retention_days); }},
      {"VIGIL_RETENTION_INTERVAL_S", "seconds between retention passes (default 3600)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 7 * 86400, &c.retention_interval_s);
       }},
      {"VIGIL_TLS_CERT", "PEM certificate chain; with VIGIL_TLS_KEY serves HTTPS (TLS >= 1.2)",
       [](Config& c, const std::string& v) {
         c.tls_cert = v;
         return true;
       }},
      {"VIGIL_TLS_KEY", "PEM private key for VIGIL_TLS_CERT",
       [](Config& c, const std::string& v) {
         c.tls_key = v;
         return true;
       }},
      {"VIGIL_HSTS", "1 = send Strict-Transport-Security (behind a TLS proxy) (default 0)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.hsts); }},
      // Webhooks and secrets at rest (spec §10). Key values are never echoed back.
      {"VIGIL_MASTER_KEY", "32-byte key (64 hex or base64) sealing stored secrets (AES-256-GCM)",
       [](Config& c, const std::string& v) {
         auto key = SecretBox::ParseKey(v);
         if (!key) return false;
         c.master_key = *key;
         return true;
       }},
      {"VIGIL_MASTER_KEY_PREVIOUS", "retired master keys, comma-separated (decrypt only)",
       [](Config& c, const std::string& v) {
         c.master_key_previous.clear();
         size_t start = 0;
         while (start <= v.size()) {
           size_t comma = v.find(',', start);
           if (comma == std::string::npos) comma = v.size();
           std::string item = v.substr(start, comma - start);
           while (!item.empty() && item.front() == ' ') item.erase(item.begin());
           while (!item.empty() && item.back() == ' ') item.pop_back();
           auto key = SecretBox::ParseKey(item);
           if (!key) return false;
           c.master_key_previous.push_back(*key);
           start = comma + 1;
         }
         return true;
       }},
      {"VIGIL_DASHBOARD_URL", "dashboard origin for links in webhook messages (http/https)",
       [](Config& c, const std::string& v) {
         if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) return false;
         for (unsigned char ch : v) {
           if (ch <= 0x20 || ch == 0x7f) return false;
         }
         std::string url = v;
         while (!url.empty() && url.back() == '/') url.pop_back();
         if (url == "http:" || url == "https:") return false;
         c.dashboard_url = url;
         return true;
       }},
      {"VIGIL_WEBHOOK_ALLOW_PRIVATE", "1 = allow webhook URLs on non-public addresses (default 0)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.webhook_allow_private); }},
      {"VIGIL_WEBHOOK_MAX_ATTEMPTS", "attempts per webhook message (default 8)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 100, &c.webhook_max_attempts);
       }},
      {"VIGIL_WEBHOOK_MAX_AGE_HOURS",
       "no webhook attempt later than this after queuing (default 24)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 24 * 30, &c.webhook_max_age_hours);
       }},
      {"VIGIL_WEBHOOK_RETRY_BASE_MS",
       "delay before the first webhook retry, x4 each time (default 5000)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 10, 3600000, &c.webhook_retry_base_ms);
       }},
      {"VIGIL_AUDIT_RETENTION_DAYS", "audit rows kept this many days (default 365)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 36500, &c.audit_retention_days);
       }},
      {"VIGIL_ABUSE_SUSPEND", "1 = unresolved abuse signals suspend their project (default 0)",
       [](Config& c, const std::string& v) { return ParseBool(v, &c.abuse_suspend); }},
      {"VIGIL_ABUSE_SUSPEND_AFTER_S",
       "seconds an abuse signal stays unresolved before it suspends (default 172800)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 0, 365LL * 86400, &c.abuse_suspend_after_s);
       }},
      {"VIGIL_ABUSE_CHECK_INTERVAL_S", "seconds between abuse suspension checks (default 300)",
       [](Config& c, const std::string& v) {
         return ParseInt(v, 1, 86400, &c.abuse_check_interval_s);
       }},
      {"VIGIL_STRIPE_SECRET_KEY", "Stripe API key (billing checkout and portal)",
       [](Config& c, const std::string& v) {
         c.stripe_secret_key = v;
         return true;
       }},
      {"VIGIL_STRIPE_WEBHOOK_SECRET", "Stripe webhook signing secret (whsec_...)",
       [](Config& c, const std::string& v) {
         c.stripe_webhook_secret = v;
         return true;
       }},
      {"VIGIL_STRIPE_PRO_PRICE_ID", "Stripe price id of the pro tier",
       [](Config& c, const std::string& v) {
         c.stripe_pro_price_id = v;
         return true;
       }},
      {"VIGIL_STRIPE_API_BASE", "Stripe API base URL (default https://api.stripe.com)",
       [](Config& c, const std::string& v) {
         if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) return false;
         std::string url = v;
         while (!url.empty() && url.back() == '/') url.pop_back();
         c.stripe_api_base = url;
         return true;
       }},
      {"VIGIL_ALERT_WEBHOOK_URL", "operator alerts (5xx, abuse signals) are POSTed here",
       [](Config& c, const std::string& v) {
         if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) return false;
         c.alert_webhook_url = v;
         return true;
       }},
      {"VIGIL_SECURITY_TXT", "file served at /.well-known/security.txt (unset = 404)",
       [](Config& c, const std::string& v) {
         c.security_txt = v;
         return true;
       }},
  };
  return kSettings;
}

// VIGIL_FOO_BAR -> --foo-bar
std::string FlagName(const std::string& env) {
  std::string flag = "--";
  for (size_t i = 6; i < env.size(); ++i) {
    flag += env[i] == '_' ? '-' : static_cast<char>(std::tolower(env[i]));
  }
  return flag;
}

}  // namespace

Result<Config> ParseConfig(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env) {
  Config c;
  std::map<std::string, std::string> values;  // env name -> value; flags override
  for (const auto& [k, v] : env) values[k] = v;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name = a, value;
    const auto eq = a.find('=');
    if (eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument("flag " + a + " needs a value");
    }
    bool known = false;
    for (const Setting& s : Settings()) {
      if (FlagName(s.env) == name) {
        values[s.env] = value;
        known = true;
      }
    }
    if (!known) return Status::InvalidArgument("unknown flag " + name);
  }
  for (const Setting& s : Settings()) {
    auto it = values.find(s.env);
    if (it == values.end() || it->second.empty()) continue;  // empty = unset
    if (!s.apply(c, it->second)) {
      return Status::InvalidArgument("invalid value for " + std::string(s.env) + " (" +
                                     FlagName(s.env) + ")");
    }
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Status::InvalidArgument(
        "invalid value for VIGIL_TLS_CERT / VIGIL_TLS_KEY: set both or"
        " neither");
  }
  return c;
}

std::map<std::string, std::string> VigilEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("VIGIL_", 0) != 0) continue;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

std::string ConfigHelp() {
  std::string out;
  for (const Setting& s : Settings()) {
    std::string left = "  " + FlagName(s.env) + " / " + s.env;
    if (left.size() < 52) left.resize(52, ' ');
    out += left + " " + s.help + "\n";
  }
  return out;
}

}  // namespace vigil
