"""Every CPU nanosecond the box spent in a window, by whom: the system under test, the load
generators, the kernel's threads, and everything else (issue 22 point 1).

Why not /proc/stat: on this kernel (CONFIG_TICK_CPU_ACCOUNTING, no IRQ_TIME_ACCOUNTING) its
totals are sampled at each clock tick (100 Hz), while a process's figure is its precise run time;
"the box from /proc/stat less SIPp's processes" came out negative for Kamailio. Here the box is
the sum of every task's own run time (the first field of /proc/<pid>/task/<tid>/schedstat, ns) over
every process of the box, kernel threads included (ksoftirqd, kworkers, rcu, kdamond), so each
part is a sum of non-negative differences and the parts add up to the whole.

Where softirq time lands: without IRQ_TIME_ACCOUNTING the kernel charges a softirq to the task
it ran in. Loopback delivery runs mostly in the sending task (local_bh_enable in sendmsg), so it
is inside that process's figure; what is deferred runs in ksoftirqd, a kernel thread here. An
interrupt that lands on an idle CPU is charged to the idle task, which /proc does not list: that
share (timer and virtio interrupts on an idle CPU) is not in the box figure. Steal (the hypervisor
running someone else) is not in any task's run time (PARAVIRT_TIME_ACCOUNTING).

Counted for a window [start, end]:
  * a task alive at both ends: its run time at the end less at the start;
  * a task born during the window and alive at the end: all of its run time;
  * a task that ended during the window: not seen (counted in `ended_tasks`), except
  * children reaped during the window: the reaping parent's cutime + cstime grew by the child's
    whole life (clock ticks), less what the child (and any of its own children that ended too)
    had run by the start, which the window must not count; this process's own reaped children
    (the SIPp caller) come from getrusage (microseconds) and are charged to the load generators.
The /proc/stat softirq and steal totals are kept beside, labelled as tick-sampled: softirq is
already inside the tasks' figures (not added), steal is outside them.
"""

import os

from proc_cpu import TICKS, children_cpu, thread_ns

PF_KTHREAD = 0x00200000  # include/linux/sched.h: the task is a kernel thread


class Proc:
    """One process as read at one instant: its name, parent, whether it is a kernel thread, its
    start time (tells a reused pid apart), its reaped children's CPU (ticks), and {tid: ns}."""

    __slots__ = ("comm", "ppid", "kthread", "start", "reaped_ticks", "tasks")

    def __init__(self, comm, ppid, kthread, start, reaped_ticks, tasks):
        self.comm, self.ppid, self.kthread, self.start = comm, ppid, kthread, start
        self.reaped_ticks, self.tasks = reaped_ticks, tasks

    def seconds(self):
        return sum(self.tasks.values()) / 1e9


