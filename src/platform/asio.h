// Boost.Asio, included the one way that compiles with Boost 1.74 under GCC 12 in C++20 mode:
// boost/asio/awaitable.hpp uses std::exchange without including <utility>.
#pragma once

#include <utility>

#include <boost/asio.hpp>
