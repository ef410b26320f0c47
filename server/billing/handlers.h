// The billing routes (docs/api.md#billing): the project's tier and usage, Stripe Checkout and
// the customer portal, and the Stripe webhook that changes tiers.
#pragma once

#include <string>

#include "server/http/request.h"

namespace vigil {

class Store;

// The Stripe account the server bills through; all empty on a server without billing.
struct BillingSettings {
  std::string stripe_secret_key;
  std::string stripe_webhook_secret;
  std::string stripe_pro_price_id;
  std::string stripe_api_base;
  std::string dashboard_url;  // where Stripe sends the customer back

  // Checkout and the portal need every one of them.
  bool Configured() const {
    return !stripe_secret_key.empty() && !stripe_webhook_secret.empty() &&
           !stripe_pro_price_id.empty() && !dashboard_url.empty();
  }
};

class BillingHandlers {
 public:
  // `store` must outlive the handlers.
  BillingHandlers(Store& store, BillingSettings settings)
      : store_(store), settings_(std::move(settings)) {}

  void Get(RequestContext& ctx);
  void Usage(RequestContext& ctx);
  void Checkout(RequestContext& ctx);
  void Portal(RequestContext& ctx);
  void StripeWebhook(RequestContext& ctx);  // public: authenticated by the Stripe signature

 private:
  Store& store_;
  const BillingSettings settings_;
};

}  // namespace vigil
