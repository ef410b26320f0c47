// Running one SQL statement: its parameters bound in order, its rows read, its SQLite failure
// turned into a Status. Internal to storage/.
//
// Each query keeps its SQL text where it is used. These helpers take away only the steps around
// it that every concept source would otherwise spell out again: fetch the cached statement, bind
// ?1..?n one by one, step through the rows, wrap the whole in GuardSqlite. For example:
//
//   return SelectAll(txn.conn(), "SELECT name FROM api_keys WHERE project = ?", TextAt0, project);
//
// The `sql` of the cached forms must be a string literal (the statement cache keys on its address;
// storage/connection.h).
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain/status.h"
#include "domain/values.h"
#include "storage/connection.h"

// A sum of client-sent costs (REAL) as SQL: `MIN(TOTAL(col), VIGIL_MAX_SUM_REAL)`. TOTAL never
// fails on overflow (SUM does), and MIN keeps even an infinite sum at the bound integer sums
// saturate at (domain/saturating.h), so such a sum reads as a finite number.
#define VIGIL_MAX_SUM_REAL "9223372036854775807.0"

namespace vigil {

// ---- Parameters --------------------------------------------------------------------------------

// Optional fields the schema stores as NULL when absent, and the values that mean "absent" in the
// structs: an empty text, a zero integer or real.
void BindText(SQLite::Statement& q, int i, const std::string& v);
void BindInt(SQLite::Statement& q, int i, int64_t v);
void BindReal(SQLite::Statement& q, int i, double v);

// Parameter wrappers for the binders below: the value binds as NULL when empty (zero).
struct NullIfEmpty {
  const std::string& text;
};
struct NullIfZero {
  int64_t value;
};
// The bytes of a string bound as a BLOB, not as text.
struct AsBlob {
  const std::string& bytes;
};

inline void BindParam(SQLite::Statement& q, int i, int v) { q.bind(i, v); }
inline void BindParam(SQLite::Statement& q, int i, int64_t v) { q.bind(i, v); }
inline void BindParam(SQLite::Statement& q, int i, double v) { q.bind(i, v); }
inline void BindParam(SQLite::Statement& q, int i, const std::string& v) { q.bind(i, v); }
inline void BindParam(SQLite::Statement& q, int i, const char* v) { q.bind(i, v); }
// Typed values bind as their column spelling (domain/values.h).
inline void BindParam(SQLite::Statement& q, int i, ExecutionStatus v) {
  q.bind(i, std::string(ExecutionStatusName(v)));
}
inline void BindParam(SQLite::Statement& q, int i, Tier v) { q.bind(i, std::string(TierName(v))); }
inline void BindParam(SQLite::Statement& q, int i, Actor v) {
  q.bind(i, std::string(ActorName(v)));
}
inline void BindParam(SQLite::Statement& q, int i, DeliveryStatus v) {
  q.bind(i, std::string(DeliveryStatusName(v)));
}
inline void BindParam(SQLite::Statement& q, int i, NullIfEmpty v) { BindText(q, i, v.text); }
inline void BindParam(SQLite::Statement& q, int i, NullIfZero v) { BindInt(q, i, v.value); }
inline void BindParam(SQLite::Statement& q, int i, AsBlob v) {
  q.bind(i, v.bytes.data(), static_cast<int>(v.bytes.size()));
}
// An optional binds as NULL when it holds nothing.
template <typename T>
void BindParam(SQLite::Statement& q, int i, const std::optional<T>& v) {
  if (v) {
    BindParam(q, i, *v);
  } else {
    q.bind(i);
  }
}

// Binds `params` to ?1, ?2, ... in order.
template <typename... Params>
void BindAll(SQLite::Statement& q, const Params&... params) {
  int i = 0;
  (BindParam(q, ++i, params), ...);
}

// The cached statement for `sql`, reset, with `params` bound to ?1, ?2, ... in order.
template <typename... Params>
SQLite::Statement& Prepared(Connection* conn, const char* sql, const Params&... params) {
  SQLite::Statement& q = conn->Prepare(sql);
  BindAll(q, params...);
  return q;
}

// Runs the cached statement `sql`, which returns no rows, with `params` bound: the number of rows
// it inserted, changed or deleted. Throws SQLite::Exception: for use inside GuardSqlite (or Query,
// Guarded below); Changes and Execute are the guarded forms.
template <typename... Params>
int Exec(Connection* conn, const char* sql, const Params&... params) {
  return Prepared(conn, sql, params...).exec();
}

// ---- Columns -----------------------------------------------------------------------------------

// A nullable text column, NULL read as "".
std::string Text(SQLite::Statement& q, int col);
// The first column, for one-column queries: as an integer (NULL reads 0) and as text (NULL reads
// "").
int64_t IntAt0(SQLite::Statement& q);
std::string TextAt0(SQLite::Statement& q);
// Typed values from their column spelling. The schema does not constrain these columns, so a
// spelling this build does not know reads as the value that grants least: hobby, system, failed,
// and for an execution `crashed` (ended, and not well).
Tier TierColumn(SQLite::Statement& q, int col);
ExecutionStatus ExecutionStatusColumn(SQLite::Statement& q, int col);
Actor ActorColumn(SQLite::Statement& q, int col);
DeliveryStatus DeliveryStatusColumn(SQLite::Statement& q, int col);
// The `state` column of a failure group holds GroupStateName's words (its CHECK constraint admits
// those three only); anything else reads as open.
GroupState GroupStateColumn(SQLite::Statement& q, int col);

// Column `col` read into `out` by the type of `out`, so that a row reader lists its fields in
// column order instead of spelling out one getter a field. NULL reads as what means "absent" in
// the structs: 0, false, "", nullopt; a flag is any nonzero integer; typed values read as the
// *Column readers above.
void ReadColumn(SQLite::Statement& q, int col, int64_t& out);
void ReadColumn(SQLite::Statement& q, int col, int& out);
void ReadColumn(SQLite::Statement& q, int col, double& out);
void ReadColumn(SQLite::Statement& q, int col, bool& out);
void ReadColumn(SQLite::Statement& q, int col, std::string& out);
void ReadColumn(SQLite::Statement& q, int col, std::optional<int64_t>& out);
void ReadColumn(SQLite::Statement& q, int col, std::optional<double>& out);
void ReadColumn(SQLite::Statement& q, int col, Tier& out);
void ReadColumn(SQLite::Statement& q, int col, ExecutionStatus& out);
void ReadColumn(SQLite::Statement& q, int col, Actor& out);
void ReadColumn(SQLite::Statement& q, int col, DeliveryStatus& out);
void ReadColumn(SQLite::Statement& q, int col, GroupState& out);

// Reads columns `first`, `first` + 1, ... into `fields` in order (ReadColumn).
template <typename... Fields>
void ReadColumns(SQLite::Statement& q, int first, Fields&... fields) {
  int col = first;
  (ReadColumn(q, col++, fields), ...);
}

// ---- Rows --------------------------------------------------------------------------------------

// What a row reader `read` (a callable taking the statement) makes of one row.
template <typename Read>
using RowOf = std::decay_t<std::invoke_result_t<Read&, SQLite::Statement&>>;

// Steps `q` through all its rows: each row as `read` makes it.
template <typename Read>
std::vector<RowOf<Read>> AllRows(SQLite::Statement& q, Read read) {
  std::vector<RowOf<Read>> out;
  while (q.executeStep()) out.push_back(read(q));
  return out;
}

// Steps `q` once: its first row as `read` makes it, or nullopt when it has none. `q` is reset after
// it, so that the statement holds no read snapshot while the caller goes on.
template <typename Read>
std::optional<RowOf<Read>> FirstRow(SQLite::Statement& q, Read read) {
  std::optional<RowOf<Read>> out;
  if (q.executeStep()) out = read(q);
  q.tryReset();
  return out;
}

// Steps `q` through its rows, handing each (as `read` makes it) to `fn` until `fn` returns false.
template <typename Read, typename Fn>
void ForEachRow(SQLite::Statement& q, Read read, const Fn& fn) {
  while (q.executeStep()) {
    if (!fn(read(q))) break;
  }
}

// ---- Whole queries under GuardSqlite -----------------------------------------------------------

// Runs `fill` on a default T under GuardSqlite (storage/connection.h): the value it filled, or the
// SQLite failure (or the non-ok status `fill` returned) instead. `fill` is a Status(T&) callable.
template <typename T, typename Fill>
[[nodiscard]] Result<T> Query(Fill fill) {
  T out{};
  Status s = GuardSqlite([&] { return fill(out); });
  if (!s.ok()) return s;
  return out;
}

// Runs `fn` under GuardSqlite: the value it returns, or the SQLite failure instead.
template <typename Fn>
[[nodiscard]] Result<std::invoke_result_t<Fn&>> Guarded(Fn fn) {
  std::optional<std::invoke_result_t<Fn&>> out;
  Status s = GuardSqlite([&] {
    out = fn();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

// Every row of the cached statement `sql` with `params` bound, each as `read` makes it.
template <typename Read, typename... Params>
[[nodiscard]] Result<std::vector<RowOf<Read>>> SelectAll(Connection* conn, const char* sql,
                                                         Read read, const Params&... params) {
  return Guarded([&] { return AllRows(Prepared(conn, sql, params...), read); });
}

// The first row of the cached statement `sql` with `params` bound, or nullopt when there is none.
template <typename Read, typename... Params>
[[nodiscard]] Result<std::optional<RowOf<Read>>> SelectOne(Connection* conn, const char* sql,
                                                           Read read, const Params&... params) {
  return Guarded([&] { return FirstRow(Prepared(conn, sql, params...), read); });
}

// The integer in the first column of the first row (a COUNT, a SUM): 0 when there is no row.
template <typename... Params>
[[nodiscard]] Result<int64_t> SelectInt(Connection* conn, const char* sql,
                                        const Params&... params) {
  return Guarded([&] { return FirstRow(Prepared(conn, sql, params...), IntAt0).value_or(0); });
}

// Runs the cached statement `sql`, which returns no rows, with `params` bound: the number of rows
// it inserted, changed or deleted.
template <typename... Params>
[[nodiscard]] Result<int64_t> Changes(Connection* conn, const char* sql, const Params&... params) {
  return Guarded([&]() -> int64_t { return Exec(conn, sql, params...); });
}

// As Changes: whether the statement inserted, changed or deleted any row.
template <typename... Params>
[[nodiscard]] Result<bool> ChangedAny(Connection* conn, const char* sql, const Params&... params) {
  auto n = Changes(conn, sql, params...);
  if (!n.ok()) return n.status();
  return n.value() > 0;
}

// As Changes, for a caller that needs only to know that the statement ran.
template <typename... Params>
[[nodiscard]] Status Execute(Connection* conn, const char* sql, const Params&... params) {
  return Changes(conn, sql, params...).status();
}

}  // namespace vigil
