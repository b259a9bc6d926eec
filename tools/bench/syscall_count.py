"""System calls made by a set of processes over a window, from the kernel's own tracepoint.

    counter = SyscallCounter({"ingress": pid, "redis": pid2}).start()
    ... load ...
    counts = counter.stop()      # {"ingress": 123456, "redis": 7890}

One `perf stat -e raw_syscalls:sys_enter -p PID` per process (every thread of it), stopped with
SIGINT by its own pid. On a paravirtualised guest every system call is a trip through the
hypervisor, so this count is what the ingress's loop and sofia's transport are judged by
(docs/bench/kamailio.md). Needs perf (Debian's linux-perf) and root or perf_event_paranoid <= 1;
without them `start` raises, so a bench never prints a count it did not take.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "tests", "e2e"))
from child_processes import popen  # noqa: E402  (perf dies with the bench, however it ends)


class SyscallCounter:
    def __init__(self, pids):
        self.pids = dict(pids)
        self.procs = {}
        self.files = {}

    def start(self):
        perf = shutil.which("perf")
        if perf is None:
            raise RuntimeError("perf is not installed (Debian: linux-perf)")
        for name, pid in self.pids.items():
            out = tempfile.NamedTemporaryFile(prefix=f"syscalls-{name}-", suffix=".csv", delete=False)
            out.close()
            self.files[name] = out.name
            self.procs[name] = popen(
                [perf, "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", str(pid), "-o", out.name],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self):
        counts = {}
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            counts[name] = parse_perf_csv(self.files[name])
            os.remove(self.files[name])
        self.procs.clear()
        return counts


def parse_perf_csv(path):
    """The count from `perf stat -x,` output, or None when perf could not count."""
    try:
        with open(path) as f:
            for line in f:
                fields = line.strip().split(",")
                if len(fields) >= 3 and fields[2] == "raw_syscalls:sys_enter":
                    return int(fields[0]) if fields[0].isdigit() else None
    except OSError:
        pass
    return None
