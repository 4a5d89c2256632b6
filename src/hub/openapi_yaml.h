// docs/openapi.yaml as it was at build time (embedded by src/hub/embed_text.cmake), served at
// GET /api/v1/openapi.yaml; nothing is read from beside the binary at run time.
#pragma once

#include <string_view>

namespace latchkey::hub {

std::string_view OpenApiYaml();

}  // namespace latchkey::hub
