"""SIPp agents for the end-to-end tests: callers (uac) and phones (uas, lossy_phone) running the
scenarios kept in tests/e2e/sipp/, each stopped by pid."""

import os
import signal
import subprocess
import time

from child_processes import popen
from ports import free_port, free_port_block

SIPP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


class Sipp:
    """One SIPp process running a scenario kept in tests/e2e/sipp/."""

    def __init__(self, workdir, scenario, args, name):
        self.log_file = os.path.join(workdir, f"{name}.actions.log")
        self.err_file = os.path.join(workdir, f"{name}.errors.log")
        self.out_file = os.path.join(workdir, f"{name}.out")
        argv = ["sipp", "-sf", os.path.join(SIPP_DIR, scenario), "-nostdin", "-trace_logs", "-log_file",
                self.log_file, "-trace_err", "-error_file", self.err_file,
                "-mp", str(free_port_block()), "-cp", str(free_port())] + args
        with open(self.out_file, "w") as out:
            self.proc = popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=workdir)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"SIPp did not finish within {timeout}s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # SIPp: stop gracefully
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def count(self, word):
        if not os.path.exists(self.log_file):
            return 0
        with open(self.log_file) as f:
            return sum(1 for line in f if line.split(" ", 1)[0] == word)

    def count_when(self, word, expected, timeout=5.0):
        """count(word) once it reaches `expected`, or when `timeout` has passed. A SIPp that is
        still running (a phone) writes its log through a stdio buffer, so its last lines can
        reach the file after the caller has finished; reading at once counted 199 of 200."""
        deadline = time.monotonic() + timeout
        while self.count(word) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count(word)

    def lines(self, word):
        if not os.path.exists(self.log_file):
            return []
        with open(self.log_file) as f:
            return [line.split(" ", 1)[1].strip() for line in f if line.split(" ", 1)[0] == word]


def uas(cluster, scenario, port, name, extra=None):
    return Sipp(cluster.dir, scenario, ["-i", "127.0.0.1", "-p", str(port)] + (extra or []), name)


LOSSY_PHONE = "uas_answer_retrans.xml"


def lossy_phone(cluster, port, name):
    """A phone that answers like uas_answer_retrans.xml and, as a real phone does, keeps a call
    when a message arrives it did not expect at that step (SIPp aborts it by default). Under a
    flood a retransmitted INVITE and the ACK of the first 200 can land back to back: SIPp has the
    call queued to re-send its 200 when the ACK comes, aborted the call, and its BYE was lost."""
    return uas(cluster, LOSSY_PHONE, port, name, extra=["-default_behaviors", "all,-abortunexp"])


def uac(cluster, service, calls, rate, hold_ms, name, extra=None, scenario="uac_call.xml", transport=None,
        source=None):
    """A SIPp caller. `source`: another loopback address (127.0.0.2, ...) to send from, so the
    ingress sees a distinct source (a trunk known by its address); SIPp then binds to it."""
    local = ["-i", source, "-bind_local"] if source else ["-i", "127.0.0.1"]
    args = ["-s", service, cluster.sip] + local + ["-p", str(free_port()), "-m", str(calls), "-r",
                                                   str(rate), "-d", str(hold_ms), "-l", str(calls)]
    if transport:
        args += ["-t", transport]
    return Sipp(cluster.dir, scenario, args + (extra or []), name)
