#!/usr/bin/env python3
"""What agent-presence's batch script costs Redis per call (a benchmark, not a test).

Starts a private redis-server on a free loopback port, loads the batch script exactly as
services/agent-presence/presence_scripts.cpp builds it (the transition bodies and the wrapper are
read from that file), and sends batches of calls answered on a plain phone (offered, answered
without an agent, ended: the events of a tracking-number forward), as an ingress tick would.
Reports Redis's CPU per call (its threads' run time, tools/bench/proc_cpu.py), for the real
script and for the same wrapper with empty transitions: the difference is the transitions' own
commands and Lua.

  tools/bench/presence_script_bench.py                    # 25 calls per batch, 2,000 batches
  tools/bench/presence_script_bench.py --calls-per-batch 5 --batches 5000

Bounded: at most 10,000 batches of at most 200 calls; loopback only; stops its Redis by pid.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import free_port  # noqa: E402
from bench_proc import named_lua  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

SCRIPTS = os.path.join(ROOT, "services", "agent-presence", "presence_scripts.cpp")
TRANSITIONS = [("o", "kOfferedLua"), ("r", "kRingingLua"), ("s", "kStopRingingLua"),
               ("a", "kAnsweredLua"), ("e", "endedLua()"), ("f", "kFoldedLua")]
# luaKey(keys::X, "id") in presence_scripts.cpp: the key name shared/redis/keys.h builds, around
# a Lua expression.
KEY_BUILDERS = {"agent": lambda x: "cm:agent:{" + x + "}",
                "numberOnCall": lambda x: "cm:number:{" + x + "}:oncall",
                "call": lambda x: "cm:call:{" + x + "}:presence"}


def batch_script(real_kinds="orsaef"):
    """The script presence_scripts.cpp's presenceBatchScript() builds, from the same source text
    (its SHA1 is the one agent-presence loads: tools/bench/redis_per_call.py names it by that).
    Transitions whose kind letter is not in `real_kinds` get an empty body (what the wrapper and
    the other transitions cost without them)."""
    with open(SCRIPTS) as f:
        src = f.read()

    def body(kind, name):
        if kind not in real_kinds:
            return "return {}\n"
        if name == "endedLua()":  # string pieces and luaKey(...) joined by +
            m = re.search(r'std::string endedLua\(\) \{\s*return (.*?);\n\}', src, re.S)
            if not m:
                sys.exit(f"{SCRIPTS}: no endedLua() found")
            out = ""
            for p in re.finditer(r'R"lua\((.*?)\)lua"|luaKey\(keys::(\w+), "(.*?)"\)', m.group(1), re.S):
                out += p.group(1) if p.group(1) is not None else \
                    "'" + KEY_BUILDERS[p.group(2)]("' .. " + p.group(3) + " .. '") + "'"
            return out
        return named_lua(src, name, SCRIPTS)

    wrapper = re.search(r'lua \+= R"lua\((.*?)\)lua";', src[src.index("std::string presenceBatchScript()"):], re.S)
    if not wrapper:
        sys.exit(f"{SCRIPTS}: no batch wrapper found")
    lua = "local transition = {}\n"
    for kind, name in TRANSITIONS:
        lua += f"transition['{kind}'] = function(KEYS, ARGV)\n" + body(kind, name) + "end\n"
    return lua + wrapper.group(1)


class Resp:
    """A minimal RESP client: one command, one reply."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 16)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return [self._read() for _ in range(max(n, 0))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()


def run(port, pid, real_kinds, calls_per_batch, batches, folded=False):
    """Redis CPU us per call. `folded`: each call as the one `f` event agent-presence sends for a
    call offered, answered and ended within one batch (presence_fold.h), not three events."""
    r = Resp(port)
    r.call("FLUSHALL")
    sha = r.call("SCRIPT", "LOAD", batch_script(real_kinds)).decode()
    seq = 0
    before = cpu_seconds(pid)
    for _ in range(batches):
        keys, args = [], []
        for _ in range(calls_per_batch):
            seq += 1
            call_id = f"bench-{seq}"
            call_key = "cm:call:{%s}:presence" % call_id
            number_key = "cm:number:{+15550100}:oncall"
            if folded:
                events = (("f", [call_key, number_key, "cm:agent:{}"],
                           ["+15550100", "1700000000000", call_id, "", "", "1700000000001",
                            "1700000000002"]),)
            else:
                events = (("o", [call_key, number_key], ["+15550100", "1700000000000", call_id]),
                          ("a", [call_key, "cm:agent:{}"], ["", "1700000000001"]),
                          ("e", [call_key], ["1700000000002", call_id]))
            for kind, k, a in events:
                args += [kind, str(len(k)), str(len(a))] + a
                keys += k
        replies = r.call("EVALSHA", sha, str(len(keys)), *keys, *args)
        expected = (1 if folded else 3) * calls_per_batch
        if len(replies) != expected:
            sys.exit(f"expected {expected} replies, got {len(replies)}")
    used = cpu_seconds(pid) - before
    return used * 1e6 / (batches * calls_per_batch)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls-per-batch", type=int, default=25, help="25: an ingress's 50 ms at 500 calls/s")
    ap.add_argument("--batches", type=int, default=2000)
    args = ap.parse_args()
    per_batch = min(max(args.calls_per_batch, 1), 200)
    batches = min(max(args.batches, 1), 10000)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cm-presence-bench-") as tmp:
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while True:
                try:
                    Resp(port).call("PING")
                    break
                except OSError:
                    if time.time() > deadline:
                        sys.exit("redis-server did not start")
                    time.sleep(0.05)
            # Cumulative, in the calls' order: each transition's cost is what it adds to the ones
            # before it (an `ended` without its `offered` would do other work).
            wrapper = run(port, redis.pid, "", per_batch, batches)
            offered = run(port, redis.pid, "o", per_batch, batches)
            answered = run(port, redis.pid, "oa", per_batch, batches)
            full = run(port, redis.pid, "orsae", per_batch, batches)
            folded = run(port, redis.pid, "orsaef", per_batch, batches, folded=True)
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    print(f"{per_batch} calls per batch, {batches} batches, Redis CPU per call "
          f"(offered + answered + ended, no agent):")
    print(f"  batch script:                 {full:6.1f} us")
    print(f"  same wrapper, empty bodies:   {wrapper:6.1f} us (round trip, arguments, wrapper)")
    print(f"  the transitions themselves:   {full - wrapper:6.1f} us: offered {offered - wrapper:.1f}, "
          f"answered (no agent) {answered - offered:.1f}, ended {full - answered:.1f}")
    print(f"  the same calls folded:        {folded:6.1f} us (one `f` event per call, presence_fold.h)")


if __name__ == "__main__":
    main()
