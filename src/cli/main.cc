// The `latchkey` executable: one binary, one subcommand per part of the system.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/core_demo.h"

int main(int argc, char** argv) {
  CLI::App app{"latchkey: a self-hosted smart door lock system"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "latchkey 0.1.0");

  bool fast = false;
  auto* demo = app.add_subcommand("demo", "Run the scripted demonstration of the lock's core");
  demo->add_flag("--fast", fast, "Do not pause between steps");

  CLI11_PARSE(app, argc, argv);
  if (demo->parsed()) return latchkey::cli::RunCoreDemo(fast);
  return 0;
}
