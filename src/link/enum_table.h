// Tables indexed by the value of an enum that ends in kCount (link::Op, link::SimInput), for
// dispatch: each slot filled from a (value, entry) pair, an unfilled slot left empty ({}), so a
// test can tell a value that has no entry:
//
//   constexpr auto kRoutes = link::EnumTable<Op, Route>({{Op::kGetState, GetState}, ...});
//   kRoutes[static_cast<std::size_t>(op)]   // nullptr for an op without a route
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <utility>

namespace latchkey::link {

template <typename E>
inline constexpr std::size_t kEnumCount = static_cast<std::size_t>(E::kCount);

template <typename E, typename T>
constexpr std::array<T, kEnumCount<E>> EnumTable(std::initializer_list<std::pair<E, T>> entries) {
  std::array<T, kEnumCount<E>> table{};
  for (const auto& [value, entry] : entries) table[static_cast<std::size_t>(value)] = entry;
  return table;
}

}  // namespace latchkey::link
