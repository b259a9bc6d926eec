// The agent console's static files (notification.console_dir), served without a token (the page
// asks for one). Only names consoleFile() allows; everything else is the API's usual JSON 404.
#include <httplib.h>

#include <fstream>
#include <iterator>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/console_files.h"

namespace callmesh::notification {

void addConsoleRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();
  if (d.config.notification.console_dir.empty()) return;
  auto serveConsole = [&d](const httplib::Request& req, httplib::Response& res) {
    auto file = consoleFile(d.config.notification.console_dir, req.path);
    std::string body;
    if (file) {
      std::ifstream in(file->path, std::ios::binary);
      if (in) {
        body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } else {
        file.reset();  // removed or unreadable since consoleFile() looked
      }
    }
    if (!file) {
      refuse(res, 404, "not_found", "no route " + req.method + " " + req.path);
    } else {
      res.status = 200;
      res.set_header("Cache-Control",
                     file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      // Everything comes from this origin; nothing from a CDN, no inline script.
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                     "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
      res.set_content(std::move(body), file->content_type);
    }
    d.metrics.requests(res.status).Increment();
  };
  auto& srv = routes.server();
  srv.Get("/", serveConsole);
  srv.Get(R"(/([^/]+))", serveConsole);
  srv.Get(R"(/assets/([^/]+))", serveConsole);
}

}  // namespace callmesh::notification
