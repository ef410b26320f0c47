// Shutdown as the request path sees it: set once when the server starts draining, after which
// new requests are answered 503 and long responses (downloads, exports) end early.
#pragma once

#include <atomic>

namespace vigil {

class DrainSignal {
 public:
  void Start() { on_.store(true); }
  bool on() const { return on_.load(); }

 private:
  std::atomic<bool> on_{false};
};

}  // namespace vigil
