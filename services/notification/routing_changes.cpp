#include "services/notification/routing_changes.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace callmesh::notification {

namespace {

constexpr size_t kExactDiffLines = 2000;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string digitsOf(const std::string& number) {
  std::string out;
  for (char c : number) {
    if ((c >= '0' && c <= '9') || c == '+') out += c;
  }
  return out;
}

bool sameId(const std::string& key, const std::string& a, const std::string& b) {
  return key == "number" ? digitsOf(a) == digitsOf(b) && !digitsOf(a).empty() : a == b;
}

Error notFound(const std::string& section, const std::string& id) {
  return Error{ErrorKind::NotFound, "no entry '" + id + "' in " + section, section};
}

// The document's root and the index of the entry, or an error.
struct Located {
  YAML::Node root;
  std::optional<size_t> index;
  std::string key;
};

Result<Located> locate(const std::string& document, const std::string& section,
                       const std::string& id) {
  auto key = resourceKey(section);
  if (!key) return invalidInput("no resource family '" + section + "'", section);
  Located out;
  out.key = *key;
  try {
    out.root = document.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(document);
  } catch (const YAML::Exception& e) {
    return invalidInput(std::string("active document: YAML syntax: ") + e.what(), section);
  }
  if (out.root.IsNull()) out.root = YAML::Node(YAML::NodeType::Map);
  if (!out.root.IsMap()) return invalidInput("active document is not a mapping", section);
  // Read through a const view: a non-const operator[] may add the key it looks for.
  const YAML::Node& root = out.root;
  // An absent key reads as an invalid (zombie) node: anything but IsDefined on it throws
  // "invalid node", so a section the document does not have yet stops here.
  const YAML::Node list = root[section];
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) return invalidInput(section + " is not a list", section);
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node e = list[i];
    if (e.IsMap() && e[*key] && e[*key].IsScalar() && sameId(*key, e[*key].Scalar(), id)) {
      out.index = i;
      break;
    }
  }
  return out;
}

std::string emit(const YAML::Node& root) {
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::vector<RoutingProblem> routingProblems(const Error& loader_error) {
  std::vector<RoutingProblem> out;
  if (!loader_error.context.empty()) {
    // A YAML syntax error: one message, its place in the context ("<file>:<line>").
    RoutingProblem p;
    auto colon = loader_error.context.rfind(':');
    if (colon != std::string::npos) p.line = std::atoi(loader_error.context.c_str() + colon + 1);
    p.message = loader_error.message;
    out.push_back(std::move(p));
    return out;
  }
  std::istringstream in(loader_error.message);
  for (std::string l; std::getline(in, l);) {
    RoutingProblem p;
    // "<file>:<line>: <key>: <what>"; the file name the API gives has no ':'.
    auto c1 = l.find(':');
    auto c2 = c1 == std::string::npos ? c1 : l.find(": ", c1 + 1);
    if (c1 != std::string::npos && c2 != std::string::npos) {
      p.line = std::atoi(l.substr(c1 + 1, c2 - c1 - 1).c_str());
      std::string rest = l.substr(c2 + 2);
      auto c3 = rest.find(": ");
      if (c3 != std::string::npos && rest.find(' ') >= c3) {
        p.field = rest.substr(0, c3);
        p.message = rest.substr(c3 + 2);
      } else {
        p.message = rest;
      }
    } else {
      p.message = l;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string lineDiff(const std::string& before, const std::string& after) {
  auto a = linesOf(before);
  auto b = linesOf(after);
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  size_t n = a.size() - head - tail;
  size_t m = b.size() - head - tail;
  if (n == 0 && m == 0) return {};
  std::string out;
  if (n > kExactDiffLines || m > kExactDiffLines) {
    out += "@@ line " + std::to_string(head + 1) + "\n";
    for (size_t i = 0; i < n; ++i) out += "-" + a[head + i] + "\n";
    for (size_t j = 0; j < m; ++j) out += "+" + b[head + j] + "\n";
    return out;
  }
  // LCS table over the middle, then a walk from the start emitting removals before additions.
  std::vector<std::vector<uint16_t>> lcs(n + 1, std::vector<uint16_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1
                                             : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0, j = 0;
  bool in_change = false;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) {
      in_change = false;
      ++i;
      ++j;
      continue;
    }
    if (!in_change) out += "@@ line " + std::to_string(head + i + 1) + "\n";
    in_change = true;
    if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "-" + a[head + i++] + "\n";
    } else {
      out += "+" + b[head + j++] + "\n";
    }
  }
  return out;
}

std::optional<std::string> resourceKey(const std::string& section) {
  static const std::map<std::string, std::string> keys = {{"tracking_numbers", "number"},
                                                          {"receiving_numbers", "number"},
                                                          {"company_numbers", "number"},
                                                          {"crm_numbers", "number"},
                                                          {"schedules", "id"},
                                                          {"agents", "id"},
                                                          {"locations", "id"},
                                                          {"queues", "id"},
                                                          {"geo_routers", "id"},
                                                          {"projects", "id"},
                                                          {"number_caps", "number"},
                                                          {"account_caps", "id"}};
  auto it = keys.find(section);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

Result<std::string> getResource(const std::string& document, const std::string& section,
                                const std::string& id) {
  auto at = locate(document, section, id);
  if (!at.ok()) return at.error();
  if (!at->index) return notFound(section, id);
  const YAML::Node& root = at->root;
  return emit(root[section][*at->index]);
}

Result<std::string> putResource(const std::string& document, const std::string& section,
                                const std::string& id, const std::string& body) {
  auto at = locate(document, section, id);
  if (!at.ok()) return at.error();
  YAML::Node entry;
  try {
    entry = YAML::Load(body);
  } catch (const YAML::Exception& e) {
    return invalidInput(std::string("body: not YAML or JSON: ") + e.what(), "body");
  }
  if (!entry.IsMap())
    return invalidInput("body: must be a mapping (one " + section + " entry)", "body");
  if (entry[at->key] && entry[at->key].IsScalar() &&
      !sameId(at->key, entry[at->key].Scalar(), id)) {
    return invalidInput("body: " + at->key + " '" + entry[at->key].Scalar() +
                            "' differs from the path's '" + id + "'",
                        at->key);
  }
  if (!entry[at->key]) entry[at->key] = id;
  const YAML::Node& croot = at->root;
  YAML::Node rest(YAML::NodeType::Sequence);
  // An absent section reads as an invalid node, which throws on anything but IsDefined.
  const YAML::Node existing = croot[section];
  if (existing.IsDefined() && existing.IsSequence()) {
    for (size_t i = 0; i < existing.size(); ++i) {
      rest.push_back(at->index && i == *at->index ? entry : existing[i]);
    }
  }
  if (!at->index) rest.push_back(entry);
  at->root[section] = rest;
  return emit(at->root);
}

Result<std::string> deleteResource(const std::string& document, const std::string& section,
                                   const std::string& id) {
  auto at = locate(document, section, id);
  if (!at.ok()) return at.error();
  if (!at->index) return notFound(section, id);
  const YAML::Node& croot = at->root;
  YAML::Node rest(YAML::NodeType::Sequence);
  for (size_t i = 0; i < croot[section].size(); ++i) {
    if (i != *at->index) rest.push_back(croot[section][i]);
  }
  if (rest.size() == 0) {
    at->root.remove(section);
  } else {
    at->root[section] = rest;
  }
  return emit(at->root);
}

}  // namespace callmesh::notification
