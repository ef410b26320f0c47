// The messages of an LLM span (server/otlp/messages.h): each attribute and event form senders
// use, the tool results its input ends with, and its request identity.
#include "server/otlp/messages.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "detectors/detectors.h"
#include "server/codec/json_codec.h"
#include "server/otlp/mapping.h"
#include "tests/server/otlp/span_builder.h"

// Named, not anonymous: the unity build joins test files.
namespace otlp_messages_test {
using namespace vigil;
using namespace vigil::otlp;
using vigil::otlp::test::EventOfType;
using vigil::otlp::test::MakeSpan;
using vigil::otlp::test::Str;

TEST_CASE("The tool results an LLM span's input ends with are read, in each sender's form") {
  const auto tool_results = [](Attributes attributes) {
    return ReadLlmMessages(attributes).tool_results;
  };
  // The GenAI conventions: tool_call_response parts after the last assistant message; an earlier
  // result, already answered by that assistant message, is not among them.
  CHECK(tool_results({Str("gen_ai.input.messages",
                          R"([{"role":"user","parts":[{"type":"text","content":"weather?"}]},
      {"role":"assistant","parts":[{"type":"tool_call","id":"1","name":"f"}]},
      {"role":"tool","parts":[{"type":"tool_call_response","id":"1","response":"old"}]},
      {"role":"assistant","parts":[{"type":"tool_call","id":"2","name":"f"}]},
      {"role":"tool","parts":[{"type":"tool_call_response","id":"2","response":"sunny"}]},
      {"role":"tool","parts":[{"type":"tool_call_response","id":"3","response":{"t":21}}]}])")}) ==
        "sunny\n\n{\"t\":21}");
  // The provider forms: an OpenAI tool message's content, Anthropic's tool_result blocks.
  CHECK(tool_results({Str("gen_ai.input.messages",
                          R"([{"role":"assistant","content":null},
      {"role":"tool","tool_call_id":"1","content":"page text"}])")}) == "page text");
  CHECK(tool_results({Str("gen_ai.input.messages",
                          R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"1",
      "content":[{"type":"text","text":"file body"}]}]}])")}) == "file body");
  // A user message of tool_result blocks only is not a user turn: the user message stays the
  // question before it.
  const LlmMessages anthropic = ReadLlmMessages({Str("gen_ai.input.messages",
                                                     R"([{"role":"user","content":"read it"},
      {"role":"assistant","content":[{"type":"tool_use","id":"1","name":"read"}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"1","content":"body"}]}])")});
  CHECK(anthropic.user_message == "read it");
  CHECK(anthropic.tool_results == "body");
  // The Vercel AI SDK: tool-result parts, `output.value` or `result`.
  CHECK(tool_results({Str("ai.prompt.messages",
                          R"([{"role":"tool","content":[{"type":"tool-result","toolCallId":"1",
      "output":{"type":"text","value":"v5 text"}},{"type":"tool-result","result":"v4 text"}]}])")}) ==
        "v5 text\nv4 text");  // the parts of one message, a line apart
  // The indexed forms (OpenLLMetry, OpenInference).
  CHECK(tool_results({Str("gen_ai.prompt.0.role", "assistant"), Str("gen_ai.prompt.0.content", ""),
                      Str("gen_ai.prompt.1.role", "tool"),
                      Str("gen_ai.prompt.1.content", "indexed")}) == "indexed");
  // OpenLLMetry keeps a list of content blocks as its JSON text: an Anthropic tool_result.
  const LlmMessages indexed_blocks = ReadLlmMessages(
      {Str("gen_ai.prompt.0.role", "user"), Str("gen_ai.prompt.0.content", "Read the page"),
       Str("gen_ai.prompt.1.role", "assistant"),
       Str("gen_ai.prompt.1.content", R"([{"type":"tool_use","id":"1","name":"fetch"}])"),
       Str("gen_ai.prompt.2.role", "user"),
       Str("gen_ai.prompt.2.content",
           R"([{"type":"tool_result","tool_use_id":"1","content":"page body"}])")});
  CHECK(indexed_blocks.user_message == "Read the page");
  CHECK(indexed_blocks.tool_results == "page body");
  CHECK(ReadLlmMessages(
            {Str("gen_ai.prompt.0.role", "user"), Str("gen_ai.prompt.0.content", "[1, 2]")})
            .user_message == "[1, 2]");
  CHECK(tool_results({Str("llm.input_messages.0.message.role", "tool"),
                      Str("llm.input_messages.0.message.content", "inference")}) == "inference");
  // No tool message after the last assistant message: none.
  CHECK_FALSE(tool_results({Str("gen_ai.input.messages",
                                R"([{"role":"tool","content":"answered"},
      {"role":"assistant","content":"ok"},{"role":"user","content":"thanks"}])")})
                  .has_value());
}

// The loop detectors tell a multi-step run (tool results pile up in the input) from an agent
// resending one request by the request itself, as they do with the SDKs' context_sha256.
TEST_CASE("An LLM span's input is its request identity: equal inputs, equal digests") {
  const std::string first = R"([{"role":"user","content":"Book a flight"}])";
  const std::string later = R"([{"role":"user","content":"Book a flight"},
      {"role":"assistant","content":[{"type":"tool_use","id":"1","name":"search"}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"1","content":"3 found"}]}])";
  const Attributes step1 = {Str("gen_ai.input.messages", first)};
  const auto digest = InputDigest(step1, "gpt-4o");
  REQUIRE(digest);
  CHECK(digest->size() == 64);
  CHECK(InputDigest(step1, "gpt-4o") == digest);
  CHECK(InputDigest({Str("gen_ai.input.messages", later)}, "gpt-4o") != digest);
  CHECK(InputDigest(step1, "gpt-4o-mini") != digest);
  // The tool declarations and the system instructions are part of the request; attribute order
  // is not.
  const Attributes tools = {Str("gen_ai.tool.definitions", R"([{"name":"search"}])"),
                            Str("gen_ai.input.messages", first)};
  CHECK(InputDigest(tools, "gpt-4o") != digest);
  CHECK(InputDigest({tools[1], tools[0]}, "gpt-4o") == InputDigest(tools, "gpt-4o"));
  // Of a repeated key the last counts, as everywhere else in the mapping.
  CHECK(InputDigest({Str("gen_ai.input.messages", "[]"), step1[0]}, "gpt-4o") == digest);
  // The indexed forms count as messages too.
  CHECK(InputDigest({Str("gen_ai.prompt.0.role", "user"), Str("gen_ai.prompt.0.content", "hi")},
                    "m"));
  // Without a captured input message there is no identity, only a model and tool declarations.
  CHECK_FALSE(InputDigest({Str("gen_ai.tool.definitions", "[]")}, "gpt-4o"));
  CHECK_FALSE(InputDigest({}, "gpt-4o"));

  const Span chat = MakeSpan(
      "0000000000000002", "0000000000000001",
      {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "gpt-4o"), step1[0]});
  const MappedTraces mapped = MapSpans({chat});
  const MappedEvent* e = EventOfType(mapped, "llm_call");
  REQUIRE(e != nullptr);
  CHECK(ExtractPayloadFields(e->payload_json).context_digest == ParseContextSha256(*digest));
  const Span bare =
      MakeSpan("0000000000000003", "0000000000000001",
               {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "gpt-4o")});
  const MappedTraces mapped_bare = MapSpans({bare});
  const MappedEvent* b = EventOfType(mapped_bare, "llm_call");
  REQUIRE(b != nullptr);
  const PayloadFields f = ExtractPayloadFields(b->payload_json);
  CHECK_FALSE(f.context_digest);
  CHECK(f.no_user_message);
}

