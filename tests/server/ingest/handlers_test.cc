// The ingestion routes called directly: POST /executions, PATCH /executions/{id}, POST /events.
#include "server/ingest/handlers.h"

#include <doctest/doctest.h>

#include <string>

#include "server/admin/abuse.h"
#include "server/detection/detection.h"
#include "server/http/metrics.h"
#include "storage/detection.h"
#include "storage/events.h"
#include "storage/executions.h"
#include "tests/server/handler_fixture.h"

using namespace vigil;
using vigil::testing::HandlerFixture;
using vigil::testing::Reply;

namespace {

// The ingestion handlers with the services the binary gives them (detection on, the default
// preset; no abuse suspension).
class IngestTest : public HandlerFixture {
 public:
  IngestTest()
      : detection(store.get(), true, "vigil"),
        abuse(
            store.get(), AbuseOptions{}, [](int64_t) {},
            [](const std::string&, const std::string&) { return false; }),
        handlers(*store, detection, abuse, metrics) {}

  Reply CreateExecution(const std::string& body) {
    return Call(handlers, &IngestHandlers::CreateExecution,
                KeyRequest("POST", "/executions").Body(body));
  }
  Reply PatchExecution(const std::string& id, const std::string& body) {
    return Call(handlers, &IngestHandlers::PatchExecution,
                KeyRequest("PATCH", "/executions/" + id).Param(id).Body(body));
  }
  Reply PostEvents(const std::string& body) {
    return Call(handlers, &IngestHandlers::IngestEvents, KeyRequest("POST", "/events").Body(body));
  }

  std::optional<ExecutionDetail> Stored(int64_t project, const std::string& id) {
    return Read([&](Txn& txn) { return storage::GetExecution(txn, project, id, 1000); });
  }

  Metrics metrics;
  Detection detection;
  AbuseMonitor abuse;
  IngestHandlers handlers;
};

std::string EventJson(const std::string& event_id, const std::string& execution_id, int sequence,
                      const std::string& type = "checkpoint", const std::string& payload = "{}") {
  return R"({"event_id":")" + event_id + R"(","execution_id":")" + execution_id +
         R"(","event_type":")" + type + R"(","sequence":)" + std::to_string(sequence) +
         R"(,"timestamp":"2026-05-14T10:00:01Z","payload":)" + payload + "}";
}

}  // namespace

TEST_CASE_FIXTURE(IngestTest, "POST /executions creates an execution and PATCH merges into it") {
  Reply created = CreateExecution(
      R"({"execution_id":"run-1","status":"started","started_at":"2026-05-14T10:00:00Z",)"
      R"("sdk_language":"python","input_summary":"plan the trip"})");
  CHECK(created.status == 200);
  CHECK(created.body == R"({"ok":true,"execution_id":"run-1","status":"started","created":true})");

  Reply patched = PatchExecution(
      "run-1", R"({"status":"completed","ended_at":"2026-05-14T10:00:05Z","output_summary":"ok"})");
  CHECK(patched.status == 200);
  CHECK(patched.body ==
        R"({"ok":true,"execution_id":"run-1","status":"completed","created":false})");

  auto stored = Stored(a, "run-1");
  REQUIRE(stored.has_value());
  const Execution& e = stored->execution;
  CHECK(e.status == ExecutionStatus::kCompleted);
  CHECK(e.sdk_language == "python");          // kept from the create
  CHECK(e.input_summary == "plan the trip");  // kept from the create
  CHECK(e.output_summary == "ok");            // added by the patch
  CHECK(e.started_at_ms == 1778752800000);
  CHECK(e.ended_at_ms == 1778752805000);
  CHECK_FALSE(Stored(b, "run-1").has_value());  // written to the key's project only
}

TEST_CASE_FIXTURE(IngestTest, "a PATCH of an execution never seen creates it") {
  Reply r = PatchExecution("fresh", R"({"status":"started"})");
  CHECK(r.status == 200);
  CHECK(r.Bool("/created"));
  CHECK(r.Str("/status") == "started");
  REQUIRE(Stored(a, "fresh").has_value());
}

TEST_CASE_FIXTURE(IngestTest, "a body naming another project is refused 403 and stores nothing") {
  Reply r = CreateExecution(R"({"execution_id":"run-x","project_id":"pb"})");
  CHECK(r.status == 403);
  CHECK(r.body ==
        R"({"ok":false,"error":"project_id in body does not match authenticated project"})");
  CHECK(r.error == Code::kForbidden);
  Reply patch = PatchExecution("run-x", R"({"project_id":"pb","status":"completed"})");
  CHECK(patch.status == 403);
  CHECK_FALSE(Stored(a, "run-x").has_value());
  CHECK_FALSE(Stored(b, "run-x").has_value());

  // The key's own project id is accepted.
  CHECK(CreateExecution(R"({"execution_id":"run-x","project_id":"pa"})").status == 200);
  CHECK(Stored(a, "run-x").has_value());
}

TEST_CASE_FIXTURE(IngestTest, "POST /executions without an execution_id is 400") {
  Reply r = CreateExecution(R"({"status":"started"})");
  CHECK(r.status == 400);
  CHECK(r.Error() == "execution_id is required");
}

