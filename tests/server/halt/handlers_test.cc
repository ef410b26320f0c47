// The halt routes called directly: POST /executions/{id}/halt and GET /executions/{id}/halt-stream.
#include "server/halt/handlers.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "server/accounts/auth.h"
#include "server/halt/halt.h"
#include "server/halt/service.h"
#include "server/http/peer_watch.h"
#include "storage/executions.h"
#include "storage/halts.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "tests/server/handler_fixture.h"

using namespace vigil;
using vigil::testing::HandlerFixture;
using vigil::testing::HandlerRequest;
using vigil::testing::Reply;

namespace {

class HaltTest : public HandlerFixture {
 public:
  HaltTest()
      : streams(10, 5),
        service(*store, streams),
        auth(store.get(), 100),
        handlers(service, streams, *store, peers, auth, std::chrono::seconds(15)) {
    auth.cache().OnEvict([this] { streams.RecheckAll(); });
  }

  void Start(int64_t project, const std::string& id,
             ExecutionStatus status = ExecutionStatus::kStarted) {
    ExecutionPatch p;
    p.execution_id = id;
    p.status = status;
    Write([&](WriteTxn& txn) { return storage::UpsertExecution(txn, project, p, 1); });
  }
  HandlerRequest HaltRequest(const std::string& id, const std::string& body = "") {
    return KeyRequest("POST", "/executions/" + id + "/halt").Param(id).Body(body);
  }
  Reply Halt(const std::string& id, const std::string& body = "") {
    return Call(handlers, &HaltHandlers::Halt, HaltRequest(id, body));
  }
  std::string StoredReason(int64_t project, const std::string& id) {
    return Read([&](Txn& txn) { return storage::GetHaltState(txn, project, id); }).halt_reason;
  }

  HaltRegistry streams;
  HaltService service;
  PeerWatch peers;
  Authenticator auth;
  HaltHandlers handlers;
};

// What one call of a stream's content provider wrote, and whether it ended the stream.
struct Frame {
  std::string text;
  bool done = false;
  bool ok = false;
};

// Collects what a stream writes, as the front's chunk writer would send it.
class FrameSink : public ChunkSink {
 public:
  explicit FrameSink(Frame* out) : out_(out) {}
  bool Write(std::string_view data) override {
    out_->text.append(data);
    return true;
  }
  void Done() override { out_->done = true; }
  bool done() const override { return out_->done; }

 private:
  Frame* out_;
};

Frame NextFrame(StreamBody& stream) {
  Frame out;
  FrameSink sink(&out);
  REQUIRE(stream.next);
  out.ok = stream.next(sink);
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(HaltTest, "another project's execution is 404 exactly like a missing one") {
  Start(b, "theirs");
  Reply missing = Halt("nope", R"({"reason":"stop"})");
  Reply theirs = Halt("theirs", R"({"reason":"stop"})");
  CHECK(missing.status == 404);
  CHECK(missing.body ==
        R"({"ok":false,"error":"execution not found: if it was just started, its creation may )"
        R"(still be on its way; retry"})");
  CHECK(theirs.status == missing.status);
  CHECK(theirs.body == missing.body);
  CHECK(theirs.headers == missing.headers);
  // Nothing stored, nothing audited, in either project.
  CHECK(StoredReason(b, "theirs").empty());
  CHECK(Audit(a, "halt.request").empty());
  CHECK(Audit(b, "halt.request").empty());
  // An id longer than any stored one is missing too, and no retry will find it.
  Reply too_long = Halt(std::string(129, 'x'));
  CHECK(too_long.status == 404);
  CHECK(too_long.body == R"({"ok":false,"error":"execution not found"})");
}

TEST_CASE_FIXTURE(HaltTest, "a halt is persisted with its audit row and pending while unheard") {
  Start(a, "run");
  Reply r = Halt("run", R"({"reason":"budget exceeded"})");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"ok":true,"notified":0,"pending":true})");
  CHECK(StoredReason(a, "run") == "budget exceeded");

  auto rows = Audit(a, "halt.request");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].actor == Actor::kKey);
  CHECK(rows[0].key_id == key_a.key_id);
  CHECK(rows[0].method == "POST");
  CHECK(rows[0].path == "/executions/run/halt");
  CHECK(rows[0].status == 200);
  CHECK(rows[0].time_ms == now_ms);
  CHECK(rows[0].client_ip == "203.0.113.7");
  CHECK(rows[0].detail_json ==
        R"({"execution_id":"run","reason":"budget exceeded","terminal":false})");

  // A later halt replaces the reason; no body means the default reason.
  CHECK(Halt("run").status == 200);
  CHECK(StoredReason(a, "run") == "halt requested via API");
  CHECK(Audit(a, "halt.request").size() == 2);
}

