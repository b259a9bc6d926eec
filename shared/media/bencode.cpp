#include "shared/media/bencode.h"

namespace callmesh::media {

const BValue* BValue::find(std::string_view key) const {
  if (!isDict()) return nullptr;
  const BDict& d = asDict();
  auto it = d.find(key);
  return it == d.end() ? nullptr : &it->second;
}

bool BValue::operator==(const BValue& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Int:
      return int_ == other.int_;
    case Kind::String:
      return str_ == other.str_;
    case Kind::List:
      return list_ == other.list_;
    case Kind::Dict:
      return dict_ == other.dict_;
  }
  return false;
}

std::string BValue::stringAt(std::string_view key) const {
  const BValue* v = find(key);
  return v && v->isString() ? v->asString() : std::string();
}

void appendBencode(const BValue& value, std::string& out) {
  if (value.isInt()) {
    out += 'i';
    out += std::to_string(value.asInt());
    out += 'e';
  } else if (value.isString()) {
    out += std::to_string(value.asString().size());
    out += ':';
    out += value.asString();
  } else if (value.isList()) {
    out += 'l';
    for (const auto& v : value.asList()) appendBencode(v, out);
    out += 'e';
  } else {
    out += 'd';
    for (const auto& [k, v] : value.asDict()) {
      out += std::to_string(k.size());
      out += ':';
      out += k;
      appendBencode(v, out);
    }
    out += 'e';
  }
}

std::string encodeBencode(const BValue& value) {
  std::string out;
  appendBencode(value, out);
  return out;
}

namespace {

// A recursive-descent reader; recursion is bounded by limits.max_depth.
class Reader {
 public:
  Reader(std::string_view data, const BencodeLimits& limits) : d_(data), limits_(limits) {}

  Result<BValue> value(size_t depth) {
    if (++values_ > limits_.max_values)
      return fail("more than " + num(limits_.max_values) + " values");
    if (pos_ >= d_.size()) return fail("truncated: a value was expected");
    char c = d_[pos_];
    if (c == 'i') return integer();
    if (c >= '0' && c <= '9') {
      auto s = string();
      if (!s.ok()) return s.error();
      return BValue(std::move(s.value()));
    }
    if (c != 'l' && c != 'd') return fail(std::string("unexpected byte '") + printable(c) + "'");
    if (depth >= limits_.max_depth) return fail("nested deeper than " + num(limits_.max_depth));
    ++pos_;
    if (c == 'l') {
      BList list;
      while (pos_ < d_.size() && d_[pos_] != 'e') {
        auto v = value(depth + 1);
        if (!v.ok()) return v.error();
        list.push_back(std::move(v.value()));
      }
      if (pos_ >= d_.size()) return fail("truncated list");
      ++pos_;
      return BValue(std::move(list));
    }
    BDict dict;
    while (pos_ < d_.size() && d_[pos_] != 'e') {
      if (d_[pos_] < '0' || d_[pos_] > '9') return fail("dictionary key is not a string");
      auto key = string();
      if (!key.ok()) return key.error();
      auto v = value(depth + 1);
      if (!v.ok()) return v.error();
      // A repeated key is ambiguous (which one does the peer mean?): refused.
      if (!dict.emplace(std::move(key.value()), std::move(v.value())).second)
        return fail("repeated dictionary key");
    }
    if (pos_ >= d_.size()) return fail("truncated dictionary");
    ++pos_;
    return BValue(std::move(dict));
  }

  size_t pos() const { return pos_; }

 private:
  Result<BValue> integer() {
    ++pos_;  // 'i'
    size_t start = pos_;
    bool negative = pos_ < d_.size() && d_[pos_] == '-';
    if (negative) ++pos_;
    size_t digits_start = pos_;
    uint64_t magnitude = 0;
    while (pos_ < d_.size() && d_[pos_] >= '0' && d_[pos_] <= '9') {
      if (pos_ - digits_start >= 18) return fail("integer longer than 18 digits");
      magnitude = magnitude * 10 + static_cast<uint64_t>(d_[pos_] - '0');
      ++pos_;
    }
    size_t ndigits = pos_ - digits_start;
    if (ndigits == 0) return failAt(start, "integer without digits");
    if (pos_ >= d_.size() || d_[pos_] != 'e') return fail("integer not closed by 'e'");
    if (ndigits > 1 && d_[digits_start] == '0') return failAt(start, "integer with a leading zero");
    if (negative && magnitude == 0) return failAt(start, "negative zero");
    ++pos_;
    auto m = static_cast<int64_t>(magnitude);
    return BValue(negative ? -m : m);
  }

  Result<std::string> string() {
    size_t start = pos_;
    size_t length = 0;
    while (pos_ < d_.size() && d_[pos_] >= '0' && d_[pos_] <= '9') {
      if (pos_ - start >= 9) return Error(fail("string length longer than 9 digits").error());
      length = length * 10 + static_cast<size_t>(d_[pos_] - '0');
      ++pos_;
    }
    if (pos_ - start > 1 && d_[start] == '0')
      return Error(failAt(start, "string length with a leading zero").error());
    if (pos_ >= d_.size() || d_[pos_] != ':')
      return Error(fail("string length not followed by ':'").error());
    ++pos_;
    if (length > limits_.max_string)
      return Error(failAt(start, "string of " + num(length) + " bytes (limit " +
                                     num(limits_.max_string) + ")")
                       .error());
    if (length > d_.size() - pos_) return Error(failAt(start, "truncated string").error());
    std::string s(d_.substr(pos_, length));
    pos_ += length;
    return s;
  }

  static std::string num(size_t n) { return std::to_string(n); }
  static char printable(char c) { return (c >= 0x20 && c < 0x7f) ? c : '?'; }
  Result<BValue> fail(const std::string& what) const { return failAt(pos_, what); }
  Result<BValue> failAt(size_t at, const std::string& what) const {
    return invalidInput(what, "bencode at byte " + std::to_string(at));
  }

  std::string_view d_;
  const BencodeLimits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

}  // namespace

Result<BValue> decodeBencode(std::string_view data, const BencodeLimits& limits) {
  if (data.size() > limits.max_input) {
    return invalidInput("input of " + std::to_string(data.size()) + " bytes (limit " +
                            std::to_string(limits.max_input) + ")",
                        "bencode");
  }
  Reader reader(data, limits);
  auto v = reader.value(0);
  if (!v.ok()) return v;
  if (reader.pos() != data.size())
    return invalidInput("trailing bytes after the value",
                        "bencode at byte " + std::to_string(reader.pos()));
  return v;
}

}  // namespace callmesh::media
