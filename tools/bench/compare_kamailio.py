#!/usr/bin/env python3
"""callmesh vs Kamailio doing the same job, in one run (a benchmark, not a test).

Both systems run at once (Kamailio in front of the cluster's own Redis) and get the same SIPp
callers and the same SIPp phone (tests/e2e/sipp/uas_answer_bench.xml: rings 5 ms after the INVITE,
answers 5 ms later), on two workloads:
  one   one tracking number, calls hung up at once (the anchor workload);
  many  --numbers (1,000) tracking numbers dialled in turn, calls held 100 ms: what a
        multi-location operator's traffic looks like.
callmesh reads the routes from routing.yaml (its router's source); Kamailio
(tools/bench/kamailio/kamailio.cfg: tm + rr + dialog profile cap + ndb_redis) from the keys
cm:bench:route:<number> in the same Redis the cluster uses. Both cap every number at 50 live calls
and answer 486 over it.

For each workload:
  * CPU per call at --cpu-rate (500) calls/s: one warm-up run per system (reported, not counted),
    then --repeat (3) runs per system alternating between the systems (the box's background load
    drifts over minutes); the median counts, every run is reported. Each task's own run time in
    ns (/proc/<pid>/task/<tid>/schedstat, tools/bench/box_cpu.py), two sums: every process of
    the system (Redis included for both), and the whole box less the load generators (the SIPp
    phone and caller) and less the other system (idle meanwhile, reported apart). The box figure
    is the system's processes + kernel threads (ksoftirqd, kworkers, rcu, ...) + other processes
    (background on the box, this tool included), each reported with its largest names; softirq
    work is inside whichever task it ran in. /proc/stat's softirq is shown as tick-sampled;
  * context switches per call, over every thread of the system;
  * call setup latency p50/p99 (INVITE sent to 200 received at the caller, SIPp rtd);
  * the highest calls/s held for --seconds with 0 failures, over a bounded ladder, the systems
    taking turns rate by rate: --ladder-repeat (3) ladders, each on fresh systems; the median
    counts and every ladder's rates are reported.
Then memory (PSS, /proc/<pid>/smaps_rollup) per 1,000 live calls, 1,000 calls held open, by process
too (tools/bench/live_memory.py; --memory-repeat runs alternating, the median counts; with
--memory-settle S the same calls again S s after the last answer, once no SIP transaction is left); the
machine's CPU model, kernel, CPU accounting and load beside the commit; ratios callmesh/Kamailio;
--out writes the markdown report. Run it on an idle box: the box figure counts everything the box did.
--phases picks what runs: `--phases memory` is the memory measure alone (a few minutes; memory
figures hold on a busy box, CPU ones do not).

  tools/bench/compare_kamailio.py --out docs/bench/kamailio.md      # all defaults, over an hour
  tools/bench/compare_kamailio.py --rates 1000,1500,2000 --out /tmp/k.md  # issue 22's form, ~25 min
  tools/bench/compare_kamailio.py --rates 100,300 --seconds 5 --repeat 1 --ladder-repeat 1 --live 200  # quick
  tools/bench/compare_kamailio.py --phases memory --memory-repeat 3                   # memory only
  tools/bench/compare_kamailio.py --phases memory --memory-repeat 3 --memory-settle 45  # and 45 s later

Bounded: at most 10 ladder rates, <= 60 s per rate, rates <= 5000 calls/s, <= 5 repeats,
<= 5,000 numbers; loopback only.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from cluster import Cluster, Sipp, free_port, uas  # noqa: E402
from kamailio_proc import Kamailio  # noqa: E402
from bench_proc import UNLIMITED_SOURCES, context_switches, machine_facts, median, percentile, sipp_failed_calls  # noqa: E402
from box_cpu import BoxWindow, box_less, top  # noqa: E402
from live_memory import memory_runs  # noqa: E402
from kamailio_report import render  # noqa: E402

KAMAILIO_CFG = os.path.join(HERE, "kamailio", "kamailio.cfg")
NUMBERS_SCENARIO = os.path.join(HERE, "sipp", "uac_call_numbers_rtd.xml")


class Workload:
    """Which numbers are dialled and how long a call is held."""

    def __init__(self, name, numbers, hold_ms):
        self.name, self.numbers, self.hold_ms = name, numbers, hold_ms

    def number(self, i):
        return "+15550100" if self.numbers == 1 else f"+1555{3000000 + i:07d}"

    def routing(self, phone_port):
        return "tracking_numbers:\n" + "".join(f"""  - number: "{self.number(i)}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
