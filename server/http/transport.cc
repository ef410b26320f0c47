#include "server/http/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace vigil {
namespace {

class TlsTransport : public Transport {
 public:
  TlsTransport(int fd, SSL* ssl) : Transport(fd), ssl_(ssl) {}
  ~TlsTransport() override { SSL_free(ssl_); }

  IoResult Read(char* buf, size_t len) override {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, static_cast<int>(len));
    if (n > 0) return {Io::kOk, static_cast<size_t>(n), false};
    return Fail(n);
  }
  IoResult Write(const char* buf, size_t len) override {
    ERR_clear_error();
    const int n = SSL_write(ssl_, buf, static_cast<int>(len));
    if (n > 0) return {Io::kOk, static_cast<size_t>(n), false};
    return Fail(n);
  }
  IoResult Handshake() override {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) return {Io::kOk, 0, false};
    return Fail(r);
  }
  void ShutdownWrite() override {
    if (SSL_is_init_finished(ssl_)) (void)SSL_shutdown(ssl_);
    Transport::ShutdownWrite();
  }

 private:
  IoResult Fail(int ret) {
    switch (SSL_get_error(ssl_, ret)) {
      case SSL_ERROR_WANT_READ:
        return {Io::kWouldBlock, 0, false};
      case SSL_ERROR_WANT_WRITE:
        return {Io::kWouldBlock, 0, true};
      case SSL_ERROR_ZERO_RETURN:
        return {Io::kClosed, 0, false};
      case SSL_ERROR_SYSCALL:
        return {ret == 0 ? Io::kClosed : Io::kError, 0, false};
      default:
        return {Io::kError, 0, false};
    }
  }
  SSL* ssl_;
};

}  // namespace

Transport::~Transport() {
  if (fd_ >= 0) ::close(fd_);
}

IoResult Transport::Read(char* buf, size_t len) {
  const ssize_t n = ::recv(fd_, buf, len, MSG_DONTWAIT);
  if (n > 0) return {Io::kOk, static_cast<size_t>(n), false};
  if (n == 0) return {Io::kClosed, 0, false};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::kWouldBlock, 0, false};
  return {Io::kError, 0, false};
}

IoResult Transport::Write(const char* buf, size_t len) {
  const ssize_t n = ::send(fd_, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return {Io::kOk, static_cast<size_t>(n), false};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::kWouldBlock, 0, true};
  return {Io::kError, 0, false};
}

void Transport::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Unavailable("cannot create a TLS context");
  std::unique_ptr<TlsContext> out(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Renegotiation would let a client make the server read during a write; nothing needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Writes are retried with the rest of a buffer that may have moved, and may complete in part.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return Status::Unavailable("cannot load VIGIL_TLS_CERT / VIGIL_TLS_KEY");
  }
  return out;
}

std::unique_ptr<Transport> TlsContext::Wrap(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    return nullptr;  // never served in plain text: the caller closes `fd`
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(fd, ssl);
}

}  // namespace vigil
