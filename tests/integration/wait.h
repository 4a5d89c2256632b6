// Polling for a condition in the harnesses: WaitUntil(predicate, timeout) instead of a
// hand-written deadline loop with sleep_for in every helper.
#pragma once

#include <chrono>
#include <thread>

namespace latchkey::testing {

// Calls `done` until it returns true (then true) or `timeout` has passed (then false), sleeping
// `poll` in between. `done` is called at least once, even with a timeout of zero or less.
template <typename Predicate>
bool WaitUntil(Predicate&& done, std::chrono::steady_clock::duration timeout,
               std::chrono::steady_clock::duration poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

// The time left until `deadline` (zero when it has passed), for a WaitUntil under an outer deadline.
inline std::chrono::steady_clock::duration TimeLeft(std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  return left.count() > 0 ? left : std::chrono::steady_clock::duration::zero();
}

}  // namespace latchkey::testing
