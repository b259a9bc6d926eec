#!/usr/bin/env python3
"""Soak: follow-up records with retention on leave Redis memory flat (issue 17 item 6).

Starts a private redis-server (free loopback port, no persistence, stopped by pid), then drives
the real NotificationStore (callmesh_records_retention_driver: the service's own Lua scripts) with
the seed 004 mix: 30% answered calls, 60% missed calls, 10% texts; six in seven unclaimed ones are
claimed at once. Records and their index entries expire after the retention given, so once the
run is longer than the retention, Redis's key count and used_memory stop growing.

    # the by-hand form (200,000 records at 1,000/s, 20 s handled / 40 s unclaimed retention):
    tools/soak/records_retention.py --records 200000 --rate 1000 --handled-ms 20000 --unclaimed-ms 40000
    # the short form the test command runs (ctest -R soak_records_retention):
    tools/soak/records_retention.py --records 2000 --rate 1000 --handled-ms 500 --unclaimed-ms 1000

Judged: (1) after every record's retention has passed and ten more records (which trim every
index), what is left is only those records and their index entries (at most 40); (2) in the second half of
the run the key count and used_memory (above the empty Redis's) per record written within the last
unclaimed retention stay within --tolerance of their steady level (the largest sample of the first
half after retention is reached), i.e. flat, not growing. Per record of that window, not absolute:
on a busy machine (an ASan build beside other tests) the driver writes slower in one half than in
the other, and the live window of records, rate x retention, with it; retention failing instead
grows the count per window record with every record written.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import rss_rules  # beside this file: its interpolation between samples, shared with the ingress soak

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True,
                          timeout=10).stdout.strip()


# The final pass's own records and their index entries (10 records, each in at most 3 indexes).
FINAL_PASS_ENTRIES = 40


TRIM_LEDGERS = ("cm:notifications:trim:unclaimed", "cm:notifications:trim:handled")


def leftover(port):
    """Record hashes plus index entries (sorted-set members) left in Redis. The trim ledgers
    (index_trim.h) are bookkeeping, one member per index key: not counted, but each member must
    name an index that still exists (an emptied index leaves its ledger)."""
    total = 0
    keys = set(redis_cli(port, "--scan").splitlines())
    for key in keys:
        if key in TRIM_LEDGERS:
            continue
        kind = redis_cli(port, "TYPE", key)
        total += int(redis_cli(port, "ZCARD", key)) if kind == "zset" else 1
    for ledger in TRIM_LEDGERS:
        stale = [k for k in redis_cli(port, "ZRANGE", ledger, "0", "-1").splitlines() if k and k not in keys]
        if stale:
            print(f"ledger {ledger} names {len(stale)} indexes that no longer exist: {stale[:5]}", file=sys.stderr)
            total += len(stale)
    return total


def driver_path():
    build = os.environ.get("CALLMESH_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
    return os.path.join(build, "services", "notification", "callmesh_records_retention_driver")


def run(args):
    workdir = tempfile.mkdtemp(prefix="callmesh-soak-")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", workdir, "--maxmemory-policy", "noeviction"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while redis_cli(port, "PING") != "PONG":
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        baseline_memory = int(redis_cli(port, "INFO", "memory").split("used_memory:")[1].split()[0])
        budget_s = args.records / args.rate * 2 + 60
        out = subprocess.run([driver_path(), str(port), str(args.records), str(args.rate), str(args.handled_ms),
                              str(args.unclaimed_ms), str(args.every)],
                             capture_output=True, text=True, timeout=budget_s)
        if out.returncode != 0:
            raise RuntimeError("driver failed: " + out.stderr)
        samples = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        # Past every retention, one more write trims the indexes; expired hashes are gone by then.
        time.sleep(args.unclaimed_ms / 1000 + 1.5)
        # Ten records: one of each kind, so every index is written (and trimmed) once more.
        subprocess.run([driver_path(), str(port), "10", "1000", str(args.handled_ms), str(args.unclaimed_ms), "10"],
                       capture_output=True, text=True, timeout=30, check=True)
        # Redis's active expiry samples keys; give it a moment to reach the last ones.
        deadline = time.time() + 10
        while leftover(port) > FINAL_PASS_ENTRIES and time.time() < deadline:
            time.sleep(0.2)
        left = leftover(port)
        final_memory = int(redis_cli(port, "INFO", "memory").split("used_memory:")[1].split()[0])
        return samples, left, baseline_memory, final_memory
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def records_at(samples, t_ms):
    """Records written by `t_ms` into the run, read between the samples around it."""
    series = [(0, 0)] + [(s["t_ms"], s["records"]) for s in samples]
    return rss_rules.completed_by(series, t_ms)


def judge(args, samples, left, baseline_memory, final_memory):
    problems = []
    if left > FINAL_PASS_ENTRIES:
        problems.append(f"{left} records and index entries left after every retention passed "
                        f"(expected at most the final pass's {FINAL_PASS_ENTRIES})")
    steady_from = int(args.unclaimed_ms / 1000 * args.rate)  # records written before steady state
    steady = [s for s in samples if s["records"] > steady_from and s["t_ms"] >= args.unclaimed_ms]
    if len(steady) >= 4:
        half = len(steady) // 2
        for field, floor in (("keys", 0), ("used_memory", baseline_memory)):
            def per_window_record(s):
                return (s[field] - floor) / max(1.0, s["records"] - records_at(samples, s["t_ms"] - args.unclaimed_ms))
            level = max(per_window_record(s) for s in steady[:half])
            peak = max(per_window_record(s) for s in steady[half:])
            if peak > level * (1 + args.tolerance):
                problems.append(f"{field} per record of the live window grew from {level:.2f} to {peak:.2f} "
                                f"in the second half (not flat)")
    report = {"records": args.records, "rate": args.rate, "samples": len(samples),
              "peak_keys": max(s["keys"] for s in samples), "peak_used_memory": max(s["used_memory"] for s in samples),
              "entries_left": left, "baseline_used_memory": baseline_memory, "final_used_memory": final_memory}
    print(json.dumps(report))
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=2000)
    p.add_argument("--rate", type=int, default=1000)
    p.add_argument("--handled-ms", type=int, default=500)
    p.add_argument("--unclaimed-ms", type=int, default=1000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--tolerance", type=float, default=0.25)
    args = p.parse_args()
    if args.records > 1_000_000 or args.rate > 20000:
        sys.exit("bounded: at most 1,000,000 records at 20,000/s")
    samples, left, base, final = run(args)
    problems = judge(args, samples, left, base, final)
    for line in problems:
        print("FAIL: " + line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
