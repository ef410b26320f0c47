#include "server/webhooks/message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "detectors/detectors.h"
#include "detectors/playbooks.h"
#include "detectors/unicode.h"
#include "domain/base64.h"
#include "domain/time_util.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"

namespace vigil {
namespace {

// Colours of docs/api.md#slack-and-discord, as 0xRRGGBB.
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

// Cuts long signatures and details for chat texts, on a UTF-8 character boundary.
std::string Shorten(const std::string& text) {
  if (text.size() <= limits::kWebhookAdapterSignatureChars) return text;
  return std::string(CutUtf8(text, limits::kWebhookAdapterSignatureChars)) + "…";
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

bool IsTest(const WebhookPayload& p) { return p.event == WebhookEvent::kTest; }
bool IsRegression(const WebhookPayload& p) { return p.event == WebhookEvent::kGroupRegressed; }

Links LinksFor(const WebhookPayload& p, const std::string& dashboard_url) {
  Links l;
  if (dashboard_url.empty()) return l;
  if (!p.sample_execution_id.empty()) {
    l.sample = dashboard_url + "/executions/" + UrlEncode(p.sample_execution_id);
  }
  if (!IsTest(p) && FindPlaybook(p.failure_class, p.signature)) {
    l.playbook = dashboard_url + "/playbooks?class=" + UrlEncode(p.failure_class) +
                 "&signature=" + UrlEncode(p.signature);
  }
  return l;
}

std::string Canonical(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  JsonWriter w;
  w.BeginObject().Field("version", "1").Field("event", WebhookEventName(p.event));
  if (IsTest(p)) w.Field("test", true);
  w.Field("project_id", p.project_id).Field("webhook_id", p.webhook_id);
  if (!p.group_id.empty()) w.Field("group_id", p.group_id);
  w.Field("failure_class", p.failure_class).Field("signature", p.signature);
  if (!p.sample_execution_id.empty()) w.Field("sample_execution_id", p.sample_execution_id);
  if (!p.detail.empty()) w.Field("detail", p.detail);
  if (!dashboard_url.empty()) w.Field("dashboard_url", dashboard_url);
  if (!links.playbook.empty()) w.Field("playbook_url", links.playbook);
  w.Field("delivery_id", p.delivery_id)
      .Field("timestamp", FormatRfc3339Ms(p.queued_at_ms))
      .EndObject();
  return w.Take();
}

// The chat adapters' headline: "Vigil alert", "Vigil regression" or "Vigil test".
std::string Headline(const WebhookPayload& p) {
  if (IsTest(p)) return "Vigil test";
  return IsRegression(p) ? "Vigil regression" : "Vigil alert";
}

std::string SlackText(const WebhookPayload& p) {
  const std::string cls = SlackEscape(p.failure_class), project = SlackEscape(p.project_id);
  if (IsTest(p)) {
    return "Test message: this is how Vigil announces the first occurrence of a failure class in "
           "project " +
           project + ".";
  }
  if (IsRegression(p)) {
    return "*" + cls + "* recurred in project " + project +
           " after it was resolved: the failure group is open again.";
  }
  return "First occurrence of *" + cls + "* in project " + project +
         ": a new failure group was created.";
}

// The fields of a chat message, each already in the service's markup; "" = left out.
struct ChatFields {
  std::string why;       // the finding's detail
  std::string sample;    // a link to the sample execution
  std::string playbook;  // a link to the playbook
};

// `"fields": [...]` (Why, Sample execution, Playbook), when any is known. Slack and Discord name
// a field's title and its width differently: `label_key` and `short_key`.
void WriteChatFields(JsonWriter& w, const ChatFields& f, const char* label_key,
                     const char* short_key) {
  if (f.why.empty() && f.sample.empty() && f.playbook.empty()) return;
  const auto field = [&](const char* label, const std::string& value, bool is_short) {
    if (value.empty()) return;
    w.BeginObject().Field(label_key, label).Field("value", value).Field(short_key, is_short);
    w.EndObject();
  };
  w.Key("fields").BeginArray();
  field("Why", f.why, false);
  field("Sample execution", f.sample, true);
  field("Playbook", f.playbook, true);
  w.EndArray();
}

void SlackFields(JsonWriter& w, const WebhookPayload& p, const Links& links) {
  ChatFields f;
  if (!p.detail.empty()) f.why = SlackEscape(Shorten(p.detail));
  if (!links.sample.empty()) {
    f.sample = "<" + links.sample + "|" + SlackEscape(p.sample_execution_id) + ">";
  }
  if (!links.playbook.empty()) f.playbook = "<" + links.playbook + "|Open recommended remediation>";
  WriteChatFields(w, f, "title", "short");
}

std::string Slack(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  JsonWriter w;
  w.BeginObject().Field("username", "Vigil").Key("attachments").BeginArray().BeginObject();
  w.Field("color", HexColor(ClassColor(p.failure_class)))
      .Field("pretext", "*" + Headline(p) + "*")
      .Field("title", SlackEscape(p.failure_class) + " · " + SlackEscape(Shorten(p.signature)))
      .Field("text", SlackText(p));
  SlackFields(w, p, links);
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

// The detail goes in a code span: it may name a tool the agent chose, which must not turn into a
// link or a mention.
void DiscordFields(JsonWriter& w, const WebhookPayload& p, const Links& links) {
  ChatFields f;
  if (!p.detail.empty()) f.why = CodeSpan(Shorten(p.detail));
  if (!links.sample.empty()) {
    f.sample = "[" + MarkdownLabel(p.sample_execution_id) + "](" + links.sample + ")";
  }
  if (!links.playbook.empty()) {
    f.playbook = "[Open recommended remediation](" + links.playbook + ")";
  }
  WriteChatFields(w, f, "name", "inline");
}

std::string Discord(const WebhookPayload& p, const std::string& dashboard_url) {
  const Links links = LinksFor(p, dashboard_url);
  std::string description =
      "Class " + CodeSpan(p.failure_class) + ", signature " + CodeSpan(Shorten(p.signature)) + ": ";
  const std::string project = CodeSpan(p.project_id);
  if (IsTest(p)) {
    description += "a test message from Vigil for project " + project + ".";
  } else if (IsRegression(p)) {
    description += "recurred in project " + project + " after it was resolved.";
  } else {
    description += "first occurrence in project " + project + ".";
  }
  JsonWriter w;
  w.BeginObject().Field("username", "Vigil").Key("embeds").BeginArray().BeginObject();
  w.Field("title", Headline(p) + " · " + p.failure_class)
      .Field("description", description)
      .Field("color", static_cast<int64_t>(ClassColor(p.failure_class)));
  DiscordFields(w, p, links);
  w.Key("footer").BeginObject().Field("text", "delivery " + p.delivery_id).EndObject();
  w.Field("timestamp", FormatRfc3339Ms(p.queued_at_ms));
  w.EndObject().EndArray().EndObject();
  return w.Take();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view WebhookEventName(WebhookEvent event) {
  switch (event) {
    case WebhookEvent::kGroupRegressed:
      return kEventGroupRegressed;
    case WebhookEvent::kTest:
      return kEventGroupTest;
    case WebhookEvent::kGroupCreated:
      break;
  }
  return kEventGroupCreated;
}

WebhookEvent WebhookEventFromName(std::string_view name) {
  if (name == kEventGroupCreated) return WebhookEvent::kGroupCreated;
  if (name == kEventGroupRegressed) return WebhookEvent::kGroupRegressed;
  return WebhookEvent::kTest;
}

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
