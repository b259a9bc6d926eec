#include "shared/redis/routing_documents.h"

#include <cstdio>

#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::redis {

namespace {

namespace keys = routing_keys;
constexpr const char* kDocumentPrefix = "cm:{routing}:doc:";

// KEYS: epoch, active, versions, audit. ARGV: expected active ("" = any), yaml, sha, author,
// action, diff, at ms, skip-if-same (1/0), versions kept, audit length, document key prefix.
// Document keys are built here from the one hash tag, so every key lives in the same slot.
constexpr const char* kActivateLua = R"lua(
local active = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= active then return {'conflict', active} end
if ARGV[8] == '1' and active > 0 then
  if redis.call('HGET', ARGV[11] .. active, 'sha') == ARGV[3] then return {'unchanged', active} end
end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[11] .. v, 'yaml', ARGV[2], 'sha', ARGV[3], 'author', ARGV[4],
           'action', ARGV[5], 'at_ms', ARGV[7], 'based_on', active)
redis.call('SET', KEYS[2], v)
redis.call('ZADD', KEYS[3], v, v)
local keep = tonumber(ARGV[9])
local n = redis.call('ZCARD', KEYS[3])
if n > keep then
  local old = redis.call('ZRANGE', KEYS[3], 0, n - keep - 1)
  for _, o in ipairs(old) do redis.call('DEL', ARGV[11] .. o) end
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, n - keep - 1)
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[10], '*', 'epoch', v, 'based_on', active,
           'who', ARGV[4], 'action', ARGV[5], 'at_ms', ARGV[7], 'diff', ARGV[6])
return {'ok', v}
)lua";

// KEYS: replicas. ARGV: replica id, version, at ms, stale after ms.
constexpr const char* kReportLua = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local oldest = tonumber(ARGV[3]) - tonumber(ARGV[4])
for i = 1, #all, 2 do
  local at = tonumber(string.match(all[i + 1], ' (%d+)$') or '0')
  if at < oldest then redis.call('HDEL', KEYS[1], all[i]) end
end
return 1
)lua";

uint64_t toVersion(const std::string& text) {
  int64_t v = fieldInt(text);
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

Error unexpected(const char* what, const RedisReply& r) {
  return Error{ErrorKind::Internal, std::string("unexpected reply to ") + what + ": " + r.text,
               "routing documents"};
}

// A HGETALL reply (field, value, ...) as a document.
RoutingDocument documentOf(uint64_t version, const RedisReply& r) {
  RoutingDocument d;
  d.version = version;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& f = r.elements[i].text;
    const std::string& v = r.elements[i + 1].text;
    if (f == "yaml") d.yaml = v;
    if (f == "sha") d.sha = v;
    if (f == "author") d.author = v;
    if (f == "action") d.action = v;
    if (f == "at_ms") d.at_ms = fieldInt(v);
    if (f == "based_on") d.based_on = toVersion(v);
  }
  return d;
}

}  // namespace

std::string documentSha(const std::string& yaml) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : yaml) hash = (hash ^ c) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

RoutingDocuments::RoutingDocuments(RedisClient& redis, RoutingRetention retention)
    : redis_(redis),
      retention_(retention),
      activate_script_{kActivateLua, {}},
      report_script_{kReportLua, {}} {}

Result<uint64_t> RoutingDocuments::activeVersion() {
  auto r = redis_.command({"GET", keys::kActive});
  if (!r.ok()) return r.error();
  return r->isNil() ? 0 : toVersion(r->text);
}

Result<std::optional<RoutingDocument>> RoutingDocuments::document(uint64_t version) {
  auto r = redis_.command({"HGETALL", keys::document(version)});
  if (!r.ok()) return r.error();
  if (r->elements.empty()) return std::optional<RoutingDocument>();
  return std::optional<RoutingDocument>(documentOf(version, *r));
}

Result<std::optional<RoutingDocument>> RoutingDocuments::active() {
  auto v = activeVersion();
  if (!v.ok()) return v.error();
  if (*v == 0) return std::optional<RoutingDocument>();
  return document(*v);
}

