// A fresh folder for one test, removed with everything in it when the object goes:
//
//   latchkey::testing::TempDir tmp("latchkey-hub-store");
//   auto store = HubStore::Open(tmp.path() + "/hub.db");
//
// Shared by the unit and the integration tests (declare it before what keeps files open in it,
// or close those first, so that they are gone before the folder is).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace latchkey::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "latchkey-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();  // no test can run without its folder
    path_ = std::move(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace latchkey::testing
