# cmake -DINPUT=file -DOUTPUT=file.cc -DHEADER=dir/name.h -DNAMESPACE=a::b -DFUNCTION=Name -P embed_text.cmake
#
# Writes OUTPUT, a C++ source that defines `std::string_view NAMESPACE::FUNCTION()` returning the
# bytes of INPUT. The text goes in as raw string literals of at most 8000 bytes each, cut at line
# ends (so a UTF-8 character is never split), joined once at run time: no literal comes near the
# compilers' limits (MSVC: 16 KiB per literal, 64 KiB after concatenation).
foreach(var INPUT OUTPUT HEADER NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" content)
set(delimiter "lk_embed")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "embed_text.cmake: ${INPUT} contains the raw-string delimiter ')${delimiter}\"'")
endif()

set(max_chunk 8000)
set(chunks "")
string(LENGTH "${content}" remaining)
while(remaining GREATER 0)
  if(remaining GREATER max_chunk)
    string(SUBSTRING "${content}" 0 ${max_chunk} piece)
    string(FIND "${piece}" "\n" last_newline REVERSE)
    if(last_newline GREATER -1)
      math(EXPR cut "${last_newline} + 1")
      string(SUBSTRING "${content}" 0 ${cut} piece)
    endif()
  else()
    set(piece "${content}")
  endif()
  string(LENGTH "${piece}" taken)
  string(SUBSTRING "${content}" ${taken} -1 content)
  math(EXPR remaining "${remaining} - ${taken}")
  string(APPEND chunks "    R\"${delimiter}(${piece})${delimiter}\",\n")
endwhile()

get_filename_component(input_name "${INPUT}" NAME)
set(source "// Generated from ${input_name} by embed_text.cmake at build time: do not edit.
#include \"${HEADER}\"

#include <string>

namespace ${NAMESPACE} {
namespace {

constexpr std::string_view kChunks[] = {
${chunks}    \"\",
};

}  // namespace

std::string_view ${FUNCTION}() {
  static const std::string text = [] {
    std::string joined;
    for (const std::string_view chunk : kChunks) joined += chunk;
    return joined;
  }();
  return text;
}

}  // namespace ${NAMESPACE}
")

file(WRITE "${OUTPUT}" "${source}")
