"""A real Redis Cluster for an end-to-end test (issue 18 item 3): `masters` masters with one
replica each, redis-server --cluster-enabled yes on free loopback ports whose cluster bus ports
(port + 10000) are free too, joined by `redis-cli --cluster create ... --cluster-replicas 1
--cluster-yes`, ready once every node says cluster_state:ok and all agree on a full slot map.

The caller's `spawn(name, argv)` starts each node, so the nodes are the caller's children and are
stopped by pid with the rest of its processes (tests/e2e/child_processes.py). Selected for
tests/e2e/cluster.py's clusters by CALLMESH_E2E_REDIS=cluster (ctest e2e_redis_cluster)."""

import os
import socket
import subprocess
import time

from ports import claim

UNCLAIMED_SHARDS = 8  # shared/redis/keys.h kUnclaimedShards


def _bus_free(port):
    if port + 10000 > 65535:
        return False
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port + 10000))
        return True
    except OSError:
        return False


def cluster_ports(free_port, count):
    """`count` free ports whose bus ports are free as well, and claimed (ports.claim): a bus port
    free when checked was later handed to a router replica, which then could not bind it
    ("Address already in use", e2e_redis_cluster, 2026-12-07)."""
    ports = []
    for _ in range(count * 50):
        p = free_port()
        if _bus_free(p) and all(abs(p - q) != 10000 for q in ports) and claim(p + 10000):
            ports.append(p)
            if len(ports) == count:
                return ports
    raise RuntimeError("no free port pairs (port, port + 10000)")


def cli(port, *args, timeout=5):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout)
    return out.stdout.strip()


def start(workdir, ports, spawn, node_timeout_ms=2000):
    """Starts a node on each of `ports` through `spawn`, creates the cluster, waits for it."""
    for port in ports:
        d = os.path.join(workdir, f"redis-{port}")
        os.makedirs(d, exist_ok=True)
        spawn(f"redis-{port}", ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", d,
                                "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
                                "--cluster-config-file", "nodes.conf",
                                "--cluster-node-timeout", str(node_timeout_ms)])
    deadline = time.monotonic() + 10
    while any(cli(p, "PING") != "PONG" for p in ports):
        if time.monotonic() > deadline:
            raise AssertionError("redis cluster nodes did not answer PING within 10 s")
        time.sleep(0.05)
    create = subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                             "--cluster-replicas", "1", "--cluster-yes"],
                            capture_output=True, text=True, timeout=60)
    if create.returncode != 0:
        raise AssertionError(f"redis-cli --cluster create failed:\n{create.stdout[-1500:]}{create.stderr[-500:]}")
    wait_ready(ports)


def wait_ready(ports, timeout=30):
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        states = [cli(p, "CLUSTER", "INFO") for p in ports]
        views = {cli(p, "CLUSTER", "SHARDS") for p in ports}
        if all("cluster_state:ok" in s for s in states) and len(masters(ports[0])) * 2 == len(ports):
            return
        last = f"{sum('cluster_state:ok' in s for s in states)} of {len(ports)} nodes ok, {len(views)} views"
        time.sleep(0.1)
    raise AssertionError(f"Redis Cluster not ready within {timeout} s: {last}")


def masters(port):
    """The masters' ports, from CLUSTER NODES as `port` sees them."""
    out = []
    for line in cli(port, "CLUSTER", "NODES").splitlines():
        fields = line.split()
        if len(fields) > 2 and "master" in fields[2].split(",") and "fail" not in fields[2]:
            out.append(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
    return sorted(out)


def command_calls(port):
    """INFO commandstats of one node: command name -> calls."""
    calls = {}
    for line in cli(port, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_") and ":calls=" in line:
            name, rest = line[len("cmdstat_"):].split(":", 1)
            calls[name] = int(rest.split("calls=", 1)[1].split(",", 1)[0])
    return calls
