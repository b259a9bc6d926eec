"""A callmesh cluster with several replicas of a service on one machine, sharing one Redis: the
multi-process shape of a multi-location deployment at small scale (docs/scale-plan.md).

Every process gets its own copy of cluster.yaml: the sections are the same for all, except that a
replica's own section names its own bind/admin/API ports, and each ingress replica points at "its"
router and notification replica. (`<service>.endpoint` is one ZeroMQ address, see
shared/config/cluster_config.h; in Kubernetes it is the Service name and kube-proxy spreads the
connections of the ingress replicas over the router pods, which is what the pairing imitates.)
The limiter and agent-presence run once and every ingress uses them.

Everything started here is stopped by pid; every wait is bounded."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from child_processes import popen, start_or_clean_up  # noqa: E402
from cluster import BUILD_DIR, Sipp, free_port, unclaimed_count, wait_until  # noqa: E402

import urllib.request  # noqa: E402


class Replica:
    """One process: service name, replica index, and its own ports."""

    def __init__(self, service, index):
        self.service = service
        self.index = index
        self.name = f"{service}-{index}"
        self.admin = free_port()
        self.zmq = free_port()
        self.sip = free_port() if service == "ingress" else None
        self.api = free_port() if service == "notification" else None
        self.notices = free_port() if service == "router" else None
        self.config = None
        self.proc = None


class ReplicaCluster:
    def __init__(self, routing_yaml, replicas=None, cap=50, caps=None, notification_extra="",
                 lease_ms=30000):
        """replicas: {service: count}; defaults to 2 ingress, 2 router, 2 notification, 1 limiter,
        1 agent-presence."""
        counts = {"ingress": 2, "router": 2, "concurrency-limiter": 1, "agent-presence": 1, "notification": 2}
        counts.update(replicas or {})
        self.dir = tempfile.mkdtemp(prefix="callmesh-scale-")
        self.redis_port = free_port()
        self.replicas = {svc: [Replica(svc, i) for i in range(n)] for svc, n in counts.items()}
        self.cap, self.caps, self.lease_ms = cap, dict(caps or {}), lease_ms
        self.notification_extra = notification_extra
        self.redis_proc = None
        with open(os.path.join(self.dir, "routing.yaml"), "w") as f:
            f.write(routing_yaml)
        for svc, rs in self.replicas.items():
            for r in rs:
                r.config = os.path.join(self.dir, f"{r.name}.yaml")
                with open(r.config, "w") as f:
                    f.write(self._config_for(r))

    def _pick(self, svc, me):
        """The replica of `svc` that process `me` talks to / is: itself, else the one with the
        same index as an ingress (wrapping), else the first."""
        rs = self.replicas[svc]
        if me.service == svc:
            return me
        return rs[me.index % len(rs)] if me.service == "ingress" else rs[0]

    def _config_for(self, me):
        ing = self._pick("ingress", me)
        rt = self._pick("router", me)
        lim = self._pick("concurrency-limiter", me)
        pre = self._pick("agent-presence", me)
        notif = self._pick("notification", me)
        caps = "".join(f'\n    "{n}": {c}' for n, c in self.caps.items()) or " {}"
        return f"""redis:
  host: 127.0.0.1
  port: {self.redis_port}