Result<std::vector<RoutingDocument>> RoutingDocuments::versions(size_t limit) {
  auto r = redis_.command(
      {"ZREVRANGE", keys::kVersions, "0", std::to_string(limit == 0 ? 0 : limit - 1)});
  if (!r.ok()) return r.error();
  std::vector<std::vector<std::string>> reads;
  std::vector<uint64_t> numbers;
  for (const auto& e : r->elements) {
    numbers.push_back(toVersion(e.text));
    reads.push_back(
        {"HMGET", keys::document(numbers.back()), "sha", "author", "action", "at_ms", "based_on"});
  }
  std::vector<RoutingDocument> out;
  if (reads.empty()) return out;
  auto got = redis_.pipeline(reads);
  if (!got.ok()) return got.error();
  for (size_t i = 0; i < got->size(); ++i) {
    const auto& f = (*got)[i].elements;
    if (f.size() != 5 || f[0].isNil()) continue;  // trimmed between the two reads
    RoutingDocument d;
    d.version = numbers[i];
    d.sha = f[0].text;
    d.author = f[1].text;
    d.action = f[2].text;
    d.at_ms = fieldInt(f[3].text);
    d.based_on = toVersion(f[4].text);
    out.push_back(std::move(d));
  }
  return out;
}

Result<ActivationResult> RoutingDocuments::activate(const ActivationRequest& req) {
  std::string diff = req.diff;
  if (diff.size() > retention_.diff_bytes) {
    diff.resize(retention_.diff_bytes);
    diff += "\n... (diff cut at " + std::to_string(retention_.diff_bytes) + " bytes)\n";
  }
  auto r = redis_.evalScript(
      activate_script_, {keys::kEpoch, keys::kActive, keys::kVersions, keys::kAudit},
      {req.expected_active ? std::to_string(*req.expected_active) : std::string(), req.yaml,
       documentSha(req.yaml), req.author, req.action, diff, std::to_string(req.at_ms),
       req.skip_if_same ? "1" : "0", std::to_string(retention_.versions),
       std::to_string(retention_.audit_entries), kDocumentPrefix});
  if (!r.ok()) return r.error();
  if (r->type != RedisReply::Type::Array || r->elements.size() != 2) {
    return unexpected("activation", *r);
  }
  ActivationResult out;
  const std::string& tag = r->elements[0].text;
  out.version = static_cast<uint64_t>(r->elements[1].integer);
  if (tag == "conflict") out.outcome = ActivationResult::Outcome::Conflict;
  if (tag == "unchanged") out.outcome = ActivationResult::Outcome::Unchanged;
  return out;
}

Result<std::vector<RoutingAuditEntry>> RoutingDocuments::audit(size_t limit) {
  auto r = redis_.command(
      {"XREVRANGE", keys::kAudit, "+", "-", "COUNT", std::to_string(limit == 0 ? 1 : limit)});
  if (!r.ok()) return r.error();
  std::vector<RoutingAuditEntry> out;
  for (const auto& entry : r->elements) {
    if (entry.elements.size() != 2) continue;
    RoutingAuditEntry a;
    a.id = entry.elements[0].text;
    const auto& f = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      const std::string& k = f[i].text;
      const std::string& v = f[i + 1].text;
      if (k == "epoch") a.epoch = toVersion(v);
      if (k == "based_on") a.based_on = toVersion(v);
      if (k == "who") a.who = v;
      if (k == "action") a.action = v;
      if (k == "at_ms") a.at_ms = fieldInt(v);
      if (k == "diff") a.diff = v;
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status RoutingDocuments::reportLoaded(const std::string& replica, uint64_t version, int64_t at_ms) {
  auto r = redis_.evalScript(report_script_, {keys::kReplicas},
                             {replica, std::to_string(version), std::to_string(at_ms),
                              std::to_string(retention_.replica_stale_ms)});
  if (!r.ok()) return r.error();
  if (r->type == RedisReply::Type::Error) return unexpected("replica report", *r);
  return {};
}

Result<std::vector<ReplicaReport>> RoutingDocuments::replicas() {
  auto r = redis_.command({"HGETALL", keys::kReplicas});
  if (!r.ok()) return r.error();
  std::vector<ReplicaReport> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    ReplicaReport rep;
    rep.replica = r->elements[i].text;
    const std::string& v = r->elements[i + 1].text;
    auto space = v.find(' ');
    rep.version = toVersion(v.substr(0, space));
    if (space != std::string::npos) rep.at_ms = fieldInt(v.substr(space + 1));
    out.push_back(std::move(rep));
  }
  return out;
}

}  // namespace callmesh::redis
