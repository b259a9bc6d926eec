"""What the benchmarks read off the box: context switches and PSS from /proc, and the machine's
facts to print beside every figure (a figure from one machine does not carry over to another).
CPU time is proc_cpu.py's (per process) and box_cpu.py's (the whole box, by whom)."""

import glob
import gzip
import os
import platform
import re
import subprocess
import sys

from proc_cpu import children_cpu, cpu_seconds  # noqa: F401  (re-exported for the benches)


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of the process, from /proc."""
    return sum(thread_switches(pid).values())


def thread_switches(pid):
    """{thread name: voluntary + involuntary context switches}, summed over the process's threads
    of that name ({} once the process is gone)."""
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(f"{task}/comm") as f:
                name = f.read().strip()
            with open(f"{task}/status") as f:
                n = sum(int(line.split()[1]) for line in f
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
        except (OSError, ValueError, IndexError):
            continue
        out[name] = out.get(name, 0) + n
    return out


def pss_kb(pid):
    return memory_kb(pid)["Pss"]


MEMORY_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "AnonHugePages")


# The ingress's per-source limits would ban SIPp, one source sending 3 requests per call (a
# carrier trunk is one source too); Kamailio has none. Every bench and soak gives the ingress these.
UNLIMITED_SOURCES = ("  rate_limit_rps: 1000000\n  rate_limit_burst: 1000000\n"
                     "  new_call_rps: 1000000\n  new_call_burst: 1000000\n")


def rss_kb(pid):
    """VmRSS of the process in kB, from /proc/<pid>/status (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def named_lua(src, name, where):
    """The body of `constexpr const char* <name> = R"lua(...)lua";` in C++ source text `src`
    (the scripts as the services load them); exits naming `where` when it is not there."""
    m = re.search(r'constexpr const char\* ' + name + r' = R"lua\((.*?)\)lua";', src, re.S)
    if not m:
        sys.exit(f"{where}: no Lua body named {name}")
    return m.group(1)


def memory_kb(pid):
    """{Rss, Pss, Pss_Anon, Pss_File, Pss_Shmem, AnonHugePages} of the process in kB, from /proc/<pid>/smaps_rollup
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


def cpu_accounting():
    """How this kernel accounts CPU time (from /proc/config.gz when it has one): says whether
    /proc/stat's totals are tick-sampled, which is why box_cpu.py sums each task's run time."""
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            config = {line.split("=", 1)[0] for line in f if line.endswith("=y\n")}
    except OSError:
        return "unknown (no /proc/config.gz)"
    if "CONFIG_VIRT_CPU_ACCOUNTING_GEN" in config:
        mode = "precise (VIRT_CPU_ACCOUNTING_GEN)"
    elif "CONFIG_TICK_CPU_ACCOUNTING" in config:
        mode = "tick-sampled /proc/stat (TICK_CPU_ACCOUNTING)"
    else:
        mode = "other"
    irq = "IRQ_TIME_ACCOUNTING" if "CONFIG_IRQ_TIME_ACCOUNTING" in config else "no IRQ_TIME_ACCOUNTING"
    return f"{mode}, {irq}; per-task run time from schedstat (ns)"


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
        "cpu_accounting": cpu_accounting(),
        "load_average": os.getloadavg(),
    }


def describe_machine(facts):
    load = ", ".join(f"{v:.2f}" for v in facts["load_average"])
    return (f"{facts['cpu']}, {facts['cores']} cores, {facts['memory_gib']} GiB, kernel {facts['kernel']}, "
            f"virtualisation: {facts['virtualisation']}; CPU accounting: {facts.get('cpu_accounting', 'unknown')}; "
            f"load average at the start {load}")