TEST_CASE_FIXTURE(HaltTest,
                  "a halt of a terminal execution is audited but neither stored nor pending") {
  Start(a, "done", ExecutionStatus::kCompleted);
  Reply r = Halt("done", R"({"reason":"too late"})");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"ok":true,"notified":0,"pending":false})");
  CHECK(StoredReason(a, "done").empty());
  auto rows = Audit(a, "halt.request");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].detail_json == R"({"execution_id":"done","reason":"too late","terminal":true})");
}

TEST_CASE_FIXTURE(HaltTest, "a stream registered for the execution receives the halt's reason") {
  Start(a, "run");
  auto mine = streams.Subscribe(a, "run");
  auto other = streams.Subscribe(b, "run");  // the same id in another project hears nothing
  REQUIRE(mine.ok());
  REQUIRE(other.ok());
  Reply r = Halt("run", R"({"reason":"operator stop"})");
  CHECK(r.status == 200);
  CHECK(r.Int("/notified") == 1);
  CHECK_FALSE(r.Bool("/pending"));
  REQUIRE(mine.value()->reason.has_value());
  CHECK(*mine.value()->reason == "operator stop");
  CHECK_FALSE(other.value()->reason.has_value());
}

TEST_CASE_FIXTURE(HaltTest, "a reason longer than 1024 bytes is refused; 1024 bytes are kept") {
  Start(a, "run");
  Reply r = Halt("run", R"({"reason":")" + std::string(1025, 'r') + R"("})");
  CHECK(r.status == 400);
  CHECK(r.Error() == "reason longer than 1024 bytes");
  CHECK(StoredReason(a, "run").empty());
  CHECK(Audit(a, "halt.request").empty());
  CHECK(Halt("run", R"({"reason":")" + std::string(1024, 'r') + R"("})").status == 200);
  CHECK(StoredReason(a, "run") == std::string(1024, 'r'));
}

TEST_CASE_FIXTURE(HaltTest, "a malformed halt body is 400") {
  Start(a, "run");
  Reply r = Halt("run", R"({"reason":7})");
  CHECK(r.status == 400);
  CHECK(r.error == Code::kInvalidArgument);
  CHECK(StoredReason(a, "run").empty());
}

TEST_CASE_FIXTURE(HaltTest, "the halt stream says it subscribed, then sends a halt that arrives") {
  Start(a, "run");
  httplib::Response res;
  const HandlerRequest open = KeyRequest("GET", "/executions/run/halt-stream").Param("run");
  CHECK(Invoke(open, res, [&](RequestContext& ctx) { handlers.Stream(ctx); }) == Code::kOk);
  CHECK(res.status == 200);
  CHECK(res.get_header_value("Cache-Control") == "no-cache, no-transform");
  CHECK(streams.open() == 1);
  Frame first = NextFrame(last_stream);
  CHECK(first.ok);
  CHECK(first.text == ": subscribed execution=run\n\n");
  CHECK_FALSE(first.done);

  Reply halted = Halt("run", R"({"reason":"stop \"now\""})");
  CHECK(halted.Int("/notified") == 1);
  Frame frame = NextFrame(last_stream);
  CHECK(frame.text == "event: halt\ndata: {\"reason\":\"stop \\\"now\\\"\"}\n\n");
  CHECK(frame.done);
}

TEST_CASE_FIXTURE(HaltTest, "a halt persisted before the stream opens is sent at once") {
  Start(a, "run");
  REQUIRE(Halt("run", R"({"reason":"earlier"})").status == 200);
  httplib::Response res;
  Invoke(KeyRequest("GET", "/executions/run/halt-stream").Param("run"), res,
         [&](RequestContext& ctx) { handlers.Stream(ctx); });
  Frame first = NextFrame(last_stream);
  CHECK(first.text ==
        ": subscribed execution=run\n\nevent: halt\ndata: {\"reason\":\"earlier\"}\n\n");
  CHECK(first.done);
}

TEST_CASE_FIXTURE(HaltTest, "streams past the registry's bound are refused 503 with Retry-After") {
  HaltRegistry one(1, 1);
  HaltHandlers bounded(service, one, *store, peers, auth, std::chrono::seconds(15));
  auto held = one.Subscribe(a, "other");
  REQUIRE(held.ok());
  Reply r = Call(bounded, &HaltHandlers::Stream,
                 KeyRequest("GET", "/executions/run/halt-stream").Param("run"));
  CHECK(r.status == 503);
  CHECK(r.Header("Retry-After") == "5");
  CHECK(one.open() == 1);
}

TEST_CASE_FIXTURE(HaltTest, "a halt for an unknown id says to retry, with Retry-After") {
  Reply r = Halt("just-started", R"({"reason":"stop"})");
  CHECK(r.status == 404);
  CHECK(r.body.find("retry") != std::string::npos);
  CHECK(r.headers.find("Retry-After") != r.headers.end());
  CHECK(StoredReason(a, "just-started").empty());
  CHECK(Audit(a, "halt.request").empty());
}

