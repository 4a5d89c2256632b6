#include "hub/web_app.h"

#include <algorithm>

namespace latchkey::hub {
namespace {

// RFC 9110 13.1.2: a list of entity tags or "*", compared weakly (a W/ prefix does not matter).
bool NoneMatchHits(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// Vite names everything under /assets/ by its content's hash: a changed file is a new name.
bool Immutable(std::string_view path) { return path.substr(0, 8) == "/assets/"; }

}  // namespace

const WebFile* FindWebFile(std::string_view path) {
  if (path == "/") path = "/index.html";
  const auto files = WebFiles();
  const auto it = std::find_if(files.begin(), files.end(), [&](const WebFile& f) { return f.path == path; });
  return it == files.end() ? nullptr : &*it;
}

HttpResponse ServeWebFile(const HttpRequest& request) {
  const WebFile* file = FindWebFile(request.path);
  if (!file) return HttpResponse::Error(404, "not_found", "no such path");
  HttpResponse response;
  response.content_type = std::string(file->content_type);
  response.headers = {
      {"ETag", std::string(file->etag)},
      {"Cache-Control", Immutable(file->path) ? "public, max-age=31536000, immutable" : "no-cache"},
      {"Content-Security-Policy", std::string(kWebAppCsp)},
      {"X-Frame-Options", "DENY"},
  };
  const auto none_match = request.headers.find(http::field::if_none_match);
  if (none_match != request.headers.end() &&
      NoneMatchHits(std::string_view(none_match->value().data(), none_match->value().size()), file->etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::string(file->bytes);
  return response;
}

void RegisterWebAppRoutes(Router& router) {
  const Handler serve = [](HttpRequest& request, Respond respond) { respond(ServeWebFile(request)); };
  router.Add(http::verb::get, "/", serve);
  router.Add(http::verb::head, "/", serve);
  router.SetFallback(serve);
}

}  // namespace latchkey::hub
