#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/config/gateway_settings.h"
#include "shared/config/tls_settings.h"
#include "shared/time/time_zone.h"

namespace callmesh::config {

// Where a ZeroMQ service binds, where its clients connect, and where its admin HTTP listens.
// Separate bind/endpoint lets the same file shape serve local processes and Kubernetes pods.
struct ServiceEndpoints {
  std::string bind;  // e.g. tcp://0.0.0.0:7001
  // Where clients connect: one endpoint or several (one per replica), each an address or a DNS
  // name resolved to every address it has (a Kubernetes headless Service), e.g.
  // tcp://callmesh-router:7001. Defaults to `bind`.
  std::vector<std::string> endpoints;
  std::string admin;  // host:port of /metrics, /healthz, /readyz
};

// ZeroMQ between the services (issue 18 item 4; shared/transport/link_security.h).
struct ZmqSettings {
  // true (default): CURVE on every link; servers accept only the cluster's client keys (ZAP).
  // false: plain TCP, any peer accepted: a one-host lab only.
  bool curve = true;
  // Absolute after loading (default zmq-keys beside cluster.yaml). Holds <service>.key (this
  // service's keypair; a Kubernetes Secret) and cluster.pub (every service's public key).
  // Written by callmesh-zmq-keys.
  std::string keys_dir;
  // ZMQ_MAXMSGSIZE of every socket: a larger frame drops the peer's connection. The capnp
  // codec's bound (shared/codec/capnp_codec.h).
  int64_t max_message_bytes = 256 * 1024;
  // How often endpoint names are resolved again, so new replicas join and gone ones leave.
  int resolve_interval_ms = 5000;
};

// cluster.yaml `redis:` (shared/config/redis_settings.cpp; docs/redis-failover.md).
struct RedisSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 250;
  // Sentinel instead of host/port: the primary of `master_name` as these sentinels name it.
  struct Address {
    std::string host;
    int port = 0;
  };
  std::vector<Address> sentinels;
  std::string master_name;
  // Redis Cluster instead of host/port or sentinels: seed nodes asked for the slot map
  // (docs/redis-cluster.md). Any reachable node will do; list a few so one being down is fine.
  std::vector<Address> cluster_nodes;
  // Each service's ACL user: service name (router, concurrency-limiter, agent-presence,
  // notification) -> a `user:password` file, absolute after loading. A service without an entry
  // connects without AUTH.
  std::map<std::string, std::string> auth_files;
  // Bounded exponential backoff with jitter between failed connects.
  int reconnect_min_ms = 50;
  int reconnect_max_ms = 1000;
  // A claim and a missed-call record are acknowledged only once this many replicas have them
  // (WAIT). Default 1 with sentinels (a failover promotes a replica), 0 without (nothing to wait
  // for).
  int replica_acks = 0;
  int replica_ack_timeout_ms = 200;
};

// Digest authentication of agents' devices calling out (issue 16 item 5,
// services/ingress/agent_auth.h).
struct AgentAuthSettings {
  // true (default): an agent's outbound call must carry valid Proxy-Authorization; false: the
  // router trusts the From identity as before (test clusters and labs only).
  bool required = true;
  std::string credentials_file;  // absolute after loading; "user:realm:HA1" lines; "" = none
  std::string realm = "callmesh";
  int nonce_lifetime_s = 300;
  std::string nonce_secret_file;  // "" = a random secret per process
  // Offered in this order (RFC 8760: most preferred first). SIPp 3.6 answers only MD5, and only
  // the first challenge: its tests offer [MD5].
  std::vector<std::string> algorithms{"SHA-256", "MD5"};
};

