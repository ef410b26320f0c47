#include "server/http/stream.h"

#include <mutex>

#include "domain/shares.h"
#include "server/http/drain.h"
#include "server/http/log.h"
#include "server/limits.h"

namespace vigil {
namespace {

// Download slots in use: the operator's, and the projects'.
struct DownloadSlots {
  std::mutex mu;
  size_t admin = 0;
  ProjectShares projects{limits::kMaxProjectDownloads, limits::kMaxDownloadsPerProject};
};

DownloadSlots& Slots() {
  static DownloadSlots* slots = new DownloadSlots();  // never destroyed: streams may outlive main
  return *slots;
}

// Non-null (a null shared_ptr tests false): points at the slots, runs `release` when dropped.
template <typename Release>
std::shared_ptr<void> SlotHandle(Release release) {
  return std::shared_ptr<void>(&Slots(), [release](void*) {
    std::lock_guard<std::mutex> lock(Slots().mu);
    release(Slots());
  });
}

}  // namespace

std::shared_ptr<void> AcquireProjectStreamSlot(int64_t project) {
  DownloadSlots& s = Slots();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.projects.TryTake(project)) return nullptr;
  }
  return SlotHandle([project](DownloadSlots& held) { held.projects.Give(project); });
}

std::shared_ptr<void> AcquireAdminStreamSlot() {
  DownloadSlots& s = Slots();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.admin >= limits::kAdminDownloadSlots) return nullptr;
    ++s.admin;
  }
  return SlotHandle([](DownloadSlots& held) { --held.admin; });
}

void SendNdjsonStream(const DrainSignal& drain, RequestContext& ctx, std::shared_ptr<void> slot,
                      const std::string& filename,
                      std::function<Status(const EmitLine& emit)> produce) {
  httplib::Response& res = *ctx.res;
  if (!filename.empty()) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  ctx.stream.content_type = "application/x-ndjson";
  ctx.stream.next = [&drain, slot = std::move(slot),
                     produce = std::move(produce)](ChunkSink& sink) {
    std::string buf;
    bool client_ok = true;
    const EmitLine emit = [&](std::string_view line) {
      if (!client_ok) return false;
      buf.append(line);
      buf.push_back('\n');
      if (buf.size() >= limits::kStreamChunkBytes) {
        // A draining server stops streams so shutdown is not held up by a slow reader.
        client_ok = !drain.on() && sink.Write(buf);
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
    if (client_ok && !buf.empty()) client_ok = sink.Write(buf);
    if (client_ok) sink.Done();
    return client_ok;
  };
}

}  // namespace vigil