ingress:
  sip_host: 127.0.0.1
  sip_port: {ing.sip}
  admin: 127.0.0.1:{ing.admin}
  lease_renew_ms: {max(100, self.lease_ms // 3)}
router:
  bind: tcp://127.0.0.1:{rt.zmq}
  notices_bind: tcp://127.0.0.1:{rt.notices}
  admin: 127.0.0.1:{rt.admin}
  routing_file: routing.yaml
concurrency_limiter:
  bind: tcp://127.0.0.1:{lim.zmq}
  admin: 127.0.0.1:{lim.admin}
  default_cap: {self.cap}
  lease_ms: {self.lease_ms}
  caps:{caps}
agent_presence:
  bind: tcp://127.0.0.1:{pre.zmq}
  admin: 127.0.0.1:{pre.admin}
notification:
  bind: tcp://127.0.0.1:{notif.zmq}
  admin: 127.0.0.1:{notif.admin}
  api: 127.0.0.1:{notif.api}
{self.notification_extra}"""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        """Starts Redis and every replica; on any failure stops what started, then raises (a
        failed setUp never runs tearDown)."""
        return start_or_clean_up(self._start, self.cleanup)

    def _start(self):
        # CURVE keys beside the replicas' configs (zmq.keys_dir's default), as in production.
        subprocess.run([os.path.join(BUILD_DIR, "tools", "zmq-keys", "callmesh-zmq-keys"),
                        os.path.join(self.dir, "zmq-keys")], check=True, capture_output=True, timeout=30)
        os.makedirs(os.path.join(self.dir, "redis"))
        with open(os.path.join(self.dir, "redis.log"), "ab") as log:
            self.redis_proc = popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--dir",
                 os.path.join(self.dir, "redis"), "--save", "", "--appendonly", "no"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(lambda: self.redis("PING") == "PONG", 10, what="redis-server")
        for svc in ["concurrency-limiter", "router", "agent-presence", "notification", "ingress"]:
            for r in self.replicas[svc]:
                self.start_replica(r)
        return self

    def start_replica(self, r):
        binary = os.path.join(BUILD_DIR, "services", r.service, f"callmesh-{r.service}")
        with open(os.path.join(self.dir, f"{r.name}.log"), "ab") as log:
            r.proc = popen([binary, "--config", r.config], stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        wait_until(lambda: self.healthy(r), 10, what=f"{r.name} /healthz")

    def stop_replica(self, r, sig=signal.SIGTERM, timeout=10):
        if r.proc is None or r.proc.poll() is not None:
            return
        r.proc.send_signal(sig)
        try:
            r.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            r.proc.kill()
            r.proc.wait()

    def cleanup(self):
        for svc in ["ingress", "notification", "agent-presence", "router", "concurrency-limiter"]:
            for r in self.replicas.get(svc, []):
                self.stop_replica(r)
        if self.redis_proc and self.redis_proc.poll() is None:
            self.redis_proc.terminate()
            try:
                self.redis_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis_proc.kill()
                self.redis_proc.wait()
        if not os.environ.get("CALLMESH_KEEP_E2E_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- probes ------------------------------------------------------------------------------
    def http(self, r, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{r.admin}{path}", timeout=2) as resp:
            return resp.status, resp.read().decode()

    def healthy(self, r):
        if r.proc is not None and r.proc.poll() is not None:
            raise AssertionError(f"{r.name} exited with {r.proc.returncode}: see {self.dir}/{r.name}.log")
        try:
            return self.http(r, "/healthz")[0] == 200
        except OSError:
            return False

    def metric(self, r, name, labels=""):
        import re
        _, body = self.http(r, "/metrics")
        pattern = re.compile(r"^" + re.escape(name) + (re.escape("{" + labels + "}") if labels else r"") +
                             r" (\S+)$", re.M)
        m = pattern.search(body)
        return float(m.group(1)) if m else 0.0

    def total(self, svc, name, labels=""):
        return sum(self.metric(r, name, labels) for r in self.replicas[svc])

    def redis(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip()

    def unclaimed_count(self, kind="all"):
        return unclaimed_count(self.redis, kind)

    # -- SIPp --------------------------------------------------------------------------------
    def uas(self, scenario, port, name, extra=None):
        return Sipp(self.dir, scenario, ["-i", "127.0.0.1", "-p", str(port)] + (extra or []), name)

    def uac(self, ingress, service, calls, rate, hold_ms, name, scenario="uac_call.xml", extra=None):
        args = ["-s", service, f"127.0.0.1:{ingress.sip}", "-i", "127.0.0.1", "-p", str(free_port()),
                "-m", str(calls), "-r", str(rate), "-d", str(hold_ms), "-l", str(calls)]
        return Sipp(self.dir, scenario, args + (extra or []), name)
