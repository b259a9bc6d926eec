#include "services/ingress/trunk_book.h"

#include <algorithm>
#include <cctype>

namespace callmesh::ingress {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<TrunkBook> TrunkBook::create(const std::vector<config::TrunkSettings>& trunks) {
  TrunkBook book;
  for (const auto& t : trunks) {
    Trunk trunk;
    trunk.name = t.name;
    trunk.index = book.trunks_.size();
    trunk.bucket = "trunk:" + t.name;
    auto sources = net::CidrSet::parse(t.sources, "trunks." + t.name + ".sources");
    if (!sources.ok()) return Error{ErrorKind::InvalidInput, sources.error().message, t.name};
    trunk.sources = std::move(sources.value());
    for (const auto& s : t.tls_subjects) trunk.tls_subjects.push_back(lower(s));
    book.by_certificate_ = book.by_certificate_ || !trunk.tls_subjects.empty();
    trunk.identity_trusted = t.identity_trusted;
    trunk.rates = SourceGuard::Rates{
        static_cast<double>(t.rate_limit_rps), static_cast<double>(t.rate_limit_burst),
        static_cast<double>(t.new_call_rps), static_cast<double>(t.new_call_burst)};
    book.trunks_.push_back(std::move(trunk));
  }
  return book;
}

const Trunk* TrunkBook::identify(const std::string& ip,
                                 const std::vector<std::string>& verified_subjects) const {
  if (!verified_subjects.empty()) {
    std::vector<std::string> subjects;
    for (const auto& s : verified_subjects) subjects.push_back(lower(s));
    for (const auto& t : trunks_) {
      for (const auto& want : t.tls_subjects) {
        if (std::find(subjects.begin(), subjects.end(), want) != subjects.end()) return &t;
      }
    }
  }
  for (const auto& t : trunks_) {
    if (t.sources.contains(ip)) return &t;
  }
  return nullptr;
}

}  // namespace callmesh::ingress
