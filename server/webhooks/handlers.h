// The webhook routes (docs/api.md#webhooks): create (the signing secret is shown once), list,
// delete, send a test, and read an endpoint's delivery log.
#pragma once

#include "server/http/request.h"

namespace vigil {

class Store;
class WebhookService;

class WebhookHandlers {
 public:
  // Both must outlive the handlers.
  WebhookHandlers(Store& store, WebhookService& webhooks) : store_(store), webhooks_(webhooks) {}

  void Create(RequestContext& ctx);
  void List(RequestContext& ctx);
  void Delete(RequestContext& ctx);
  void Test(RequestContext& ctx);
  void ListDeliveries(RequestContext& ctx);

 private:
  Store& store_;
  WebhookService& webhooks_;
};

}  // namespace vigil