// Instrumentations written to the GenAI conventions of 2024 record prompts and completions as span
// events, not attributes.
TEST_CASE("Messages recorded as span events are read when the span has no message attributes") {
  Span chat = MakeSpan("0000000000000002", "0000000000000001",
                       {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "m")});
  SpanEvent prompt{
      "gen_ai.content.prompt", 0, {Str("gen_ai.prompt", R"([{"role":"system","content":"Be brief."},
                                            {"role":"user","content":"Capital of France?"}])")}};
  SpanEvent completion{"gen_ai.content.completion",
                       0,
                       {Str("gen_ai.completion", R"([{"role":"assistant","content":"Paris."}])")}};
  chat.events = {prompt, completion};
  const MappedTraces mapped = MapSpans({chat});
  const MappedEvent* e = EventOfType(mapped, "llm_call");
  REQUIRE(e != nullptr);
  const PayloadFields f = ExtractPayloadFields(e->payload_json);
  CHECK(f.system_prompt == "Be brief.");
  CHECK(f.user_message == "Capital of France?");
  CHECK(f.response_text == "Paris.");
  CHECK(f.context_digest);

  // The details event of the newer conventions, as a span event.
  Span details = chat;
  details.events = {
      SpanEvent{"gen_ai.client.inference.operation.details",
                0,
                {Str("gen_ai.input.messages", R"([{"role":"user","content":"Hi"}])"),
                 Str("gen_ai.output.messages", R"([{"role":"assistant","content":"Hello"}])")}}};
  Attributes storage;
  const LlmMessages m = ReadLlmMessages(MessageAttributes(details, &storage));
  CHECK(m.user_message == "Hi");
  CHECK(m.response_text == "Hello");

  // A prompt and a completion event as other senders write them.
  const auto read_events = [&chat](std::string prompt, std::string completion) {
    Span s = chat;
    s.events = {
        SpanEvent{"gen_ai.content.prompt", 0, {Str("gen_ai.prompt", std::move(prompt))}},
        SpanEvent{
            "gen_ai.content.completion", 0, {Str("gen_ai.completion", std::move(completion))}}};
    Attributes copy;
    return ReadLlmMessages(MessageAttributes(s, &copy));
  };
  // Plain text, "[INST]" prompts included.
  const LlmMessages text = read_events("[INST] Capital of Peru? [/INST]", "Lima.");
  CHECK(text.user_message == "[INST] Capital of Peru? [/INST]");
  CHECK(text.response_text == "Lima.");
  // A single message object where the list would be.
  const LlmMessages one =
      read_events(R"({"role":"user","content":"One"})", R"({"role":"assistant","content":"Two"})");
  CHECK(one.user_message == "One");
  CHECK(one.response_text == "Two");
}

