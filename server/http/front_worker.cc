// The front's worker side: one complete request, its handler and its response, then the
// connection goes back to the loop.
#include "server/http/front_loop.h"
#include "server/http/pipeline.h"
#include "server/http/response_writer.h"
#include "server/limits.h"

namespace vigil {

void FrontLoop::Serve(std::unique_ptr<Conn> conn) {
  Exchange& ex = *conn->exchange;
  RequestContext& ctx = ex.ctx;
  ctx.connection_fd = conn->io->fd();
  if (ex.head_checked || pipeline_->CheckHead(ctx)) pipeline_->Run(ctx);
  ResponseFraming framing;
  framing.http10 = ex.http10;
  framing.head_request = ex.req.method == "HEAD";
  framing.chunked = static_cast<bool>(ctx.stream.next);
  if (framing.chunked) ex.res.set_header("Content-Type", ctx.stream.content_type);
  framing.close = !ex.keep_alive || conn->served >= limits::kKeepAliveMaxRequests ||
                  ex.res.get_header_value("Connection") == "close" ||
                  (framing.chunked && framing.http10) || stopping_.load();
  const bool written = WriteResponse(*conn->io, ctx, framing, options_.default_headers);
  pipeline_->Finish(ctx);
  conn->exchange.reset();
  ReleaseBudget(*conn);
  const Disposition d = !written        ? Disposition::kGone
                        : framing.close ? Disposition::kClose
                                        : Disposition::kKeepAlive;
  Return(std::move(conn), d);
}

}  // namespace vigil
