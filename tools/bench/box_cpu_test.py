"""box_cpu.py and proc_cpu.py on a fake /proc tree: each task's schedstat run time, kernel threads
apart from other processes, tasks born and ended in the window, reaped children, a reused pid,
and every part >= 0 (the old /proc/stat figure went negative).

  cd tools/bench && python3 -m unittest -v box_cpu_test      (ctest -R tools_box_cpu)
"""

import os
import shutil
import tempfile
import unittest

import box_cpu
from proc_cpu import TICKS, cpu_seconds, thread_ns

MS = 1_000_000  # ns


class FakeProc:
    """A /proc tree under a temporary directory, written the way the kernel lays it out."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="fake-proc-")
        self.stat(softirq=0, steal=0)

    def close(self):
        shutil.rmtree(self.root)

    def stat(self, softirq, steal):
        with open(os.path.join(self.root, "stat"), "w") as f:
            f.write(f"cpu  100 0 50 9000 3 0 {softirq} {steal} 0 0\ncpu0 50 0 25 4500 1 0 0 0 0 0\n")

    def process(self, pid, comm, tasks, ppid=1, kthread=False, start=1000, reaped_ticks=0):
        """`tasks` {tid: ns}; rewrites the process, dropping the threads not named."""
        base = os.path.join(self.root, str(pid))
        shutil.rmtree(base, ignore_errors=True)
        flags = 0x00200040 if kthread else 0x00400100
        half = reaped_ticks // 2
        fields = ["S", ppid, pid, pid, 0, -1, flags, 10, 0, 0, 0, 7, 3, half, reaped_ticks - half,
                  20, 0, len(tasks), 0, start, 12345, 678]
        os.makedirs(os.path.join(base, "task"))
        with open(os.path.join(base, "stat"), "w") as f:
            f.write(f"{pid} ({comm}) " + " ".join(map(str, fields)) + "\n")
        for tid, ns in tasks.items():
            os.makedirs(os.path.join(base, "task", str(tid)))
            with open(os.path.join(base, "task", str(tid), "schedstat"), "w") as f:
                f.write(f"{ns} 4242 17\n")

    def gone(self, pid):
        shutil.rmtree(os.path.join(self.root, str(pid)))


class BoxAccounting(unittest.TestCase):
    def setUp(self):
        self.proc = FakeProc()
        self.addCleanup(self.proc.close)

    def test_process_cpu_is_the_sum_of_its_threads_schedstat(self):
        # a process with a comm holding ") (" and spaces: the stat parser must take the last ")"
        self.proc.process(700, "sip loop) (x", {700: 5 * MS, 701: 7 * MS, 702: 1})
        self.assertEqual(thread_ns(700, self.proc.root), {700: 5 * MS, 701: 7 * MS, 702: 1})
        self.assertAlmostEqual(cpu_seconds(700, self.proc.root), 0.012000001)
        self.assertEqual(box_cpu.read_proc(700, self.proc.root).comm, "sip loop) (x")
        self.assertEqual(cpu_seconds(999, self.proc.root), 0.0)  # gone: 0, not an error

    def test_the_box_splits_into_system_generators_kernel_threads_and_other_processes(self):
        p = self.proc
        p.process(1, "process_api", {1: 100 * MS})
        p.process(14, "ksoftirqd/0", {14: 10 * MS}, ppid=2, kthread=True)
        p.process(15, "kworker/1:2-events", {15: 1 * MS}, ppid=2, kthread=True)
        p.process(500, "ingress", {500: 300 * MS, 501: 50 * MS})
        p.process(600, "redis-server", {600: 80 * MS})
        p.process(800, "sipp", {800: 40 * MS})  # the phone
        p.process(900, "kamailio", {900: 5 * MS})  # the other system, idle
        before = box_cpu.snapshot(p.root)
        p.process(1, "process_api", {1: 103 * MS})
        p.process(14, "ksoftirqd/0", {14: 16 * MS}, ppid=2, kthread=True)
        p.process(15, "kworker/1:2-events", {15: 1 * MS}, ppid=2, kthread=True)
        p.process(16, "kworker/0:1-mm", {16: 2 * MS}, ppid=2, kthread=True)  # born in the window
        p.process(500, "ingress", {500: 420 * MS, 501: 51 * MS, 502: 9 * MS})  # a thread born too
        p.process(600, "redis-server", {600: 110 * MS})
        p.process(800, "sipp", {800: 70 * MS})
        p.process(900, "kamailio", {900: 6 * MS})
        after = box_cpu.snapshot(p.root)
        got = box_cpu.account(before, after, {"system": {500, 600}, "generators": {800}, "peer": {900}},
                              self_pid=None, self_reaped=0.25)
        self.assertAlmostEqual(got["groups"]["system"], (120 + 1 + 9 + 30) / 1000)
        self.assertAlmostEqual(got["by_pid"][500], 0.130)
        self.assertAlmostEqual(got["by_pid"][600], 0.030)
        self.assertAlmostEqual(got["groups"]["generators"], 0.030 + 0.25)  # the phone + the reaped caller
        self.assertAlmostEqual(got["groups"]["peer"], 0.001)
        self.assertAlmostEqual(got["kernel"], 0.008)
        self.assertAlmostEqual(got["other"], 0.003)
        self.assertEqual(set(got["top"]["kernel"]), {"ksoftirqd", "kworker"})
        self.assertAlmostEqual(got["top"]["kernel"]["kworker"], 0.002)
        self.assertEqual(got["top"]["other"], {"process_api": got["other"]})
        self.assertAlmostEqual(box_cpu.box_less(got, ("generators", "peer")), 0.160 + 0.008 + 0.003)
        self.assertEqual(got["ended_tasks"], 0)
        self.assertEqual(box_cpu.top(got, "kernel", per=2), "ksoftirqd 3.000, kworker 1.000")

    def test_ended_tasks_are_counted_and_a_reaped_childs_life_before_the_window_is_left_out(self):
        p = self.proc
        p.process(1, "process_api", {1: 100 * MS}, reaped_ticks=50)
        p.process(300, "make", {300: 20 * MS}, ppid=1, reaped_ticks=0)
        p.process(301, "cc1plus", {301: 2000 * MS, 302: 10 * MS}, ppid=300)  # ran 2 s before the window
        p.process(400, "worker", {400: 5 * MS, 401: 5 * MS})
        before = box_cpu.snapshot(p.root)
        p.process(1, "process_api", {1: 100 * MS}, reaped_ticks=50)
        p.gone(301)  # ended, and reaped by make: make's cutime grows by its whole life
        life_ticks = round(2.5 * TICKS)  # 2,010 ms seen at the start, 490 ms more in the window
        p.process(300, "make", {300: 21 * MS}, ppid=1, reaped_ticks=life_ticks)
        p.process(400, "worker", {400: 6 * MS})  # one thread ended
        after = box_cpu.snapshot(p.root)
        got = box_cpu.account(before, after, {})
        self.assertEqual(got["ended_tasks"], 3)  # cc1plus's two threads and the worker's second
        reaped = life_ticks / TICKS - 2.010
        self.assertAlmostEqual(got["reaped"], reaped)
        self.assertAlmostEqual(got["top"]["other"]["make"], 0.001 + reaped)
        self.assertAlmostEqual(got["other"], 0.001 + reaped + 0.001)

    def test_a_reused_pid_or_tid_counts_as_born_in_the_window_and_nothing_goes_negative(self):
        p = self.proc
        p.process(700, "old", {700: 900 * MS, 701: 800 * MS}, start=1000, reaped_ticks=90)
        p.process(800, "sipp", {800: 500 * MS, 801: 400 * MS})
        before = box_cpu.snapshot(p.root)
        p.process(700, "new", {700: 4 * MS}, start=5000, reaped_ticks=0)  # another process, same pid
        p.process(800, "sipp", {800: 501 * MS, 801: 3 * MS})  # tid 801 reused by a new thread
        after = box_cpu.snapshot(p.root)
        got = box_cpu.account(before, after, {"generators": {800}}, self_reaped=-1.0)
        self.assertAlmostEqual(got["top"]["other"]["new"], 0.004)
        self.assertAlmostEqual(got["groups"]["generators"], 0.001 + 0.003)
        self.assertEqual(got["ended_tasks"], 2)  # the old process's two threads
        for value in [got["kernel"], got["other"], got["reaped"], *got["groups"].values(), *got["by_pid"].values()]:
            self.assertGreaterEqual(value, 0.0)

    def test_a_window_reads_the_tick_sampled_softirq_and_steal_beside(self):
        p = self.proc
        p.process(1, "process_api", {1: 100 * MS})
        window = box_cpu.BoxWindow(p.root)
        p.stat(softirq=7, steal=3)
        p.process(1, "process_api", {1: 140 * MS})
        got = window.finish({"generators": set()})
        self.assertAlmostEqual(got["softirq_sampled"], 7 / TICKS)
        self.assertAlmostEqual(got["steal_sampled"], 3 / TICKS)
        self.assertAlmostEqual(got["other"], 0.040)


if __name__ == "__main__":
    unittest.main()
