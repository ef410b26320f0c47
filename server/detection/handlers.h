// The detection routes (docs/api.md#failure-groups, docs/detection.md#policy): failure groups,
// their lifecycle and their executions, the project's policy, and playbooks.
#pragma once

#include "domain/detection_rows.h"
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
  // POST /failure-groups/{id}/resolve, /mute and /reopen (docs/api.md#failure-group-lifecycle).
  void ResolveGroup(RequestContext& ctx) { ChangeGroupState(ctx, GroupState::kResolved); }
  void MuteGroup(RequestContext& ctx) { ChangeGroupState(ctx, GroupState::kMuted); }
  void ReopenGroup(RequestContext& ctx) { ChangeGroupState(ctx, GroupState::kOpen); }
  void GetPolicy(RequestContext& ctx);
  void PutPolicy(RequestContext& ctx);
  void GetPlaybook(RequestContext& ctx);

 private:
  // Moves the group to `to`, audited in the same transaction when its state changed; muting also
  // drops the group's queued webhook messages.
  void ChangeGroupState(RequestContext& ctx, GroupState to);

  Store& store_;
  Detection& detection_;
};

}  // namespace vigil
