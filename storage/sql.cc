#include "storage/sql.h"

namespace vigil {

void BindText(SQLite::Statement& q, int i, const std::string& v) {
  if (v.empty()) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
}

void BindInt(SQLite::Statement& q, int i, int64_t v) {
  if (v == 0) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
}

void BindReal(SQLite::Statement& q, int i, double v) {
  if (v == 0) {
    q.bind(i);
  } else {
    q.bind(i, v);
  }
}

std::string Text(SQLite::Statement& q, int col) {
  auto c = q.getColumn(col);
  return c.isNull() ? std::string() : c.getString();
}

int64_t IntAt0(SQLite::Statement& q) {
  auto c = q.getColumn(0);
  return c.isNull() ? 0 : c.getInt64();
}

std::string TextAt0(SQLite::Statement& q) { return Text(q, 0); }

Tier TierColumn(SQLite::Statement& q, int col) {
  return ParseTier(Text(q, col)).value_or(Tier::kHobby);
}

ExecutionStatus ExecutionStatusColumn(SQLite::Statement& q, int col) {
  return ParseExecutionStatus(Text(q, col)).value_or(ExecutionStatus::kCrashed);
}

Actor ActorColumn(SQLite::Statement& q, int col) {
  return ParseActor(Text(q, col)).value_or(Actor::kSystem);
}

DeliveryStatus DeliveryStatusColumn(SQLite::Statement& q, int col) {
  return ParseDeliveryStatus(Text(q, col)).value_or(DeliveryStatus::kFailed);
}

}  // namespace vigil
