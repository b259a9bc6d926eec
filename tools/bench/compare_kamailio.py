#!/usr/bin/env python3
"""callmesh vs Kamailio doing the same job, in one run (a benchmark, not a test).

Both systems run at once (Kamailio in front of the cluster's own Redis) and get the same SIPp
scenarios (tests/e2e/sipp/uac_call_rtd.xml callers, a uas_answer_bench.xml phone) and the same
routing data: tracking number +15550100 -> receiving
sip:+15550199@127.0.0.1:<phone>. callmesh reads it from routing.yaml (its router's source);
Kamailio (tools/bench/kamailio/kamailio.cfg: tm + rr + dialog profile cap + ndb_redis) reads it from
the key cm:bench:route:+15550100 in the same Redis the cluster uses. Both cap the number at 50
live calls and answer 486 over it.

For each system:
  * highest calls/s held for --seconds (20) with 0 failures, over a bounded ladder;
  * The phone (uas_answer_bench.xml) rings 5 ms after the INVITE and answers 5 ms later, so a
    proxy with parallel workers cannot reorder its responses (SIPp would abort such calls).
  * CPU ms per call at --cpu-rate (500) calls/s, the median of --repeat (3) runs per system that
    alternate between the systems (the box's background load drifts over minutes), summed over
    every process of the system (Redis
    included for both: callmesh keeps its slots there, Kamailio does its lookups there), from
    /proc/<pid>/stat, with the per-process breakdown;
  * context switches per call in that run, over every thread of the system (/proc/<pid>/task/*/
    status): where a multi-process design pays its wakeups;
  * call setup latency p50/p99 (INVITE sent to 200 received at the caller, SIPp rtd);
  * memory (PSS, from /proc/<pid>/smaps_rollup) per 1,000 live calls: 1,000 calls held open.
Then the ratios callmesh/Kamailio, and optionally writes the markdown report (--out).

  tools/bench/compare_kamailio.py                                   # full run, ~10 min
  tools/bench/compare_kamailio.py --rates 100,300 --seconds 5 --live 200   # quick look
  tools/bench/compare_kamailio.py --out docs/bench/kamailio.md

Bounded: at most 10 ladder rates, <= 60 s per rate, rates <= 5000 calls/s, loopback only.
"""

import argparse
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from cluster import Cluster, Sipp, free_port, uas, wait_until  # noqa: E402
from kamailio_proc import Kamailio  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

