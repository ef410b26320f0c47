#include "server/otlp/gzip.h"

#include <zlib.h>

#include <algorithm>

namespace vigil::otlp {

Result<std::string> Gunzip(std::string_view compressed, size_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: the gzip wrapper only, so a raw zlib stream is refused as not gzip.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof buffer - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&zs);
      return Status::TooLarge("decompressed body larger than " + std::to_string(max_bytes) +
                              " bytes");
    }
    out.append(buffer, produced);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended before the stream did
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::InvalidArgument("body is not valid gzip");
  return out;
}

}  // namespace vigil::otlp