struct IngressSettings {
  std::string sip_host = "127.0.0.1";
  int sip_port = 5060;
  std::string record_route_host;  // empty: sip_host (or CALLMESH_POD_IP when sip_host is 0.0.0.0)
  std::string admin = "127.0.0.1:9460";
  std::vector<std::string> trusted_sources;  // CIDRs; empty = loopback only
  bool reject_untrusted = false;             // true: 403 to untrusted sources; false: drop silently
  // CIDRs whose P-Asserted-Identity / P-Preferred-Identity we believe (RFC 3325 trust domain: the
  // carrier trunks); empty = nobody's.
  std::vector<std::string> identity_trusted_sources;
  int rate_limit_rps = 5000;     // per source address; a gateway carries many callers
  int rate_limit_burst = 10000;  // short spike a source may send above the rate
  int ban_s = 30;                // how long a source that overran its limit is ignored
  // New calls (initial INVITE, out-of-dialog MESSAGE/OPTIONS) per source, apart from the request
  // rate above: a trunk sends thousands of in-dialog requests a second but far fewer new calls.
  // Over it: 503 with Retry-After; a source that keeps going is ignored for new calls for ban_s.
  int new_call_rps = 100;    // twice what a 10,000-call ingress starts (3-minute calls: 55/s)
  int new_call_burst = 200;  // a spike of new calls (a campaign starting, another ingress failing)
  int request_timeout_ms = 300;     // per attempt, to router and limiter
  int request_attempts = 3;         // attempts before the call fails with 503
  int max_call_duration_s = 14400;  // hard bound on a dialog; also bounds a lease after a lost BYE
  int lease_renew_ms = 10000;       // how often live calls renew their slot lease
  int event_flush_ms = 50;          // call events go out batched this often
  // ...or sooner once this many are waiting: bounds a batch's size in a burst. Each batch costs
  // every receiver a wakeup and a script call, and presence folds a call's events into one
  // write only when they share a batch: at 64 a batch went every 16 ms at 1,000 calls/s (4
  // events per call), before most calls had ended. 512: the 50 ms timer decides up to about
  // 2,500 calls/s.
  int event_flush_events = 512;
  // Once the heap has not grown for heap_steady_after_s, free pages go back to the kernel after
  // this long and no new huge pages are mapped; while it grows, huge pages and every free page
  // are kept (services/ingress/heap_mode.h). 0: always as while growing (RSS creeps ~1.3 MB a
  // minute at 1,000 calls/s: khugepaged fills 2 MB ranges back in around the pages still used).
  int heap_steady_decay_ms = 30000;
  // How long the heap must not grow (by 16 MB within 10 s) to count as steady; it must also
  // hold at least 64 MB (an idle ingress keeps huge pages for its first calls).
  int heap_steady_after_s = 30;
  // A new call's acquire that comes within this long of the previous one waits for the next
  // tick (10 ms) and goes with the others gathered meanwhile: under load the limiter, its Redis
  // and both sides' ZeroMQ I/O threads wake once per gathered burst instead of once per call, at
  // the cost of at most one tick of post-dial delay. 0: every acquire goes at once.
  int acquire_gather_ms = 10;
  // A new call that meets its number's cap waits up to this long (from its INVITE) for a slot a
  // call on this ingress frees before it is turned away with 486: the count it met may hold calls
  // whose release is still on its way, most of all after a host stall sends the INVITEs of 30-60
  // ms at once (services/ingress/cap_waits.h). The cap still holds: the call asks again only for
  // a freed slot. 0: turned away at once.
  int cap_wait_ms = 200;
  int drain_timeout_s = 30;  // on SIGTERM: serve live calls this long, then end them
  // Edge bounds (issue 16): a request with a longer part is refused (400; 414 for the R-URI),
  // nothing routed. Far above what carriers send; the Call-ID bound sizes the limiter frames.
  int max_call_id_bytes = 256;
  int max_uri_bytes = 1024;     // Request-URI, From and To URIs
  int max_header_bytes = 4096;  // any one header line
  // Every header line together (not the start line); over it 513 over TCP, dropped over UDP.
  int max_header_section_bytes = 16384;
  int max_tracked_sources = 100000;  // source guard's per-source table (LRU)
  int max_event_backlog = 100000;    // call events held per receiver until acknowledged
  // Recording control (issue 19, seed 000 "Enhanced Forwarding"): where the ingress takes the
  // notification API's stop/start-recording commands (ZeroMQ ROUTER, CURVE like every link; only
  // the notification service's key is accepted). Empty: off (the API answers 503 for it).
  std::string control_bind;
  // Where the notification service reaches every ingress replica: addresses or DNS names resolved
  // to every address (a headless Service). Defaults to control_bind.
  std::vector<std::string> control_endpoints;
  std::string log_level = "info";
  AgentAuthSettings agent_auth;
  GatewaySetSettings gateways;  // gateway_sets, pstn_gateway, gateway_* (gateway_settings.h)
  TlsSettings tls;              // tls_* (tls_settings.h)
  ConnectionBoundSettings connections;  // max_connections* and the connection deadlines
  std::vector<TrunkSettings> trunks;    // trunks: per-trunk sources, certificates, trust, rates
};

