#include "server/http/stream.h"

#include <atomic>

#include "server/http/log.h"
#include "server/http/pipeline.h"
#include "server/limits.h"

namespace vigil {
namespace {

std::atomic<int> g_open_streams{0};

}  // namespace

std::shared_ptr<void> AcquireStreamSlot() {
  if (g_open_streams.fetch_add(1) >= limits::kMaxConcurrentStreams) {
    g_open_streams.fetch_sub(1);
    return nullptr;
  }
  // Non-null (a null shared_ptr tests false): points at the counter, releases it when dropped.
  return std::shared_ptr<void>(&g_open_streams, [](void*) { g_open_streams.fetch_sub(1); });
}

void SendNdjsonStream(const Pipeline& pipeline, httplib::Response& res, std::shared_ptr<void> slot,
                      const std::string& filename,
                      std::function<Status(const EmitLine& emit)> produce) {
  if (!filename.empty()) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  res.set_chunked_content_provider(
      "application/x-ndjson", [&pipeline, slot = std::move(slot), produce = std::move(produce)](
                                  size_t, httplib::DataSink& sink) {
        std::string buf;
        bool client_ok = true;
        const EmitLine emit = [&](std::string_view line) {
          if (!client_ok) return false;
          buf.append(line);
          buf.push_back('\n');
          if (buf.size() >= limits::kStreamChunkBytes) {
            // A draining server stops streams so shutdown is not held up by a slow reader.
            client_ok = !pipeline.draining() && sink.write(buf.data(), buf.size());
            buf.clear();
          }
          return client_ok;
        };
        Status s;
        try {
          s = produce(emit);
        } catch (const std::exception& e) {
          s = Status::Internal(e.what());
        }
        if (!s.ok()) {
          log::Warn("stream ended early", {log::Str("error", s.message())});
          return false;  // no final chunk: the client sees the body cut short
        }
        if (client_ok && !buf.empty()) client_ok = sink.write(buf.data(), buf.size());
        if (client_ok) sink.done();
        return client_ok;
      });
}

}  // namespace vigil
