#include "shared/config/notification_settings.h"

#include <map>

#include "shared/config/api_limit_settings.h"

namespace callmesh::config {

namespace {

// notification.tokens: token hash -> {agent_id, role}. Entries are named by position
// (tokens[2]), never by key: a key that is not a hash may be a real token pasted by mistake, and
// config errors end up in logs.
void readTokenHashes(YamlMap& parent, ConfigErrors& errors, std::map<std::string, ApiToken>& out) {
  YAML::Node node = parent.child("tokens");
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    errors.add(node, parent.keyPath("tokens"), "must map token SHA-256 hashes to {agent_id, role}");
    return;
  }
  int index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    std::string hash = it->first.Scalar();
    YamlMap t(it->second, parent.keyPath("tokens") + "[" + std::to_string(index) + "]", errors);
    ApiToken tok;
    if (auto agent = t.requiredString("agent_id")) tok.agent_id = *agent;
    std::string role = t.string("role", "agent");
    if (role == "admin") {
      tok.role = ApiRole::Admin;
    } else if (role != "agent") {
      t.error("role", "must be agent or admin");
    }
    t.finish();
    if (!isTokenHash(hash)) {
      errors.add(it->first, t.path(),
                 "key is not a token hash (64 lowercase hex digits of SHA-256; make one with "
                 "tools/callmesh-token); the key is not shown");
      continue;
    }
    out[hash] = tok;
  }
}

// Calls `each(key, map)` for every entry of the mapping under `key`, each checked for unknown keys.
template <typename Each>
void forEachEntry(YamlMap& parent, const char* key, const char* shape, ConfigErrors& errors,
                  Each each) {
  YAML::Node node = parent.child(key);
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    errors.add(node, parent.keyPath(key), shape);
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string name = it->first.Scalar();
    YamlMap entry(it->second, parent.keyPath(key) + "." + name, errors);
    each(name, entry);
    entry.finish();
  }
}

}  // namespace

