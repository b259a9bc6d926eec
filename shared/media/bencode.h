#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::media {

// Bencode (the BitTorrent encoding rtpengine's ng control protocol speaks): integers, byte
// strings, lists and dictionaries. The decoder reads bytes from a UDP socket, so every dimension an
// outsider controls is bounded (BencodeLimits) and any input yields a value or an error naming the
// offset, never a crash (tools/fuzz/bencode_fuzz.cpp).
class BValue;
using BList = std::vector<BValue>;
using BDict = std::map<std::string, BValue, std::less<>>;  // keys sorted, as bencode requires

class BValue {
 public:
  enum class Kind { Int, String, List, Dict };
  BValue() = default;
  BValue(int64_t i) : kind_(Kind::Int), int_(i) {}                    // NOLINT
  BValue(int i) : kind_(Kind::Int), int_(i) {}                        // NOLINT
  BValue(std::string s) : kind_(Kind::String), str_(std::move(s)) {}  // NOLINT
  BValue(const char* s) : kind_(Kind::String), str_(s) {}             // NOLINT
  BValue(BList l) : kind_(Kind::List), list_(std::move(l)) {}         // NOLINT
  BValue(BDict d) : kind_(Kind::Dict), dict_(std::move(d)) {}         // NOLINT

  Kind kind() const { return kind_; }
  bool isInt() const { return kind_ == Kind::Int; }
  bool isString() const { return kind_ == Kind::String; }
  bool isList() const { return kind_ == Kind::List; }
  bool isDict() const { return kind_ == Kind::Dict; }
  // Accessors of the other kinds return an empty value (callers check the kind first).
  int64_t asInt() const { return int_; }
  const std::string& asString() const { return str_; }
  const BList& asList() const { return list_; }
  const BDict& asDict() const { return dict_; }
  BDict& asDict() { return dict_; }

  // A dictionary's entry, or null (also when this is no dictionary).
  const BValue* find(std::string_view key) const;
  // A dictionary's string entry, or "" when absent or not a string.
  std::string stringAt(std::string_view key) const;

  bool operator==(const BValue& other) const;

 private:
  // A tagged struct rather than std::variant: GCC 12 reports false maybe-uninitialized warnings
  // for a recursive variant held inside Result's variant (-Werror).
  Kind kind_ = Kind::String;
  int64_t int_ = 0;
  std::string str_;
  BList list_;
  BDict dict_;
};

struct BencodeLimits {
  size_t max_input = 65536;   // a UDP datagram's worth; rtpengine's replies with SDP fit well
  size_t max_depth = 16;      // nesting of lists/dicts (ng replies nest 5-6 deep at most)
  size_t max_string = 65535;  // one byte string (an SDP body)
  size_t max_values = 8192;   // values in the whole document (a `list` of calls, SSRC stats)
};

// Encodes `value` canonically (dictionary keys in byte order).
std::string encodeBencode(const BValue& value);
void appendBencode(const BValue& value, std::string& out);

// Decodes exactly one value spanning the whole of `data`.
Result<BValue> decodeBencode(std::string_view data, const BencodeLimits& limits = {});

}  // namespace callmesh::media
