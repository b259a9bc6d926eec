#include "services/notification/contact_search.h"

#include <algorithm>
#include <cctype>

namespace callmesh::notification {

namespace {

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "+1 (555) 777-0000" -> "15557770000": people type numbers as they read them.
std::string digits(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

bool matches(const Contact& c, const std::string& q_lower, const std::string& q_digits) {
  if (q_lower.empty()) return true;
  if (lower(c.name).find(q_lower) != std::string::npos) return true;
  if (q_digits.empty()) return false;
  return std::any_of(c.numbers.begin(), c.numbers.end(), [&](const std::string& n) {
    return digits(n).find(q_digits) != std::string::npos;
  });
}

}  // namespace

std::vector<Contact> searchContacts(const std::vector<Contact>& book, const std::string& agent,
                                    bool admin, const std::string& query, size_t limit) {
  const std::string q_lower = lower(query);
  const std::string q_digits = digits(query);
  std::vector<Contact> out;
  for (const auto& c : book) {
    if (!admin && c.primary_agent != agent) continue;
    if (matches(c, q_lower, q_digits)) out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(), [](const Contact& a, const Contact& b) {
    return a.created_at_ms > b.created_at_ms;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace callmesh::notification
