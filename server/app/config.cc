#include "server/app/config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "domain/secret_box.h"
#include "domain/tlog/cosignature.h"

extern char** environ;

namespace vigil {
namespace {

bool ParseInt(const std::string& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n < lo || n > hi) return false;
  *out = n;
  return true;
}

bool ParseDouble(const std::string& v, double lo, double hi, double* out) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(d) || d < lo || d > hi) return false;
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

// --- validators and normalisers of string settings: false = malformed -------------------------

bool AnyText(std::string*) { return true; }

bool LogLevel(std::string* v) {
  return *v == "debug" || *v == "info" || *v == "warn" || *v == "error";
}

bool DevKey(std::string* v) { return v->size() <= 256; }

bool KeyPrefix(std::string* p) {
  if (p->empty() || p->size() > 32) return false;
  for (char c : *p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

bool PolicyPreset(std::string* v) { return *v == "vigil" || *v == "mesedi"; }

bool HttpUrl(std::string* v) { return v->rfind("http://", 0) == 0 || v->rfind("https://", 0) == 0; }

// An http(s) URL without its trailing slashes.
bool BaseUrl(std::string* v) {
  if (!HttpUrl(v)) return false;
  while (!v->empty() && v->back() == '/') v->pop_back();
  return true;
}

// A host (and optional path) without scheme, spaces or '+': it becomes part of a signed-note key
// name.
bool TransparencyHost(std::string* v) {
  if (v->empty() || v->find("://") != std::string::npos) return false;
  for (char c : *v) {
    if (c == '+' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  while (!v->empty() && v->back() == '/') v->pop_back();
  return !v->empty();
}

// An origin for links: no spaces or control bytes, no trailing slash, a host after the scheme.
bool DashboardUrl(std::string* v) {
  for (unsigned char ch : *v) {
    if (ch <= 0x20 || ch == 0x7f) return false;
  }
  return BaseUrl(v) && *v != "http:" && *v != "https:";
}

bool MasterKey(Config& c, const std::string& v) {
  auto key = SecretBox::ParseKey(v);
  if (!key) return false;
  c.master_key = *key;
  return true;
}

// The items of a comma-separated list, spaces around each removed.
std::vector<std::string> CommaList(const std::string& v) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

bool PreviousMasterKeys(Config& c, const std::string& v) {
  c.master_key_previous.clear();
  for (const std::string& item : CommaList(v)) {
    auto key = SecretBox::ParseKey(item);
    if (!key) return false;
    c.master_key_previous.push_back(*key);
  }
  return true;
}

// Comma-separated witness keys, each a cosigner key given once, at most
// limits::kMaxTransparencyWitnesses; empty = none.
bool TransparencyWitnesses(Config& c, const std::string& v) {
  c.transparency_witnesses.clear();
  if (v.find_first_not_of(' ') == std::string::npos) return true;
  for (const std::string& item : CommaList(v)) {
    if (!tlog::ParseCosignerKey(item).ok()) return false;
    if (std::find(c.transparency_witnesses.begin(), c.transparency_witnesses.end(), item) !=
        c.transparency_witnesses.end()) {
      return false;
    }
    c.transparency_witnesses.push_back(item);
  }
  return c.transparency_witnesses.size() <= limits::kMaxTransparencyWitnesses;
}

// One setting: its variable, its help text and the Config field it sets. The default shown in
// --help is read from a default-constructed Config, so each default is defined once (config.h).
struct Setting {
  const char* env;  // VIGIL_FOO_BAR; the flag is --foo-bar
  const char* help;
  std::variant<int64_t Config::*, int Config::*, double Config::*, bool Config::*,
               std::string Config::*, bool (*)(Config&, const std::string&)>
      field;
  int64_t lo = 0, hi = 0;                 // integer fields: the accepted range
  double min = 0;                         // double fields: the smallest accepted value
  bool (*check)(std::string*) = nullptr;  // string fields: validates and normalises
  bool secret = false;                    // never shown, not even its default
  double max = HUGE_VAL;                  // double fields: the largest accepted value
};

Setting Int(const char* env, const char* help, int64_t Config::*f, int64_t lo, int64_t hi) {
  return {env, help, f, lo, hi};
}
Setting Port(const char* env, const char* help, int Config::*f) { return {env, help, f, 0, 65535}; }
Setting Real(const char* env, const char* help, double Config::*f, double min, double max) {
  Setting s{env, help, f, 0, 0, min};
  s.max = max;
  return s;
}
Setting Flag(const char* env, const char* help, bool Config::*f) { return {env, help, f}; }
Setting Text(const char* env, const char* help, std::string Config::*f,
             bool (*check)(std::string*) = AnyText) {
  return {env, help, f, 0, 0, 0, check};
}
Setting Secret(const char* env, const char* help, std::string Config::*f) {
  return {env, help, f, 0, 0, 0, AnyText, true};
}
Setting Custom(const char* env, const char* help, bool (*apply)(Config&, const std::string&)) {
  return {env, help, apply, 0, 0, 0, nullptr, true};
}

// The settings, in --help order. A declarative table: one entry per setting, so longer than a
// function should be.
const std::vector<Setting>& Settings() {
  using C = Config;
  static const std::vector<Setting> kSettings = {
      Port("VIGIL_PORT", "listen port, 0 = pick a free port", &C::port),
      Text("VIGIL_BIND", "listen address", &C::bind),
      Text("VIGIL_DB", "SQLite file, directory created", &C::db_path),
      Text("VIGIL_LOG_LEVEL", "debug | info | warn | error", &C::log_level, LogLevel),
      Flag("VIGIL_DEV", "1 = bootstrap project proj-dev and key key-dev", &C::dev),
      Text("VIGIL_DEV_KEY", "raw dev key", &C::dev_key, DevKey),
      Flag(
          "VIGIL_DEV_NO_SEALER",
          "1 = with VIGIL_DEV, do not seal (benchmarks; executions stay queued for the next start)",
          &C::dev_no_sealer),
      Text("VIGIL_KEY_PREFIX", "prefix of minted keys, 1-32 of [A-Za-z0-9_-]", &C::key_prefix,
           KeyPrefix),
      Text("VIGIL_CORS_ORIGINS",
           "comma-separated allowed browser origins, '*' matches [A-Za-z0-9-]+", &C::cors_origins),
      Text("VIGIL_TRUSTED_PROXY_HEADER", "header carrying the client IP, e.g. Fly-Client-IP",
           &C::trusted_proxy_header),
      Int("VIGIL_MAX_BODY_BYTES", "largest request body in bytes", &C::max_body_bytes, 1024,
          int64_t{1} << 30),
      Real("VIGIL_RATE_LIMIT_BURST", "per-project token bucket capacity", &C::rate_limit_burst, 1,
           limits::kMaxRateLimitBurst),
      Real("VIGIL_RATE_LIMIT_PER_SEC", "per-project refill, tokens per second",
           &C::rate_limit_per_sec, limits::kMinRatePerSec, limits::kMaxRatePerSec),
      Int("VIGIL_WRITE_QUEUE_MAX", "write jobs queued before 503", &C::write_queue_max, 1, 1000000),
      Int("VIGIL_DB_BUSY_TIMEOUT_MS", "ms a write may wait before 503", &C::db_busy_timeout_ms, 1,
          600000),
      Int("VIGIL_KEY_CACHE_SIZE", "API-key cache entries", &C::key_cache_size, 1, 10000000),
      Int("VIGIL_HTTP_THREADS", "HTTP worker threads = connections served at once",
          &C::http_threads, 2, 4096),
      Flag("VIGIL_SIGNUP", "0 = POST /signup answers 403 signup disabled", &C::signup),
      Text("VIGIL_DEFAULT_POLICY", "policy preset for projects without one: vigil | mesedi",
           &C::default_policy, PolicyPreset),
      Flag("VIGIL_DETECTORS", "0 = run no detection passes (benchmark baseline)", &C::detectors),
      Int("VIGIL_SSE_MAX", "open halt streams in total", &C::sse_max, 1, 100000),
      Int("VIGIL_SSE_MAX_PER_PROJECT", "open halt streams per project", &C::sse_max_per_project, 1,
          100000),
      Int("VIGIL_SSE_KEEPALIVE_S", "seconds between halt-stream keepalive comments",
          &C::sse_keepalive_s, 1, 3600),
      Secret("VIGIL_ADMIN_TOKEN",
             "admin bearer token; unset = every /admin request is 503 (secret: use env)",
             &C::admin_token),
      Secret("VIGIL_METRICS_TOKEN",
             "bearer token for /metrics (else the admin token; neither = 503)", &C::metrics_token),
      Int("VIGIL_RETENTION_DAYS", "default retention in days, 0 = keep forever", &C::retention_days,
          0, 36500),
      Int("VIGIL_RETENTION_INTERVAL_S", "seconds between retention passes",
          &C::retention_interval_s, 1, 7 * 86400),
      Text("VIGIL_TLS_CERT", "PEM certificate chain; with VIGIL_TLS_KEY serves HTTPS (TLS >= 1.2)",
           &C::tls_cert),
      Text("VIGIL_TLS_KEY", "PEM private key for VIGIL_TLS_CERT", &C::tls_key),
      Flag("VIGIL_HSTS", "1 = send Strict-Transport-Security (behind a TLS proxy)", &C::hsts),
      // Webhooks and secrets at rest. Key values are never echoed back.
      Custom("VIGIL_MASTER_KEY",
             "32-byte key (64 hex or base64) sealing stored secrets (AES-256-GCM)", MasterKey),
      Custom("VIGIL_MASTER_KEY_PREVIOUS", "retired master keys, comma-separated (decrypt only)",
             PreviousMasterKeys),
      Text("VIGIL_DASHBOARD_URL", "dashboard origin for links in webhook messages (http/https)",
           &C::dashboard_url, DashboardUrl),
      Text("VIGIL_TRANSPARENCY_HOST",
           "host naming the transparency logs (origin <host>/vigil/<project>); fixed per log",
           &C::transparency_host, TransparencyHost),
      Custom("VIGIL_TRANSPARENCY_WITNESSES",
             "witness keys (C2SP vkeys, type 0x04) whose checkpoint cosignatures are accepted",
             TransparencyWitnesses),
      Int("VIGIL_TRANSPARENCY_AUDIT_INTERVAL_S",
          "seconds between audit checks of sealed records (each reads their events); 0 = none",
          &C::transparency_audit_interval_s, 0, 30 * 86400),
      Flag("VIGIL_WEBHOOK_ALLOW_PRIVATE", "1 = allow webhook URLs on non-public addresses",
           &C::webhook_allow_private),
      Int("VIGIL_WEBHOOK_MAX_ATTEMPTS", "attempts per webhook message", &C::webhook_max_attempts, 1,
          100),
      Int("VIGIL_WEBHOOK_MAX_AGE_HOURS", "no webhook attempt later than this after queuing",
          &C::webhook_max_age_hours, 1, 24 * 30),
      Int("VIGIL_WEBHOOK_RETRY_BASE_MS", "delay before the first webhook retry, x4 each time",
          &C::webhook_retry_base_ms, 10, 3600000),
      Int("VIGIL_AUDIT_RETENTION_DAYS", "audit rows kept this many days", &C::audit_retention_days,
          1, 36500),
      Flag("VIGIL_ABUSE_SUSPEND", "1 = unresolved abuse signals suspend their project",
           &C::abuse_suspend),
      Int("VIGIL_ABUSE_SUSPEND_AFTER_S",
          "seconds an abuse signal stays unresolved before it suspends", &C::abuse_suspend_after_s,
          0, 365LL * 86400),
      Int("VIGIL_ABUSE_CHECK_INTERVAL_S", "seconds between abuse suspension checks",
          &C::abuse_check_interval_s, 1, 86400),
      Secret("VIGIL_STRIPE_SECRET_KEY", "Stripe API key (billing checkout and portal)",
             &C::stripe_secret_key),
      Secret("VIGIL_STRIPE_WEBHOOK_SECRET", "Stripe webhook signing secret (whsec_...)",
             &C::stripe_webhook_secret),
      Text("VIGIL_STRIPE_PRO_PRICE_ID", "Stripe price id of the pro tier", &C::stripe_pro_price_id),
      Text("VIGIL_STRIPE_API_BASE", "Stripe API base URL", &C::stripe_api_base, BaseUrl),
      Text("VIGIL_ALERT_WEBHOOK_URL", "operator alerts (5xx, abuse signals) are POSTed here",
           &C::alert_webhook_url, HttpUrl),
      Text("VIGIL_SECURITY_TXT", "file served at /.well-known/security.txt (unset = 404)",
           &C::security_txt),
  };
  return kSettings;
}

// Applies `v` to the setting's field; false = malformed.
bool Apply(const Setting& s, Config& c, const std::string& v) {
  struct Visitor {
    const Setting& s;
    Config& c;
    const std::string& v;
    bool operator()(int64_t Config::*f) const { return ParseInt(v, s.lo, s.hi, &(c.*f)); }
    bool operator()(int Config::*f) const {
      int64_t n = 0;
      if (!ParseInt(v, s.lo, s.hi, &n)) return false;
      c.*f = static_cast<int>(n);
      return true;
    }
    bool operator()(double Config::*f) const { return ParseDouble(v, s.min, s.max, &(c.*f)); }
    bool operator()(bool Config::*f) const { return ParseBool(v, &(c.*f)); }
    bool operator()(std::string Config::*f) const {
      std::string value = v;
      if (!s.check(&value)) return false;
      c.*f = std::move(value);
      return true;
    }
    bool operator()(bool (*apply)(Config&, const std::string&)) const { return apply(c, v); }
  };
  return std::visit(Visitor{s, c, v}, s.field);
}

// " (default X)" from a default Config, or "" when the default is empty or secret.
std::string DefaultText(const Setting& s) {
  if (s.secret) return "";
  static const Config kDefaults;
  struct Visitor {
    std::string operator()(int64_t Config::*f) const { return std::to_string(kDefaults.*f); }
    std::string operator()(int Config::*f) const { return std::to_string(kDefaults.*f); }
    std::string operator()(double Config::*f) const {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%g", kDefaults.*f);
      return buf;
    }
    std::string operator()(bool Config::*f) const { return kDefaults.*f ? "1" : "0"; }
    std::string operator()(std::string Config::*f) const { return kDefaults.*f; }
    std::string operator()(bool (*)(Config&, const std::string&)) const { return ""; }
  };
  const std::string value = std::visit(Visitor{}, s.field);
  return value.empty() ? "" : " (default " + value + ")";
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
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const Setting* setting = nullptr;
    for (const Setting& s : Settings()) {
      if (FlagName(s.env) == name) setting = &s;
    }
    if (setting == nullptr) return Status::InvalidArgument("unknown flag " + name);
    if (eq != std::string::npos) {
      values[setting->env] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      values[setting->env] = args[++i];
    } else {
      return Status::InvalidArgument("flag " + a + " needs a value");
    }
  }
  for (const Setting& s : Settings()) {
    auto it = values.find(s.env);
    if (it == values.end() || it->second.empty()) continue;  // empty = unset
    if (!Apply(s, c, it->second)) {
      return Status::InvalidArgument("invalid value for " + std::string(s.env) + " (" +
                                     FlagName(s.env) + ")");
    }
  }
  // Dev mode raises the rate limit unless the operator set it (docs/operations.md#settings).
  const auto unset = [&values](const char* env) {
    auto it = values.find(env);
    return it == values.end() || it->second.empty();
  };
  if (c.dev && unset("VIGIL_RATE_LIMIT_BURST")) c.rate_limit_burst = limits::kDevRateBurst;
  if (c.dev && unset("VIGIL_RATE_LIMIT_PER_SEC")) c.rate_limit_per_sec = limits::kDevRatePerSec;
  // A short token can be guessed; an empty one leaves its routes disabled (503) or, for the
  // metrics token, falls back to the admin token.
  const auto too_short = [](const std::string& token) {
    return !token.empty() && token.size() < limits::kMinAdminTokenBytes;
  };
  const char* short_env = too_short(c.admin_token)     ? "VIGIL_ADMIN_TOKEN"
                          : too_short(c.metrics_token) ? "VIGIL_METRICS_TOKEN"
                                                       : nullptr;
  if (short_env != nullptr) {
    return Status::InvalidArgument(std::string("invalid value for ") + short_env + ": at least " +
                                   std::to_string(limits::kMinAdminTokenBytes) +
                                   " characters (e.g. openssl rand -hex 32)");
  }
  // Not sealing is for measuring what sealing costs; outside dev mode it is refused.
  if (c.dev_no_sealer && !c.dev) {
    return Status::InvalidArgument("invalid value for VIGIL_DEV_NO_SEALER: only with VIGIL_DEV=1");
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

std::string ConfigHelp(const std::vector<std::string>& only) {
  std::string out;
  for (const Setting& s : Settings()) {
    if (!only.empty() && std::find(only.begin(), only.end(), s.env) == only.end()) continue;
    std::string left = "  " + FlagName(s.env) + " / " + s.env;
    if (left.size() < 52) left.resize(52, ' ');
    out += left + " " + s.help + DefaultText(s) + "\n";
  }
  return out;
}

}  // namespace vigil
