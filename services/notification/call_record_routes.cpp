// Call detail records through the API (call_record_api.h).
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/call_record_api.h"
#include "services/notification/call_record_store.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;

constexpr size_t kMaxFilterBytes = 128;

// ?name= as a non-negative integer of at most 19 digits (a bound on page sizes and times).
std::optional<int64_t> intQuery(const ApiRequest& req, const std::string& name, int64_t fallback) {
  if (!req.hasQuery(name)) return fallback;
  const std::string v = req.queryValue(name);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(v);
}

ApiReply badQuery(const std::string& name, const std::string& why) {
  return refuse(400, "invalid_request", "query '" + name + "' " + why, {{"field", name}});
}

// The filter and page size of a list or export request, or the refusal.
struct ListQuery {
  CallRecordFilter filter;
  size_t limit = 0;
  std::string cursor;
};

std::variant<ListQuery, ApiReply> listQuery(const ApiRequest& req, size_t default_limit,
                                            size_t max_limit) {
  ListQuery q;
  for (const char* name : {"number", "agent", "outcome", "cursor"}) {
    if (req.queryValue(name).size() > kMaxFilterBytes) {
      return badQuery(name, "is longer than " + std::to_string(kMaxFilterBytes) + " bytes");
    }
  }
  q.filter.number = req.queryValue("number");
  q.filter.agent = req.queryValue("agent");
  q.filter.outcome = req.queryValue("outcome");
  q.cursor = req.queryValue("cursor");
  if (!q.filter.outcome.empty() && !isCallOutcome(q.filter.outcome)) {
    return badQuery("outcome", "must be answered, no_answer, busy, abandoned, failed or delivered");
  }
  auto from = intQuery(req, "from_ms", 0);
  if (!from) return badQuery("from_ms", "must be milliseconds since the epoch");
  auto to = intQuery(req, "to_ms", 0);
  if (!to) return badQuery("to_ms", "must be milliseconds since the epoch");
  if (*to && *from > *to) return badQuery("from_ms", "is after to_ms");
  q.filter.from_ms = *from;
  q.filter.to_ms = *to;
  auto limit = intQuery(req, "limit", static_cast<int64_t>(default_limit));
  if (!limit || *limit < 1 || static_cast<size_t>(*limit) > max_limit) {
    return badQuery("limit", "must be 1.." + std::to_string(max_limit));
  }
  q.limit = static_cast<size_t>(*limit);
  return q;
}

ApiReply storeFailed(ApiDeps& d, const Error& e) {
  if (e.kind == ErrorKind::InvalidInput) return refuseInput(e);
  return redisDown(d.log, e);
}

}  // namespace

ApiReply listCallRecords(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto q = listQuery(req, 50, 500);
  if (auto* refusal = std::get_if<ApiReply>(&q)) return *refusal;
  const auto& lq = std::get<ListQuery>(q);
  auto page = d.records.query(lq.filter, lq.cursor, lq.limit);
  if (!page.ok()) return storeFailed(d, page.error());
  json body = {{"records", page->records}};
  body["next_cursor"] = page->next_cursor.empty() ? json() : json(page->next_cursor);
  return reply(200, body);
}

ApiReply exportCallRecords(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto q = listQuery(req, 1000, 5000);
  if (auto* refusal = std::get_if<ApiReply>(&q)) return *refusal;
  const auto& lq = std::get<ListQuery>(q);
  auto page = d.records.query(lq.filter, lq.cursor, lq.limit);
  if (!page.ok()) return storeFailed(d, page.error());
  ApiReply out;
  out.status = 200;
  out.content_type = "text/csv; charset=utf-8";
  out.raw_body = callRecordCsvHeader();
  for (const auto& r : page->records) out.raw_body += callRecordCsvRow(r);
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"call-records.csv\"");
  if (!page->next_cursor.empty()) out.headers.emplace_back("X-Next-Cursor", page->next_cursor);
  return out;
}

ApiReply getCallRecord(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto rec = d.records.get(req.param(0));
  if (!rec.ok()) return storeFailed(d, rec.error());
  if (!*rec) return refuse(404, "not_found", "no call record for Call-ID '" + req.param(0) + "'");
  return reply(200, **rec);
}

ApiReply getCallTrace(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto rec = d.records.get(req.param(0));
  if (!rec.ok()) return storeFailed(d, rec.error());
  if (!*rec) return refuse(404, "not_found", "no call record for Call-ID '" + req.param(0) + "'");
  const json& r = **rec;
  return reply(200, {{"call_id", r.value("call_id", "")},
                     {"number", r.value("number", "")},
                     {"caller", r.value("caller", "")},
                     {"rule", r.value("rule", "")},
                     {"trace", r.value("trace", json::array())},
                     {"legs", r.value("legs", json::array())},
                     {"answered_by", r.value("answered_by", json::object())},
                     {"outcome", r.value("outcome", "")}});
}

void addCallRecordRoutes(ApiRoutes& routes) {
  routes.get("/v1/call-records", Access::AdminOnly, listCallRecords);
  routes.get(R"(/v1/call-records\.csv)", Access::AdminOnly, exportCallRecords);
  routes.get(R"(/v1/call-records/([^/]+))", Access::AdminOnly, getCallRecord);
  routes.get(R"(/v1/calls/([^/]+)/trace)", Access::AdminOnly, getCallTrace);
}

}  // namespace callmesh::notification
