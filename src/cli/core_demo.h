// `latchkey demo` until the hub exists: a scripted walk through the lock's core, on a simulated
// clock, printing each decision and each event of the log.
#pragma once

namespace latchkey::cli {

int RunCoreDemo(bool fast);

}  // namespace latchkey::cli