void readNotificationSettings(YamlMap& m, const std::string& file_name, ConfigErrors& errors,
                              NotificationSettings& n) {
  n.log_level = m.string("log_level", "info");
  n.api = m.string("api", n.api);
  {
    std::string h;
    int p = 0;
    bool zero_port = n.api.size() > 2 && n.api.substr(n.api.size() - 2) == ":0";
    if (!zero_port && !splitHostPort(n.api, h, p)) m.error("api", "must be host:port");
  }
  n.text_gateway = m.string("text_gateway", "");
  if (!n.text_gateway.empty()) {
    std::string h;
    int p = 0;
    if (!splitHostPort(n.text_gateway, h, p)) m.error("text_gateway", "must be host:port");
  }
  n.text_max_wait_ms =
      static_cast<int>(m.integer("text_max_wait_ms", n.text_max_wait_ms, 500, 64000));
  n.console_dir = resolveRelative(file_name, m.string("console_dir", ""));
  readApiLimits(m, n.api_limits);
  n.tokens_file = resolveRelative(file_name, m.string("tokens_file", ""));
  readTokenHashes(m, errors, n.tokens);
  {
    YamlMap r(m.child("retention"), m.keyPath("retention"), errors);
    auto period = [&r](const char* days_key, const char* seconds_key, int64_t fallback_ms) {
      if (r.has(seconds_key)) {
        if (r.has(days_key))
          r.error(seconds_key,
                  std::string("give ") + days_key + " or " + seconds_key + ", not both");
        return r.integer(seconds_key, fallback_ms / 1000, 1, int64_t{3650} * 86400) * 1000;
      }
      return r.integer(days_key, fallback_ms / 86400000, 1, 3650) * 86400000;
    };
    n.retention.handled_ms = period("handled_days", "handled_seconds", n.retention.handled_ms);
    n.retention.unclaimed_ms =
        period("unclaimed_days", "unclaimed_seconds", n.retention.unclaimed_ms);
    n.retention.trim_interval_ms =
        r.integer("trim_interval_seconds", n.retention.trim_interval_ms / 1000, 1, 86400) * 1000;
    n.retention.trim_batch =
        static_cast<int>(r.integer("trim_batch", n.retention.trim_batch, 1, 10000));
    if (n.retention.unclaimed_ms < n.retention.handled_ms) {
      r.error("unclaimed_days", "must be at least handled_days (nobody has acted on them yet)");
    }
    r.finish();
  }
  {
    // notification.records: retention_days (or retention_seconds, for tests), max_records.
    YamlMap r(m.child("records"), m.keyPath("records"), errors);
    if (r.has("retention_seconds")) {
      if (r.has("retention_days")) r.error("retention_seconds", "give retention_days or this");
      n.records.retention_ms = r.integer("retention_seconds", 0, 1, int64_t{3650} * 86400) * 1000;
    } else {
      n.records.retention_ms =
          r.integer("retention_days", n.records.retention_ms / 86400000, 1, 3650) * 86400000;
    }
    n.records.max_records = r.integer("max_records", n.records.max_records, 1000, 100000000);
    r.finish();
  }
  {
    YamlMap w(m.child("webhooks"), m.keyPath("webhooks"), errors);
    auto& h = n.webhooks;
    h.max_subscriptions =
        static_cast<int>(w.integer("max_subscriptions", h.max_subscriptions, 1, 1000));
    h.workers = static_cast<int>(w.integer("workers", h.workers, 1, 64));
    h.connect_timeout_ms =
        static_cast<int>(w.integer("connect_timeout_ms", h.connect_timeout_ms, 100, 60000));
    h.request_timeout_ms =
        static_cast<int>(w.integer("request_timeout_ms", h.request_timeout_ms, 100, 120000));
    h.first_backoff_ms = w.integer("first_backoff_ms", h.first_backoff_ms, 100, 3600000);
    h.max_backoff_ms = w.integer("max_backoff_ms", h.max_backoff_ms, 100, 86400000);
    if (h.max_backoff_ms < h.first_backoff_ms) {
      w.error("max_backoff_ms", "must be at least first_backoff_ms");
    }
    h.retry_for_ms = w.integer("retry_for_seconds", h.retry_for_ms / 1000, 1, 7 * 86400) * 1000;
    h.max_pending = w.integer("max_pending", h.max_pending, 100, 100000000);
    h.dead_letter_ms =
        w.integer("dead_letter_days", h.dead_letter_ms / 86400000, 1, 365) * 86400000;
    w.finish();
  }
  n.text_rate_per_minute =
      static_cast<int>(m.integer("text_rate_per_minute", n.text_rate_per_minute, 1, 6000));
  n.text_burst = static_cast<int>(m.integer("text_burst", n.text_burst, 1, 1000));
  forEachEntry(m, "numbers", "must map E.164 numbers to {source, tag, selected_agents}", errors,
               [&](const std::string& number, YamlMap& c) {
                 CompanyNumberSettings s;
                 if (number.size() < 2 || number[0] != '+') {
                   errors.add(c.node(), c.path(), "number must be E.164 like +15550100");
                 }
                 s.source = c.string("source", "");
                 s.tag = c.string("tag", "");
                 s.selected_agents = c.stringList("selected_agents");
                 n.numbers[number] = s;
               });
  forEachEntry(m, "agents", "must map agent ids to {personal_number, company_number, sender_id}",
               errors, [&](const std::string& id, YamlMap& a) {
                 AgentNumbers s;
                 s.personal_number = a.string("personal_number", "");
                 s.company_number = a.string("company_number", "");
                 s.sender_id = a.string("sender_id", "");
                 for (const char* k : {"personal_number", "company_number", "sender_id"}) {
                   std::string v = a.string(k, "");
                   if (!v.empty() && v[0] != '+') a.error(k, "must be E.164 like +15550100");
                 }
                 n.agents[id] = s;
               });
}

}  // namespace callmesh::config
