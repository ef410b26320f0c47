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

GroupState GroupStateColumn(SQLite::Statement& q, int col) {
  return ParseGroupState(Text(q, col)).value_or(GroupState::kOpen);
}

void ReadColumn(SQLite::Statement& q, int col, int64_t& out) {
  auto c = q.getColumn(col);
  out = c.isNull() ? 0 : c.getInt64();
}

void ReadColumn(SQLite::Statement& q, int col, int& out) {
  auto c = q.getColumn(col);
  out = c.isNull() ? 0 : c.getInt();
}

void ReadColumn(SQLite::Statement& q, int col, double& out) {
  auto c = q.getColumn(col);
  out = c.isNull() ? 0 : c.getDouble();
}

void ReadColumn(SQLite::Statement& q, int col, bool& out) {
  auto c = q.getColumn(col);
  out = !c.isNull() && c.getInt() != 0;
}

void ReadColumn(SQLite::Statement& q, int col, std::string& out) { out = Text(q, col); }

void ReadColumn(SQLite::Statement& q, int col, std::optional<int64_t>& out) {
  auto c = q.getColumn(col);
  out = c.isNull() ? std::nullopt : std::optional<int64_t>(c.getInt64());
}

void ReadColumn(SQLite::Statement& q, int col, std::optional<double>& out) {
  auto c = q.getColumn(col);
  out = c.isNull() ? std::nullopt : std::optional<double>(c.getDouble());
}

void ReadColumn(SQLite::Statement& q, int col, Tier& out) { out = TierColumn(q, col); }
void ReadColumn(SQLite::Statement& q, int col, ExecutionStatus& out) {
  out = ExecutionStatusColumn(q, col);
}
void ReadColumn(SQLite::Statement& q, int col, Actor& out) { out = ActorColumn(q, col); }
void ReadColumn(SQLite::Statement& q, int col, DeliveryStatus& out) {
  out = DeliveryStatusColumn(q, col);
}
void ReadColumn(SQLite::Statement& q, int col, GroupState& out) { out = GroupStateColumn(q, col); }

}  // namespace vigil
