#pragma once

#include <optional>
#include <string>

namespace callmesh::notification {

// A file of the built agent console that may be sent for one request path.
struct ConsoleFile {
  std::string path;          // absolute file system path, inside the console directory
  std::string content_type;  // e.g. "text/javascript; charset=utf-8"
  bool immutable = false;    // true for Vite's content-hashed assets/: cache for a year
};

// Maps a decoded URL path ("/", "/index.html", "/assets/index-3f2a.js", "/favicon.svg") to a file
// of `console_dir` (notification.console_dir), or nullopt when the request must get 404.
// The contract is deliberately narrow, since the path comes from the network:
//   * "/" means "/index.html"; otherwise at most two segments, the first optionally "assets";
//   * every segment is [A-Za-z0-9_-][A-Za-z0-9._-]* (so no "..", no hidden files, no
//     backslashes, no NUL, no percent escapes left over);
//   * the extension must be one of a short allowlist (html, js, css, svg, png, ico, json, map,
//     woff2, txt, wav: the console's new-missed-call sound), which also fixes the Content-Type;
//   * the file's canonical path (symlinks resolved) must lie inside the canonical console_dir
//     and be a regular file.
std::optional<ConsoleFile> consoleFile(const std::string& console_dir, const std::string& url_path);

// Content-Type for a file name by extension; empty when the extension is not served.
std::string consoleContentType(const std::string& file_name);

}  // namespace callmesh::notification
