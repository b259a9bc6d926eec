"""Memory per live call, the way tools/bench/compare_kamailio.py measures it for both systems: PSS
(/proc/<pid>/smaps_rollup, so memory shared between processes, Kamailio's shared memory above all,
is counted once in total) of every process of the system idle, then with `live` calls held open;
the difference per 1,000 answered calls. Process by process too, so a report says where it went.

With `settle_s` the same calls are measured a second time, `settle_s` seconds after the last one
was answered: past every SIP transaction's retention (RFC 3261's 64*T1 = 32 s), so what is left is
what a call holds for as long as it is up, the figure that scales with long calls."""

import statistics
import time

from bench_proc import memory_kb
from cluster import Sipp, free_port, wait_until

LIVE_RATE = 200  # calls/s while the live calls are set up
LIVE_HOLD_MS = 20000  # the calls stay up well past the measure


def _by_process(system):
    return {name: memory_kb(pid) for name, pid in system.pids().items()}


def _group(name):
    """Kamailio's processes summed as one (their number depends on children), callmesh's by service."""
    return "kamailio" if name.startswith("kamailio[") else name


def _per_1000(idle, busy, answered):
    """MB per 1,000 answered calls between two samples, in all and by process group."""
    per = 1000 / max(answered, 1) / 1024  # kB for `answered` calls -> MB per 1,000
    groups = {}
    for name in busy:
        before = idle.get(name, {})
        g = groups.setdefault(_group(name), {"pss": 0.0, "rss": 0.0, "anon": 0.0})
        g["pss"] += (busy[name]["Pss"] - before.get("Pss", 0)) * per
        g["rss"] += (busy[name]["Rss"] - before.get("Rss", 0)) * per
        g["anon"] += (busy[name]["Pss_Anon"] - before.get("Pss_Anon", 0)) * per
    idle_kb = sum(v["Pss"] for v in idle.values())
    busy_kb = sum(v["Pss"] for v in busy.values())
    return idle_kb, busy_kb, (busy_kb - idle_kb) * per, groups


def _describe(groups):
    return ", ".join(f"{n} {g['pss']:.2f} / {g['anon']:.2f} / {g['rss']:.2f}"
                     for n, g in sorted(groups.items(), key=lambda kv: -kv[1]["pss"]))


def live_memory(workdir, system, live, number, out, settle_s=0):
    """PSS of `system` idle, then with `live` calls held open; MB per 1,000 live calls, and the
    same per process (MB per 1,000 calls, PSS and RSS, anonymous PSS alone). With `settle_s`, the
    same again `settle_s` s after the last answer (the calls held long enough to still be up)."""
    idle = _by_process(system)
    hold_ms = LIVE_HOLD_MS if settle_s <= 0 else int((live / LIVE_RATE + settle_s + 20) * 1000)
    args = ["-s", number, system.target, "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(live), "-r",
            str(LIVE_RATE), "-d", str(hold_ms), "-l", str(live + 10)]
    caller = Sipp(workdir, "uac_call.xml", args, f"{system.name}-live")
    try:
        try:
            wait_until(lambda: caller.count("answered") >= live, live / LIVE_RATE + 15, interval=0.2,
                       what=f"{live} live calls")
        except AssertionError:
            # On a busy box the phone (SIPp) now and then leaves a few INVITEs unanswered (their
            # branches end 408 after timer B, for either system): measure what did connect, per
            # call, unless too few did to say anything.
            if caller.count("answered") < 0.9 * live:
                raise
            out(f"  {system.name}: {caller.count('answered')} of {live} calls answered; measured per answered call")
        answered_at = time.monotonic()
        time.sleep(1.0)
        busy = _by_process(system)
        answered = caller.count("answered")
        settled = None
        if settle_s > 0:
            time.sleep(max(0.0, answered_at + settle_s - time.monotonic()))
            # Every call is held hold_ms from its own answer, so all are still up here.
            settled = _by_process(system)
            settled_answered = caller.count("answered")
    finally:
        caller.stop()
    idle_kb, busy_kb, per_1000, groups = _per_1000(idle, busy, answered)
    out(f"  {system.name:9} PSS idle {idle_kb / 1024:.1f} MB, with {answered} live calls {busy_kb / 1024:.1f} MB: "
        f"{per_1000:.2f} MB per 1,000 live calls; by process (PSS / anonymous PSS / RSS, MB per 1,000): " +
        _describe(groups))
    result = {"idle_mb": idle_kb / 1024, "busy_mb": busy_kb / 1024, "live": answered, "mb_per_1000": per_1000,
              "by_process": {n: g["pss"] for n, g in groups.items()}}
    if settled is not None:
        _, settled_kb, settled_1000, sgroups = _per_1000(idle, settled, settled_answered)
        out(f"  {system.name:9} {settle_s} s after the last answer, {settled_answered} calls still up: "
            f"{settled_kb / 1024:.1f} MB, {settled_1000:.2f} MB per 1,000 live calls; by process: " +
            _describe(sgroups))
        result.update(settled_mb_per_1000=settled_1000, settled_by_process={n: g["pss"] for n, g in sgroups.items()})
    return result


def memory_runs(bench, names, workload, live, repeat, out, settle_s=0):
    """`repeat` measures per system, alternating between the systems, each on a freshly started one
    (the cap above `live`); the median run (by MB per 1,000) is the system's figure, with every
    run's figure beside it."""
    runs = {n: [] for n in names}
    for i in range(repeat):
        for n in names:
            systems = bench.start(workload, live + 100)
            try:
                out(f"== {n} memory (run {i + 1} of {repeat})")
                runs[n].append(live_memory(bench.cluster.dir, systems[n], live, workload.number(0), out, settle_s))
            finally:
                bench.stop()
    result = {}
    for n, rows in runs.items():
        mid = sorted(rows, key=lambda r: r["mb_per_1000"])[len(rows) // 2]
        result[n] = dict(mid, all_runs=[r["mb_per_1000"] for r in rows],
                         median_mb_per_1000=statistics.median(r["mb_per_1000"] for r in rows))
        if settle_s > 0:
            result[n]["settled_runs"] = [r["settled_mb_per_1000"] for r in rows]
            result[n]["settled_median"] = statistics.median(result[n]["settled_runs"])
    return result