struct LimiterSettings {
  ServiceEndpoints net;
  int default_cap = 50;
  int64_t lease_ms = 30000;
  std::map<std::string, int> caps;  // per-number override, E.164
  // Account-wide caps: an account's numbers together hold at most `cap` calls, on top of each
  // number's own cap. A number belongs to at most one account.
  struct AccountCap {
    int cap = 0;
    std::vector<std::string> numbers;
  };
  std::map<std::string, AccountCap> accounts;
  std::string log_level = "info";
  // After its Redis client moves to a new primary (a failover), the limiter refuses new calls for
  // this long while the ingresses' renewals re-add the leases the old primary had not replicated
  // (docs/redis-failover.md). Default: 1.5 x ingress.lease_renew_ms (every live call renewed
  // once). 0 = admit at once (accepting over-admission up to the lost leases).
  int64_t failover_hold_ms = -1;  // -1 until loaded: derived
};

struct PlainServiceSettings {
  ServiceEndpoints net;
  std::string log_level = "info";
};

struct RouterSettings {
  ServiceEndpoints net;
  std::string routing_file;  // absolute after loading
  std::string log_level = "info";
  // Where the router publishes its config epoch (RoutingNotice) and where ingresses subscribe.
  std::string notices_bind = "tcp://127.0.0.1:7005";
  std::vector<std::string> notices_endpoints;  // defaults to notices_bind; one per replica
  // How long an ingress may reuse a decision that read nothing of the call but the dialled number
  // for later calls to it; 0 = ask the router for every call. Such a decision changes only with
  // the routing configuration, and a new config epoch retires it at once (route_cache.h), so the
  // period bounds only the router round trips: at 10 s, 1,000 numbers at 500 calls/s asked the
  // router for one call in five (docs/bench/kamailio.md, "Issue 22, 2026-12-07 morning").
  int decision_reuse_ms = 600000;
  // "file" (GitOps: routing_file is the truth) or "redis" (versioned documents, provisioning API).
  std::string routing_source = "file";
};

// One weekly working-hours range of an agent, in the agent's UTC offset.
struct WorkingHoursRange {
  std::vector<int> days;  // 0 = Monday .. 6 = Sunday
  int from_minute = 0;    // minutes after local midnight, inclusive
  int to_minute = 1440;   // exclusive; 1440 = end of day
};

// Per-agent presence settings (agent_presence.agents.<id>, or the agent registry: the routing
// document's `agents`, docs/provisioning.md).
struct AgentHours {
  // The agent's IANA zone (daylight saving followed); null = the fixed offset below (deprecated).
  std::shared_ptr<const tz::TimeZone> zone;
  int utc_offset_minutes = 0;                    // local time = UTC + this, when no zone
  std::vector<WorkingHoursRange> working_hours;  // empty = always working
};

struct PresenceSettings {
  ServiceEndpoints net;
  std::string log_level = "info";
  std::map<std::string, AgentHours> agents;  // agent id -> working hours
  int reconcile_interval_ms = 30000;         // sweep of stale live calls (lost `ended` events)
};

// Per company number follow-up settings (seed 004 "Source & Tag", "Blast Alert").
struct CompanyNumberSettings {
  std::string source;                        // contact Source for contacts made from its calls
  std::string tag;                           // Tag added to those contacts
  std::vector<std::string> selected_agents;  // who sees its unknown texts/missed calls
};

enum class ApiRole { Agent, Admin };

struct ApiToken {
  std::string agent_id;
  ApiRole role = ApiRole::Agent;
};

// An agent's own numbers for texts out (seed 004 "Outbound Logic").
struct AgentNumbers {
  std::string personal_number;  // empty = none
  std::string company_number;   // the one company number assigned to the agent
  std::string sender_id;        // "Sender ID to Display" for auto texts; empty = not chosen
};