TEST_CASE("Messages recorded one event per message are read, in event order") {
  // The conventions before 1.37: gen_ai.<role>.message and gen_ai.choice, each body a message.
  Span per_message =
      MakeSpan("0000000000000002", "0000000000000001",
               {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "m")});
  Attributes storage;
  const auto event = [](std::string name, std::string body) {
    return SpanEvent{std::move(name), 0, {Str("gen_ai.event.content", std::move(body))}};
  };
  per_message.events = {
      event("gen_ai.system.message", R"({"role":"system","content":"Be brief."})"),
      event("gen_ai.user.message", R"({"role":"user","content":"Weather in Oslo?"})"),
      event("gen_ai.assistant.message", R"({"role":"assistant","tool_calls":[{"id":"1"}]})"),
      event("gen_ai.tool.message", R"({"role":"tool","content":"rain","tool_call_id":"1"})"),
      event("gen_ai.choice",
            R"({"finish_reason":"stop","index":0,"message":{"content":"Rain."}})")};
  const LlmMessages each = ReadLlmMessages(MessageAttributes(per_message, &storage));
  CHECK(each.system_prompt == "Be brief.");
  CHECK(each.user_message == "Weather in Oslo?");
  CHECK(each.tool_results == "rain");
  CHECK(each.response_text == "Rain.");
  CHECK(each.finish_reason == "stop");
  per_message.events = {event("gen_ai.user.message", "plain words")};
  CHECK(ReadLlmMessages(MessageAttributes(per_message, &storage)).user_message == "plain words");
}

TEST_CASE("A span's own message attributes win over its events") {
  Span own = MakeSpan("0000000000000002", "0000000000000001", {Str("gen_ai.request.model", "m")});
  own.events = {SpanEvent{"gen_ai.content.prompt",
                          0,
                          {Str("gen_ai.prompt", R"([{"role":"user","content":"Event"}])")}}};
  Attributes storage;
  own.attributes.push_back(Str("gen_ai.input.messages", R"([{"role":"user","content":"Own"}])"));
  CHECK(ReadLlmMessages(MessageAttributes(own, &storage)).user_message == "Own");
  Span plain = MakeSpan("0000000000000003", "", {Str("gen_ai.request.model", "m")});
  CHECK(&MessageAttributes(plain, &storage) == &plain.attributes);  // nothing copied
}

}  // namespace otlp_messages_test