def read_proc(pid, root="/proc"):
    """Proc of `pid`, or None when it is gone."""
    try:
        with open(f"{root}/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()  # fields[0] is stat's field 3 (state)
    ppid, flags, cutime, cstime, start = (int(fields[i]) for i in (1, 6, 13, 14, 19))
    return Proc(comm, ppid, bool(flags & PF_KTHREAD), start, cutime + cstime, thread_ns(pid, root))


def snapshot(root="/proc"):
    """{pid: Proc} for every process of the box (kernel threads included)."""
    procs = {}
    for name in os.listdir(root):
        if name.isdigit():
            proc = read_proc(int(name), root)
            if proc is not None:
                procs[int(name)] = proc
    return procs


def sampled_stat(root="/proc"):
    """(softirq, steal) seconds from /proc/stat's aggregate line: tick-sampled on this kernel."""
    with open(f"{root}/stat") as f:
        parts = f.readline().split()
    return int(parts[7]) / TICKS, int(parts[8]) / TICKS


def name_key(proc):
    """A kernel thread's family (kworker/1:2-events -> kworker), a process's own name."""
    return proc.comm.split("/", 1)[0] if proc.kthread else proc.comm


def account(before, after, groups, self_pid=None, self_reaped=0.0, generators="generators"):
    """Split the CPU seconds spent between snapshots `before` and `after`.

    `groups` {name: set of pids} names the processes to report on their own (the system under
    test, the load generators, an idle second system); a process in none of them is `kernel`
    (a kernel thread) or `other`. `self_reaped`: seconds of this process's children reaped in the
    window (getrusage), charged to the group named `generators`. Returns
    {"groups": {name: s}, "kernel": s, "other": s, "by_pid": {pid: s}, "top": {"kernel"|"other":
    {name: s}}, "ended_tasks": n, "reaped": s}; every figure is >= 0 by construction."""
    where = {pid: g for g, pids in groups.items() for pid in pids}
    out = {"groups": dict.fromkeys(groups, 0.0), "kernel": 0.0, "other": 0.0, "by_pid": {},
           "top": {"kernel": {}, "other": {}}, "ended_tasks": 0, "reaped": 0.0}

    def charge(pid, proc, seconds):
        out["by_pid"][pid] = out["by_pid"].get(pid, 0.0) + seconds
        if pid in where:
            out["groups"][where[pid]] += seconds
            return
        kind = "kernel" if proc.kthread else "other"
        out[kind] += seconds
        out["top"][kind][name_key(proc)] = out["top"][kind].get(name_key(proc), 0.0) + seconds

    ended = {pid: old for pid, old in before.items()
             if pid not in after or after[pid].start != old.start}
    # What each surviving parent's reaped children had run before the window: an ended process's
    # start figure goes to its nearest ancestor that survived (its reaper's cutime holds it).
    seen_before = {}
    for pid, old in ended.items():
        parent, hops = old.ppid, 0
        while parent in ended and hops < 64:
            parent, hops = ended[parent].ppid, hops + 1
        seen_before[parent] = seen_before.get(parent, 0.0) + old.seconds() + old.reaped_ticks / TICKS
    for pid, proc in after.items():
        old = None if pid in ended else before.get(pid)
        ns = 0
        for tid, now in proc.tasks.items():
            was = old.tasks.get(tid, 0) if old else 0
            ns += now - was if now >= was else now  # a smaller figure is a reused tid: a new task
        seconds = ns / 1e9
        if old is not None and pid != self_pid:
            grew = (proc.reaped_ticks - old.reaped_ticks) / TICKS
            reaped = max(grew - seen_before.get(pid, 0.0), 0.0)
            out["reaped"] += reaped
            seconds += reaped
        charge(pid, proc, seconds)
    for pid, old in before.items():
        alive = {} if pid in ended else after[pid].tasks
        out["ended_tasks"] += sum(1 for tid in old.tasks if tid not in alive)
    if generators in out["groups"]:
        out["groups"][generators] += max(self_reaped, 0.0)
        out["reaped"] += max(self_reaped, 0.0)
    return out


class BoxWindow:
    """A window over the whole box: `BoxWindow()` at the start, `.finish(groups)` at the end."""

    def __init__(self, root="/proc"):
        self.root = root
        self.before = snapshot(root)
        self.reaped = children_cpu()
        self.stat = sampled_stat(root)

    def finish(self, groups, generators="generators"):
        """account() of the window, plus "softirq_sampled" and "steal_sampled" seconds."""
        after = snapshot(self.root)
        softirq, steal = sampled_stat(self.root)
        out = account(self.before, after, groups, os.getpid(), children_cpu() - self.reaped, generators)
        out["softirq_sampled"] = softirq - self.stat[0]
        out["steal_sampled"] = steal - self.stat[1]
        return out


def box_less(result, left_out):
    """Seconds the box spent less the groups named in `left_out` (load generators, say)."""
    return sum(v for g, v in result["groups"].items() if g not in left_out) + result["kernel"] + result["other"]


def top(result, kind, per, n=3, scale=1000):
    """'name 0.012, name 0.004' of the `n` largest in `kind` (kernel/other), in ms per call."""
    items = sorted(result["top"][kind].items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{name} {v * scale / per:.3f}" for name, v in items if v > 0) or "none"
