"""The markdown report of tools/bench/compare_kamailio.py: the machine and commit first, a table of
ratios per workload, then every run's figure (warm-ups marked), not only the medians."""

import time

from bench_proc import describe_machine, median


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
    ladders = f"{held_runs} ladder{'s' if held_runs != 1 else ''}"
    _ratio_row(lines, cm, km, f"highest calls/s held with 0 failures (median of {ladders})",
               lambda s: s["held"], "{:.0f}", " (goal >= 1.0)")
    _ratio_row(lines, cm, km, f"CPU ms per call at {cpu_rate}/s, the box less SIPp and the idle other system "
               f"(median of {repeat})", lambda s: s["cpu"]["box_median"], "{:.3f}", " (goal <= 1.0)")
    _ratio_row(lines, cm, km, f"CPU ms per call at {cpu_rate}/s, the system's processes (median of {repeat})",
               lambda s: s["cpu"]["cpu_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, f"CPU ms per call at {cpu_rate}/s, the system's processes + kernel threads (the box "
               f"less other processes, median of {repeat})", lambda s: median(
                   [r["cpu_ms_per_call"] + r["kernel_ms_per_call"] for r in s["cpu"]["all_runs"]]), "{:.3f}")
    _ratio_row(lines, cm, km, "of the box: kernel threads, ms per call (the median run)",
               lambda s: s["cpu"]["kernel_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, "of the box: other processes, ms per call (the median run)",
               lambda s: s["cpu"]["other_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, "softirq ms per call, tick-sampled from /proc/stat, inside the figures above "
               "(the median run)", lambda s: s["cpu"]["softirq_sampled_ms_per_call"], "{:.3f}")
    _ratio_row(lines, cm, km, f"failed calls in the {cpu_rate}/s runs", lambda s: s["cpu"]["failed"], "{:.0f}")
    _ratio_row(lines, cm, km, "context switches per call (every thread, the median run)",
               lambda s: s["cpu"]["switches_per_call"], "{:.1f}")
    _ratio_row(lines, cm, km, f"setup latency p50 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p50"], "{:.2f}")
    _ratio_row(lines, cm, km, f"setup latency p99 at {cpu_rate}/s (ms)", lambda s: s["cpu"]["p99"], "{:.2f}")
    lines.append("")
    for label, s in (("callmesh", cm), ("Kamailio", km)):
        if not s:
            continue
        if "cpu" in s:
            _cpu_runs(lines, label, s["cpu"], cpu_rate)
        if s["held_runs"]:
            lines.append(f"{label}, highest rate held in each ladder: " + ", ".join(map(str, s["held_runs"]))
                         + f" (median {s['held']})")
            lines.append("")
        for i, ladder in enumerate(s["ladders"]):
            lines.append(f"{label} ladder {i + 1}: " + "; ".join(
                f"{x['rate']}/s ok {x['ok']} failed {x['failed']} (486 {x.get('busy', 0)}) CPU "
                f"{x['cpu_ms_per_call']:.3f} box {x['box_ms_per_call']:.3f} ms/call p50 {x['p50']:.2f} "
                f"p99 {x['p99']:.2f} ms" for x in ladder))
            lines.append("")


def _run_figures(r):
    return (f"{r['cpu_ms_per_call']:.3f} / {r['box_ms_per_call']:.3f} (kernel threads {r['kernel_ms_per_call']:.3f}, "
            f"other {r['other_ms_per_call']:.3f}) / {r['softirq_sampled_ms_per_call']:.3f}, {r['failed']} failed")


def _cpu_runs(lines, label, cpu, cpu_rate):
    lines.append(f"**{label}, by process** (ms per call, the median run): " + ", ".join(
        f"{n} {v:.3f}" for n, v in sorted(cpu["per_process"].items(), key=lambda kv: -kv[1])))
    lines.append("")
    lines.append(f"{label}, the median run's box beyond the system: kernel threads {cpu['kernel_top']}; "
                 f"other processes {cpu['other_top']}; the other system, idle, {cpu['peer_ms_per_call']:.3f} "
                 f"(not in the box figure); SIPp {cpu['generators_ms_per_call']:.3f} (not in it); tasks that "
                 f"ended in the window (unseen) {cpu['ended_tasks']}; steal {cpu['steal_ms_per_call']:.3f} "
                 "(ms per call)")
    lines.append("")
    runs = "; ".join(f"{i + 1}: {_run_figures(r)}" for i, r in enumerate(cpu["all_runs"]))
    warm = f"; warm-up (not counted): {_run_figures(cpu['warmup'])}" if cpu.get("warmup") else ""
    lines.append(f"{label}, every run at {cpu_rate}/s (processes / box (of it kernel threads, other) / softirq "
                 f"sampled, ms per call): {runs}{warm}")
    lines.append("")


def render(results, memory, facts, commit, dirty, rates, seconds, cpu_rate, args, workloads):
    lines = [f"Machine: {describe_machine(facts)}.\n",
             f"Commit `{commit}`{' (with uncommitted changes in the tree)' if dirty else ''}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; ladder {','.join(map(str, rates))} calls/s x "
             f"{seconds} s; Kamailio children {args.kamailio_children}; callmesh's services over ZeroMQ "
             f"{args.zmq}://; router decision reuse "
             f"{'the default' if args.decision_reuse_ms is None else str(args.decision_reuse_ms) + ' ms'}. "
             "Each system's first run at the CPU rate is a warm-up, reported and not counted. CPU is each task's "
             "own run time (/proc/<pid>/task/<tid>/schedstat, ns); the box is every task of the box less the "
             "SIPp caller and phone and less the other system, idle meanwhile (tools/bench/box_cpu.py).\n",
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
        if any("settled_median" in (m or {}) for m in memory.values()):
            _ratio_row(lines, memory.get("callmesh"), memory.get("kamailio"),
                       f"the same, {args.memory_settle} s after the last answer (median of the runs)",
                       lambda m: m["settled_median"], "{:.2f}", "")
        lines.append("")
        for name, m in memory.items():
            lines.append(f"{name}: PSS idle {m['idle_mb']:.1f} MB, {m['live']} live calls {m['busy_mb']:.1f} MB "
                         f"(the median run); every run, MB per 1,000 live calls: "
                         + ", ".join(f"{v:.2f}" for v in m.get("all_runs", [m["mb_per_1000"]])) + "; by process "
                         "(the median run, MB per 1,000): " + ", ".join(
                             f"{n} {v:.2f}" for n, v in sorted(m.get("by_process", {}).items(), key=lambda kv: -kv[1]))
                         + ("" if "settled_runs" not in m else
                            f"; {args.memory_settle} s after the last answer, every run: "
                            + ", ".join(f"{v:.2f}" for v in m["settled_runs"]) + "; by process (that run): "
                            + ", ".join(f"{n} {v:.2f}" for n, v in sorted(m.get("settled_by_process", {}).items(),
                                                                         key=lambda kv: -kv[1]))))
        lines.append("")
    return "\n".join(lines) + "\n"
