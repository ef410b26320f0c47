#include "server/webhooks/message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "detectors/detectors.h"
#include "detectors/playbooks.h"
#include "domain/base64.h"
#include "domain/time_util.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"

namespace vigil {
namespace {

// Colours of spec §10.4, as 0xRRGGBB.
uint32_t ClassColor(std::string_view cls) {
  if (cls == kClassCrashes || cls == kClassValidatorFailures || cls == kClassToolFailures) {
    return 0xEF4444;
  }
  if (cls == kClassCostVelocity) return 0xF59E0B;
  if (cls == kClassDrift) return 0x60A5FA;
  if (cls == kClassPromptInjection) return 0xFF8C42;
  return 0x6B7280;
}

std::string HexColor(uint32_t rgb) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "#";
  for (int shift = 20; shift >= 0; shift -= 4) out.push_back(kHex[(rgb >> shift) & 0xf]);
  return out;
}

// Cuts long signatures for chat texts, on a UTF-8 character boundary.
std::string Shorten(const std::string& text) {
  if (text.size() <= limits::kWebhookAdapterSignatureChars) return text;
  size_t cut = limits::kWebhookAdapterSignatureChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

// Slack's mrkdwn treats &, < and > as control characters.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Text inside a Discord code span cannot contain a backtick.
std::string CodeSpan(std::string_view text) {
  std::string out = "`";
  for (char c : text) out.push_back(c == '`' ? '\'' : c);
  return out + "`";
}

std::string MarkdownLabel(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == '\\' || c == '*' || c == '_' || c == '`') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

struct Links {
  std::string sample;    // dashboard page of the sample execution, "" = none
  std::string playbook;  // dashboard page of the playbook, "" = none
};

Links LinksFor(const WebhookPayload& p, const std::string& dashboard_url) {
  Links l;
  if (dashboard_url.empty()) return l;
  if (!p.sample_execution_id.empty()) {
    l.sample = dashboard_url + "/executions/" + UrlEncode(p.sample_execution_id);
  }
  if (!p.test && FindPlaybook(p.failure_class, p.signature)) {
    l.playbook = dashboard_url + "/playbooks?class=" + UrlEncode(p.failure_class) +
                 "&signature=" + UrlEncode(p.signature);
  }
  return l;
}

std::string Canonical(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  JsonWriter w;
  w.BeginObject()
      .Field("version", "1")
      .Field("event", p.test ? kEventGroupTest : kEventGroupCreated);
  if (p.test) w.Field("test", true);
  w.Field("project_id", p.project_id).Field("webhook_id", p.webhook_id);
  if (!p.group_id.empty()) w.Field("group_id", p.group_id);
  w.Field("failure_class", p.failure_class).Field("signature", p.signature);
  if (!p.sample_execution_id.empty()) w.Field("sample_execution_id", p.sample_execution_id);
  if (!dashboard_url.empty()) w.Field("dashboard_url", dashboard_url);
  if (!links.playbook.empty()) w.Field("playbook_url", links.playbook);
  w.Field("delivery_id", p.delivery_id)
      .Field("timestamp", FormatRfc3339Ms(p.queued_at_ms))
      .EndObject();
  return w.Take();
}

std::string Slack(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  const std::string sig = Shorten(p.signature);
  const std::string text =
      p.test ? "Test message: this is how Vigil announces the first occurrence of a failure "
               "class in project " +
                   SlackEscape(p.project_id) + "."
             : "First occurrence of *" + SlackEscape(p.failure_class) + "* in project " +
                   SlackEscape(p.project_id) + ": a new failure group was created.";
  JsonWriter w;
  w.BeginObject().Field("username", "Vigil").Key("attachments").BeginArray().BeginObject();
  w.Field("color", HexColor(ClassColor(p.failure_class)))
      .Field("pretext", p.test ? "*Vigil test*" : "*Vigil alert*")
      .Field("title", SlackEscape(p.failure_class) + " · " + SlackEscape(sig))
      .Field("text", text);
  if (!links.sample.empty() || !links.playbook.empty()) {
    w.Key("fields").BeginArray();
    if (!links.sample.empty()) {
      w.BeginObject()
          .Field("title", "Sample execution")
          .Field("value", "<" + links.sample + "|" + SlackEscape(p.sample_execution_id) + ">")
          .Field("short", true)
          .EndObject();
    }
    if (!links.playbook.empty()) {
      w.BeginObject()
          .Field("title", "Playbook")
          .Field("value", "<" + links.playbook + "|Open recommended remediation>")
          .Field("short", true)
          .EndObject();
    }
    w.EndArray();
  }
  w.Field("footer", "Vigil · delivery " + p.delivery_id)
      .Field("ts", p.queued_at_ms / 1000)
      .Key("mrkdwn_in")
      .BeginArray()
      .String("pretext")
      .String("text")
      .EndArray();
  w.EndObject().EndArray().EndObject();
  return w.Take();
}

std::string Discord(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  std::string description =
      "Class " + CodeSpan(p.failure_class) + ", signature " + CodeSpan(Shorten(p.signature)) + ": ";
  description += p.test ? "a test message from Vigil for project " + CodeSpan(p.project_id) + "."
                        : "first occurrence in project " + CodeSpan(p.project_id) + ".";
  JsonWriter w;
  w.BeginObject().Field("username", "Vigil").Key("embeds").BeginArray().BeginObject();
  w.Field("title", std::string(p.test ? "Vigil test · " : "Vigil alert · ") + p.failure_class)
      .Field("description", description)
      .Field("color", static_cast<int64_t>(ClassColor(p.failure_class)));
  if (!links.sample.empty() || !links.playbook.empty()) {
    w.Key("fields").BeginArray();
    if (!links.sample.empty()) {
      w.BeginObject()
          .Field("name", "Sample execution")
          .Field("value", "[" + MarkdownLabel(p.sample_execution_id) + "](" + links.sample + ")")
          .Field("inline", true)
          .EndObject();
    }
    if (!links.playbook.empty()) {
      w.BeginObject()
          .Field("name", "Playbook")
          .Field("value", "[Open recommended remediation](" + links.playbook + ")")
          .Field("inline", true)
          .EndObject();
    }
    w.EndArray();
  }
  w.Key("footer").BeginObject().Field("text", "delivery " + p.delivery_id).EndObject();
  w.Field("timestamp", FormatRfc3339Ms(p.queued_at_ms));
  w.EndObject().EndArray().EndObject();
  return w.Take();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

WebhookFormat FormatForUrl(std::string_view url) {
  // Scheme and host are case-insensitive; the path is not.
  std::string lowered(url.substr(0, std::min(url.size(), url.find('/', 8))));
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string_view path = url.substr(lowered.size());
  if (lowered == "https://hooks.slack.com" &&
      (StartsWith(path, "/services/") || StartsWith(path, "/triggers/") ||
       StartsWith(path, "/workflows/"))) {
    return WebhookFormat::kSlack;
  }
  if ((lowered == "https://discord.com" || lowered == "https://discordapp.com" ||
       lowered == "https://canary.discord.com" || lowered == "https://ptb.discord.com") &&
      StartsWith(path, "/api/webhooks/")) {
    return WebhookFormat::kDiscord;
  }
  return WebhookFormat::kStandard;
}

std::string RenderWebhookBody(const WebhookPayload& p, WebhookFormat format,
                              const std::string& dashboard_url) {
  switch (format) {
    case WebhookFormat::kSlack:
      return Slack(p, dashboard_url);
    case WebhookFormat::kDiscord:
      return Discord(p, dashboard_url);
    case WebhookFormat::kStandard:
      break;
  }
  return Canonical(p, dashboard_url);
}

std::string SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp_s,
                        std::string_view body) {
  constexpr std::string_view kPrefix = "whsec_";
  if (!StartsWith(secret, kPrefix)) return std::string();
  const auto key = Base64Decode(secret.substr(kPrefix.size()));
  if (!key || key->empty()) return std::string();
  std::string signed_content;
  signed_content.reserve(id.size() + body.size() + 24);
  signed_content.append(id).append(".").append(std::to_string(timestamp_s)).append(".");
  signed_content.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
            reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(),
            mac, &mac_len)) {
    return std::string();
  }
  return "v1," + Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string NewWebhookSecret() {
  unsigned char bytes[32];
  // Without entropy the secret would be guessable: stop hard (fail closed), as key minting does.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return "whsec_" + Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes), 32));
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace vigil
