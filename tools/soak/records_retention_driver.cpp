// Soak driver for follow-up retention (issue 17 item 6): writes `records` follow-up records
// through the real NotificationStore (the service's Lua scripts) at `rate` a second, with the
// seed 004 mix (missed calls, texts, answered calls), claims most unclaimed ones at once, and
// prints Redis's used_memory and key count every `every` records as one JSON line. Driven by
// tools/soak/records_retention.py, which owns the redis-server and judges the curve.
//   callmesh_records_retention_driver PORT RECORDS RATE HANDLED_MS UNCLAIMED_MS EVERY
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "services/notification/index_trim.h"
#include "services/notification/notification_store.h"
#include "shared/base/clock.h"
#include "shared/redis/hiredis_client.h"

using namespace callmesh;

namespace {

int64_t infoField(redis::RedisClient& r, const std::string& section, const std::string& name) {
  auto info = r.command({"INFO", section});
  if (!info.ok()) return -1;
  auto at = info->text.find(name + ":");
  return at == std::string::npos ? -1 : std::atoll(info->text.c_str() + at + name.size() + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s PORT RECORDS RATE HANDLED_MS UNCLAIMED_MS EVERY\n", argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  long records = std::atol(argv[2]);
  long rate = std::max(1L, std::atol(argv[3]));
  config::RetentionSettings keep;
  keep.handled_ms = std::atoll(argv[4]);
  keep.unclaimed_ms = std::atoll(argv[5]);
  long every = std::max(1L, std::atol(argv[6]));
  redis::HiredisClient client(redis::RedisEndpoint{"127.0.0.1", port, 2000});
  notification::NotificationStore store(client, keep);
  // The service's periodic pass (main loop, retention.trim_interval_seconds): indexes nobody
  // writes again (an account-wide shard the last records missed, an idle agent's) are trimmed
  // by it, not by the writes. Run here every `every` records and once at the end.
  SystemClock clock;
  notification::IndexTrimmer trimmer(client, keep);
  auto trim = [&]() {
    auto pass = trimmer.trimOldest(clock.nowMs(), 1000, 0);
    if (!pass.ok()) std::fprintf(stderr, "trim: %s\n", pass.error().describe().c_str());
    return pass.ok();
  };
  const std::vector<std::string> agents{"alice", "bob", "carol", "dave", "erin"};
  auto start = std::chrono::steady_clock::now();
  const auto began = start;  // `start` moves when the driver falls behind; samples count from here
  for (long i = 0; i < records; ++i) {
    notification::NotificationRecord r;
    r.id = "soak-" + std::to_string(i) + "@127.0.0.1";
    r.number = "+15550200";
    r.caller = "+1555777" + std::to_string(1000 + i % 9000);
    r.source = "Company line";
    r.tag = "website";
    r.at_ms = clock.nowMs();
    const std::string& agent = agents[static_cast<size_t>(i) % agents.size()];
    int kind = static_cast<int>(i % 10);
    if (kind < 3) {  // answered: born claimed by the answerer
      r.kind = notification::NotificationKind::AnsweredCall;
      r.visible_to = {agent};
      r.claimed = true;
      r.claimed_by = agent;
      r.claim_action = "answered";
    } else {
      r.kind = kind == 9 ? notification::NotificationKind::Text
                         : notification::NotificationKind::MissedCall;
      r.rung = r.visible_to = {agents[0], agents[1], agents[2]};
    }
    auto made = store.record(r);
    if (!made.ok()) {
      std::fprintf(stderr, "record %ld: %s\n", i, made.error().describe().c_str());
      return 1;
    }
    // Most unclaimed records are claimed by an agent; one in seven stays unclaimed.
    if (!r.claimed && i % 7 != 0) {
      auto c = store.claim(r.id, r.visible_to[static_cast<size_t>(i) % 3],
                           notification::ClaimAction::CallBack, clock.nowMs());
      if (!c.ok()) {
        std::fprintf(stderr, "claim %ld: %s\n", i, c.error().describe().c_str());
        return 1;
      }
    }
    if ((i + 1) % every == 0 || i + 1 == records) {
      if (!trim()) return 1;
      auto keys = client.command({"DBSIZE"});
      auto t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count();
      std::printf(R"({"records":%ld,"t_ms":%lld,"used_memory":%lld,"keys":%lld})"
                  "\n",
                  i + 1, static_cast<long long>(t_ms),
                  static_cast<long long>(infoField(client, "memory", "used_memory")),
                  static_cast<long long>(keys.ok() ? keys->integer : -1));
      std::fflush(stdout);
    }
    // Pace: record i is due at start + i / rate. A driver that fell behind (a stall on a busy
    // machine, or an ASan build) does not catch up in a burst: that would write faster than
    // `rate`, and the live window of records (rate x retention) would grow with it, which the
    // flatness check reads as retention failing. It moves its schedule instead.
    auto due = start + std::chrono::microseconds((i + 1) * 1000000 / rate);
    auto now = std::chrono::steady_clock::now();
    if (now > due + std::chrono::milliseconds(20)) {
      start += now - due;
    } else {
      std::this_thread::sleep_until(due);
    }
  }
  return 0;
}
