// One connection's byte stream: plain TCP, or TLS terminated here with OpenSSL. Every call is
// non-blocking; callers wait with epoll (the front's loop) or poll (a worker writing a response).
// A connection is used by one thread at a time (the loop, or the worker it was handed to).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "domain/status.h"

namespace vigil {

enum class Io {
  kOk,          // `n` bytes moved (a handshake step: the handshake is done)
  kWouldBlock,  // try again when the socket is ready: writable when `want_write`, else readable
  kClosed,      // the peer closed the connection (a read of 0)
  kError,       // the connection is broken
};
struct IoResult {
  Io io = Io::kOk;
  size_t n = 0;
  bool want_write = false;
};

class Transport {
 public:
  explicit Transport(int fd) : fd_(fd) {}
  virtual ~Transport();  // closes the socket
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  virtual IoResult Read(char* buf, size_t len);
  virtual IoResult Write(const char* buf, size_t len);
  // Drives the TLS handshake a step; plain connections have none (kOk at once).
  virtual IoResult Handshake() { return {Io::kOk, 0, false}; }
  // Stops sending (TLS: a close_notify first, best effort), keeping the read side open.
  virtual void ShutdownWrite();

 protected:
  int fd_;
};

// The server's TLS context: certificate chain and key, TLS 1.2 as the floor.
class TlsContext {
 public:
  ~TlsContext();
  // Loads a PEM certificate chain and private key.
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  // A server-side TLS connection over accepted socket `fd` (owned by the result); nullptr when
  // OpenSSL cannot make one (`fd` stays the caller's).
  std::unique_ptr<Transport> Wrap(int fd) const;

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

}  // namespace vigil
