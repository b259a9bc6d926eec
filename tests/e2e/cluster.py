"""A private callmesh cluster for one end-to-end test: redis-server and the five services as real
processes on loopback with free ports, plus SIPp helpers. Everything started here is stopped by
pid, never by name, and every wait is bounded."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import redis_cluster as rcluster
import rtpengine_ng
from child_processes import popen, start_or_clean_up
# Re-exported: the tests import them from here.
from ports import _bindable, free_port, free_port_block  # noqa: F401
from sipp_agents import LOSSY_PHONE, SIPP_DIR, Sipp, lossy_phone, uac, uas  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("CALLMESH_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
SERVICES = ["concurrency-limiter", "router", "agent-presence", "notification", "ingress"]
# CALLMESH_E2E_REDIS=cluster: every Cluster keeps its state in a Redis Cluster of 3 masters and 3
# replicas started by the test (tests/e2e/redis_cluster.py) instead of one redis-server.
REDIS_CLUSTER = os.environ.get("CALLMESH_E2E_REDIS", "") == "cluster"
RTP_PORTS = 40  # rtpengine's port range per test cluster: 10 calls (2 sides x RTP/RTCP)


def token_hash(token):
    """SHA-256 hex of an API bearer token: what notification.tokens keeps (tools/callmesh-token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def unclaimed_count(redis, kind="all"):
    """Entries of the sharded index of unclaimed records (`all`) or missed calls (`missed`),
    summed over its shards (shared/redis/keys.h), as text like redis()'s answers. `redis` runs
    one redis-cli command."""
    return str(sum(int(redis("ZCARD", f"cm:{{unclaimed:{i}}}:{kind}") or 0)
                   for i in range(rcluster.UNCLAIMED_SHARDS)))


def sum_samples(metrics_body, name, having=""):
    """Sum of every sample of metric `name` on a /metrics page whose labels contain `having`
    (e.g. 'source="router"'): a family's total over the labels a test does not care about."""
    total = 0.0
    for line in metrics_body.splitlines():
        if (line.startswith(name + "{") or line.startswith(name + " ")) and having in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Cluster:
    def __init__(self, routing_yaml, cap=50, lease_ms=30000, extra_caps=None, ingress_extra="", zmq="tcp",
                 router_extra="", curve=True, routers=1, leases_redis=False, redis_cluster=None,
                 media=False, media_extra="", rtp_ports=RTP_PORTS, service_env=None):
        """curve: the services talk CURVE with keys written here by callmesh-zmq-keys (as in
        production); False writes `zmq: {curve: off}`. routers: how many router replicas, each
        its own process; the ingress connects to all of them (an endpoint list). leases_redis: a
        second redis-server for the slot leases (`redis_leases:`), read with leases_redis().
        redis_cluster: True keeps the state in a Redis Cluster of 3 masters + 3 replicas
        (tests/e2e/redis_cluster.py); None follows CALLMESH_E2E_REDIS=cluster. media: an
        rtpengine of this cluster's own (loopback, free ng/HTTP ports, a port range of its own,
        recordings in <dir>/recordings) anchors the calls; media_extra: more `media:` keys; rtp_ports:
        the size of its port range (4 per call). service_env: {service: {VAR: value}}, added to
        that service's environment (an LD_PRELOAD for one process, say)."""
        self.dir = tempfile.mkdtemp(prefix="callmesh-e2e-")
        self.service_env = service_env or {}
        self.procs = {}
        self.curve = curve
        self.routers = [f"router-{i}" if i else "router" for i in range(routers)]
        self.ports = {name: free_port() for name in ["redis", "sip", "router", "limiter", "presence",
                                                     "notification", "router_notices", "a_ingress", "a_router", "a_limiter",
                                                     "a_presence", "a_notification"]}
        for replica in self.routers[1:]:
            for prefix in ("", "a_", "notices_"):
                self.ports[prefix + replica] = free_port()
        self.leases_separate = leases_redis
        if leases_redis:
            self.ports["redis_leases"] = free_port()
        self.media = media
        if media:
            self.ports["rtpengine_ng"] = free_port()
            self.ports["rtpengine_http"] = free_port()
            self.rtp_port_min = free_port_block(rtp_ports + 1)
            self.rtp_port_min += self.rtp_port_min % 2  # rtpengine hands out even RTP ports
            self.rtp_port_max = self.rtp_port_min + rtp_ports - 1
            self.recording_dir = os.path.join(self.dir, "recordings")
            self.whisper_dir = os.path.join(self.dir, "whispers")
            os.makedirs(self.whisper_dir)
            # The ingress's recording control (ingress.control_bind, issue 19): the notification
            # API's stop/start recording reaches the ingress there.
            self.ports["ingress_control"] = free_port()
        caps = "".join(f'\n    "{n}": {c}' for n, c in (extra_caps or {}).items()) or " {}"
        p = self.ports
        use_cluster = REDIS_CLUSTER if redis_cluster is None else redis_cluster
        self.redis_cluster_ports = rcluster.cluster_ports(free_port, 6) if use_cluster else []
        if self.redis_cluster_ports:
            p["redis"] = self.redis_cluster_ports[0]  # redis-cli -c follows redirections from there
            nodes = ", ".join(f'"127.0.0.1:{n}"' for n in self.redis_cluster_ports)
            redis_section = f"redis:\n  cluster_nodes: [{nodes}]\n"
        else:
            redis_section = f"redis:\n  host: 127.0.0.1\n  port: {p['redis']}\n"
        if zmq == "ipc" and routers > 1:
            raise ValueError("router replicas are tested over tcp")

        def bind(service):
            # ipc://: the services on one host talk over Unix sockets (a one-node deployment).
            return f"ipc://{self.dir}/{service}.zmq" if zmq == "ipc" else f"tcp://127.0.0.1:{p[service]}"
        media_section = (f"media:\n  rtpengine: 127.0.0.1:{p['rtpengine_ng']}\n  whisper_dir: whispers\n{media_extra}"
                         if media else "")
        control_line = f"  control_bind: {bind('ingress_control')}\n" if media else ""
        self.config = os.path.join(self.dir, "cluster.yaml")
        with open(os.path.join(self.dir, "routing.yaml"), "w") as f:
            f.write(routing_yaml)
        with open(self.config, "w") as f:
            # With CURVE the keys sit in zmq-keys/ beside cluster.yaml, where zmq.keys_dir points by
            # default; they are written at start().
            zmq_section = "" if curve else "zmq:\n  curve: off\n"
            router_endpoints = ", ".join([bind("router")] + [f"tcp://127.0.0.1:{p[r]}" for r in self.routers[1:]])
            notice_endpoints = ", ".join([bind("router_notices")] +
                                         [f"tcp://127.0.0.1:{p['notices_' + r]}" for r in self.routers[1:]])
            leases_section = (f"redis_leases:\n  host: 127.0.0.1\n  port: {p['redis_leases']}\n"
                              if leases_redis else "")
            f.write(f"""{zmq_section}{redis_section}{leases_section}ingress:
  sip_host: 127.0.0.1
  sip_port: {p['sip']}
  admin: 127.0.0.1:{p['a_ingress']}
  lease_renew_ms: {max(100, lease_ms // 3)}
{control_line}{ingress_extra}{media_section}router:
  bind: {bind('router')}
  endpoint: [{router_endpoints}]
  notices_bind: {bind('router_notices')}
  notices_endpoint: [{notice_endpoints}]
  admin: 127.0.0.1:{p['a_router']}
  routing_file: routing.yaml
{router_extra}concurrency_limiter:
  bind: {bind('limiter')}
  admin: 127.0.0.1:{p['a_limiter']}
  default_cap: {cap}
  lease_ms: {lease_ms}
  caps:{caps}
agent_presence:
  bind: {bind('presence')}
  admin: 127.0.0.1:{p['a_presence']}
notification:
  bind: {bind('notification')}
  admin: 127.0.0.1:{p['a_notification']}
""")

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, services=None):
        """Starts redis-server and the five services (or only `services`, e.g. ["notification"]
        for the HTTP API's tests). If any of it fails, everything already started is stopped
        before the error propagates: a test whose setUp fails never runs its tearDown, so the
        cluster must not outlive the exception."""
        return start_or_clean_up(lambda: self._start(services or SERVICES), self.cleanup)

    def _start(self, services):
        self.write_service_configs()
        if self.redis_cluster_ports:
            rcluster.start(self.dir, self.redis_cluster_ports, self._spawn)
            return self.start_services(services)
        os.makedirs(os.path.join(self.dir, "redis"), exist_ok=True)
        self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis"]),
                              "--dir", os.path.join(self.dir, "redis"), "--save", "", "--appendonly", "no"])
        wait_until(lambda: self.redis("PING") == "PONG", 10, what="redis-server")
        if self.leases_separate:
            os.makedirs(os.path.join(self.dir, "redis_leases"), exist_ok=True)
            self._spawn("redis_leases", ["redis-server", "--bind", "127.0.0.1", "--port",
                                         str(self.ports["redis_leases"]), "--dir",
                                         os.path.join(self.dir, "redis_leases"), "--save", "",
                                         "--appendonly", "no"])
            wait_until(lambda: self.leases_redis("PING") == "PONG", 10, what="leases redis-server")
        if self.media:
            self.start_rtpengine()
        return self.start_services(services)

    def start_rtpengine(self):
        """This cluster's rtpengine: userspace only (--table=-1), no config file (Debian's
        /etc/rtpengine/rtpengine.conf names fixed ports), stopped by pid like every child."""
        os.makedirs(self.recording_dir, exist_ok=True)
        p = self.ports
        self._spawn("rtpengine", [
            "rtpengine", "--config-file=none", "--foreground", "--table=-1", "--interface=127.0.0.1",
            f"--listen-ng=127.0.0.1:{p['rtpengine_ng']}", f"--listen-http=127.0.0.1:{p['rtpengine_http']}",
            f"--port-min={self.rtp_port_min}", f"--port-max={self.rtp_port_max}",
            f"--pidfile={os.path.join(self.dir, 'rtpengine.pid')}", "--log-stderr", "--log-level=6",
            f"--recording-dir={self.recording_dir}", "--recording-method=pcap", "--num-threads=2",
            "--media-num-threads=1", "--delete-delay=0"])
        wait_until(lambda: self._rtpengine_answers() or self.procs["rtpengine"].poll() is not None, 10,
                   what="rtpengine ng ping")
        if self.procs["rtpengine"].poll() is not None:
            raise AssertionError(f"rtpengine exited at start:\n{self.log('rtpengine')[-1500:]}")

    def _rtpengine_answers(self):
        try:
            return self.ng("ping", timeout=0.3).get("result") == "pong"
        except OSError:
            return False

    def ng(self, command, timeout=2.0, **args):
        """One ng command to this cluster's rtpengine (the test's own client, rtpengine_ng.py)."""
        return rtpengine_ng.ng(self.ports["rtpengine_ng"], command, timeout=timeout, **args)

    def write_service_configs(self):
        """The last touches to cluster.yaml (the API's port) and each further router replica's copy."""
        # notification: is the last section; give its HTTP API a free port unless a test chose one,
        # so clusters of concurrent test runs never contend for the default 8080.
        with open(self.config) as f:
            text = f.read()
        if "\n  api:" not in text.split("notification:", 1)[1]:
            self.ports["api"] = free_port()
            with open(self.config, "a") as f:
                f.write(f"  api: 127.0.0.1:{self.ports['api']}\n")
        # Each further router replica reads a copy of cluster.yaml that differs in where it binds.
        for replica in self.routers[1:]:
            p = self.ports
            with open(self.config) as f:
                replica_text = f.read()
            replica_text = replica_text.replace(f"  bind: tcp://127.0.0.1:{p['router']}\n",
                                                f"  bind: tcp://127.0.0.1:{p[replica]}\n", 1)
            replica_text = replica_text.replace(f"  notices_bind: tcp://127.0.0.1:{p['router_notices']}\n",
                                                f"  notices_bind: tcp://127.0.0.1:{p['notices_' + replica]}\n", 1)
            replica_text = replica_text.replace(f"  admin: 127.0.0.1:{p['a_router']}\n",
                                                f"  admin: 127.0.0.1:{p['a_' + replica]}\n", 1)
            with open(self.replica_config(replica), "w") as f:
                f.write(replica_text)

    def start_services(self, services):
        """Once Redis runs: the CURVE keys, then `services` in order, with the ingress's readiness wait."""
        # The keys are written once Redis runs, like every other step a service start depends on:
        # if the key tool fails, start_or_clean_up stops Redis too (harness_test checks that).
        self.write_zmq_keys()
        for svc in services:
            self.start_service(svc)
            if svc == "router":
                for replica in self.routers[1:]:
                    self.start_service(replica)
        if "ingress" in services:
            wait_until(lambda: self.healthy("ingress"), 10, what="ingress /healthz")
        return self

    def replica_config(self, replica):
        return os.path.join(self.dir, f"cluster-{replica}.yaml")

    def start_service(self, svc):
        """Starts one service (or router replica `router-N`) from its config."""
        kind = "router" if svc.startswith("router") else svc
        binary = os.path.join(BUILD_DIR, "services", kind, f"callmesh-{kind}")
        config = self.config if svc == kind else self.replica_config(svc)
        self._spawn(svc, [binary, "--config", config])
        try:
            wait_until(lambda: self.healthy(svc) or self.procs[svc].poll() is not None, 20,
                       what=f"{svc} /healthz")
        except AssertionError as e:
            raise AssertionError(f"{e}; its log ends with:\n{self.log(svc)[-1500:]}") from None
        if self.procs[svc].poll() is not None:
            raise AssertionError(f"{svc} exited with {self.procs[svc].returncode} at start; its log ends with:\n"
                                 f"{self.log(svc)[-1500:]}")

    def _spawn(self, name, argv):
        env = {**os.environ, **self.service_env[name]} if name in self.service_env else None
        with open(os.path.join(self.dir, f"{name}.log"), "ab") as log:
            self.procs[name] = popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)

    def stop_service(self, name, sig=signal.SIGTERM, timeout=10):
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{name} did not stop within {timeout}s of {sig}")

    def stop(self):
        codes = {}
        for name in reversed(list(self.procs)):
            try:
                codes[name] = self.stop_service(name)
            except AssertionError:
                codes[name] = "hung"
        return codes

    def cleanup(self):
        self.stop()
        if os.environ.get("CALLMESH_KEEP_E2E_DIR"):
            return
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name):
        with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
            return f.read()

    # -- probes ------------------------------------------------------------------------------
    def admin_port(self, svc):
        return self.ports["a_" + {"concurrency-limiter": "limiter", "agent-presence": "presence"}.get(svc, svc)]

    def write_zmq_keys(self):
        """With CURVE, every service's keypair and cluster.pub into zmq-keys/ (zmq.keys_dir)."""
        if self.curve:
            subprocess.run([os.path.join(BUILD_DIR, "tools", "zmq-keys", "callmesh-zmq-keys"),
                            os.path.join(self.dir, "zmq-keys")], check=True, capture_output=True, timeout=30)

    def zmq_endpoint(self, svc):
        """Where `svc` (router, limiter, presence, notification) serves ZeroMQ."""
        return f"tcp://127.0.0.1:{self.ports[svc]}"

    def public_key(self, svc):
        """`svc`'s CURVE public key from cluster.pub (service names as in SERVICES)."""
        with open(os.path.join(self.dir, "zmq-keys", "cluster.pub")) as f:
            for line in f:
                if line.startswith(svc + " "):
                    return line.split(" ", 1)[1].strip()
        raise KeyError(svc)

    def http(self, svc, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port(svc)}{path}", timeout=2) as r:
            return r.status, r.read().decode()

    def healthy(self, svc):
        try:
            return self.http(svc, "/healthz")[0] == 200
        except OSError:
            return False

    def metric(self, svc, name, labels=""):
        """Value of one sample from the service's /metrics (0 when absent)."""
        _, body = self.http(svc, "/metrics")
        pattern = re.compile(r"^" + re.escape(name) + (re.escape("{" + labels + "}") if labels else r"") + r" (\S+)$", re.M)
        m = pattern.search(body)
        return float(m.group(1)) if m else 0.0

    def metric_lines(self, svc, prefix):
        """Every sample line of the service's /metrics starting with `prefix`: for failure messages."""
        _, body = self.http(svc, "/metrics")
        return [line for line in body.splitlines() if line.startswith(prefix)]

    def redis(self, *args):
        if self.redis_cluster_ports:
            return self._cluster_redis(*args)
        out = subprocess.run(["redis-cli", "-p", str(self.ports["redis"]), *args], capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip()

    def leases_redis(self, *args):
        """The slot leases' own Redis (Cluster(leases_redis=True))."""
        out = subprocess.run(["redis-cli", "-p", str(self.ports["redis_leases"]), *args], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip()

    def _cluster_redis(self, *args):
        """On a Redis Cluster: one key's command follows MOVED (redis-cli -c); a scan or KEYS walks
        every master and joins what they answer."""
        verb = args[0].upper() if args else ""
        if verb in ("--SCAN", "KEYS", "DBSIZE"):
            parts = [rcluster.cli(m, *args) for m in rcluster.masters(self.redis_cluster_ports[0])]
            if verb == "DBSIZE":
                return str(sum(int(x or 0) for x in parts))
            return "\n".join(x for x in parts if x)
        out = subprocess.run(["redis-cli", "-c", "-p", str(self.ports["redis"]), *args], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip()

    def unclaimed_count(self, kind="all"):
        return unclaimed_count(self.redis, kind)

    def unclaimed_ids(self, count):
        """The `count` oldest unclaimed record ids, merged over the shards by time."""
        entries = []
        for i in range(rcluster.UNCLAIMED_SHARDS):
            flat = self.redis("ZRANGE", f"cm:{{unclaimed:{i}}}:all", "0", str(count - 1), "WITHSCORES").split()
            entries += [(int(flat[k + 1]), flat[k]) for k in range(0, len(flat) - 1, 2)]
        return [nid for _, nid in sorted(entries)[:count]]

    @property
    def sip(self):
        return f"127.0.0.1:{self.ports['sip']}"