TEST_CASE_FIXTURE(IngestTest, "a batch with one bad event stores the others and lists the error") {
  const std::string bad = R"({"execution_id":"run-2","event_type":"checkpoint","sequence":2})";
  Reply r = PostEvents("[" + EventJson("e1", "run-2", 1) + "," + bad + "," +
                       EventJson("e3", "run-2", 3) + "," + R"("not an object")" + "]");
  CHECK(r.status == 200);
  CHECK(r.Bool("/ok"));
  CHECK(r.Int("/accepted") == 2);
  CHECK(r.Int("/rejected") == 2);
  CHECK(r.Int("/duplicates") == 0);
  REQUIRE(r.Size("/errors") == 2);
  CHECK(r.Int("/errors/0/index") == 1);
  CHECK(r.Str("/errors/0/error") == "event_id is required");
  CHECK(r.Int("/errors/1/index") == 3);
  CHECK(r.Str("/errors/1/error") == "event must be a JSON object");

  auto stored = Stored(a, "run-2");  // the execution is created implicitly by its events
  REQUIRE(stored.has_value());
  CHECK(stored->events_total == 2);
  REQUIRE(stored->events.size() == 2);
  CHECK(stored->events[0].event_id == "e1");
  CHECK(stored->events[1].event_id == "e3");
}

TEST_CASE_FIXTURE(IngestTest, "events seen before, or twice in one batch, count as duplicates") {
  Reply first =
      PostEvents("[" + EventJson("d1", "run-3", 1) + "," + EventJson("d2", "run-3", 2) + "]");
  CHECK(first.Int("/accepted") == 2);
  CHECK(first.Int("/duplicates") == 0);

  Reply again = PostEvents("[" + EventJson("d1", "run-3", 1) + "," + EventJson("d3", "run-3", 3) +
                           "," + EventJson("d3", "run-3", 3) + "]");
  CHECK(again.status == 200);
  CHECK(again.Int("/accepted") == 1);    // d3, once
  CHECK(again.Int("/duplicates") == 2);  // d1 (stored before) and the second d3
  CHECK(again.Int("/rejected") == 0);
  CHECK(again.Size("/errors") == 0);
  CHECK(Stored(a, "run-3")->events_total == 3);
}

TEST_CASE_FIXTURE(IngestTest, "a whole batch that is not a JSON array of events is 400") {
  CHECK(PostEvents("[]").Error() == "empty event batch");
  Reply r = PostEvents(R"({"event_id":"x"})");
  CHECK(r.status == 400);
  CHECK(r.Error() == "invalid JSON: expected an array of events");
}

TEST_CASE_FIXTURE(IngestTest, "late events for a terminal execution re-run its final pass") {
  REQUIRE(
      CreateExecution(R"({"execution_id":"run-4","started_at":"2026-05-14T10:00:00Z"})").status ==
      200);
  REQUIRE(PatchExecution("run-4", R"({"status":"completed","ended_at":"2026-05-14T10:00:05Z"})")
              .status == 200);
  REQUIRE(Stored(a, "run-4")->findings.empty());  // nothing to find in an empty run

  // A failed tool call arrives after the execution ended.
  Reply r = PostEvents("[" +
                       EventJson("late-1", "run-4", 1, "tool_call",
                                 R"({"tool_name":"search_web","status":"failed",)"
                                 R"("exception_type":"Timeout"})") +
                       "]");
  CHECK(r.Int("/accepted") == 1);

  auto stored = Stored(a, "run-4");
  REQUIRE(stored.has_value());
  REQUIRE(stored->findings.size() == 1);
  CHECK(stored->findings[0].detector == "tool_failure");
  CHECK(stored->findings[0].failure_class == "tool_failures");
  CHECK(stored->findings[0].source == "final");
  CHECK(stored->execution.failure_group_id == stored->findings[0].group_id);
  auto groups = Read([&](Txn& txn) { return storage::ListFailureGroups(txn, a, 10, 0); });
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].group_id == stored->findings[0].group_id);
  // A repeat of the same late event changes nothing: no new event, the same single finding.
  Reply repeat = PostEvents("[" +
                            EventJson("late-1", "run-4", 1, "tool_call",
                                      R"({"tool_name":"search_web","status":"failed"})") +
                            "]");
  CHECK(repeat.Int("/duplicates") == 1);
  CHECK(Stored(a, "run-4")->findings.size() == 1);
}

TEST_CASE_FIXTURE(IngestTest, "ids longer than 128 bytes are refused, 128 bytes are accepted") {
  const std::string longest(128, 'x');
  const std::string too_long(129, 'x');

  Reply patch = PatchExecution(too_long, R"({"status":"started"})");
  CHECK(patch.status == 400);
  CHECK(patch.Error() == "execution_id longer than 128 bytes");
  Reply create = CreateExecution(R"({"execution_id":")" + too_long + R"("})");
  CHECK(create.status == 400);
  CHECK(create.Error() == "execution_id longer than 128 bytes");
  CHECK(CreateExecution(R"({"execution_id":")" + longest + R"("})").status == 200);
  CHECK(Stored(a, longest).has_value());

  Reply events =
      PostEvents("[" + EventJson(too_long, "run-5", 1) + "," + EventJson("ok", too_long, 2) + "," +
                 EventJson(longest, "run-5", 3) + "]");
  CHECK(events.status == 200);
  CHECK(events.Int("/accepted") == 1);
  CHECK(events.Int("/rejected") == 2);
  CHECK(events.Str("/errors/0/error") == "event_id longer than 128 bytes");
  CHECK(events.Str("/errors/1/error") == "execution_id longer than 128 bytes");
  auto stored = Stored(a, "run-5");
  REQUIRE(stored.has_value());
  REQUIRE(stored->events.size() == 1);
  CHECK(stored->events[0].event_id == longest);
}
