#!/usr/bin/env python3
"""Why a Redis script costs more in the cluster than alone (a benchmark, not a test).

The limiter's acquire script (services/concurrency-limiter/slot_ledger.cpp, the clock preamble and
kAcquireLua, read from that file) and the ZREM that releases the slot, sent to a private
redis-server three ways:
  ping-pong     one acquire + release, wait for the replies, the next: Redis sleeps in epoll
                between each (what the cluster does at 500 calls/s: about one acquire per wake-up);
  apart 1 ms    the same with 1 ms between calls (the CPU's caches go to other processes);
  pipelined     --pipeline acquires + releases sent at once: Redis runs them back to back.
Each way: the script's own time per call from SLOWLOG (threshold 0; wall time inside Redis, the
same clock INFO commandstats uses), median and mean, and Redis's CPU per acquire (/proc).
--with-records interleaves a call-record batch (call_record_store.cpp kWriteLua, 13 records of
1 KB) every 13 acquires: if the Lua heap's garbage from large scripts slowed the small ones, the
acquire's time would rise with it.

  tools/bench/script_wakeup_cost.py                 # 2,600 acquires each way
  tools/bench/script_wakeup_cost.py --with-records

Bounded: <= 20,000 acquires per way; loopback only; stops its Redis by pid.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import free_port  # noqa: E402
from presence_script_bench import Resp  # noqa: E402
from bench_proc import named_lua  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

SLOTS = "cm:{+15550100}:slots"


def lua(path, name):
    with open(os.path.join(ROOT, path)) as f:
        return named_lua(f.read(), name, path)


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Bench:
    def __init__(self, r, with_records):
        self.r, self.with_records, self.seq = r, with_records, 0
        ledger = "services/concurrency-limiter/slot_ledger.cpp"
        self.acquire = r.call("SCRIPT", "LOAD", lua(ledger, "kRedisNowLua") + lua(ledger, "kAcquireLua")).decode()
        self.write = r.call("SCRIPT", "LOAD", lua("services/notification/call_record_store.cpp", "kWriteLua")).decode()

    def acquire_release(self, i):
        return [("EVALSHA", self.acquire, "1", SLOTS, "50", f"call-{i}", "30000"), ("ZREM", SLOTS, f"call-{i}")]

    def records(self):
        keys, args = ["cm:{cdr}:stream"], ["2592000000", "5000000"]
        for _ in range(13):
            self.seq += 1
            keys += [f"cm:{{cdr}}:call:c{self.seq}", "cm:{cdr}:by-time", "cm:{cdr}:outcome:answered",
                     "cm:{cdr}:number:+15550100"]
            args += ["3", f"c{self.seq}", str(1700000000000 + self.seq), '{"x":"' + "y" * 1000 + '"}', "0-0"]
        return [("EVALSHA", self.write, str(len(keys)), *keys, *args)]

    def way(self, name, n, pipeline, pid):
        self.r.call("SLOWLOG", "RESET")
        before = cpu_seconds(pid)
        step = pipeline if name == "pipelined" else 1
        for start in range(0, n, step):
            cmds = []
            for i in range(start, min(n, start + step)):
                cmds += self.acquire_release(i)
                if self.with_records and i % 13 == 0:
                    cmds += self.records()
            self.r.sock.sendall(b"".join(encode(*c) for c in cmds))
            for _ in cmds:
                self.r._read()
            if name == "apart 1 ms":
                time.sleep(0.001)
        cpu = cpu_seconds(pid) - before
        log = self.r.call("SLOWLOG", "GET", str(4 * n))
        took = sorted(int(e[2]) for e in log if e[3][0].lower() == b"evalsha" and e[3][1].decode() == self.acquire)
        return took, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--acquires", type=int, default=2600)
    ap.add_argument("--pipeline", type=int, default=26, help="acquires per pipelined burst")
    ap.add_argument("--with-records", action="store_true")
    args = ap.parse_args()
    n, pipeline = min(max(args.acquires, 100), 20000), min(max(args.pipeline, 2), 500)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cm-wakeup-bench-") as tmp:
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", tmp, "--slowlog-log-slower-than", "0",
                                  "--slowlog-max-len", str(8 * n)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while True:
                try:
                    r = Resp(port)
                    r.call("PING")
                    break
                except OSError:
                    if time.time() > deadline:
                        sys.exit("redis-server did not start")
                    time.sleep(0.05)
            bench = Bench(r, args.with_records)
            print(f"acquire script, {n} per way{' (a record batch every 13)' if args.with_records else ''}:")
            for name in ("ping-pong", "pipelined", "apart 1 ms", "pipelined", "ping-pong"):
                took, cpu = bench.way(name, n, pipeline, redis.pid)
                print(f"  {name:<11} script median {took[len(took) // 2]:4d} us, mean {sum(took) / len(took):6.1f} us, "
                      f"p10 {took[len(took) // 10]:3d} us; Redis CPU {cpu * 1e6 / n:6.1f} us per acquire+release"
                      f"{' (+ records)' if args.with_records else ''}")
        finally:
            redis.terminate()
            redis.wait(timeout=10)


if __name__ == "__main__":
    main()
