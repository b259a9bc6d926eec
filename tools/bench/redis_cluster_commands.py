#!/usr/bin/env python3
"""Redis commands per call: one Redis against a Redis Cluster (a benchmark, not a test).

Runs the same calls through the whole cluster of services twice, once with its state on one
redis-server and once on a Redis Cluster of 3 masters + 3 replicas (tests/e2e/redis_cluster.py),
and counts what Redis executed: INFO commandstats on every master (the one server, or each
cluster master) before and after, summed. Commands run inside scripts count under their own names
(what costs Redis CPU); the script calls themselves (EVALSHA/EVAL) are counted apart, as are the
cluster client's own CLUSTER SLOTS and ASKING. The harness's probes (INFO, PING, CLUSTER INFO /
NODES / SHARDS, CONFIG, COMMAND) are left out.

Two call shapes, each `--calls` calls at `--rate` calls/s:
  forward  a tracking number forwarded to a receiving number, answered, hung up after 100 ms
  missed   a company number that blasts two agents, both busy: 486 and one missed-call record
           (the notification service's record script and index writes)

  tools/bench/redis_cluster_commands.py                 # 100 calls of each shape
  tools/bench/redis_cluster_commands.py --calls 300 --rate 30
Prints one table; docs/bench/redis-cluster.md has a run with the machine named.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import redis_cluster  # noqa: E402
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

PROBES = {"info", "ping", "cluster|info", "cluster|nodes", "cluster|shards", "command", "command|docs"}
CLUSTER_CLIENT = {"cluster|slots", "asking"}
SCRIPTS = {"evalsha", "eval"}


def routing(forward_port, alice_port, bob_port):
    return f"""locations:
  - {{id: utc, time_zone: UTC}}
agents:
  - {{id: alice, uri: "sip:alice@127.0.0.1:{alice_port}"}}
  - {{id: bob, uri: "sip:bob@127.0.0.1:{bob_port}"}}
tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{forward_port}"
company_numbers:
  - number: "+15550500"
    location: utc
    ring_timeout_s: 10
    unknown_callers:
      default: {{blast: [alice, bob]}}
"""


def masters(cluster):
    if cluster.redis_cluster_ports:
        return redis_cluster.masters(cluster.redis_cluster_ports[0])
    return [cluster.ports["redis"]]


def snapshot(cluster):
    total = {}
    for port in masters(cluster):
        for name, calls in redis_cluster.command_calls(port).items():
            if name in PROBES or name.startswith("config"):
                continue
            total[name] = total.get(name, 0) + calls
    return total


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


def settle(cluster, want_records):
    wait_until(lambda: cluster.metric("ingress", "callmesh_ingress_events_pending") == 0, 60,
               what="every call event acknowledged")
    if want_records is not None:
        wait_until(lambda: cluster.unclaimed_count() == str(want_records), 60, what="missed-call records")
    time.sleep(1.0)  # the last acknowledgements' Redis writes


def run(on_cluster, calls, rate):
    ports = {name: free_port() for name in ("forward", "alice", "bob")}
    cluster = Cluster(routing(ports["forward"], ports["alice"], ports["bob"]), cap=100000,
                      redis_cluster=on_cluster,
                      ingress_extra="  new_call_rps: 100000\n  new_call_burst: 100000\n").start()
    results = {}
    try:
        phones = [uas(cluster, "uas_answer.xml", ports["forward"], "forward"),
                  uas(cluster, "uas_busy.xml", ports["alice"], "alice"),
                  uas(cluster, "uas_busy.xml", ports["bob"], "bob")]
        time.sleep(0.5)
        for shape, dialed, scenario, hold, records in (("forward", "+15550100", "uac_call.xml", 100, None),
                                                       ("missed", "+15550500", "uac_reject.xml", 0, calls)):
            before = snapshot(cluster)
            caller = uac(cluster, dialed, calls=calls, rate=rate, hold_ms=hold, name=f"caller-{shape}",
                         scenario=scenario)
            if caller.wait(timeout=calls / rate + 60) != 0:
                raise AssertionError(f"SIPp reports failed calls: {caller.out_file}")
            settle(cluster, records)
            results[shape] = diff(snapshot(cluster), before)
        for p in phones:
            p.stop()
    finally:
        cluster.cleanup()
    return results


def summary(counts, calls):
    scripts = sum(v for k, v in counts.items() if k in SCRIPTS)
    client = sum(v for k, v in counts.items() if k in CLUSTER_CLIENT)
    data = sum(v for k, v in counts.items() if k not in SCRIPTS and k not in CLUSTER_CLIENT)
    return data / calls, scripts / calls, client / calls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=100, help="calls per shape (at most 1000)")
    ap.add_argument("--rate", type=int, default=20, help="calls/s (at most 100)")
    args = ap.parse_args()
    calls = min(max(args.calls, 1), 1000)
    rate = min(max(args.rate, 1), 100)
    runs = {"one Redis": run(False, calls, rate), "Redis Cluster": run(True, calls, rate)}
    print(f"{calls} calls per shape at {rate}/s; per call:")
    print(f"{'shape':<8} {'Redis':<14} {'commands':>9} {'scripts':>8} {'CLUSTER SLOTS+ASKING':>21}  top commands")
    for shape in ("forward", "missed"):
        for name, result in runs.items():
            data, scripts, client = summary(result[shape], calls)
            top = sorted(((v, k) for k, v in result[shape].items()), reverse=True)[:6]
            print(f"{shape:<8} {name:<14} {data:>9.1f} {scripts:>8.1f} {client:>21.2f}  "
                  + ", ".join(f"{k} {v / calls:.1f}" for v, k in top))


if __name__ == "__main__":
    main()
