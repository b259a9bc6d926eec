"""The markdown report of tools/bench/compare_kamailio.py: the machine and commit first, a table of
ratios per workload, then every run's figure (warm-ups marked), not only the medians."""

import time

from bench_proc import describe_machine


def _value(f, system):
    """f(system), or None when the system or the phase measuring it did not run (--phases)."""
    try:
        return f(system) if system else None
    except (KeyError, TypeError):
        return None


def _ratio_row(lines, cm, km, label, f, fmt, goal=""):
    a = _value(f, cm)
    b = _value(f, km)
    ratio = (a / b) if (a is not None and b) else None
    lines.append(f"| {label} | {fmt.format(a) if a is not None else '-'} | {fmt.format(b) if b is not None else '-'} | "
                 f"{'{:.2f}x'.format(ratio) if ratio is not None else '-'}{goal} |")


def _workload_table(lines, name, result, cpu_rate, repeat):
    cm, km = result.get("callmesh"), result.get("kamailio")
    lines.append(f"### Workload `{name}`\n")
    lines.append("| measure | callmesh | Kamailio | callmesh/Kamailio |")
    lines.append("|---|---|---|---|")
    held_runs = len((cm or km)["held_runs"])
    _ratio_row(lines, cm, km, f"highest calls/s held with 0 failures (median of {held_runs} ladders)",
               lambda s: s["held"], "{:.0f}", " (goal >= 1.0)")
    _ratio_row(lines, cm, km, f"CPU ms per call at {cpu_rate}/s, the box less SIPp (median of {repeat})",
               lambda s: s["cpu"]["box_median"], "{:.3f}", " (goal <= 1.0)")
    _ratio_row(lines, cm, km, f"CPU ms per call at {cpu_rate}/s, the system's processes (median of {repeat})",
               lambda s: s["cpu"]["cpu_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, "softirq ms per call (the median run)", lambda s: s["cpu"]["softirq_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, f"failed calls in the {cpu_rate}/s runs", lambda s: s["cpu"]["failed"], "{:.0f}")
    _ratio_row(lines, cm, km, "context switches per call (every thread, the median run)",
               lambda s: s["cpu"]["switches_per_call"], "{:.1f}")
    _ratio_row(lines, cm, km, f"setup latency p50 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p50"], "{:.2f}")
    _ratio_row(lines, cm, km, f"setup latency p99 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p99"], "{:.2f}")
    lines.append("")
    for label, s in (("callmesh", cm), ("Kamailio", km)):
        if not s or "cpu" not in s:
            continue
        lines.append(f"**{label}, by process** (ms per call, the median run): " + ", ".join(
            f"{n} {v:.3f}" for n, v in sorted(s["cpu"]["per_process"].items(), key=lambda kv: -kv[1])))
        lines.append("")
        lines.append(f"{label}, every run at {cpu_rate}/s after the warm-up (processes / box / softirq ms per call, "
                     "failed): " + "; ".join(
                         f"{r['cpu_ms_per_call']:.3f} / {r['box_ms_per_call']:.3f} / {r['softirq_ms_per_call']:.3f}, "
                         f"{r['failed']}" for r in s["cpu"]["all_runs"]))
        lines.append("")
        lines.append(f"{label}, highest rate held in each ladder: " + ", ".join(map(str, s["held_runs"])))
        lines.append("")
        lines.append(f"{label} ladder (the last): " + "; ".join(
            f"{x['rate']}/s ok {x['ok']} failed {x['failed']} (486 {x.get('busy', 0)}) box {x['box_ms_per_call']:.3f} ms/call "
            f"p50 {x['p50']:.2f} p99 {x['p99']:.2f} ms" for x in s["ladder"]))
        lines.append("")


def render(results, memory, facts, commit, dirty, rates, seconds, cpu_rate, args, workloads):
    lines = [f"Machine: {describe_machine(facts)}.\n",
             f"Commit `{commit}`{' (with uncommitted changes in the tree)' if dirty else ''}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; ladder {','.join(map(str, rates))} calls/s x "
             f"{seconds} s; Kamailio children {args.kamailio_children}; callmesh's services over ZeroMQ "
             f"{args.zmq}://; router decision reuse "
             f"{'the default' if args.decision_reuse_ms is None else str(args.decision_reuse_ms) + ' ms'}. "
             "Each system's first run at the CPU rate is a warm-up, printed by the tool and dropped.\n",
             "Workloads: " + "; ".join(
                 f"`{w.name}` = {w.numbers} tracking number{'s' if w.numbers > 1 else ''} dialled in turn, calls held "
                 f"{w.hold_ms} ms" for w in workloads) + ".\n"]
    for w in workloads:
        _workload_table(lines, w.name, results[w.name], cpu_rate, args.repeat)
    if memory:
        lines.append("### Memory\n")
        lines.append("| measure | callmesh | Kamailio | callmesh/Kamailio |")
        lines.append("|---|---|---|---|")
        _ratio_row(lines, memory.get("callmesh"), memory.get("kamailio"), "PSS per 1,000 live calls (MB)",
                   lambda m: m["mb_per_1000"], "{:.2f}", " (goal <= 1.0)")
        lines.append("")
        for name, m in memory.items():
            lines.append(f"{name}: PSS idle {m['idle_mb']:.1f} MB, {m['live']} live calls {m['busy_mb']:.1f} MB "
                         f"(the median run); every run, MB per 1,000 live calls: "
                         + ", ".join(f"{v:.2f}" for v in m.get("all_runs", [m["mb_per_1000"]])) + "; by process "
                         "(the median run, MB per 1,000): " + ", ".join(
                             f"{n} {v:.2f}" for n, v in sorted(m.get("by_process", {}).items(), key=lambda kv: -kv[1])))
        lines.append("")
    return "\n".join(lines) + "\n"
