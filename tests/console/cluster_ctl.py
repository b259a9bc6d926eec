"""A private callmesh cluster for the console's browser tests, driven over stdin/stdout.

The Playwright tests (console.test.mjs, node) start this with python3 and send one JSON command
per line; each answer is one JSON line. It reuses tests/e2e/cluster.py, so the cluster is the same
real processes (redis-server + the five services) and the SIPp scenarios of tests/e2e/sipp/.
Everything it started is stopped by pid on `stop`, on end of input, or on SIGTERM.

Commands:
  {"op": "phone", "who": "alice"|"bob"|"front"|"gateway", "scenario": "uas_busy.xml"}  (re)start a
      phone; "gateway" is the SMS gateway (notification.text_gateway), e.g. uas_text_gateway_body.xml
  {"op": "call", "to": "+15550200", "scenario": "uac_reject.xml", "calls": 1, "hold_ms": 0, "wait": true,
   "caller": "+15557770001"}
      places calls (default: to the company number; "caller" needs a scenario using [caller], like
      uac_reject_from.xml); with wait, answers {"rc", "finals", "answered"} after SIPp exits, else
      {"call": <handle>} at once (then "wait_call")
  {"op": "wait_call", "call": <handle>}
  {"op": "count", "who": "alice", "word": "busy"}     lines the agent's phone logged with that word
  {"op": "lines", "who": "gateway", "word": "text"}   those lines' text (after the word)
  {"op": "redis", "args": ["HGET", ...]}
  {"op": "stop"}
"""

import json
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from cluster import Cluster, free_port, token_hash, uac, uas, wait_until  # noqa: E402

COMPANY = "+15550200"
TRACKING = "+15550100"  # a tracking number forwarded to a front desk, with a cap of its own
TRACKING_CAP = 8
TOKENS = {"alice": "alice-console-token", "bob": "bob-console-token", "admin": "admin-console-token"}


def routing(alice_port, bob_port, front_port):
    # seed 004_ee4e98a6a7f6781b.txt "Blast Alert": unknown callers ring every available selected
    # agent at once (as tests/e2e/agents_e2e_test.py).
    return f"""locations:
  - {{id: hq, time_zone: UTC}}
agents:
  - {{id: alice, number: "+15550301", uri: "sip:alice@127.0.0.1:{alice_port}", location: hq}}
  - {{id: bob, number: "+15550302", uri: "sip:bob@127.0.0.1:{bob_port}", location: hq}}
company_numbers:
  - number: "{COMPANY}"
    location: hq
    source: "Company line"
    ring_timeout_s: 5
    unknown_callers:
      default: {{blast: [alice, bob]}}
tracking_numbers:
  - number: "{TRACKING}"
    receiving_numbers:
      - {{number: "+15550199", uri: "sip:+15550199@127.0.0.1:{front_port}"}}
"""


def notification_settings(api_port, console_dir, gateway_port):
    # notification: is the last section cluster.py writes, so these lines extend it.
    return f"""  api: 127.0.0.1:{api_port}
  console_dir: {json.dumps(console_dir)}
  text_gateway: 127.0.0.1:{gateway_port}
  tokens:
    "{token_hash(TOKENS['alice'])}": {{agent_id: alice}}
    "{token_hash(TOKENS['bob'])}": {{agent_id: bob}}
    "{token_hash(TOKENS['admin'])}": {{agent_id: root, role: admin}}
  numbers:
    "{COMPANY}": {{source: "Company line", tag: "website", selected_agents: [alice, bob]}}
  agents:
    alice: {{personal_number: "+15550301", company_number: "{COMPANY}"}}
    bob: {{company_number: "{COMPANY}"}}
"""


class Controller:
    def __init__(self, console_dir):
        self.ports = {"alice": free_port(), "bob": free_port(), "front": free_port(), "gateway": free_port()}
        self.api_port = free_port()
        self.cluster = Cluster(routing(self.ports["alice"], self.ports["bob"], self.ports["front"]),
                               extra_caps={TRACKING: TRACKING_CAP})
        with open(self.cluster.config, "a") as f:
            f.write(notification_settings(self.api_port, console_dir, self.ports["gateway"]))
        self.phones = {}
        self.calls = {}
        self.serial = 0

    def start(self):
        self.cluster.start()
        wait_until(self._api_up, 10, what="notification API")
        return {"api": f"http://127.0.0.1:{self.api_port}", "tokens": TOKENS, "company": COMPANY,
                "tracking": TRACKING, "tracking_cap": TRACKING_CAP, "dir": self.cluster.dir}

    def _api_up(self):
        import urllib.request
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def handle(self, cmd):
        op = cmd.get("op")
        if op == "phone":
            who = cmd["who"]
            old = self.phones.pop(who, None)
            if old:
                old.stop()
            self.serial += 1
            self.phones[who] = uas(self.cluster, cmd["scenario"], self.ports[who], f"{who}-{self.serial}")
            # Calls placed right after must find the phone listening, not an ICMP refusal.
            wait_until(lambda: _udp_taken(self.ports[who]), 5, what=f"{who}'s phone on UDP {self.ports[who]}")
            return {"ok": True}
        if op == "call":
            self.serial += 1
            name = f"caller-{self.serial}"
            calls = int(cmd.get("calls", 1))
            extra = ["-key", "caller", cmd["caller"]] if cmd.get("caller") else None
            caller = uac(self.cluster, cmd.get("to", COMPANY), calls=calls, rate=cmd.get("rate", 10), hold_ms=cmd.get("hold_ms", 0),
                         name=name, scenario=cmd.get("scenario", "uac_reject.xml"), extra=extra)
            self.calls[name] = caller
            if cmd.get("wait", True):
                return self._finish(name)
            return {"call": name}
        if op == "wait_call":
            return self._finish(cmd["call"])
        if op == "count":
            phone = self.phones.get(cmd["who"])
            return {"count": phone.count(cmd["word"]) if phone else 0}
        if op == "lines":
            phone = self.phones.get(cmd["who"])
            return {"lines": phone.lines(cmd["word"]) if phone else []}
        if op == "redis":
            return {"reply": self.cluster.redis(*cmd["args"])}
        raise ValueError(f"unknown op {op!r}")

    def _finish(self, name):
        caller = self.calls.pop(name)
        rc = caller.wait(timeout=60)
        return {"rc": rc, "finals": caller.lines("final"), "answered": caller.count("answered")}

    def stop(self):
        for p in self.phones.values():
            p.stop()
        for c in self.calls.values():
            c.stop()
        self.cluster.cleanup()


def main():
    console_dir = os.path.abspath(sys.argv[1])
    ctl = Controller(console_dir)
    signal.signal(signal.SIGTERM, lambda *_: (ctl.stop(), os._exit(1)))

    def answer(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    try:
        answer({"ready": ctl.start()})
        for line in sys.stdin:
            if not line.strip():
                continue
            cmd = json.loads(line)
            if cmd.get("op") == "stop":
                break
            try:
                answer(ctl.handle(cmd))
            except Exception as e:  # reported to the test, which fails with the message
                answer({"error": f"{type(e).__name__}: {e}"})
    except Exception as e:
        answer({"error": f"cluster did not start: {type(e).__name__}: {e}",
                "logs": {n: _tail(ctl, n) for n in ["notification", "ingress", "router"]}})
    finally:
        ctl.stop()
        answer({"stopped": True})


def _udp_taken(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def _tail(ctl, name):
    try:
        return ctl.cluster.log(name)[-2000:]
    except OSError:
        return ""


if __name__ == "__main__":
    main()
