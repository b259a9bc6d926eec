"""What the benchmarks read off the box: per-process CPU, context switches and PSS from /proc, the
whole box's CPU from /proc/stat (softirq included, which no process is charged for when it runs
outside a syscall), and the machine's facts to print beside every figure (a figure from one
machine does not carry over to another)."""

import glob
import os
import platform
import subprocess

from proc_cpu import TICKS, cpu_seconds  # noqa: F401  (re-exported for the benches)


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of the process, from /proc."""
    total = 0
    for task in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(task) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pss_kb(pid):
    return memory_kb(pid)["Pss"]


MEMORY_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem")


def memory_kb(pid):
    """{Rss, Pss, Pss_Anon, Pss_File, Pss_Shmem} of the process in kB, from /proc/<pid>/smaps_rollup
    (0 each once the process is gone)."""
    values = dict.fromkeys(MEMORY_FIELDS, 0)
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in values:
                    values[key] = int(line.split()[1])
    except OSError:
        pass
    return values


class BoxCpu:
    """The box's CPU time from the aggregate line of /proc/stat, in seconds. `busy` is user + nice
    + system + irq + softirq (guest time is inside user; steal is the hypervisor's, not ours);
    `softirq` alone is where loopback packet delivery lands when no process is charged for it."""

    FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

    def __init__(self):
        with open("/proc/stat") as f:
            parts = f.readline().split()
        values = dict(zip(self.FIELDS, (int(v) / TICKS for v in parts[1:1 + len(self.FIELDS)])))
        self.busy = sum(values[k] for k in ("user", "nice", "system", "irq", "softirq"))
        self.softirq = values["softirq"]
        self.steal = values["steal"]

    def since(self, before):
        """(busy, softirq, steal) seconds spent between `before` and this reading."""
        return self.busy - before.busy, self.softirq - before.softirq, self.steal - before.steal


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def median(values):
    return percentile(values, 50)


def sipp_failed_calls(out_file):
    """The cumulative "Failed call" count of SIPp's final statistics screen (0 if absent)."""
    failed = 0
    try:
        with open(out_file, errors="replace") as f:
            for line in f:
                if line.strip().startswith("Failed call"):
                    failed = int(line.rsplit("|", 1)[1].split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return failed


def _first(path, prefix):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine_facts():
    """CPU model, cores, kernel, memory, virtualisation and load: the line every report starts
    with, so a reader knows which machine a figure belongs to and how busy it was."""
    virt = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip() \
        if os.path.exists("/usr/bin/systemd-detect-virt") else ""
    flags = _first("/proc/cpuinfo", "flags")
    if not virt and " hypervisor" in f" {flags}":
        virt = "a hypervisor's guest"
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb.isdigit() else "unknown",
        "virtualisation": virt or "none seen",
        "load_average": os.getloadavg(),
    }


def describe_machine(facts):
    load = ", ".join(f"{v:.2f}" for v in facts["load_average"])
    return (f"{facts['cpu']}, {facts['cores']} cores, {facts['memory_gib']} GiB, kernel {facts['kernel']}, "
            f"virtualisation: {facts['virtualisation']}; load average at the start {load}")
