// FUZZ_CHECK for the libFuzzer targets: an invariant that does not hold is a crash (libFuzzer
// keeps the input), with the condition and a note printed first. Bad input is never a crash by
// itself; only a broken invariant or a sanitizer report is.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(cond, what)                                                                 \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, #cond, what); \
      __builtin_trap();                                                                        \
    }                                                                                          \
  } while (false)
