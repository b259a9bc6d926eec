"""A callmesh cluster whose Redis is Sentinel-managed and ACL-protected (issue 18): one primary and
two replicas (redis-server --replicaof), three sentinels (redis-sentinel), every server loading
docs/redis-users.acl with fresh random passwords, and every service configured with
`redis.sentinels` + `master_name` and its own ACL user (`redis.auth_files`). Everything runs on
loopback with free ports and is stopped by pid (cluster.py)."""

import os
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import Cluster, free_port, wait_until  # noqa: E402

ACL_EXAMPLE = os.path.join(HERE, "..", "..", "docs", "redis-users.acl")
MASTER = "callmesh"
# cluster.yaml service name -> its ACL user in docs/redis-users.acl
SERVICE_USERS = {"concurrency-limiter": "callmesh-limiter", "router": "callmesh-router",
                 "agent-presence": "callmesh-presence", "notification": "callmesh-notification"}


class SentinelCluster(Cluster):
    def __init__(self, *args, service_users=None, down_after_ms=1000, **kwargs):
        super().__init__(*args, **kwargs)
        self.down_after_ms = down_after_ms
        self.nodes = [free_port() for _ in range(3)]        # redis-server: [0] starts as primary
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.passwords = {}
        with open(ACL_EXAMPLE) as f:
            acl = f.read()
        for user in sorted(set(w for w in acl.split() if w.startswith(">CHANGE-ME-"))):
            self.passwords[user[len(">CHANGE-ME-"):]] = secrets.token_hex(16)
        for role, pw in self.passwords.items():
            acl = acl.replace(f">CHANGE-ME-{role}", f">{pw}")
        self.acl_file = os.path.join(self.dir, "users.acl")
        with open(self.acl_file, "w") as f:
            f.write(acl)
        users = dict(SERVICE_USERS, **(service_users or {}))
        auth = ""
        for svc, user in users.items():
            path = os.path.join(self.dir, f"redis-{svc}.secret")
            with open(path, "w") as f:
                f.write(f"{user}:{self.passwords[user[len('callmesh-'):]]}\n")
            os.chmod(path, 0o600)
            auth += f"    {svc}: {path}\n"
        sentinels = ", ".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        with open(self.config) as f:
            text = f.read()
        direct = f"redis:\n  host: 127.0.0.1\n  port: {self.ports['redis']}\n"
        assert text.startswith(direct), "cluster.py's config no longer starts with redis host/port"
        text = text.replace(direct, f"""redis:
  sentinels: [{sentinels}]
  master_name: {MASTER}
  replica_acks: 1
  replica_ack_timeout_ms: 500
  reconnect_min_ms: 50
  reconnect_max_ms: 500
  auth_files:
{auth}""", 1)
        with open(self.config, "w") as f:
            f.write(text)

    # -- lifecycle ---------------------------------------------------------------------------
    def redis_node_argv(self, i, replica_of=None):
        d = os.path.join(self.dir, f"redis{i}")
        os.makedirs(d, exist_ok=True)
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.nodes[i]), "--dir", d,
                "--save", "", "--appendonly", "no", "--aclfile", self.acl_file,
                "--masteruser", "callmesh-replica", "--masterauth", self.passwords["replica"],
                # Promote a replica only when it has a recent copy; stop writes when no replica
                # listens (a partitioned old primary then refuses instead of accepting writes
                # that the failover will discard).
                "--min-replicas-to-write", "1", "--min-replicas-max-lag", "5"]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of)]
        return argv

    def _start(self, services=None):
        for i, port in enumerate(self.nodes):
            self._spawn(f"redis{i}", self.redis_node_argv(i, None if i == 0 else self.nodes[0]))
            wait_until(lambda p=port: self.node(p, "PING") == "PONG", 10, what=f"redis-server :{port}")
        wait_until(lambda: self.node(self.nodes[0], "INFO", "replication").count("state=online") == 2, 15,
                   what="two replicas online")
        for i, port in enumerate(self.sentinel_ports):
            conf = os.path.join(self.dir, f"sentinel{i}.conf")
            with open(conf, "w") as f:
                f.write(f"""port {port}
bind 127.0.0.1
dir {self.dir}
sentinel monitor {MASTER} 127.0.0.1 {self.nodes[0]} 2
sentinel auth-user {MASTER} callmesh-sentinel
sentinel auth-pass {MASTER} {self.passwords['sentinel']}
sentinel down-after-milliseconds {MASTER} {self.down_after_ms}
sentinel failover-timeout {MASTER} 5000
sentinel parallel-syncs {MASTER} 2
""")
            self._spawn(f"sentinel{i}", ["redis-sentinel", conf])
        # Hellos every 2 s and INFO every 10 s: 30 s leaves room on a loaded machine. A sentinel that
        # died (its port taken meanwhile by another test on the machine) is named at once.
        def sentinels_ready():
            for i in range(len(self.sentinel_ports)):
                if self.procs[f"sentinel{i}"].poll() is not None:
                    with open(os.path.join(self.dir, f"sentinel{i}.log"), errors="replace") as f:
                        raise AssertionError(f"sentinel{i} exited at start: {f.read()[-800:]}")
            return all(self.sentinel(p, "SENTINEL", "master", MASTER).count("\n") > 10 and
                       self.sentinel_knows_all(p) for p in self.sentinel_ports)
        wait_until(sentinels_ready, 30, what="three sentinels that know the primary, both replicas and each other")
        # Services: cluster.py's order, with its readiness wait.
        from cluster import SERVICES
        self.write_service_configs()
        self.start_services(services or SERVICES)
        return self

    def sentinel_knows_all(self, port):
        lines = self.sentinel(port, "SENTINEL", "master", MASTER).splitlines()
        fields = dict(zip(lines[0::2], lines[1::2]))
        return fields.get("num-slaves") == "2" and fields.get("num-other-sentinels") == "2"

    # -- probes ------------------------------------------------------------------------------
    def node(self, port, *args):
        out = subprocess.run(["redis-cli", "-p", str(port), "--user", "callmesh-admin", "--pass",
                              self.passwords["admin"], "--no-auth-warning", *args],
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip()

    def sentinel(self, port, *args):
        out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=5)
        return out.stdout.strip()

    def primary_port(self):
        """The primary as the first answering sentinel names it (None if none answers)."""
        for p in self.sentinel_ports:
            try:
                out = self.sentinel(p, "SENTINEL", "get-master-addr-by-name", MASTER).split()
            except subprocess.TimeoutExpired:
                continue
            if len(out) == 2:
                return int(out[1])
        return None

    def redis(self, *args):
        """A command on the current primary as the admin user (the tests' view of the data)."""
        return self.node(self.primary_port(), *args)

    def node_name(self, port):
        return f"redis{self.nodes.index(port)}"

    def wait_for_new_primary(self, old, timeout=30):
        started = time.monotonic()
        wait_until(lambda: self.primary_port() not in (None, old) and
                   self.node(self.primary_port(), "ROLE").split("\n", 1)[0] == "master", timeout,
                   interval=0.02, what="sentinels to promote a replica")
        return time.monotonic() - started
