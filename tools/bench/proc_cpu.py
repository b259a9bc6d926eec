"""CPU time of a process, from /proc: what every benchmark here sums per call.

The figure is each thread's own run time in nanoseconds, the first field of
/proc/<pid>/task/<tid>/schedstat (the scheduler's sum_exec_runtime), summed over the process's
threads. /proc/<pid>/stat's utime + stime is the same total rounded to clock ticks (10 ms at
100 Hz), which over a few seconds of a lightly loaded process is an error of several percent; and
the box-wide sum (box_cpu.py) must add every task of the box in one unit, or the parts stop adding
up (the /proc/stat totals are sampled at each tick on a kernel without IRQ_TIME_ACCOUNTING or
VIRT_CPU_ACCOUNTING_GEN, so they disagree with the processes' precise figures).

What schedstat does not hold: a thread that ended takes its time with it (the process's total in
/proc/<pid>/stat keeps it); the services and Kamailio keep their threads for their lifetime, and
box_cpu.py counts the tasks that ended during a window so a report can say so.
"""

import os
import resource

TICKS = os.sysconf("SC_CLK_TCK")


def task_ns(path):
    """The first field of a schedstat file (ns on the CPU), or None when the task is gone."""
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def thread_ns(pid, root="/proc"):
    """{tid: ns on the CPU} for every live thread of `pid` ({} once the process is gone)."""
    out = {}
    try:
        tids = os.listdir(f"{root}/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        ns = task_ns(f"{root}/{pid}/task/{tid}/schedstat")
        if ns is not None and tid.isdigit():
            out[int(tid)] = ns
    return out


def cpu_seconds(pid, root="/proc"):
    """Seconds `pid` has been on a CPU, all live threads (schedstat, ns); 0.0 once it is gone."""
    return sum(thread_ns(pid, root).values()) / 1e9


def children_cpu():
    """CPU seconds of the children this process has reaped so far (getrusage, microseconds): a
    SIPp caller's, once it has been waited for; its /proc entry is gone by then."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
