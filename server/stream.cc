#include "server/stream.h"

#include <atomic>
#include <memory>

#include "server/app.h"
#include "server/limits.h"
#include "server/log.h"

namespace vigil {
namespace {

std::atomic<int> g_open_streams{0};

// Holds one of the stream slots for as long as the response body is being written.
struct StreamSlot {
  ~StreamSlot() { g_open_streams.fetch_sub(1); }
};

}  // namespace

void SendNdjsonStream(App& app, httplib::Response& res, const std::string& filename,
                      std::function<Status(ReadTxn& txn, const EmitLine& emit)> produce) {
  if (g_open_streams.fetch_add(1) >= limits::kMaxConcurrentStreams) {
    g_open_streams.fetch_sub(1);
    return SendError(res, Status::Overloaded("too many exports in progress, retry later"));
  }
  auto slot = std::make_shared<StreamSlot>();
  if (!filename.empty()) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [&app, slot, produce = std::move(produce)](size_t, httplib::DataSink& sink) {
        std::string buf;
        bool client_ok = true;
        const EmitLine emit = [&](std::string_view line) {
          if (!client_ok) return false;
          buf.append(line);
          buf.push_back('\n');
          if (buf.size() >= limits::kStreamChunkBytes) {
            client_ok = sink.write(buf.data(), buf.size());
            buf.clear();
          }
          return client_ok;
        };
        Status s = app.store().Read([&](ReadTxn& txn) { return produce(txn, emit); });
        if (!s.ok()) log::Warn("stream ended early", {log::Str("error", s.message())});
        if (client_ok && !buf.empty()) client_ok = sink.write(buf.data(), buf.size());
        if (client_ok) sink.done();
        return client_ok;
      });
}

}  // namespace vigil
