// "HOST:PORT" (or "[v6]:PORT") as the command line and the API write addresses.
#pragma once

#include <cstdint>
#include <string>

namespace latchkey::platform {

// Splits `text`; false if it is not HOST:PORT with a port of 0..65535.
bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port);

}  // namespace latchkey::platform
