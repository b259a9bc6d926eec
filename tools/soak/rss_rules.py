"""The flatness rules of tools/soak/ingress_rss.py, pure (samples in, findings out), so a unit test
drives them (rss_rules_test.py).

The ingress keeps every finished call's transactions for sofia's 32 s (RFC 3261 Timer D and J over
UDP), so its RSS follows the calls completed in the last 32 s, not the time: when the caller falls
behind and catches up in bursts (a loaded box), RSS steps with it, and the raw rule reads the steps
as growth. Two rules, both reported:

  raw         (1) slope: the least-squares slope of RSS (and PSS) over the last --slope-window
              seconds is at most --max-slope-kb-min; (2) halves: the second half's peak is within
              --tolerance of the first half's. It decides only when the carried rate was steady:
              every steady sample's calls completed in the trailing 32 s within --tolerance of
              their median; otherwise it is reported as not applicable (a falling rate can also
              hide a leak from it, which the second rule sees).
  per call    bytes per retained call = (RSS - the idle RSS before the load) / calls completed in
              the trailing 32 s (SIPp's SuccessfulCall count, interpolated at each sample's time):
              (1) slope at most the raw limit spread over the calls the nominal rate retains
              (--max-slope-kb-min x 1024 / (rate x 32) bytes per call per minute: the same leak per
              call trips both rules); (2) halves: the second half's median within --tolerance of
              the first half's (medians: one burst's sample must not decide). Always decides.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from bench_proc import median  # noqa: E402

RETENTION_S = 32.0  # sofia's Timer D / Timer J over UDP: 64 x T1


def slope_per_min(points):
    """Least-squares slope of [(t seconds, value)] per minute (0 for fewer than 2 points)."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in points) / var * 60


def read_completions(path):
    """[(epoch seconds, calls completed so far)] from a SIPp -trace_stat CSV (CurrentTime's third
    tab-separated part is the epoch; SuccessfulCall(C) the cumulative count); [] if unreadable."""
    rows = []
    try:
        with open(path, errors="replace") as f:
            header = f.readline().strip().split(";")
            now, done = header.index("CurrentTime"), header.index("SuccessfulCall(C)")
            for line in f:
                parts = line.strip().split(";")
                try:
                    rows.append((float(parts[now].split("\t")[-1]), int(parts[done])))
                except (IndexError, ValueError):
                    continue
    except (OSError, ValueError):
        return []
    return sorted(rows)


def completed_by(series, t):
    """Calls completed by epoch `t`, interpolated between SIPp's once-a-second rows."""
    if not series or t <= series[0][0]:
        return 0 if not series or t < series[0][0] else series[0][1]
    for (t0, c0), (t1, c1) in zip(series, series[1:]):
        if t <= t1:
            return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1
    return series[-1][1]


def add_retained(samples, series, idle_kb, retention=RETENTION_S):
    """Give each sample ({t, wall, rss_kb, ...}) `retained` (calls completed in the trailing
    `retention` s) and `bytes_per_call` ((RSS - idle) / retained; None with no call retained)."""
    for s in samples:
        retained = completed_by(series, s["wall"]) - completed_by(series, s["wall"] - retention)
        s["retained"] = round(retained, 1)
        s["bytes_per_call"] = round((s["rss_kb"] - idle_kb) * 1024 / retained, 1) if retained >= 1 else None
    return samples


def _halves(steady):
    half = len(steady) // 2
    return steady[:half], steady[half:]


def raw_rule(steady, args):
    """Problems of the raw rule over the steady samples, RSS and PSS alike."""
    problems = []
    end = steady[-1]["t"]
    first, second = _halves(steady)
    for field in ("rss_kb", "pss_kb"):
        slope = slope_per_min([(s["t"], s[field]) for s in steady if s["t"] >= end - args.slope_window])
        if slope > args.max_slope_kb_min:
            problems.append(f"{field}: slope {slope:.0f} KB/min over the last {args.slope_window:g} s "
                            f"(limit {args.max_slope_kb_min:g})")
        a, b = max(s[field] for s in first), max(s[field] for s in second)
        if b > a * (1 + args.tolerance):
            problems.append(f"{field}: second half's peak {b} KB above the first half's {a} KB "
                            f"by more than {args.tolerance:.0%}")
    return problems


