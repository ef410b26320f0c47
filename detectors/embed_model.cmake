# Generates a C++ source holding the prompt-injection model file (detectors/injection_model.bin)
# as one string literal, so the binary needs no file at run time.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
file(WRITE ${OUT} "// Generated from detectors/injection_model.bin; do not edit.
#include \"detectors/injection_model.h\"

namespace vigil {

std::string_view EmbeddedInjectionModelBytes() {
  static constexpr char kBytes[] = \"${escaped}\";
  return std::string_view(kBytes, sizeof(kBytes) - 1);
}

}  // namespace vigil
")
