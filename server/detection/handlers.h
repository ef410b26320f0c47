// The detection routes (docs/api.md#failure-groups, docs/detection.md#policy): failure groups and
// their executions, the project's policy, and playbooks.
#pragma once

#include "server/http/request.h"

namespace vigil {

class Detection;
class Store;

class DetectionHandlers {
 public:
  // Both must outlive the handlers.
  DetectionHandlers(Store& store, Detection& detection) : store_(store), detection_(detection) {}

  void ListGroups(RequestContext& ctx);
  void GetGroup(RequestContext& ctx);
  void ListGroupExecutions(RequestContext& ctx);
  void GetPolicy(RequestContext& ctx);
  void PutPolicy(RequestContext& ctx);
  void GetPlaybook(RequestContext& ctx);

 private:
  Store& store_;
  Detection& detection_;
};

}  // namespace vigil
