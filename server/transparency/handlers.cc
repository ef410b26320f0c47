// The transparency routes (server/transparency/handlers.h).
#include "server/transparency/handlers.h"

#include "domain/base64.h"
#include "server/codec/ids.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"
#include "server/transparency/transparency.h"

namespace vigil {
namespace {

// Query parameter `name` as a tree size or index: decimal digits without leading zeros.
Status SizeParam(const RequestContext& ctx, const char* name, uint64_t* out) {
  const std::string v = ctx.Query(name);
  const Status bad = Status::InvalidArgument(std::string("invalid ") + name +
                                             ": a non-negative integer is required");
  if (v.empty() || v.size() > 18 || (v.size() > 1 && v[0] == '0')) return bad;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return bad;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return Status::Ok();
}

void SendText(RequestContext& ctx, const std::string& text) {
  ctx.res->status = 200;
  ctx.res->set_header("Cache-Control", "no-store");
  ctx.res->set_content(text, "text/plain; charset=utf-8");
}

void SendProof(RequestContext& ctx, const char* a, uint64_t av, const char* b, uint64_t bv,
               const std::vector<tlog::Hash>& hashes) {
  JsonWriter w;
  w.BeginObject()
      .Field(a, static_cast<int64_t>(av))
      .Field(b, static_cast<int64_t>(bv))
      .Key("hashes")
      .BeginArray();
  for (const tlog::Hash& h : hashes) w.String(Base64Encode(tlog::HashBytes(h)));
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace

void TransparencyHandlers::Key(RequestContext& ctx) {
  auto key = log_.VerifierKey(ctx.auth.project_id);
  if (!key.ok()) return SendError(ctx, key.status());
  SendText(ctx, key.value());
}

void TransparencyHandlers::Checkpoint(RequestContext& ctx) {
  auto note = log_.Checkpoint(ctx.auth.project, ctx.auth.project_id, 0, ctx.now_ms);
  if (!note.ok()) return SendError(ctx, note.status());
  SendText(ctx, note.value());
}

void TransparencyHandlers::Tile(RequestContext& ctx) {
  auto path = tlog::ParseTilePath(ctx.params[0]);
  if (!path.ok()) return SendError(ctx, path.status());
  auto bytes = log_.Tile(ctx.auth.project, path.value());
  if (!bytes.ok()) return SendError(ctx, bytes.status());
  ctx.res->status = 200;
  // A tile never changes once served at its width.
  ctx.res->set_header("Cache-Control", "private, max-age=31536000, immutable");
  ctx.res->set_content(bytes.value(), "application/octet-stream");
}

void TransparencyHandlers::InclusionProof(RequestContext& ctx) {
  uint64_t index = 0, size = 0;
  for (Status s : {SizeParam(ctx, "index", &index), SizeParam(ctx, "tree_size", &size)}) {
    if (!s.ok()) return SendError(ctx, s);
  }
  auto hashes = log_.InclusionProof(ctx.auth.project, index, size);
  if (!hashes.ok()) return SendError(ctx, hashes.status());
  SendProof(ctx, "index", index, "tree_size", size, hashes.value());
}

void TransparencyHandlers::ConsistencyProof(RequestContext& ctx) {
  uint64_t from = 0, to = 0;
  for (Status s : {SizeParam(ctx, "from", &from), SizeParam(ctx, "to", &to)}) {
    if (!s.ok()) return SendError(ctx, s);
  }
  auto hashes = log_.ConsistencyProof(ctx.auth.project, from, to);
  if (!hashes.ok()) return SendError(ctx, hashes.status());
  SendProof(ctx, "from", from, "to", to, hashes.value());
}

std::string CertificateJson(const vigil::Certificate& cert) {
  JsonWriter w;
  w.BeginObject()
      .Field("entry", Base64Encode(cert.entry))
      .Field("index", static_cast<int64_t>(cert.index))
      .Field("proof", cert.proof)
      .EndObject();
  return w.Take();
}

void TransparencyHandlers::Certificate(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (Status valid = CheckPathId("execution_id", id); !valid.ok()) return SendError(ctx, valid);
  auto cert = log_.CertificateOf(ctx.auth.project, ctx.auth.project_id, id, ctx.now_ms);
  if (!cert.ok()) return SendError(ctx, cert.status());
  SendJson(*ctx.res, 200, CertificateJson(cert.value()));
}

void TransparencyHandlers::AddCosignatures(RequestContext& ctx) {
  // The note is taken as sent: a signature covers its exact bytes.
  if (!ctx.content_encoding.empty()) {
    return SendError(ctx, Status::UnsupportedMedia("send the cosigned checkpoint uncompressed"));
  }
  if (ctx.body.size() > limits::kMaxCosignedNoteBytes) {
    return SendError(ctx, Status::TooLarge("a cosigned checkpoint is at most 64 KiB"));
  }
  auto cosigned = log_.AddCosignatures(ctx.auth.project, ctx.body, ctx.now_ms);
  if (!cosigned.ok()) return SendError(ctx, cosigned.status());
  JsonWriter w;
  w.BeginObject()
      .Field("added", cosigned->added)
      .Field("checkpoint", cosigned->checkpoint)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