NUMBER = "+15550100"
KAMAILIO_CFG = os.path.join(ROOT, "tools", "bench", "kamailio", "kamailio.cfg")


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of the process, from /proc."""
    total = 0
    for task in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(task) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sipp_failed_calls(out_file):
    """The cumulative "Failed call" count of SIPp's final statistics screen (0 if absent)."""
    failed = 0
    try:
        with open(out_file, errors="replace") as f:
            for line in f:
                if line.strip().startswith("Failed call"):
                    failed = int(line.rsplit("|", 1)[1].split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return failed


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class System:
    """One system under test: where SIPp sends calls, and which pids are 'the system'."""

    def __init__(self, name, target, pids_fn):
        self.name, self.target, self.pids_fn = name, target, pids_fn

    def pids(self):
        return self.pids_fn()


def run_calls(workdir, system, rate, calls, hold_ms, name, extra=None):
    """SIPp caller at `rate` for `calls` calls; returns (ok, failed, rtts_ms, per-process CPU s)."""
    pids = system.pids()
    before = {n: cpu_seconds(p) for n, p in pids.items()}
    switches_before = sum(context_switches(p) for p in pids.values())
    args = ["-s", NUMBER, system.target, "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(calls),
            "-r", str(rate), "-d", str(hold_ms), "-l", str(max(rate * 5, 200)), "-trace_rtt", "-rtt_freq", "1"]
    caller = Sipp(workdir, "uac_call_rtd.xml", args + (extra or []), name)
    try:
        code = caller.wait(timeout=calls / max(rate, 1) + 30)
    except AssertionError:  # calls stuck (SIPp waits for a 200 that never comes): killed, failed
        code = -1
    time.sleep(0.5)  # the last BYEs and events settle before CPU is read
    used = {n: cpu_seconds(p) - before[n] for n, p in pids.items()}
    switches = sum(context_switches(p) for p in pids.values()) - switches_before
    # A call fails when it is not answered, or when SIPp aborts it later (its BYE refused, say):
    # SIPp's own "Failed call" count sees the second kind.
    ok = min(caller.count("answered"), calls - sipp_failed_calls(caller.out_file))
    busy = caller.count("busy")  # 486: the number was at its 50-call cap
    rtts = []
    for path in glob.glob(os.path.join(workdir, f"uac_call_rtd_{caller.proc.pid}_rtt.csv")):
        with open(path) as f:
            for line in f:
                parts = line.strip().split(";")
                if len(parts) >= 3 and parts[0][:1].isdigit():
                    try:
                        rtts.append(float(parts[1]))
                    except ValueError:
                        pass
        os.remove(path)
    return ok, calls - ok, busy, code, rtts, used, switches


def run_rate(workdir, system, rate, seconds, out, label=None):
    """One step of a ladder: `rate` calls/s for `seconds`; returns (row, held)."""
    ok, failed, busy, code, rtts, used, switches = run_calls(workdir, system, rate, rate * seconds, 0,
                                                             label or f"{system.name}-{rate}")
    total = sum(used.values())
    row = {"rate": rate, "ok": ok, "failed": failed, "busy": busy, "cpu_ms_per_call": total * 1000 / max(ok, 1),
           "p50": percentile(rtts, 50), "p99": percentile(rtts, 99), "samples": len(rtts),
           "switches_per_call": switches / max(ok, 1),
           "per_process": {n: v * 1000 / max(ok, 1) for n, v in used.items()}}
    out(f"  {system.name:9} {rate:>5}/s  ok {ok:>6} failed {failed:>5} (486 at the cap {busy})  CPU {row['cpu_ms_per_call']:.3f} ms/call  "
        f"setup p50 {row['p50']:.2f} ms p99 {row['p99']:.2f} ms  {row['switches_per_call']:.1f} switches/call")
    return row, not failed and code == 0


def alternating_ladders(workdir, systems, rates, seconds, out):
    """Every system's ladder, rate by rate in turn (callmesh 500, Kamailio 500, callmesh 800, ...),
    so the box's drift over the minutes a ladder takes falls on both alike. A system leaves the
    ladder at its first rate with a failure. Returns {name: (held, rows)}."""
    state = {n: [0, [], True] for n in systems}
    for rate in rates:
        for n, system in systems.items():
            if not state[n][2]:
                continue
            row, ok = run_rate(workdir, system, rate, seconds, out)
            state[n][1].append(row)
            if ok:
                state[n][0] = rate
            else:
                state[n][2] = False
    return {n: (held, rows) for n, (held, rows, _) in state.items()}


def live_memory(workdir, system, live, out):
    """PSS of the system idle, then with `live` calls held open; KB per 1,000 live calls."""
    pids = system.pids()
    idle = sum(pss_kb(p) for p in pids.values())
    hold_ms = 20000
    rate = 200
    args = ["-s", NUMBER, system.target, "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(live),
            "-r", str(rate), "-d", str(hold_ms), "-l", str(live + 10)]
    caller = Sipp(workdir, "uac_call.xml", args, f"{system.name}-live")
    try:
        wait_until(lambda: caller.count("answered") >= live, live / rate + 15, interval=0.2,
                   what=f"{live} live calls")
        time.sleep(1.0)
        busy = sum(pss_kb(p) for p in system.pids().values())
        answered = caller.count("answered")
    finally:
        caller.stop()
    per_1000 = (busy - idle) * 1000 / max(answered, 1)
    out(f"  {system.name:9} PSS idle {idle / 1024:.1f} MB, with {answered} live calls {busy / 1024:.1f} MB: "
        f"{per_1000 / 1024:.2f} MB per 1,000 live calls")
    return {"idle_mb": idle / 1024, "busy_mb": busy / 1024, "live": answered, "mb_per_1000": per_1000 / 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="100,200,300,400,500,600,800,1000")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--cpu-rate", type=int, default=500)
    ap.add_argument("--live", type=int, default=1000, help="live calls for the memory measure")
    ap.add_argument("--kamailio-children", type=int, default=2, help="UDP workers (the box has 2 cores)")
    ap.add_argument("--only", choices=["callmesh", "kamailio"], help="measure one system only")
    ap.add_argument("--repeat", type=int, default=3,
                    help="alternating runs per system for the CPU measure (median reported)")
    ap.add_argument("--zmq", choices=["tcp", "ipc"], default="tcp",
                    help="ZeroMQ transport between callmesh's services (ipc: Unix sockets, one host)")
    ap.add_argument("--ladder-repeat", type=int, default=1,
                    help="run the alternating ladders this many times (at most 5), each on freshly started "
                         "systems; the median held rate counts")
    ap.add_argument("--decision-reuse-ms", type=int, default=None,
                    help="router.decision_reuse_ms for callmesh (default: the cluster's, 10000; "
                         "0 = the ingress asks the router for every call, as Kamailio reads Redis)")
    ap.add_argument("--out", help="write the markdown report here")
    args = ap.parse_args()
    seconds = min(max(args.seconds, 1), 60)
    rates = [min(int(r), 5000) for r in args.rates.split(",")][:10]
    cpu_rate = min(args.cpu_rate, 5000)
    lines = []

    def out(text):
        print(text, flush=True)
        lines.append(text)

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    phone_port = free_port()
    routing = f"""tracking_numbers:
  - number: "{NUMBER}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""
    names = [n for n in ("callmesh", "kamailio") if not args.only or args.only == n]
    results = {n: {} for n in names}
    cluster = kam = phone = None

    def start(cap):
        """The cluster (Redis included) and Kamailio in front of the same Redis, both up at once,
        so their runs can alternate: the box's load changes over minutes (other tenants), and
        alternating runs see the same conditions."""
        nonlocal cluster, kam, phone
        # The ingress's per-source limit would ban SIPp, one source sending 3 requests per call;
        # a carrier trunk is one source too. Kamailio has none.
        reuse = "" if args.decision_reuse_ms is None else \
            f"  decision_reuse_ms: {min(max(args.decision_reuse_ms, 0), 600000)}\n"
        cluster = Cluster(routing, cap=cap, zmq=args.zmq, router_extra=reuse, ingress_extra=(
            "  rate_limit_rps: 1000000\n  rate_limit_burst: 1000000\n"
            "  new_call_rps: 1000000\n  new_call_burst: 1000000\n")).start()
        cluster.redis("SET", f"cm:bench:route:{NUMBER}", f"sip:+15550199@127.0.0.1:{phone_port}")
        systems = {"callmesh": System("callmesh", cluster.sip,
                                      lambda c=cluster: {n: p.pid for n, p in c.procs.items()})}
        if "kamailio" in names:
            kport = free_port()
            kam = Kamailio(KAMAILIO_CFG, cluster.dir, kport, children=args.kamailio_children, shm_mb=256,
                           pkg_mb=8, defines={"REDIS": f"name=cm;addr=127.0.0.1;port={cluster.ports['redis']}",
                                              "CAP": cap}).wait_ready()

            def kam_pids(k=kam, c=cluster):
                pids = {f"kamailio[{i}]": p for i, p in enumerate(k.pids())}
                pids["redis"] = c.procs["redis"].pid
                return pids
            systems["kamailio"] = System("kamailio", f"127.0.0.1:{kport}", kam_pids)
        phone = uas(cluster, "uas_answer_bench.xml", phone_port, "phone")
        time.sleep(0.5)
        return systems

    def stop():
        nonlocal cluster, kam, phone
        if phone:
            phone.stop()
        if kam:
            kam.stop()
        if cluster:
            cluster.cleanup()
        cluster = kam = phone = None

    try:
        # CPU per call: --repeat alternating runs at --cpu-rate, the median per system.
        systems = start(50)
        cpu_runs = {n: [] for n in names}
        out(f"== CPU per call at {cpu_rate}/s, {args.repeat} alternating runs of {seconds} s")
        for i in range(args.repeat):
            for n in names:
                row, _ = run_rate(cluster.dir, systems[n], cpu_rate, seconds, out, label=f"{n}-cpu{i}")
                cpu_runs[n].append(row)
        for n in names:
            runs = sorted(cpu_runs[n], key=lambda r: r["cpu_ms_per_call"])
            mid = runs[len(runs) // 2]
            results[n]["cpu"] = dict(mid, all_runs=[r["cpu_ms_per_call"] for r in cpu_runs[n]],
                                     failed=sum(r["failed"] for r in cpu_runs[n]))
        # The highest rate held with 0 failures, the systems taking turns rate by rate; with
        # --ladder-repeat N the ladders run N times, each on fresh systems, and the median held
        # rate counts (near the number's cap a single run is a coin toss for both systems).
        helds = {n: [] for n in names}
        ladder_runs = min(max(args.ladder_repeat, 1), 5)
        for i in range(ladder_runs):
            if i > 0:
                # Fresh systems for every ladder: what an overload leaves behind (Kamailio keeps
                # the dialogs of calls abandoned mid-dialog in its cap's profile until their
                # timeout) must not decide the next ladder's clean rate.
                stop()
                systems = start(50)
            out(f"== ladders, alternating (run {i + 1} of {ladder_runs})")
            for n, (held, rows) in alternating_ladders(cluster.dir, {n: systems[n] for n in names}, rates,
                                                       seconds, out).items():
                helds[n].append(held)
                results[n]["ladder"] = rows
        for n in names:
            results[n]["held"] = sorted(helds[n])[len(helds[n]) // 2]
            results[n]["held_runs"] = helds[n]
        stop()
        # The live-memory phase needs more than 50 live calls: both get a cap above --live.
        for n in names:
            systems = start(args.live + 100)
            out(f"== {n} memory")
            results[n]["memory"] = live_memory(cluster.dir, systems[n], args.live, out)
            stop()
    finally:
        stop()

    report = render(results, commit, dirty, rates, seconds, cpu_rate, args)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


def render(results, commit, dirty, rates, seconds, cpu_rate, args):
    cm, km = results.get("callmesh"), results.get("kamailio")
    r = []
    r.append(f"Commit `{commit}`{' (with uncommitted changes in the tree)' if dirty else ''}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
             f"ladder {','.join(map(str, rates))} calls/s x {seconds} s, Kamailio children {args.kamailio_children}, "
             f"callmesh's services over ZeroMQ {args.zmq}://, router decision reuse "
             f"{'10000 ms (default)' if args.decision_reuse_ms is None else str(args.decision_reuse_ms) + ' ms'}.\n")
    r.append("| measure | callmesh | Kamailio | callmesh/Kamailio |")
    r.append("|---|---|---|---|")

    def row(label, f, fmt="{:.3f}", better=""):
        a = f(cm) if cm else None
        b = f(km) if km else None
        ratio = (a / b) if (a is not None and b) else None
        r.append(f"| {label} | {fmt.format(a) if a is not None else '-'} | {fmt.format(b) if b is not None else '-'} | "
                 f"{'{:.2f}x'.format(ratio) if ratio is not None else '-'}{better} |")
    row(f"highest calls/s held with 0 failures (median of {len(cm['held_runs']) if cm else 1} ladder runs)",
        lambda s: s["held"], "{:.0f}", " (target >= 1.0)")
    row(f"CPU ms per call at {cpu_rate}/s (all processes, median of {args.repeat} alternating runs)",
        lambda s: s["cpu"]["cpu_ms_per_call"], "{:.3f}", " (target <= 1.0)")
    row(f"failed calls in the {cpu_rate}/s runs", lambda s: s["cpu"]["failed"], "{:.0f}")
    row(f"context switches per call at {cpu_rate}/s (every thread of the system, the median run)",
        lambda s: s["cpu"]["switches_per_call"], "{:.1f}")
    row(f"setup latency p50 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p50"], "{:.2f}")
    row(f"setup latency p99 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p99"], "{:.2f}")
    row("memory (PSS) per 1,000 live calls (MB)", lambda s: s["memory"]["mb_per_1000"], "{:.2f}")
    r.append("")
    for name, s in (("callmesh", cm), ("Kamailio", km)):
        if not s:
            continue
        r.append(f"**{name}: CPU ms per call at {cpu_rate}/s, by process** (the median run): " + ", ".join(
            f"{n} {v:.3f}" for n, v in sorted(s["cpu"]["per_process"].items(), key=lambda kv: -kv[1])))
        r.append("")
        r.append(f"{name}: every CPU run at {cpu_rate}/s: "
                 + ", ".join(f"{v:.3f}" for v in s["cpu"]["all_runs"]) + " ms/call")
        r.append("")
        r.append(f"{name}: highest rate held in each ladder run: " + ", ".join(map(str, s["held_runs"])))
        r.append("")
        r.append(f"{name} ladder (the last run): " + "; ".join(
            f"{x['rate']}/s ok {x['ok']} failed {x['failed']} (486 at the cap {x.get('busy', 0)}) CPU {x['cpu_ms_per_call']:.3f} ms/call "
            f"p50 {x['p50']:.2f} p99 {x['p99']:.2f} ms" for x in s["ladder"]))
        r.append("")
        m = s.get("memory")
        if m:
            r.append(f"{name} memory: PSS idle {m['idle_mb']:.1f} MB, {m['live']} live calls {m['busy_mb']:.1f} MB.")
            r.append("")
    return "\n".join(r) + "\n"


if __name__ == "__main__":
    main()