namespace {

// Opens project a's stream for "run" on `h` and reads its first frame.
void OpenStream(HaltTest& t, HaltHandlers& h, httplib::Response& res) {
  t.Start(t.a, "run");
  const HandlerRequest open = t.KeyRequest("GET", "/executions/run/halt-stream").Param("run");
  REQUIRE(t.Invoke(open, res, [&](RequestContext& ctx) { h.Stream(ctx); }) == Code::kOk);
  REQUIRE(NextFrame(t.last_stream).text == ": subscribed execution=run\n\n");
}

}  // namespace

TEST_CASE_FIXTURE(HaltTest, "a halt stream ends at once when its key is revoked") {
  httplib::Response res;
  OpenStream(*this, handlers, res);
  auth.cache().EvictKey("another-key");  // a change elsewhere wakes the stream: its key still holds
  Frame still = NextFrame(last_stream);
  CHECK(still.ok);
  CHECK_FALSE(still.done);
  CHECK(still.text.empty());
  REQUIRE(Write([&](WriteTxn& txn) { return storage::DeleteKey(txn, a, key_a.key_id); }));
  auth.cache().EvictKey(key_a.key_id);  // what revocation does; it wakes the stream
  Frame after = NextFrame(last_stream);
  CHECK(after.done);
  CHECK(after.text.empty());
}

TEST_CASE_FIXTURE(HaltTest, "a halt stream ends at once when its project is suspended") {
  httplib::Response res;
  OpenStream(*this, handlers, res);
  REQUIRE(
      Write([&](WriteTxn& txn) { return storage::SetSuspended(txn, a, true, "abuse", 2); }).ok());
  auth.cache().EvictProject(a);
  Frame after = NextFrame(last_stream);
  CHECK(after.done);
  CHECK(after.text.empty());
}

TEST_CASE_FIXTURE(HaltTest, "a halt stream's keepalive checks its key again") {
  HaltHandlers quick(service, streams, *store, peers, auth, std::chrono::seconds(0));
  httplib::Response res;
  OpenStream(*this, quick, res);
  Frame alive = NextFrame(last_stream);
  CHECK(alive.text == ": keepalive\n\n");  // the key authenticates: the stream goes on
  CHECK_FALSE(alive.done);
}

TEST_CASE_FIXTURE(HaltTest,
                  "a halt stream ends at its next keepalive when its project is deleted") {
  // Deleted by another process (the command line): no eviction wakes the stream; its next
  // keepalive finds the key gone.
  HaltHandlers quick(service, streams, *store, peers, auth, std::chrono::seconds(0));
  httplib::Response res;
  OpenStream(*this, quick, res);
  REQUIRE(Write([&](WriteTxn& txn) { return storage::DeleteProject(txn, a); }).ok());
  Frame gone = NextFrame(last_stream);
  CHECK(gone.done);
  CHECK(gone.text.empty());
}

TEST_CASE("four projects at their halt-stream cap leave places for every other project") {
  // The defaults: 2000 in total, 500 per project; the last 500 places are kept for projects
  // holding fewer than 20 streams.
  HaltRegistry registry(2000, 500);
  size_t opened_by_big = 0;
  for (int64_t project = 1; project <= 4; ++project) {
    for (int i = 0; i < 500; ++i) {
      if (registry.Subscribe(project, "run-" + std::to_string(i)).ok()) ++opened_by_big;
    }
  }
  // Three fill the shared places; the fourth gets the reserve's share of a small project.
  CHECK(opened_by_big == 1500 + 20);
  CHECK_FALSE(registry.Subscribe(1, "one-more").ok());
  CHECK_FALSE(registry.Subscribe(4, "one-more").ok());
  // Every other project can still open its streams.
  for (int64_t project = 5; project <= 8; ++project) {
    CAPTURE(project);
    for (int i = 0; i < 20; ++i) CHECK(registry.Subscribe(project, std::to_string(i)).ok());
    CHECK_FALSE(registry.Subscribe(project, "past-the-reserve-share").ok());
  }
  CHECK(registry.open() == 1500 + 5 * 20);
}

TEST_CASE("the halt-stream reserve admits only projects holding few streams") {
  CHECK(HaltRegistry::Admits(1499, 499, 2000, 500));
  CHECK_FALSE(HaltRegistry::Admits(1499, 500, 2000, 500));  // the per-project cap
  CHECK_FALSE(HaltRegistry::Admits(1500, 20, 2000, 500));   // in the reserve: not small
  CHECK(HaltRegistry::Admits(1500, 19, 2000, 500));
  CHECK(HaltRegistry::Admits(1999, 0, 2000, 500));
  CHECK_FALSE(HaltRegistry::Admits(2000, 0, 2000, 500));  // the total
  // A small total keeps at least one place per project in the reserve.
  CHECK(HaltRegistry::Admits(3, 0, 4, 4));
  CHECK_FALSE(HaltRegistry::Admits(3, 1, 4, 4));
  // One project alone reaches its own cap when the total leaves room for it.
  CHECK(HaltRegistry::Admits(499, 499, 2000, 500));
}
