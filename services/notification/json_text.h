#pragma once

// JSON text written straight into a string, byte for byte as nlohmann::json's
// dump(-1, ' ', false, error_handler_t::replace) writes the same value: compact, object keys in
// the order the caller gives (callers give them sorted, as nlohmann's std::map keeps them), raw
// UTF-8, invalid UTF-8 replaced by U+FFFD. For the hot path only (a call record per call): building
// an nlohmann::json first costs an allocation per key and value, and was most of the notification
// service's CPU per call (docs/bench/kamailio.md, "The notification's records").
#include <cstdint>
#include <string>
#include <string_view>

namespace callmesh::notification {

// `text` as a JSON string, quotes included.
void appendJsonString(std::string& out, std::string_view text);

// Builds one object: key() then a value, in the order nlohmann would write them.
class JsonObjectText {
 public:
  explicit JsonObjectText(std::string& out) : out_(out) { out_ += '{'; }
  JsonObjectText& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    appendJsonString(out_, k);
    out_ += ':';
    return *this;
  }
  JsonObjectText& text(std::string_view k, std::string_view v) {
    key(k);
    appendJsonString(out_, v);
    return *this;
  }
  JsonObjectText& integer(std::string_view k, int64_t v) {
    key(k);
    out_ += std::to_string(v);
    return *this;
  }
  JsonObjectText& boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
    return *this;
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace callmesh::notification
