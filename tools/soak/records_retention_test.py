"""records_retention.py's judge on made-up samples: a driver that wrote slower in the first half
(a busy machine) holds more keys later only because its live window is larger, and passes; keys
that grow with every record written (retention not working) fail at any rate.

  cd tools/soak && python3 -m unittest -v records_retention_test      (ctest -R tools_records_retention)
"""

import argparse
import contextlib
import io
import unittest

import records_retention

BASE_MEMORY = 900_000


def args():
    return argparse.Namespace(records=2000, rate=1000, unclaimed_ms=1000, tolerance=0.25)


def sample(records, t_ms, keys):
    return {"records": records, "t_ms": t_ms, "keys": keys, "used_memory": BASE_MEMORY + keys * 400}


def judged(samples):
    with contextlib.redirect_stdout(io.StringIO()):
        return records_retention.judge(args(), samples, 0, BASE_MEMORY, BASE_MEMORY)


class Judge(unittest.TestCase):
    def test_a_slower_first_half_is_not_growth(self):
        # 500 records/s for 2 s, then 1,000/s: the live window (records of the last second)
        # doubles, and the keys with it (0.1 key per live record).
        samples, records = [], 0
        for t in range(100, 4100, 100):
            records += 50 if t <= 2000 else 100
            window = 500 if t <= 2000 else min(1000, 500 + (t - 2000) // 100 * 50)
            samples.append(sample(records, t, window // 10 + 10))
        self.assertGreater(samples[-1]["keys"], samples[len(samples) // 2]["keys"] * 1.25)
        self.assertEqual(judged(samples), [])

    def test_keys_growing_with_every_record_fail(self):
        samples = [sample(r, r, r // 10 + 10) for r in range(100, 4100, 100)]
        problems = judged(samples)
        self.assertEqual(len(problems), 2)
        self.assertIn("keys per record of the live window grew", problems[0])
        self.assertIn("used_memory per record of the live window grew", problems[1])

    def test_records_at_reads_between_samples(self):
        samples = [sample(100, 100, 0), sample(300, 200, 0)]
        self.assertEqual(records_retention.records_at(samples, 150), 200)
        self.assertEqual(records_retention.records_at(samples, 50), 50)
        self.assertEqual(records_retention.records_at(samples, 500), 300)


if __name__ == "__main__":
    unittest.main()