def per_call_limit(args, retention=RETENTION_S):
    """Bytes per retained call per minute: the raw slope limit over the calls the rate retains."""
    return args.max_slope_kb_min * 1024 / (args.rate * retention)


def per_call_rule(steady, args):
    """Problems of the bytes-per-retained-call rule over the steady samples."""
    points = [s for s in steady if s.get("bytes_per_call") is not None]
    if len(points) < 4:
        return [f"only {len(points)} steady samples with calls retained: no per-call verdict"]
    problems = []
    end = points[-1]["t"]
    slope = slope_per_min([(s["t"], s["bytes_per_call"]) for s in points if s["t"] >= end - args.slope_window])
    if slope > per_call_limit(args):
        problems.append(f"bytes per retained call: slope {slope:.1f} B/min over the last {args.slope_window:g} s "
                        f"(limit {per_call_limit(args):.1f})")
    first, second = _halves(points)
    a, b = median([s["bytes_per_call"] for s in first]), median([s["bytes_per_call"] for s in second])
    if b > a * (1 + args.tolerance):
        problems.append(f"bytes per retained call: second half's median {b:.0f} above the first half's {a:.0f} "
                        f"by more than {args.tolerance:.0%}")
    return problems


def carried_rate_spread(steady):
    """The largest distance of a steady sample's retained calls from their median, as a fraction."""
    counts = [s["retained"] for s in steady if s.get("retained") is not None]
    mid = median(counts) if counts else 0
    return max(abs(c - mid) for c in counts) / mid if mid > 0 else float("inf")


def judge(samples, args):
    """{"raw": {...}, "per_call": {...}, "carried_rate_spread": x, "problems": [...]} over the
    samples after the warm-up; `problems` are what fail the run."""
    steady = [s for s in samples if s["t"] >= args.warmup]
    if len(steady) < 4:
        problem = f"only {len(steady)} samples after the {args.warmup:g} s warm-up: run longer or sample more often"
        return {"raw": {"verdict": "no verdict"}, "per_call": {"verdict": "no verdict"}, "problems": [problem]}
    spread = carried_rate_spread(steady)
    steady_rate = spread <= args.tolerance
    raw, per_call = raw_rule(steady, args), per_call_rule(steady, args)
    out = {"carried_rate_spread": round(spread, 3),
           "raw": {"problems": raw, "decides": steady_rate,
                   "verdict": ("flat" if not raw else "not flat") if steady_rate else
                   f"not applicable: the calls retained moved {spread:.0%} from their median "
                   f"(limit {args.tolerance:.0%}); {'flat' if not raw else 'not flat'} by its own figures"},
           "per_call": {"problems": per_call, "decides": True, "verdict": "flat" if not per_call else "not flat",
                        "slope_limit_b_per_min": round(per_call_limit(args), 1)}}
    out["problems"] = (raw if steady_rate else []) + per_call
    return out


def _median_or_none(values):
    return round(median(values), 1) if values else None


def summary(samples, args, idle_kb):
    """Start, warm-up end, end, range and slope of each figure over the steady window."""
    steady = [s for s in samples if s["t"] >= args.warmup]
    end = steady[-1]["t"] if steady else 0
    first, second = _halves(steady)
    out = {"idle_rss_kb": idle_kb}
    for field in ("rss_kb", "pss_kb", "bytes_per_call", "retained", "heap_allocated_kb", "heap_resident_kb"):
        values = [s for s in steady if s.get(field) is not None]
        if field.startswith("heap_") and not values:
            continue  # no jemalloc figures (a sanitizer build): shown, never judged
        window = [(s["t"], s[field]) for s in values if s["t"] >= end - args.slope_window]
        out[field] = {
            "at_warmup_end": values[0][field] if values else None,
            "end": values[-1][field] if values else None,
            "min_steady": min((s[field] for s in values), default=None),
            "max_steady": max((s[field] for s in values), default=None),
            "first_half_max": max((s[field] for s in first if s.get(field) is not None), default=None),
            "second_half_max": max((s[field] for s in second if s.get(field) is not None), default=None),
            "first_half_median": _median_or_none([s[field] for s in first if s.get(field) is not None]),
            "second_half_median": _median_or_none([s[field] for s in second if s.get(field) is not None]),
            "slope_per_min": round(slope_per_min(window), 1),
        }
    return out
