// The console's files through the API (console_api.h).
#include <httplib.h>

#include <fstream>
#include <iterator>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/console_api.h"
#include "services/notification/console_files.h"

namespace callmesh::notification {

ApiReply consoleReply(const std::string& console_dir, const std::string& path) {
  auto file = consoleFile(console_dir, path);
  std::string body;
  if (file) {
    std::ifstream in(file->path, std::ios::binary);
    if (in) {
      body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
      file.reset();  // removed or unreadable since consoleFile() looked
    }
  }
  if (!file) return refuse(404, "not_found", "no route GET " + path);
  ApiReply r;
  r.status = 200;
  r.headers = {
      {"Cache-Control", file->immutable ? "public, max-age=31536000, immutable" : "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      // Everything comes from this origin; nothing from a CDN, no inline script.
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'"}};
  r.raw_body = std::move(body);
  r.content_type = file->content_type;
  return r;
}

void addConsoleRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();
  if (d.config.notification.console_dir.empty()) return;
  auto serveConsole = [&d](const httplib::Request& req, httplib::Response& res) {
    ApiReply r = consoleReply(d.config.notification.console_dir, req.path);
    writeReply(r, res);
    d.metrics.requests(r.status).Increment();
  };
  auto& srv = routes.server();
  srv.Get("/", serveConsole);
  srv.Get(R"(/([^/]+))", serveConsole);
  srv.Get(R"(/assets/([^/]+))", serveConsole);
}

}  // namespace callmesh::notification
