// The web app (web/, built by Vite at build time) embedded in the binary, so the hub serves it
// with no files beside it. `/` and `/index.html` are the app's page; every other file of the
// build is served at its own path (`/assets/...`, `/sw.js`, `/manifest.webmanifest`,
// `/icons/...`). The app routes with the URL's hash, so nothing else is a page: any other path
// outside the API is 404.
//
// Every answer carries the app's Content-Security-Policy and the other security headers, an
// ETag (If-None-Match gives 304), and a cache policy: Vite's content-hashed `/assets/*` are
// immutable for a year; everything else is revalidated each time (`no-cache`), so a new hub
// binary reaches the browser and its service worker at once.
#pragma once

#include <span>
#include <string_view>

#include "hub/http_server.h"

namespace latchkey::hub {

struct WebFile {
  std::string_view path;          // "/index.html", "/assets/index-3f2a.js"
  std::string_view content_type;  // from the file name's extension
  std::string_view etag;          // quoted, from the content's SHA-256
  std::string_view bytes;
};

// Every embedded file (generated at build time by src/hub/embed_dir.cmake). A build with
// LATCHKEY_WEB=OFF embeds a one-page placeholder that says so.
std::span<const WebFile> WebFiles();

// The embedded file at `path` ("/" is "/index.html"); nullptr when there is none.
const WebFile* FindWebFile(std::string_view path);

// The CSP of the app (docs/hub.md "The web app"): same-origin scripts, styles, connections and workers
// only, no inline code, no framing.
inline constexpr std::string_view kWebAppCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// The answer to GET or HEAD of an app path: the file, 304 when `If-None-Match` names its ETag,
// or 404 (API error body) when no file is there.
HttpResponse ServeWebFile(const HttpRequest& request);

// GET and HEAD `/` as routes (listed in docs/openapi.yaml), and every other embedded file as the
// router's fallback for GET and HEAD of a path no route knows.
void RegisterWebAppRoutes(Router& router);

}  // namespace latchkey::hub
