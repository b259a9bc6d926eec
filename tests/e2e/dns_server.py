"""A real DNS server for tests: dnsmasq on 127.0.0.1 at a free port, serving only the records a
test gives it (--no-resolv --no-hosts, --conf-file=/dev/null: nothing of this machine's), every
query logged to a file the test reads. Started with child_processes.popen and stopped by its pid,
so it dies with the test whatever happens."""

import os
import re
import subprocess

from child_processes import popen
from cluster import free_port, wait_until


class DnsServer:
    def __init__(self, workdir=None, name="dnsmasq"):
        self.workdir = workdir  # may be set later: the port is known first, for configuration
        self.name = name
        self.port = free_port()
        self.proc = None
        self.generation = 0

    def start(self, domain, naptr=(), srv=(), hosts=(), ttl=2):
        """naptr: (name, order, preference, flags, service, replacement); srv: (name, target,
        port, priority, weight); hosts: (name, address). Every answer carries `ttl` seconds."""
        self.generation += 1
        self.log_file = os.path.join(self.workdir, f"{self.name}.{self.generation}.queries.log")
        argv = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                f"--port={self.port}", f"--local=/{domain}/", f"--local-ttl={ttl}",
                "--log-queries", f"--log-facility={self.log_file}", "--cache-size=0",
                "--pid-file="]
        if os.geteuid() == 0:
            argv.append("--user=root")  # keep writing the log file in the test's directory
        argv += [f"--naptr-record={n},{o},{p},{f},{s},,{r}" for n, o, p, f, s, r in naptr]
        argv += [f"--srv-host={n},{t},{port},{prio},{w}" for n, t, port, prio, w in srv]
        argv += [f"--host-record={n},{a}" for n, a in hosts]
        out = open(os.path.join(self.workdir, f"{self.name}.{self.generation}.out"), "w")
        self.proc = popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        wait_until(lambda: "started" in self._log() or self.proc.poll() is not None, 10,
                   what="dnsmasq started")
        if self.proc.poll() is not None:
            raise AssertionError(f"dnsmasq exited {self.proc.returncode}: {self._log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # by pid: only the server this test started
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _log(self):
        if not os.path.exists(self.log_file):
            return ""
        with open(self.log_file, errors="replace") as f:
            return f.read()

    def queries(self):
        """(type, name) of every query this server's runs got, oldest first."""
        out = []
        for g in range(1, self.generation + 1):
            path = os.path.join(self.workdir, f"{self.name}.{g}.queries.log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out += re.findall(r"query\[(\w+)\] (\S+) from", f.read())
        return out

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"