// Bounds of the notification service's HTTP API (issue 17), read by api_limit_settings.cpp from
// flat keys of the notification section; README (services/notification) says why each default.
struct ApiLimitSettings {
  int workers = 8;                  // api_workers: threads running route handlers (blocking I/O)
  int queue = 512;                  // api_queue: requests waiting for a worker; more -> 503
  int connections_max = 12000;      // api_connections_max: open sockets, streams included
  int streams_max = 10000;          // api_streams_max: open SSE streams on this replica -> 503
  int streams_per_agent = 8;        // api_streams_per_agent: one agent's tabs -> 429
  int header_limit_bytes = 8192;    // api_header_limit_bytes: request line + headers -> 431
  int body_limit_bytes = 65536;     // api_body_limit_bytes: request body -> 413
  int read_timeout_ms = 10000;      // api_read_timeout_ms: first byte to whole request
  int idle_timeout_ms = 60000;      // api_idle_timeout_ms: keep-alive wait for the next request
  int rate_per_s = 20;              // api_rate_per_s: one agent's sustained requests -> 429
  int rate_burst = 100;             // api_rate_burst: and the burst above it
  int auth_failures_burst = 10;     // api_auth_failures_burst: bad tokens from one address
  int auth_failures_per_min = 10;   // api_auth_failures_per_min: refill of that budget
  int stream_queue_bytes = 262144;  // api_stream_queue_bytes: unsent bytes per stream -> dropped
  int stream_keepalive_ms = 15000;  // api_stream_keepalive_ms: SSE comment on idle streams
  int stream_threads = 1;           // api_stream_threads: threads writing events to the streams
};

// How long follow-up records and their index entries live (issue 17 item 6).
struct RetentionSettings {
  // A claimed or answered record: the agent has acted; a month keeps it in "Claimed by you" and
  // history through a billing cycle, after which the CRM's timeline is the record.
  int64_t handled_ms = int64_t{30} * 86400 * 1000;
  // An unclaimed record stays until claimed or this much longer limit (nobody acted in a quarter).
  int64_t unclaimed_ms = int64_t{90} * 86400 * 1000;
  // The periodic pass over indexes nobody writes (an idle agent's): every trim_interval_ms, the
  // trim_batch indexes per ledger trimmed longest ago (services/notification/index_trim.h).
  int64_t trim_interval_ms = 60000;
  int trim_batch = 200;
};

// Call detail records (issue 20, notification.records).
struct CallRecordSettings {
  // A record is kept this long after the call ended. 30 days: a billing cycle and the CRM sync's
  // catch-up window; past it the CRM (fed by webhooks or the CSV export) is the history. At about
  // 1.5 KiB a record (trace included) and 2 calls/s around the clock, 30 days is ~8 GiB of Redis.
  int64_t retention_ms = int64_t{30} * 86400 * 1000;
  // And never more than this many records (the stream is trimmed with MAXLEN ~): Redis memory is
  // the bound, not the calendar, if the call rate is far above plan.
  int64_t max_records = 5000000;
};

// Webhooks (issue 20, notification.webhooks).
struct WebhookSettings {
  int max_subscriptions = 100;      // subscriptions an admin may create
  int workers = 4;                  // deliveries in flight per replica (= outbound connections)
  int connect_timeout_ms = 3000;    // TCP connect to a receiver
  int request_timeout_ms = 10000;   // whole request, write to last response byte
  int64_t first_backoff_ms = 1000;  // first retry; doubles per failed attempt
  int64_t max_backoff_ms = 300000;  // at most 5 minutes between attempts
  // A delivery not accepted within this long of its event goes to the dead-letter list. A day
  // covers a receiver's outage over a night or weekend deploy freeze; longer, and the CRM is
  // better fed from the CSV export.
  int64_t retry_for_ms = int64_t{24} * 3600 * 1000;
  int64_t max_pending = 1000000;  // deliveries queued; past it new ones are dead-lettered at once
  int64_t dead_letter_ms = int64_t{7} * 86400 * 1000;  // dead letters kept this long
};

