"""The test harness itself: a test that fails, in its setup or by being killed, leaves no process
behind (issue 16, item 10: a failed setup used to leave whole clusters running, Redis included)."""

import os
import subprocess
import sys
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cluster  # noqa: E402


def alive(pid):
    """True while `pid` runs (a zombie, dead but not yet reaped by its parent, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class FailedSetupLeavesNothing(unittest.TestCase):
    def test_a_cluster_whose_service_cannot_start_stops_its_redis(self):
        saved = cluster.BUILD_DIR
        cluster.BUILD_DIR = os.path.join(HERE, "no-such-build-dir")
        c = cluster.Cluster("tracking_numbers: []\n")
        try:
            with self.assertRaises(Exception):
                c.start()
        finally:
            cluster.BUILD_DIR = saved
        self.assertIn("redis", c.procs, "redis-server should have been started first")
        redis_pid = c.procs["redis"].pid
        self.assertFalse(alive(redis_pid), f"redis-server {redis_pid} outlived the failed start")
        self.assertFalse(os.path.exists(c.dir), "the cluster's scratch folder was left behind")


class KilledTestLeavesNothing(unittest.TestCase):
    def test_children_die_when_the_test_process_is_killed(self):
        # A stand-in test process starts a child through the harness, prints its pid and is then
        # killed by SIGKILL, as ctest does on a time-out: no Python cleanup code runs there.
        script = textwrap.dedent(f"""
            import os, signal, sys, time
            sys.path.insert(0, {HERE!r})
            from child_processes import popen
            child = popen(["sleep", "30"])
            print(child.pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10)
        child_pid = int(out.stdout.split()[0])
        deadline = time.monotonic() + 5
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(child_pid), f"child {child_pid} outlived its killed test process")


if __name__ == "__main__":
    unittest.main(verbosity=2)


class PortsOutsideTheEphemeralRange(unittest.TestCase):
    def test_ports_and_blocks_are_free_below_the_ephemeral_range_and_never_repeat(self):
        # A busy machine's ephemeral range is full of client source ports and TIME_WAIT: a block
        # of 41 for rtpengine was once not found there in 200 tries.
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
        ports = [cluster.free_port() for _ in range(200)]
        block = cluster.free_port_block(41)
        given = ports + list(range(block, block + 41))
        self.assertEqual(len(set(given)), len(given), "a port was handed out twice")
        self.assertTrue(all(10000 <= p < ephemeral_low for p in given), given)
        self.assertTrue(all(cluster._bindable(p) for p in range(block, block + 41)))
