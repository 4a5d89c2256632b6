// docs/openapi.yaml (embedded into the hub at build time) lists exactly the routes the hub
// serves: every "METHOD /path" of the Router is there, and the document has nothing more.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string>

#include "hub/hub.h"
#include "hub/openapi_yaml.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

// "METHOD /path" for each operation under `paths:`, by the format rules in the file's header:
// a path is a line of two spaces, "/..." and ":"; an operation a line of four spaces, a method
// and ":". Comments and deeper lines (including callbacks' operations) are not looked at.
std::set<std::string> DocumentedRoutes(std::string_view yaml) {
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};
  std::set<std::string> routes;
  std::istringstream in{std::string(yaml)};
  std::string line;
  std::string path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] == '#') continue;
    if (first == 0) {  // a top-level key
      in_paths = line == "paths:";
      continue;
    }
    if (!in_paths || line.back() != ':') continue;
    if (first == 2 && line[2] == '/') {
      path = line.substr(2, line.size() - 3);
    } else if (first == 4 && kMethods.contains(line.substr(4, line.size() - 5))) {
      std::string method = line.substr(4, line.size() - 5);
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
      EXPECT_FALSE(path.empty()) << "an operation before any path: " << line;
      routes.insert(method + " " + path);
    }
  }
  return routes;
}

// The routes of a hub started on a scratch folder (Start registers them with their services).
std::vector<std::string> ServedRoutes() {
  const ::latchkey::testing::TempDir tmp("latchkey-openapi");
  boost::asio::io_context io;
  HubOptions options;
  options.data_dir = tmp.path();
  options.http = "127.0.0.1:0";
  options.owner_password = "owner-password-1";
  Hub hub(io, options);
  const core::Status started = hub.Start();
  EXPECT_TRUE(started.ok()) << started.ToString();
  return hub.router().Routes();
}

TEST(OpenApiRoutes, DocumentIsOpenApi303WithBearerAuth) {
  const std::string_view yaml = OpenApiYaml();
  ASSERT_FALSE(yaml.empty());
  EXPECT_EQ(yaml.substr(0, 15), "openapi: 3.0.3\n");
  EXPECT_NE(yaml.find("\n  securitySchemes:\n    bearer:\n      type: http\n      scheme: bearer\n"), std::string_view::npos);
  EXPECT_NE(yaml.find("\n    Error:\n"), std::string_view::npos) << "the error schema of API.md";
}

TEST(OpenApiRoutes, TheScanFindsPathsAndMethods) {
  const auto routes = DocumentedRoutes(
      "openapi: 3.0.3\npaths:\n  # a comment\n  /a/{x}:\n    parameters:\n      - name: x\n    get:\n      summary: s\n"
      "    delete:\n      callbacks:\n        e:\n          \"{$request.body#/url}\":\n            post:\n"
      "  /b:\n    post:\ncomponents:\n  /c:\n    get:\n");
  EXPECT_EQ(routes, (std::set<std::string>{"GET /a/{x}", "DELETE /a/{x}", "POST /b"}));
}

TEST(OpenApiRoutes, EveryServedRouteIsDocumented) {
  const auto served = ServedRoutes();
  ASSERT_GT(served.size(), 40u);
  const std::set<std::string> unique(served.begin(), served.end());
  EXPECT_EQ(unique.size(), served.size()) << "a route is registered twice";
  const auto documented = DocumentedRoutes(OpenApiYaml());
  for (const std::string& route : served) {
    EXPECT_TRUE(documented.contains(route)) << route << " is served but not in docs/openapi.yaml";
  }
}

TEST(OpenApiRoutes, EveryDocumentedRouteIsServed) {
  const auto served = ServedRoutes();
  const std::set<std::string> unique(served.begin(), served.end());
  const auto documented = DocumentedRoutes(OpenApiYaml());
  ASSERT_FALSE(documented.empty());
  for (const std::string& route : documented) {
    EXPECT_TRUE(unique.contains(route)) << route << " is in docs/openapi.yaml but the hub does not serve it";
  }
}

}  // namespace
}  // namespace latchkey::hub
