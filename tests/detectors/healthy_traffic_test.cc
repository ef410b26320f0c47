// False-positive check: a default policy that flags healthy traffic would train teams to ignore
// Vigil. This generates varied, realistic executions and expects no finding at all.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil {
namespace {

const std::vector<std::string> kTemplates = {
    "Summarize the attached {doc} in three bullet points for the {team} team.",
    "What were the main reasons our {metric} changed last {period}?",
    "Draft a friendly email to {person} about rescheduling the {meeting}.",
    "Find all open tickets mentioning {product} and group them by severity.",
    "Write a SQL query that counts {entity} created per {period}.",
    "Explain the difference between {concept} and {concept2} to a new hire.",
    "Check whether invoice {number} from {vendor} was paid on time.",
    "Suggest three names for a new {product} feature aimed at {audience}.",
    "Convert this list of {entity} into a CSV table with headers.",
    "Review the pull request that changes the {component} module and list the risks.",
    "Plan a two-day agenda for the {team} offsite in {city}.",
    "How many {entity} did we onboard in {city} during the last {period}?",
    "Classify this customer feedback as positive, neutral or negative: {phrase}",
    "Generate unit test ideas for the {component} parser.",
    "Extract every date and amount from the {doc} and return them as JSON.",
    "Recommend a reading list on {concept} for someone who already knows {concept2}.",
    "Compare the pricing pages of {vendor} and {vendor2} and note the gaps.",
    "Rewrite the introduction of the {doc} so it sounds less formal.",
    "Which of our {entity} have not logged in since the start of the {period}?",
    "Create a short onboarding checklist for new {audience}.",
    "Estimate the storage we need if {entity} grow by {number} percent next year.",
    "Outline the steps to rotate the credentials of the {component} service.",
    "Tell me a fun fact about {city} to open the weekly newsletter.",
    "Proofread this paragraph and fix grammar only: {phrase}",
    "List the top five risks in the {doc} and who owns each one.",
    "Give me a regular expression that matches {entity} identifiers like {number}.",
    "Describe how cache invalidation works in the {component} in two sentences.",
    "Prepare talking points for {person} before the {meeting}.",
    "Turn these meeting notes into action items with owners: {phrase}",
    "Why did the nightly {component} job take twice as long on {day}?",
    "Write a haiku about {concept} for the team channel.",
    "Is {vendor} compliant with our data retention requirements for {entity}?",
    "Book a table for {number} people near our {city} office on {day}.",
};

const std::vector<std::pair<std::string, std::vector<std::string>>> kFillers = {
    {"{doc}",
     {"quarterly report", "security audit", "vendor contract", "roadmap draft",
      "incident postmortem", "hiring plan", "board memo", "release notes"}},
    {"{team}", {"sales", "platform", "design", "finance", "support", "marketing", "legal"}},
    {"{metric}",
     {"churn rate", "conversion rate", "average order value", "support backlog",
      "net revenue retention", "page load time"}},
    {"{period}", {"quarter", "month", "week", "fiscal year", "sprint"}},
    {"{person}", {"Maria", "Kenji", "Olusegun", "Priya", "Lukas", "Fatima", "Diego", "Mei"}},
    {"{meeting}",
     {"budget review", "design critique", "customer demo", "quarterly planning", "one-on-one",
      "vendor call"}},
    {"{product}",
     {"the mobile app", "the billing portal", "the search bar", "the checkout flow",
      "the analytics dashboard", "the export wizard"}},
    {"{entity}",
     {"customer accounts", "purchase orders", "support tickets", "user sessions", "shipping labels",
      "subscriptions"}},
    {"{concept}",
     {"eventual consistency", "gradient descent", "double-entry bookkeeping", "feature flags",
      "supply chain risk", "zero trust networking"}},
    {"{concept2}",
     {"strong consistency", "linear regression", "cash accounting", "trunk-based development",
      "inventory planning", "perimeter security"}},
    {"{number}", {"12", "250", "4096", "37", "1800", "64", "9"}},
    {"{vendor}", {"Northwind", "Globex", "Initech", "Umbrella Logistics", "Stark Supplies"}},
    {"{vendor2}", {"Contoso", "Hooli", "Vandelay Imports", "Wayne Freight", "Soylent Foods"}},
    {"{audience}",
     {"small bakeries", "field technicians", "university students", "accountants", "nurses",
      "warehouse managers"}},
    {"{component}",
     {"payments", "authentication", "notification", "reporting", "image resizing",
      "inventory sync"}},
    {"{city}", {"Lisbon", "Nairobi", "Osaka", "Toronto", "Krakow", "Santiago", "Melbourne"}},
    {"{day}", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}},
    {"{phrase}",
     {"the delivery was late but the courier was polite",
      "great product, terrible onboarding, would still recommend",
      "we agreed to ship the beta next Friday and Ana owns the docs",
      "their going to send the samples tomorow morning",
      "refund processed after three emails, not impressed"}},
};