""" for i in range(self.numbers))

    def sipp_args(self, workdir):
        """(scenario, arguments naming what to dial)."""
        if self.numbers == 1:
            return "uac_call_rtd.xml", ["-s", self.number(0)]
        inf = os.path.join(workdir, f"numbers-{self.name}.csv")
        with open(inf, "w") as f:
            f.write("SEQUENTIAL\n" + "".join(f"{self.number(i)};\n" for i in range(self.numbers)))
        return NUMBERS_SCENARIO, ["-s", "x", "-inf", inf]


class System:
    """One system under test: where SIPp sends calls, which pids are 'the system', and the phone
    (a load generator, whose CPU the box figure leaves out). `others`: every system started
    beside it (measured or not: --only kamailio still runs callmesh's cluster for its Redis)."""

    def __init__(self, name, target, pids_fn, phone):
        self.name, self.target, self.pids_fn, self.phone = name, target, pids_fn, phone
        self.others = []

    def pids(self):
        return self.pids_fn()

    def peer_pids(self):
        """The other systems' pids: idle while this one is measured, reported apart from the box."""
        return {p for other in self.others for p in other.pids().values()}


def run_rate(workdir, system, workload, rate, seconds, out, label):
    """`rate` calls/s for `seconds`; returns (row, held with 0 failures)."""
    calls = rate * seconds
    pids = system.pids()
    switches_before = sum(context_switches(p) for p in pids.values())
    window = BoxWindow()
    scenario, dial = workload.sipp_args(workdir)
    caller = Sipp(workdir, scenario, dial + [system.target, "-i", "127.0.0.1", "-p", str(free_port()),
                                             "-m", str(calls), "-r", str(rate), "-d", str(workload.hold_ms),
                                             "-l", str(max(rate * 5, 200)), "-trace_rtt", "-rtt_freq", "1"], label)
    try:
        code = caller.wait(timeout=calls / max(rate, 1) + 30)
    except AssertionError:  # calls stuck (SIPp waits for a 200 that never comes): killed, failed
        code = -1
    time.sleep(0.5)  # the last BYEs and events settle before CPU is read
    system_pids = set(pids.values())
    box = window.finish({"system": system_pids, "generators": {system.phone.proc.pid},
                         "peer": system.peer_pids() - system_pids})
    used = {n: box["by_pid"].get(p, 0.0) for n, p in pids.items()}
    switches = sum(context_switches(p) for p in pids.values()) - switches_before
    # A call fails when it is not answered, or when SIPp aborts it later (its BYE refused, say):
    # SIPp's own "Failed call" count sees the second kind.
    ok = max(min(caller.count("answered"), calls - sipp_failed_calls(caller.out_file)), 0)
    busy = caller.count("busy")  # 486: the number was at its 50-call cap
    rtts = read_rtts(workdir, scenario, caller.proc.pid)
    per = max(ok, 1)
    ms = 1000 / per
    row = {"rate": rate, "ok": ok, "failed": calls - ok, "busy": busy, "label": label,
           "cpu_ms_per_call": box["groups"]["system"] * ms,
           # the box less the load generators and the idle other system: >= the system's figure
           "box_ms_per_call": box_less(box, ("generators", "peer")) * ms,
           "kernel_ms_per_call": box["kernel"] * ms, "other_ms_per_call": box["other"] * ms,
           "kernel_top": top(box, "kernel", per), "other_top": top(box, "other", per),
           "peer_ms_per_call": box["groups"]["peer"] * ms, "generators_ms_per_call": box["groups"]["generators"] * ms,
           "ended_tasks": box["ended_tasks"],
           "softirq_sampled_ms_per_call": box["softirq_sampled"] * ms, "steal_ms_per_call": box["steal_sampled"] * ms,
           "p50": percentile(rtts, 50), "p99": percentile(rtts, 99), "samples": len(rtts),
           "switches_per_call": switches / per,
           "per_process": {n: v * ms for n, v in used.items()}}
    out(f"  {label:22} {rate:>5}/s ok {ok:>6} failed {row['failed']:>5} (486 {busy})  "
        f"CPU {row['cpu_ms_per_call']:.3f} ms/call, box {row['box_ms_per_call']:.3f} "
        f"(kernel threads {row['kernel_ms_per_call']:.3f}: {row['kernel_top']}; other {row['other_ms_per_call']:.3f}: "
        f"{row['other_top']}; idle peer {row['peer_ms_per_call']:.3f}; SIPp {row['generators_ms_per_call']:.3f}; "
        f"softirq sampled {row['softirq_sampled_ms_per_call']:.3f}; tasks ended {row['ended_tasks']})  "
        f"setup p50 {row['p50']:.2f} p99 {row['p99']:.2f} ms  {row['switches_per_call']:.1f} switches/call")
    return row, not row["failed"] and code == 0


def read_rtts(workdir, scenario, pid):
    base = os.path.splitext(os.path.basename(scenario))[0]
    path = os.path.join(workdir, f"{base}_{pid}_rtt.csv")
    rtts = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.strip().split(";")
                if len(parts) >= 3 and parts[0][:1].isdigit():
                    try:
                        rtts.append(float(parts[1]))
                    except ValueError:
                        pass
        os.remove(path)
    return rtts


def cpu_runs(workdir, systems, workload, rate, seconds, repeat, out):
    """One warm-up run per system, then `repeat` alternating runs; ({name: rows}, {name: warm-up
    row}): the warm-ups are reported, not counted."""
    runs, warmups = {n: [] for n in systems}, {}
    for i in range(repeat + 1):
        for n, system in systems.items():
            label = f"{n}-{workload.name}-{'warmup' if i == 0 else f'cpu{i}'}"
            row, _ = run_rate(workdir, system, workload, rate, seconds, out, label)
            if i > 0:
                runs[n].append(row)
            else:
                warmups[n] = row
    return runs, warmups


def alternating_ladders(workdir, systems, workload, rates, seconds, out, tag="ladder"):
    """Every system's ladder, rate by rate in turn, so the box's drift falls on both alike. A
    system leaves the ladder at its first rate with a failure. Returns {name: (held, rows)}."""
    state = {n: [0, [], True] for n in systems}
    for rate in rates:
        for n, system in systems.items():
            if not state[n][2]:
                continue
            row, ok = run_rate(workdir, system, workload, rate, seconds, out, f"{n}-{workload.name}-{tag}")
            state[n][1].append(row)
            if ok:
                state[n][0] = rate
            else:
                state[n][2] = False
    return {n: (held, rows) for n, (held, rows, _) in state.items()}


class Bench:
    """Starts both systems for one workload (the cluster, Kamailio in front of its Redis, the
    phone), and stops every process it started, by pid."""

    def __init__(self, args, names):
        self.args, self.names = args, names
        self.cluster = self.kam = self.phone = None

    def start(self, workload, cap):
        args = self.args
        phone_port = free_port()
        reuse = "" if args.decision_reuse_ms is None else \
            f"  decision_reuse_ms: {min(max(args.decision_reuse_ms, 0), 600000)}\n"
        self.cluster = Cluster(workload.routing(phone_port), cap=cap, zmq=args.zmq, router_extra=reuse,
                               ingress_extra=UNLIMITED_SOURCES).start()
        routes = []
        for i in range(workload.numbers):
            routes += [f"cm:bench:route:{workload.number(i)}", f"sip:+15550199@127.0.0.1:{phone_port}"]
        self.cluster.redis("MSET", *routes)
        self.phone = uas(self.cluster, "uas_answer_bench.xml", phone_port, "phone")
        cluster = self.cluster
        systems = {"callmesh": System("callmesh", cluster.sip, lambda: {n: p.pid for n, p in cluster.procs.items()},
                                      self.phone)}
        if "kamailio" in self.names:
            kport = free_port()
            self.kam = kam = Kamailio(KAMAILIO_CFG, cluster.dir, kport, children=args.kamailio_children, shm_mb=256,
                                      pkg_mb=8, defines={"REDIS": f"name=cm;addr=127.0.0.1;port={cluster.ports['redis']}",
                                                         "CAP": cap}).wait_ready()

            def kam_pids():
                pids = {f"kamailio[{i}]": p for i, p in enumerate(kam.pids())}
                pids["redis"] = cluster.procs["redis"].pid
                return pids
            systems["kamailio"] = System("kamailio", f"127.0.0.1:{kport}", kam_pids, self.phone)
        for system in systems.values():
            system.others = [other for other in systems.values() if other is not system]
        time.sleep(0.5)
        return {n: systems[n] for n in self.names}

    def stop(self):
        if self.phone:
            self.phone.stop()
        if self.kam:
            self.kam.stop()
        if self.cluster:
            self.cluster.cleanup()
        self.cluster = self.kam = self.phone = None


def measure_workload(bench, workload, args, rates, seconds, cpu_rate, out):
    result = {n: {} for n in bench.names}
    systems = bench.start(workload, 50)
    if "cpu" in args.phases:
        out(f"== {workload.name}: CPU per call at {cpu_rate}/s, a warm-up then {args.repeat} alternating runs of "
            f"{seconds} s")
        runs, warmups = cpu_runs(bench.cluster.dir, systems, workload, cpu_rate, seconds, args.repeat, out)
        for n, rows in runs.items():
            mid = sorted(rows, key=lambda r: r["cpu_ms_per_call"])[len(rows) // 2]
            result[n]["cpu"] = dict(mid, all_runs=rows, warmup=warmups.get(n), failed=sum(r["failed"] for r in rows),
                                    box_median=median([r["box_ms_per_call"] for r in rows]))
    helds = {n: [] for n in bench.names}
    ladder_runs = min(max(args.ladder_repeat, 1), 5) if "ladder" in args.phases else 0
    for i in range(ladder_runs):
        if i > 0:  # fresh systems: what an overload leaves behind must not decide the next ladder
            bench.stop()
            systems = bench.start(workload, 50)
        out(f"== {workload.name}: ladders, alternating (run {i + 1} of {ladder_runs})")
        for n, (held, rows) in alternating_ladders(bench.cluster.dir, systems, workload, rates, seconds, out,
                                                     f"ladder{i + 1}").items():
            helds[n].append(held)
            result[n].setdefault("ladders", []).append(rows)
    for n in bench.names:
        result[n]["held"] = sorted(helds[n])[len(helds[n]) // 2] if helds[n] else None
        result[n]["held_runs"] = helds[n]
        result[n].setdefault("ladders", [])
    bench.stop()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="one,many", help="comma list of: one, many")
    ap.add_argument("--numbers", type=int, default=1000, help="tracking numbers of the 'many' workload")
    ap.add_argument("--rates", default="500,800,1000,1200,1500,2000,2500,3000")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--cpu-rate", type=int, default=500)
    ap.add_argument("--live", type=int, default=1000, help="live calls for the memory measure")
    ap.add_argument("--kamailio-children", type=int, default=2, help="UDP workers (the box has 2 cores)")
    ap.add_argument("--only", choices=["callmesh", "kamailio"], help="measure one system only")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs per system after the warm-up")
    ap.add_argument("--zmq", choices=["tcp", "ipc"], default="tcp",
                    help="ZeroMQ transport between callmesh's services (ipc: Unix sockets, one host)")
    ap.add_argument("--ladder-repeat", type=int, default=3,
                    help="ladders per workload, each on fresh systems (<= 5); the median counts, every one is reported")
    ap.add_argument("--decision-reuse-ms", type=int, default=None,
                    help="router.decision_reuse_ms for callmesh (0 = ask the router for every call)")
    ap.add_argument("--phases", default="cpu,ladder,memory",
                    help="comma list of: cpu (CPU per call at --cpu-rate), ladder (highest clean rate), memory")
    ap.add_argument("--memory-settle", type=int, default=0,
                    help="also measure the live calls this many seconds after the last answer (past 32 s: "
                         "no SIP transaction left, what a call holds while it is up); 0 = not")
    ap.add_argument("--memory-repeat", type=int, default=1,
                    help="memory measures per system (<= 5), alternating, fresh systems; the median counts")
    ap.add_argument("--out", help="write the markdown report here")
    args = ap.parse_args()
    args.repeat = min(max(args.repeat, 1), 5)
    args.phases = {p.strip() for p in args.phases.split(",") if p.strip() in ("cpu", "ladder", "memory")}
    memory_repeat = min(max(args.memory_repeat, 1), 5)
    seconds = min(max(args.seconds, 1), 60)
    rates = [min(int(r), 5000) for r in args.rates.split(",")][:10]
    cpu_rate = min(args.cpu_rate, 5000)
    numbers = min(max(args.numbers, 2), 5000)
    all_workloads = {"one": Workload("one", 1, 0), "many": Workload("many", numbers, 100)}
    workloads = [all_workloads[w] for w in args.workloads.split(",") if w in all_workloads]
    if not args.phases & {"cpu", "ladder"}:
        workloads = []  # the memory measure alone
    lines = []

    def out(text):
        print(text, flush=True)
        lines.append(text)

    facts = machine_facts()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    names = [n for n in ("callmesh", "kamailio") if not args.only or args.only == n]
    bench = Bench(args, names)
    results, memory = {}, {}
    try:
        for workload in workloads:
            results[workload.name] = measure_workload(bench, workload, args, rates, seconds, cpu_rate, out)
        if "memory" in args.phases:  # more than 50 live calls: memory_runs sets a cap above --live
            memory = memory_runs(bench, names, all_workloads["one"], min(max(args.live, 1), 10000),
                                 memory_repeat, out, min(max(args.memory_settle, 0), 120))
    finally:
        bench.stop()
    report = render(results, memory, facts, commit, dirty, rates, seconds, cpu_rate, args, workloads)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