struct NotificationSettings {
  ServiceEndpoints net;
  CallRecordSettings records;
  WebhookSettings webhooks;
  std::string log_level = "info";
  std::string api = "127.0.0.1:8080";  // HTTP API host:port
  // SHA-256 (64 lowercase hex digits) of a bearer token -> who and role. Never the token itself
  // (tools/callmesh-token makes a token and its hash).
  std::map<std::string, ApiToken> tokens;
  // A file of more token hashes (a Kubernetes Secret mount): lines "<sha256 hex> <agent_id>
  // [agent|admin]"; re-read when it changes, without a restart. Absolute after loading; "" = none.
  std::string tokens_file;
  RetentionSettings retention;
  // Texts out (POST /v1/texts and text back) per agent: a token bucket refilled at this rate.
  int text_rate_per_minute = 6;
  int text_burst = 10;
  std::map<std::string, CompanyNumberSettings> numbers;  // E.164 -> settings
  std::map<std::string, AgentNumbers> agents;            // agent id -> numbers
  std::string text_gateway;     // host:port (UDP) of the SIP gateway texts go to; empty = off
  int text_max_wait_ms = 8000;  // give up on a text without a final response after this
  // Built agent console (services/notification/console, `npm run build`) served on the API port
  // at `/`; absolute after loading (relative to cluster.yaml); empty = not served.
  std::string console_dir;
  ApiLimitSettings api_limits;
  // CIDRs of the proxies in front of the API (a Kubernetes ingress controller, a load balancer):
  // from these peers X-Forwarded-For names the client that failed-auth throttling keys on
  // (services/notification/client_address.h). Empty (the default): the TCP peer is the client,
  // and a forwarded header is ignored, since anyone can send one.
  std::vector<std::string> trusted_proxies;
};

// The whole cluster.yaml: one file every service reads, each using its own section.
// The media plane (issue 19, docs/media.md): the ingress anchors each call's RTP on rtpengine
// beside it and drives whisper, extension digits and recording through rtpengine's ng protocol.
struct MediaSettings {
  std::string rtpengine;    // ng address "IP:port" (loopback beside the ingress); "" = no anchoring
  int ng_timeout_ms = 300;  // per ng command, resends included: a call setup waits at most this
  int ng_attempts = 3;  // datagrams per command (same cookie: rtpengine answers repeats from cache)
  // After a command went unanswered, commands fail at once for this long (one probe passes), so a
  // dead rtpengine costs the SIP thread one timeout per period, not one per call.
  int ng_retry_after_ms = 2000;
  // open: a call rtpengine cannot anchor connects without media features (counted, alerted);
  // closed: it is refused 503.
  bool fail_closed = false;
  bool record = true;          // record calls unless the receiving number has prevent_recording
  std::string whisper_dir;     // absolute after loading; whisper names are files in it ("" = none)
  int dtmf_duration_ms = 100;  // each extension digit's RFC 4733 event
  int dtmf_gap_ms = 100;       // between digits with no `w` between them
};

struct ClusterConfig {
  std::string source_file;
  RedisSettings redis;
  // Where the limiter's slot leases live (issue 17 item 6): `redis_leases:` in cluster.yaml, else
  // the same server as `redis`. A separate server keeps calls admitted when follow-up records
  // fill the records' Redis (both run noeviction). Readers of leases use it too (agent-presence's
  // reconcile, the API's cap use).
  RedisSettings redis_leases;
  ZmqSettings zmq;
  IngressSettings ingress;
  RouterSettings router;
  LimiterSettings limiter;
  PresenceSettings presence;
  NotificationSettings notification;
  MediaSettings media;
};

// Parses and validates cluster.yaml; every problem is reported as `file:line: key: what is wrong`.
Result<ClusterConfig> loadClusterConfig(const std::string& path);
Result<ClusterConfig> parseClusterConfig(const std::string& yaml_text,
                                         const std::string& file_name);

// True for 64 lowercase hex digits: the form of a SHA-256 token hash in notification.tokens.
bool isTokenHash(const std::string& text);

// "host:port" -> parts; false when malformed.
bool splitHostPort(const std::string& text, std::string& host, int& port);
// A CIDR ("10.0.0.0/8", "2001:db8::/32") or a bare IP address.
bool validCidr(const std::string& cidr);

}  // namespace callmesh::config
