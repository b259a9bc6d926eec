"""rss_rules.py on made-up samples: SIPp's statistics file read and interpolated, the calls retained
in the trailing 32 s, and the two flatness rules: steps that follow a bursty carried rate pass the
per-call rule (the raw rule then does not decide), a leak fails the per-call rule whatever the rate.

  cd tools/soak && python3 -m unittest -v rss_rules_test      (ctest -R tools_rss_rules)
"""

import argparse
import os
import tempfile
import unittest

import rss_rules

EPOCH = 1_796_000_000.0
HEADER = ("StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);"
          "IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;"
          "SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);\n")


def stat_row(t, done):
    when = f"2026-12-06\t22:24:30.000000\t{EPOCH + t:.6f}"
    return f"{when};{when};{when};00:00:01;00:00:{int(t):02d};100;0;99.4;0;0;0;{done};{done};3;1;{done};0;0;\n"


def args(rate=1000, warmup=60, slope_window=120, max_slope=1024, tolerance=0.05):
    return argparse.Namespace(rate=rate, warmup=warmup, slope_window=slope_window, max_slope_kb_min=max_slope,
                              tolerance=tolerance)


def run(rate_at, kb_per_call=30.0, idle_kb=20_000, leak_kb_per_s=0.0, seconds=300, every=5):
    """Samples of an ingress that holds `kb_per_call` for each call completed in the last 32 s,
    with SIPp completing `rate_at(t)` calls in second t (SIPp's file: one row a second)."""
    series, done = [(EPOCH, 0)], 0
    for t in range(1, seconds + 1):
        done += rate_at(t)
        series.append((EPOCH + t, done))
    samples = []
    for t in range(every, seconds + 1, every):
        retained = rss_rules.completed_by(series, EPOCH + t) - rss_rules.completed_by(series, EPOCH + t - 32)
        rss = idle_kb + retained * kb_per_call + leak_kb_per_s * t
        samples.append({"t": t, "wall": EPOCH + t, "rss_kb": int(rss), "pss_kb": int(rss * 0.98)})
    return rss_rules.add_retained(samples, series, idle_kb), series


def bursty(t):
    """1,000 calls/s on average, SIPp behind (600/s) then catching up (1,400/s) in 40 s turns
    late in the run, as on the loaded box of 2026-12-06."""
    if t < 180:
        return 1000
    return 600 if (t // 40) % 2 == 0 else 1400


class StatisticsFile(unittest.TestCase):
    def test_sipp_statistics_are_read_and_interpolated_between_rows(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "stat.csv")
            with open(path, "w") as f:
                f.write(HEADER + stat_row(1, 0) + stat_row(2, 1000) + "garbage;;\n" + stat_row(3, 1500))
            series = rss_rules.read_completions(path)
        self.assertEqual(series, [(EPOCH + 1, 0), (EPOCH + 2, 1000), (EPOCH + 3, 1500)])
        self.assertEqual(rss_rules.completed_by(series, EPOCH), 0)
        self.assertEqual(rss_rules.completed_by(series, EPOCH + 1.5), 500)
        self.assertEqual(rss_rules.completed_by(series, EPOCH + 2.5), 1250)
        self.assertEqual(rss_rules.completed_by(series, EPOCH + 9), 1500)
        self.assertEqual(rss_rules.read_completions(os.path.join(d, "absent.csv")), [])

    def test_each_sample_gets_the_calls_of_the_trailing_32_s_and_bytes_per_call_above_idle(self):
        samples, _ = run(lambda t: 1000, kb_per_call=30.0, seconds=100, every=50)
        self.assertEqual([s["retained"] for s in samples], [32000, 32000])
        self.assertEqual([s["bytes_per_call"] for s in samples], [30 * 1024.0, 30 * 1024.0])
        early, _ = run(lambda t: 1000, seconds=10, every=10)
        self.assertEqual(early[0]["retained"], 10000)  # the first 32 s: only what has completed


class FlatnessRules(unittest.TestCase):
    def test_a_steady_rate_and_flat_memory_passes_both_rules(self):
        samples, _ = run(lambda t: 1000)
        got = rss_rules.judge(samples, args())
        self.assertEqual(got["problems"], [])
        self.assertEqual(got["raw"]["verdict"], "flat")
        self.assertTrue(got["raw"]["decides"])
        self.assertEqual(got["per_call"]["verdict"], "flat")
        self.assertEqual(got["per_call"]["slope_limit_b_per_min"], 32.8)  # 1,024 KB/min over 32,000 calls

    def test_steps_that_follow_a_bursty_carried_rate_pass_by_the_per_call_rule(self):
        samples, _ = run(bursty)
        got = rss_rules.judge(samples, args())
        self.assertNotEqual(got["raw"]["problems"], [])  # what failed on 2026-12-06
        self.assertFalse(got["raw"]["decides"])
        self.assertTrue(got["raw"]["verdict"].startswith("not applicable: the calls retained moved"))
        self.assertGreater(got["carried_rate_spread"], 0.05)
        self.assertEqual(got["per_call"]["verdict"], "flat")
        self.assertEqual(got["problems"], [])

    def test_a_leak_fails_the_per_call_rule_with_a_bursty_rate_and_both_with_a_steady_one(self):
        # 100 B per call at 1,000 calls/s: 6 MB a minute
        samples, _ = run(bursty, leak_kb_per_s=100.0)
        got = rss_rules.judge(samples, args())
        self.assertEqual(got["per_call"]["verdict"], "not flat")
        self.assertTrue(any(p.startswith("bytes per retained call: slope") for p in got["problems"]))
        steady, _ = run(lambda t: 1000, leak_kb_per_s=100.0)
        got = rss_rules.judge(steady, args())
        self.assertEqual(got["raw"]["verdict"], "not flat")
        self.assertEqual(got["per_call"]["verdict"], "not flat")
        self.assertTrue(any(p.startswith("rss_kb: slope") for p in got["problems"]))

    def test_a_falling_rate_hides_a_leak_from_the_raw_rule_not_from_the_per_call_rule(self):
        # 60 KB/s leaked (112 B per call per minute) while the rate eases 4 calls/s a minute: the
        # calls retained shrink by 128 a minute, about what the leak adds; the rate stays within 5%
        samples, _ = run(lambda t: round(1000 - 4 * t / 60), leak_kb_per_s=60.0)
        got = rss_rules.judge(samples, args())
        self.assertTrue(got["raw"]["decides"])
        self.assertEqual(got["raw"]["problems"], [])
        self.assertEqual(got["per_call"]["verdict"], "not flat")
        self.assertNotEqual(got["problems"], [])

    def test_too_few_samples_after_the_warm_up_is_a_problem_not_a_pass(self):
        samples, _ = run(lambda t: 1000, seconds=70, every=5)
        got = rss_rules.judge(samples, args(warmup=60))
        self.assertEqual(got["problems"], ["only 3 samples after the 60 s warm-up: run longer or sample more often"])

    def test_the_summary_holds_each_figure_over_the_steady_window(self):
        samples, _ = run(lambda t: 1000, kb_per_call=30.0)
        got = rss_rules.summary(samples, args(), idle_kb=20_000)
        self.assertEqual(got["idle_rss_kb"], 20_000)
        self.assertEqual(got["rss_kb"]["max_steady"], 20_000 + 32_000 * 30)
        self.assertEqual(got["retained"]["first_half_median"], 32000)
        self.assertEqual(got["bytes_per_call"]["slope_per_min"], 0.0)
        self.assertEqual(rss_rules.slope_per_min([(0, 0), (30, 5), (60, 10)]), 10.0)


if __name__ == "__main__":
    unittest.main()
