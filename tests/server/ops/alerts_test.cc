#include "server/ops/alerts.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>

using namespace vigil;

namespace {

// The one string at `pointer` (a JSON pointer) of a rendered alert body.
std::string StringAt(const std::string& body, const char* pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(body);
  return std::string(doc.at_pointer(pointer).get_string().value());
}

// The inside of the code block `text` must be: ```\n...\n```, with no backtick to close it early.
std::string CodeBlockInside(const std::string& text) {
  REQUIRE(text.size() > 8);
  CHECK(text.rfind("```\n", 0) == 0);
  CHECK(text.substr(text.size() - 4) == "\n```");
  const std::string inner = text.substr(4, text.size() - 8);
  CHECK(inner.find('`') == std::string::npos);
  return inner;
}

// What a chat service would render as markup, a mention or a link outside a code block.
const char* const kHostile = "<!channel> <@U123|x> &amp; *bold* _it_ ~s~ `code` ```end";

}  // namespace

TEST_CASE("AlertText percent-encodes everything a chat service could read as markup") {
  CHECK(AlertText("api.example.com:8080", 64) == "api.example.com:8080");
  CHECK(AlertText("/executions/run-1", 64) == "/executions/run-1");
  const std::string out = AlertText(kHostile, 1024);
  for (char c : std::string("<>&*_~`@!| ")) {
    CAPTURE(c);
    CHECK(out.find(c) == std::string::npos);
  }
  CHECK(AlertText(std::string(600, 'a'), 512).size() <= 512);
}

TEST_CASE("Slack alerts show client text in a code block with Slack's markup escaped") {
  const std::string json = std::string("{\"path\":\"") + kHostile + "\"}";
  const std::string body = RenderAlert(WebhookFormat::kSlack, "Vigil <b> `x`", json);
  const std::string inner = CodeBlockInside(StringAt(body, "/attachments/0/text"));
  CHECK(inner.find('<') == std::string::npos);
  CHECK(inner.find('>') == std::string::npos);
  CHECK(inner.find("&lt;!channel&gt;") != std::string::npos);
  CHECK(inner.find("&amp;amp;") != std::string::npos);
  const std::string title = StringAt(body, "/attachments/0/title");
  CHECK(title == "Vigil &lt;b&gt; 'x'");
}

TEST_CASE("Discord alerts show client text in a code block and mention nobody") {
  const std::string json = std::string("{\"host\":\"@everyone ") + kHostile + "\"}";
  const std::string body = RenderAlert(WebhookFormat::kDiscord, "Vigil 500", json);
  CHECK(CodeBlockInside(StringAt(body, "/embeds/0/description")).find("@everyone") !=
        std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(body);
  CHECK(doc.at_pointer("/allowed_mentions/parse").get_array().size() == 0);
}

TEST_CASE("Alerts to other URLs are the alert's JSON as it is") {
  CHECK(RenderAlert(WebhookFormat::kStandard, "t", "{\"a\":1}") == "{\"a\":1}");
}
