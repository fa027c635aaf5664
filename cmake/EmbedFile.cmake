# Script mode: writes OUT, a C++ file defining vigil::embedded::NAME() over the bytes of IN.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace vigil::embedded {\nnamespace {\nconst unsigned char kData[] = {\n${bytes}0};\n}\nstd::string_view ${NAME}() {\n  return {reinterpret_cast<const char*>(kData), ${size}};\n}\n}  // namespace vigil::embedded\n")
