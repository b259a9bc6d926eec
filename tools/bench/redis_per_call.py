#!/usr/bin/env python3
"""What one call costs Redis, command by command (a benchmark, not a test).

Starts a private cluster (tests/e2e/cluster.py: one redis-server, no AOF, the five services, the
settings tools/bench/ab_cluster.py gives callmesh) from --build, and one SIPp phone, then sends
SIPp calls at --rate for --warmup seconds (dropped), resets Redis's counters (CONFIG RESETSTAT,
SLOWLOG RESET) and sends --seconds more. Reports, per answered call:
  * Redis commands: every command Redis executed, those run inside scripts included (INFO
    commandstats counts both), and the script calls (EVALSHA/EVAL) apart;
  * usec per call by command (commandstats usec: a script's time includes its inner commands');
  * redis-server CPU ms per call (utime + stime from /proc, over the measured run), and the
    client reads Redis served per call (INFO stats total_reads_processed: a request or a
    pipeline each; tools/bench/script_wakeup_cost.py shows what one costs);
  * with --slowlog N: the last N commands Redis ran (SLOWLOG at threshold 0) grouped by script,
    each script named by its SHA1 matched against the Lua bodies in services/ and shared/ (a body
    built from several pieces is named by the key family of its first key instead), and every
    command in the sample by the key family it touched (Redis 7.0 logs a script's commands too).
    Logging every command costs Redis CPU: take the CPU figure from a run without --slowlog.
Workloads as in compare_kamailio.py: `one` (one tracking number, hung up at once) and `many`
(1,000 numbers dialled in turn, held 100 ms).

  tools/bench/redis_per_call.py --build build --workload one --rate 500 --seconds 10
  tools/bench/redis_per_call.py --build /tmp/main-build --workload many --slowlog 4000

Bounded: <= 60 s per phase, <= 3,000 calls/s, slowlog <= 20,000 entries; loopback only; every
process it started is stopped by pid (Cluster.cleanup, Sipp.stop).
"""

import argparse
import glob
import hashlib
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import cluster as cluster_module  # noqa: E402
from cluster import Cluster, Sipp, free_port, uas  # noqa: E402
from bench_proc import UNLIMITED_SOURCES, cpu_seconds, named_lua, sipp_failed_calls  # noqa: E402
from compare_kamailio import Workload  # noqa: E402
from presence_script_bench import Resp, batch_script  # noqa: E402

# The harness's own probes are not the calls' work.
PROBES = {"info", "ping", "config|resetstat", "config|set", "config|get", "slowlog|reset", "slowlog|get",
          "command", "command|docs"}
SCRIPTS = {"evalsha", "eval"}
LUA_BODY = re.compile(r'(?:constexpr const char\* (\w+) = )?R"lua\((.*?)\)lua"', re.S)


def known_scripts():
    """SHA1 -> 'file:constant' for every Lua body in the sources, alone and after the limiter's
    clock preamble."""
    # The limiter prepends its clock preamble to each of its scripts (slot_ledger.cpp scriptOf).
    ledger = os.path.join(ROOT, "services", "concurrency-limiter", "slot_ledger.cpp")
    with open(ledger) as f:
        preamble = named_lua(f.read(), "kRedisNowLua", ledger)
    names = {}
    for path in glob.glob(os.path.join(ROOT, "services", "**", "*.cpp"), recursive=True) + \
            glob.glob(os.path.join(ROOT, "shared", "**", "*.cpp"), recursive=True):
        if path.endswith("_test.cpp"):
            continue
        with open(path) as f:
            src = f.read()
        for m in LUA_BODY.finditer(src):
            name = f"{os.path.relpath(path, ROOT)}:{m.group(1) or 'lua@' + str(src[:m.start()].count(chr(10)) + 1)}"
            for body in (m.group(2), preamble + m.group(2)):
                names.setdefault(hashlib.sha1(body.encode()).hexdigest(), name)
    names[hashlib.sha1(batch_script().encode()).hexdigest()] = \
        "services/agent-presence/presence_scripts.cpp:presenceBatchScript()"
    return names


