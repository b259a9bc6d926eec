#!/usr/bin/env python3
"""What anchoring calls on rtpengine costs (issue 19; results in docs/bench/media.md).

Runs the same load twice on a private cluster (limiter, router, ingress; loopback), once without
the media plane and once with its own rtpengine: `--concurrent` calls held `--hold-ms` each, each
caller (SIPp) playing G.711 A-law audio from tests/data/rtp/g711a.pcap to the address the answer
names and the phone (SIPp -rtp_echo) echoing it back, so RTP flows both ways through rtpengine
when it is there. Reports CPU seconds of the ingress and of rtpengine per call, read from /proc.
Bounded: `--calls` calls at most, each run stops after `--timeout-s`.

  tools/bench/media_anchoring.py --concurrent 100 --calls 300 --hold-ms 5000
"""

import argparse
import os
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, sum_samples, uac, uas  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

PCAP = os.path.join(ROOT, "tests", "data", "rtp", "g711a.pcap")


def run(media, args):
    phone_port = free_port()
    routing = f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""
    cluster = Cluster(routing, cap=args.concurrent * 2, media=media, rtp_ports=args.concurrent * 4 + 40).start(
        ["concurrency-limiter", "router", "ingress"])
    try:
        phone = uas(cluster, "uas_answer.xml", phone_port, "phone", extra=["-rtp_echo"])
        pids = {"ingress": cluster.procs["ingress"].pid}
        if media:
            pids["rtpengine"] = cluster.procs["rtpengine"].pid
        before = {k: cpu_seconds(p) for k, p in pids.items()}
        rate = max(1, args.concurrent * 1000 // args.hold_ms)
        caller = uac(cluster, "+15550100", calls=args.calls, rate=rate, hold_ms=args.hold_ms, name="caller",
                     scenario="uac_media_bench.xml", extra=["-l", str(args.concurrent), "-key", "pcap", PCAP])
        started = time.monotonic()
        code = caller.wait(timeout=args.timeout_s)
        wall = time.monotonic() - started
        after = {k: cpu_seconds(p) for k, p in pids.items()}
        phone.stop()
        failures = cluster.metric("ingress", "callmesh_ingress_media_failures_total", 'reason="timeout"') + \
            cluster.metric("ingress", "callmesh_ingress_media_failures_total", 'reason="unavailable"')
        anchored = cluster.metric("ingress", "callmesh_ingress_media_anchored_total")
        relayed = 0.0
        if media:  # proof the audio went through rtpengine: its own packet counter
            with urllib.request.urlopen(f"http://127.0.0.1:{cluster.ports['rtpengine_http']}/metrics", timeout=2) as r:
                relayed = sum_samples(r.read().decode(), "rtpengine_packets_total")
        return {"sipp_exit": code, "wall_s": wall, "anchored": anchored, "media_failures": failures,
                "rtp_packets_relayed": relayed,
                "cpu": {k: after[k] - before[k] for k in pids}}
    finally:
        cluster.cleanup()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concurrent", type=int, default=100)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--hold-ms", type=int, default=5000)
    p.add_argument("--timeout-s", type=int, default=300)
    args = p.parse_args()
    if args.calls > 5000 or args.concurrent > 500:
        sys.exit("bounded: at most 5000 calls and 500 concurrent")
    results = {}
    for media in (False, True):
        results[media] = run(media, args)
        print(("with" if media else "without") + " media:", results[media], flush=True)
    base = results[False]["cpu"]["ingress"]
    with_media = results[True]["cpu"]
    calls = args.calls
    print(f"calls {calls}, concurrent {args.concurrent}, hold {args.hold_ms} ms")
    print(f"ingress CPU per call: without media {1000 * base / calls:.3f} ms, "
          f"with media {1000 * with_media['ingress'] / calls:.3f} ms "
          f"(+{1000 * (with_media['ingress'] - base) / calls:.3f} ms signalling + ng)")
    print(f"rtpengine CPU per call: {1000 * with_media['rtpengine'] / calls:.3f} ms "
          f"({1000 * with_media['rtpengine'] / calls / (args.hold_ms / 1000):.3f} ms per call-second of relayed audio)")
    print(f"added by anchoring per call: {1000 * (with_media['ingress'] - base + with_media['rtpengine']) / calls:.3f} ms")


if __name__ == "__main__":
    main()