const std::vector<std::string> kModels = {"claude-sonnet-4-6", "gpt-4o-mini", "claude-haiku-4-5"};
const std::vector<std::string> kTools = {"search_docs", "get_customer",  "run_sql",
                                         "send_email",  "read_calendar", "fetch_invoice"};

class TrafficGenerator {
 public:
  explicit TrafficGenerator(uint32_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Uniform(0, static_cast<int>(items.size()) - 1))];
  }

  std::string Fill(std::string text) {
    for (const auto& [slot, values] : kFillers) {
      size_t at;
      while ((at = text.find(slot)) != std::string::npos)
        text.replace(at, slot.size(), Pick(values));
    }
    return text;
  }

  // One healthy execution: a few distinct requests (never the same template twice, so never the
  // same message), successful tools and validators, under a minute, well under a dollar.
  ExecutionSnapshot Next(int index, const std::vector<std::string>& models) {
    std::vector<size_t> order(kTemplates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng_);
    const int llm_calls = Uniform(1, 8);
    std::vector<Event> events;
    for (int call = 0; call < llm_calls; ++call) {
      const std::string& model = index == 0 ? kModels[call % kModels.size()] : Pick(models);
      events.push_back(test::LlmCall(model, Fill(kTemplates[order[call]]), Uniform(200, 4000),
                                     Uniform(50, 800)));
      events.back().fields.system_prompt =
          "You are a helpful assistant for Acme's operations team. Answer concisely and cite "
          "the internal documents you used.";
      const int tools = Uniform(0, 2);
      for (int t = 0; t < tools; ++t) events.push_back(test::ToolCall(Pick(kTools), "ok"));
      if (Uniform(0, 3) == 0) events.push_back(test::Checkpoint());
    }
    if (Uniform(0, 1) == 0) events.push_back(test::ValidatorResult("output_schema", true));
    ExecutionSnapshot snapshot = test::MakeSnapshot(std::move(events));
    snapshot.execution.execution_id = "exec-healthy-" + std::to_string(index);
    snapshot.execution.duration_ms = Uniform(1500, 45000);
    snapshot.execution.ended_at_ms =
        snapshot.execution.started_at_ms + snapshot.execution.duration_ms;
    return snapshot;
  }

 private:
  std::mt19937 rng_;
};

TEST_CASE("Healthy varied executions produce zero findings under the default policy") {
  constexpr int kExecutions = 250;
  const Policy policy = PolicyPreset("vigil");
  TrafficGenerator generator(20260515);
  std::set<std::string> known_models;
  std::vector<std::string> history_messages;  // newest first
  std::set<std::string> distinct_messages;
  int total_events = 0;
  for (int i = 0; i < kExecutions; ++i) {
    const std::vector<std::string> established(known_models.begin(), known_models.end());
    ExecutionSnapshot snapshot = generator.Next(i, established);
    snapshot.history.models = established;
    snapshot.history.user_messages = history_messages;
    if (snapshot.history.user_messages.size() > 500) snapshot.history.user_messages.resize(500);

    CAPTURE(i);
    const auto final_findings = RunDetectors(snapshot, policy, Pass::kFinal);
    for (const Finding& finding : final_findings) {
      CAPTURE(finding.detector);
      CAPTURE(finding.signature);
      FAIL_CHECK("unexpected finding on a healthy execution");
    }
    ExecutionSnapshot running = snapshot;
    running.execution.status = ExecutionStatus::kStarted;
    running.execution.duration_ms = 0;
    running.execution.ended_at_ms = 0;
    CHECK(RunDetectors(running, policy, Pass::kLive).empty());

    total_events += static_cast<int>(snapshot.events.size());
    for (const Event& event : snapshot.events) {
      if (event.event_type != "llm_call") continue;
      known_models.insert(*event.fields.model);
      history_messages.insert(history_messages.begin(), *event.fields.user_message);
      distinct_messages.insert(*event.fields.user_message);
    }
  }
  // The traffic really is varied and substantial, so the zero above means something.
  CHECK(known_models.size() == kModels.size());
  CHECK(distinct_messages.size() > 400);
  CHECK(total_events > 2000);
}

TEST_CASE("The healthy traffic generator does trip the detectors once a loop is injected") {
  TrafficGenerator generator(7);
  ExecutionSnapshot snapshot = generator.Next(0, {});
  // The agent sends its first request twice more before anything else happens.
  const Event repeated = snapshot.events.front();
  snapshot.events.insert(snapshot.events.begin() + 1, 2, repeated);
  snapshot.history.models = {"claude-sonnet-4-6", "gpt-4o-mini", "claude-haiku-4-5"};
  const auto findings = RunDetectors(snapshot, Policy{}, Pass::kFinal);
  REQUIRE_FALSE(findings.empty());
  CHECK(findings.front().detector == "identical_call");
}

}  // namespace
}  // namespace vigil
