#include "services/notification/console_files.h"

#include <filesystem>
#include <system_error>
#include <vector>

namespace callmesh::notification {

namespace {

namespace fs = std::filesystem;

bool safeSegment(const std::string& s) {
  if (s.empty() || s.size() > 200) return false;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  if (s.front() == '.') return false;  // "..", ".", hidden files
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path.substr(1)) {
    if (c == '/') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

}  // namespace

std::string consoleContentType(const std::string& file_name) {
  auto dot = file_name.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = file_name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wav") return "audio/wav";  // the console's alert sound, bundled by Vite
  return "";
}

std::optional<ConsoleFile> consoleFile(const std::string& console_dir,
                                       const std::string& url_path) {
  if (console_dir.empty() || url_path.empty() || url_path.front() != '/') return std::nullopt;
  std::string path = url_path == "/" ? "/index.html" : url_path;
  auto parts = split(path);
  if (parts.size() > 2 || (parts.size() == 2 && parts[0] != "assets")) return std::nullopt;
  for (const auto& p : parts) {
    if (!safeSegment(p)) return std::nullopt;
  }
  std::string type = consoleContentType(parts.back());
  if (type.empty()) return std::nullopt;

  std::error_code ec;
  fs::path root = fs::canonical(console_dir, ec);
  if (ec) return std::nullopt;
  fs::path file = fs::canonical(root / path.substr(1), ec);
  if (ec) return std::nullopt;
  // Belt and braces beyond the segment rules: a symlink must not lead outside the directory.
  auto rel = file.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  if (!fs::is_regular_file(file, ec) || ec) return std::nullopt;
  return ConsoleFile{file.string(), type, parts.size() == 2};
}

}  // namespace callmesh::notification