def key_family(key):
    """cm:call:{abc}:presence -> cm:call:{*}:presence; cm:{cdr}:call:x -> cm:{cdr}:call:*"""
    key = re.sub(r"\{[^}]*\}", lambda m: m.group(0) if not re.search(r"\d", m.group(0)) else "{*}", key)
    return re.sub(r"(cm:\{cdr\}:\w+:).*", r"\1*", key)


def user_system_seconds(pid):
    """(utime, stime) of a process in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def reads_processed(cluster):
    """Client reads Redis served so far (INFO stats total_reads_processed): each is a wake-up's
    worth of work for one connection, whatever number of commands it carried."""
    m = re.search(r"total_reads_processed:(\d+)", cluster.redis("INFO", "stats"))
    return int(m.group(1)) if m else 0


def command_stats(cluster):
    """INFO commandstats: command -> (calls, usec)."""
    stats = {}
    for line in cluster.redis("INFO", "commandstats").splitlines():
        m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
        if m and m.group(1) not in PROBES:
            stats[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return stats


def slowlog_entries(cluster, n, since, until):
    """SLOWLOG GET n, the entries logged between the unix times `since` and `until` (the measured
    run, not the idle polling after it): [(usec, [args...])] (Redis keeps at most 32 arguments of
    each, and 128 bytes of each argument)."""
    reply = Resp(cluster.ports["redis"]).call("SLOWLOG", "GET", str(n))
    return [(int(e[2]), [a.decode(errors="replace") for a in e[3]], int(e[1])) for e in reply
            if since <= int(e[1]) <= until]


def script_table(entries, names, calls):
    groups = {}
    for usec, args, _ in entries:
        if not args or args[0].lower() not in SCRIPTS:
            continue
        sha = args[1] if len(args) > 1 else "?"
        nkeys = int(args[2]) if len(args) > 2 and args[2].isdigit() else 0
        first = key_family(args[3]) if nkeys and len(args) > 3 else "-"
        name = names.get(sha) or f"{sha[:8]} on {first}"
        g = groups.setdefault(name, [0, 0, 0])
        g[0] += 1
        g[1] += usec
        g[2] += nkeys
    return groups


def run_calls(cluster, workload, rate, seconds, phone_label):
    calls = rate * seconds
    scenario, dial = workload.sipp_args(cluster.dir)
    caller = Sipp(cluster.dir, scenario, dial + [cluster.sip, "-i", "127.0.0.1", "-p", str(free_port()),
                                                 "-m", str(calls), "-r", str(rate), "-d", str(workload.hold_ms),
                                                 "-l", str(max(rate * 5, 200))], phone_label)
    try:
        caller.wait(timeout=seconds + 30)
    except AssertionError:
        pass
    time.sleep(1.0)  # the last events' Redis writes (ingress ticks, notification batches)
    return max(min(caller.count("answered"), calls - sipp_failed_calls(caller.out_file)), 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="the callmesh build directory")
    ap.add_argument("--workload", choices=["one", "many"], default="one")
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=10, help="measured run")
    ap.add_argument("--warmup", type=int, default=5, help="run before the counters are reset")
    ap.add_argument("--slowlog", type=int, default=0, help="keep and group the last N commands (0: off)")
    args = ap.parse_args()
    rate = min(max(args.rate, 1), 3000)
    seconds, warmup = min(max(args.seconds, 1), 60), min(max(args.warmup, 1), 60)
    slowlog = min(max(args.slowlog, 0), 20000)
    workload = Workload("one", 1, 0) if args.workload == "one" else Workload("many", 1000, 100)
    cluster_module.BUILD_DIR = os.path.abspath(args.build)
    phone_port = free_port()
    cluster = Cluster(workload.routing(phone_port), cap=50, ingress_extra=UNLIMITED_SOURCES)
    phone = None
    try:
        cluster.start()
        phone = uas(cluster, "uas_answer_bench.xml", phone_port, "phone")
        run_calls(cluster, workload, rate, warmup, "warmup")
        cluster.redis("CONFIG", "RESETSTAT")
        if slowlog:
            cluster.redis("CONFIG", "SET", "slowlog-max-len", str(slowlog))
            cluster.redis("CONFIG", "SET", "slowlog-log-slower-than", "0")
            cluster.redis("SLOWLOG", "RESET")
        redis_pid = cluster.procs["redis"].pid
        cpu_before, since = cpu_seconds(redis_pid), int(time.time())
        split_before, reads_before = user_system_seconds(redis_pid), reads_processed(cluster)
        calls = run_calls(cluster, workload, rate, seconds, "measured")
        cpu, until = cpu_seconds(redis_pid) - cpu_before, int(time.time()) - 1
        user, system = (b - a for a, b in zip(split_before, user_system_seconds(redis_pid)))
        reads = reads_processed(cluster) - reads_before
        stats = command_stats(cluster)
        entries = slowlog_entries(cluster, slowlog, since, until) if slowlog else []
        lua_memory = re.search(r"used_memory_lua:(\d+)", cluster.redis("INFO", "memory"))
    finally:
        if phone:
            phone.stop()
        cluster.cleanup()
    per = max(calls, 1)
    data = {k: v for k, v in stats.items() if k not in SCRIPTS}
    scripts = {k: v for k, v in stats.items() if k in SCRIPTS}
    print(f"== {args.workload} at {rate}/s for {seconds} s ({warmup} s warm-up dropped), build {args.build}: "
          f"{calls} calls answered")
    if calls < 0.98 * rate * seconds:
        print(f"  WARNING: {rate * seconds - calls} of {rate * seconds} calls not answered (the box did not keep up?): "
              f"the work of failed calls is spread over the answered ones; do not compare these figures")
    print(f"  redis-server CPU: {cpu * 1000 / per:.4f} ms per call (user {user * 1000 / per:.4f}, "
          f"system {system * 1000 / per:.4f})")
    print(f"  client reads (requests or pipelines) per call: {reads / per:.2f}")
    print(f"  commands per call: {sum(c for c, _ in data.values()) / per:.2f} (inside scripts included), "
          f"script calls per call: {sum(c for c, _ in scripts.values()) / per:.2f}")
    print(f"  EVALSHA usec per call: {sum(u for _, u in scripts.values()) / per:.1f} (a script's usec holds its "
          f"inner commands', which are listed under their own names as well)")
    print(f"  {'command':<22}{'per call':>10}{'usec/call':>11}{'usec each':>11}")
    for name, (c, u) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
        print(f"  {name:<22}{c / per:>10.2f}{u / per:>11.2f}{u / max(c, 1):>11.2f}")
    if lua_memory:
        print(f"  used_memory_lua at the end: {int(lua_memory.group(1)) // 1024} KiB")
    if slowlog:
        groups = script_table(entries, known_scripts(), per)
        span = "" if not entries else f" over {entries[0][2] - entries[-1][2]} s"
        print(f"  slowlog sample: {len(entries)} commands{span}; scripts in it:")
        print(f"  {'script':<64}{'calls':>7}{'usec avg':>10}{'keys avg':>9}")
        for name, (n, usec, keys) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
            print(f"  {name[:63]:<64}{n:>7}{usec / n:>10.1f}{keys / n:>9.1f}")
        # Who runs which command: Redis 7.0 logs the commands a script runs too, so each command
        # is shown with the key family it touched (the family names its owner, shared/redis/keys.h).
        direct = {}
        for usec, args, _ in entries:
            if args and args[0].lower() not in SCRIPTS and args[0].lower() not in ("info", "ping", "config", "slowlog"):
                d = direct.setdefault(f"{args[0].upper()} {key_family(args[1]) if len(args) > 1 else ''}", [0, 0])
                d[0] += 1
                d[1] += usec
        scripts_seen = sum(n for n, _, _ in groups.values())
        print(f"  commands in the sample by key family, those run inside the {scripts_seen} script calls "
              f"included (SLOWLOG logs both):")
        for name, (n, usec) in sorted(direct.items(), key=lambda kv: -kv[1][0])[:24]:
            print(f"  {name[:63]:<64}{n:>7}{usec / n:>10.1f}")


if __name__ == "__main__":
    main()
