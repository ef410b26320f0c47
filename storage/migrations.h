// Numbered schema migrations embedded in the binary (generated from storage/migrations/*.sql).
#pragma once

#include <string>
#include <vector>

namespace vigil {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// In ascending version order.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace vigil
