"""Issue 20 end to end: call detail records and webhooks through the whole cluster (real SIPp on
loopback, real ZeroMQ, real redis-server).

1,000 calls (600 answered, 400 busy) -> 1,000 call records with the right facts (a sample checked
field by field, counts by outcome exactly); the CSV export matches the API; the decision trace of a
call by its Call-ID; a busy call to a plain tracking number leaves no follow-up record (seed
004_ee4e98a6a7f6781b.txt: follow-up is for company numbers' rules). A webhook receiver that is down
while the calls happen gets every call.ended and call.missed afterwards, every signature valid,
every idempotency key seen, duplicates (at least once) counted.

How long the receiver stays down: CALLMESH_E2E_WEBHOOK_DOWN_S (default 10 s, the CI form). The
issue's 60 s form, by hand:
    CALLMESH_E2E_WEBHOOK_DOWN_S=60 python3 -m unittest -v call_records_e2e_test
"""

import csv
import hashlib
import hmac
import io
import json
import os
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, token_hash, uac, uas, wait_until  # noqa: E402

ADMIN = "admin-token-records-e2e"
AGENT = "agent-token-records-e2e"
ANSWERED_NUMBER, BUSY_NUMBER = "+15550100", "+15550300"
ANSWERED_CALLS, BUSY_CALLS = 600, 400
DOWN_S = float(os.environ.get("CALLMESH_E2E_WEBHOOK_DOWN_S", "10"))


def routing(answer_port, busy_port):
    return f"""tracking_numbers:
  - number: "{ANSWERED_NUMBER}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{answer_port}"
        source_tag: "e2e-ads"
  - number: "{BUSY_NUMBER}"
    receiving_numbers:
      - number: "+15550399"
        uri: "sip:+15550399@127.0.0.1:{busy_port}"
"""


def notification_settings(api_port):
    # Fast retries so the receiver's outage is bridged in seconds; retry_for far above it.
    return f"""  api: 127.0.0.1:{api_port}
  tokens:
    "{token_hash(ADMIN)}": {{agent_id: root, role: admin}}
    "{token_hash(AGENT)}": {{agent_id: alice}}
  records:
    retention_days: 30
  webhooks:
    workers: 4
    first_backoff_ms: 250
    max_backoff_ms: 2000
    retry_for_seconds: 900
"""


class Receiver:
    """A webhook receiver on loopback: checks each delivery's signature and keeps what came."""

    def __init__(self, port):
        self.port = port
        self.secret = None
        self.lock = threading.Lock()
        self.posts = []  # (idempotency key, event type, signature valid, body)
        self.server = None
        self.thread = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sig = self.headers.get("X-Callmesh-Signature", "")
                parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
                expected = hmac.new(receiver.secret.encode(), parts.get("t", "").encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
                fresh = abs(time.time() - int(parts.get("t", "0"))) < 300
                valid = fresh and hmac.compare_digest(expected, parts.get("v1", ""))
                with receiver.lock:
                    receiver.posts.append((self.headers.get("X-Callmesh-Idempotency-Key"),
                                           self.headers.get("X-Callmesh-Event"), valid, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def keys(self):
        with self.lock:
            return {p[0] for p in self.posts}


class CallRecordsE2E(unittest.TestCase):
    def setUp(self):
        self.answer_port, self.busy_port, self.api_port, self.hook_port = (free_port() for _ in range(4))
        self.cluster = Cluster(routing(self.answer_port, self.busy_port), cap=1000)
        with open(self.cluster.config, "a") as f:
            f.write(notification_settings(self.api_port))
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        self.base = f"http://127.0.0.1:{self.api_port}"
        wait_until(self._api_up, 10, what="notification API")

    def _api_up(self):
        try:
            return self.api("GET", "/v1/webhooks")[0] == 200
        except OSError:
            return False

    def api(self, method, path, body=None, token=ADMIN, raw=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                text = r.read().decode()
                if raw:
                    return r.status, text, r.headers
                return r.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text.strip() else None)

    def all_records(self, query=""):
        records, cursor = [], None
        for _ in range(100):  # bounded: 1,000 records at 500 a page is 2-3 pages
            q = query + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            status, body = self.api("GET", "/v1/call-records?limit=500" + q)
            self.assertEqual(status, 200, body)
            records += body["records"]
            cursor = body["next_cursor"]
            if not cursor:
                return records
        self.fail("paging did not end")

    def csv_rows(self):
        rows, cursor = [], None
        for _ in range(100):
            q = "&cursor=" + urllib.parse.quote(cursor) if cursor else ""
            status, text, headers = self.api("GET", "/v1/call-records.csv?limit=400" + q, raw=True)
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/csv"))
            rows += list(csv.DictReader(io.StringIO(text)))
            cursor = headers.get("X-Next-Cursor")
            if not cursor:
                return rows
        self.fail("CSV paging did not end")

    def test_thousand_calls_give_thousand_records_csv_trace_and_webhooks_after_an_outage(self):
        receiver = Receiver(self.hook_port)
        self.addCleanup(receiver.stop)
        status, sub = self.api("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{self.hook_port}/hooks",
                                                        "events": ["call.ended", "call.missed"]})
        self.assertEqual(status, 201, sub)
        receiver.secret = sub["secret"]
        self.assertEqual(self.api("GET", "/v1/webhooks")[1]["webhooks"][0].get("secret"), None)
        self.assertEqual(self.api("POST", "/v1/webhooks", {"url": "http://x/", "events": ["call.ended"]},
                                  token=AGENT)[0], 403)
        self.assertEqual(self.api("POST", "/v1/webhooks", {"url": "ftp://x/", "events": ["call.ended"]})[1]["field"],
                         "url")
        down_since = time.monotonic()

        phone = uas(self.cluster, "uas_answer_recording.xml", self.answer_port, "phone")
        self.addCleanup(phone.stop)
        busy = uas(self.cluster, "uas_busy.xml", self.busy_port, "busy-phone")
        self.addCleanup(busy.stop)
        answered = uac(self.cluster, ANSWERED_NUMBER, calls=ANSWERED_CALLS, rate=60, hold_ms=100, name="caller",
                       scenario="uac_call_zip.xml", extra=["-key", "zip", "60601"])
        rejected = uac(self.cluster, BUSY_NUMBER, calls=BUSY_CALLS, rate=40, hold_ms=0, name="busy-caller",
                       scenario="uac_reject.xml")
        self.assertEqual(answered.wait(timeout=90), 0, answered.out_file)
        self.assertEqual(rejected.wait(timeout=90), 0, rejected.out_file)
        self.assertEqual(answered.count("answered"), ANSWERED_CALLS)
        self.assertEqual(rejected.lines("final"), ["486"] * BUSY_CALLS)

        # 1,000 records, counts by outcome exact.
        wait_until(lambda: self.cluster.redis("XLEN", "cm:{cdr}:stream") == "1000", 30, what="1000 call records")
        records = self.all_records()
        self.assertEqual(len(records), 1000)
        self.assertEqual(len({r["call_id"] for r in records}), 1000)
        self.assertEqual(len(self.all_records("&outcome=answered")), ANSWERED_CALLS)
        self.assertEqual(len(self.all_records("&outcome=busy")), BUSY_CALLS)
        self.assertEqual(len(self.all_records("&number=%2B15550300")), BUSY_CALLS)
        self.assertEqual(self.cluster.metric("notification", "callmesh_notification_call_records_total",
                                             'outcome="answered"'), ANSWERED_CALLS)

        # A sample, field by field: the caller's log names the Call-IDs.
        by_id = {r["call_id"]: r for r in records}
        for call_id in answered.lines("answered")[::97]:
            r = by_id[call_id]
            self.assertEqual((r["number"], r["caller"], r["kind"], r["caller_zip"]),
                             (ANSWERED_NUMBER, "+15557770000", "voice", "60601"))
            self.assertEqual((r["outcome"], r["end_reason"], r["status"]), ("answered", "caller_hangup", 200))
            self.assertEqual(r["answered_by"], {"number": "+15550199", "agent_id": ""})
            self.assertEqual([(leg["number"], leg["status"], leg["outcome"]) for leg in r["legs"]],
                             [("+15550199", 200, "answered")])
            self.assertTrue(r["legs"][0]["ringing"])
            self.assertEqual(r["rule"], "direct_forward")
            self.assertEqual(r["source_tag"], "e2e-ads")
            self.assertEqual(r["recording_id"], "rec-" + call_id)
            self.assertLessEqual(r["offered_at_ms"], r["answered_at_ms"])
            self.assertLess(r["answered_at_ms"], r["ended_at_ms"])
            self.assertGreaterEqual(r["talk_ms"], 100)
            self.assertIn(f"tracking number {ANSWERED_NUMBER} forwards to 1 receiving number", r["trace"])
        for r in [r for r in records if r["number"] == BUSY_NUMBER][::53]:
            self.assertEqual((r["number"], r["outcome"], r["end_reason"], r["status"], r["answered_at_ms"]),
                             (BUSY_NUMBER, "busy", "busy", 486, 0))
            self.assertEqual([(leg["number"], leg["status"], leg["outcome"]) for leg in r["legs"]],
                             [("+15550399", 486, "busy")])

        # "Why did this call ring these phones": the trace by Call-ID, as recorded.
        sample = answered.lines("answered")[0]
        status, trace = self.api("GET", "/v1/calls/" + urllib.parse.quote(sample, safe="") + "/trace")
        self.assertEqual(status, 200, trace)
        self.assertEqual((trace["rule"], trace["trace"]), ("direct_forward", by_id[sample]["trace"]))
        self.assertEqual(self.api("GET", "/v1/calls/no-such-call/trace")[0], 404)
        self.assertEqual(self.api("GET", "/v1/call-records", token=AGENT)[0], 403)

        # The CSV export holds the same records as the API.
        rows = self.csv_rows()
        self.assertEqual(len(rows), 1000)
        for row in rows:
            r = by_id[row["call_id"]]
            self.assertEqual((row["number"], row["caller"], row["outcome"], row["end_reason"], row["status"],
                              row["ended_at_ms"], row["recording_id"], row["rule"]),
                             (r["number"], r["caller"], r["outcome"], r["end_reason"], str(r["status"]),
                              str(r["ended_at_ms"]), r["recording_id"], r["rule"]))

        # seed 004_ee4e98a6a7f6781b.txt / issue 20: busy calls to a plain tracking number leave no
        # follow-up record nobody could claim.
        self.assertEqual(self.cluster.unclaimed_count(), "0")
        self.assertEqual(self.cluster.redis("KEYS", "cm:notif:{*"), "")

        # The receiver comes up after its outage; every event arrives, signed, after it.
        time.sleep(max(0.0, DOWN_S - (time.monotonic() - down_since)))
        self.assertEqual(receiver.keys(), set())
        self.assertGreater(self.cluster.metric("notification", "callmesh_notification_webhook_deliveries_total",
                                               'result="failed"'), 0)
        receiver.start()
        expected = {f"call.ended:{i}" for i in by_id} | {f"call.missed:{r['call_id']}" for r in records
                                                          if r["outcome"] == "busy"}
        self.assertEqual(len(expected), 1000 + BUSY_CALLS)
        wait_until(lambda: receiver.keys() >= expected, 60, interval=0.5, what="every webhook event delivered")
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{webhooks}:due") == "0", 10, what="queue drained")
        with receiver.lock:
            posts = list(receiver.posts)
        self.assertEqual({p[0] for p in posts}, expected)
        self.assertTrue(all(p[2] for p in posts), "a signature did not verify")
        for key, event, _, body in posts:
            ev = json.loads(body)
            self.assertEqual((ev["id"], ev["type"]), (key, event))
            self.assertEqual(ev["data"]["call_id"], key.split(":", 1)[1])
        duplicates = len(posts) - len(expected)
        # At least once: a duplicate only where an accepted delivery was not marked done in time;
        # every POST the receiver took is one the dispatcher counted as delivered.
        self.assertEqual(self.cluster.metric("notification", "callmesh_notification_webhook_deliveries_total",
                                             'result="delivered"'), len(posts))
        self.assertEqual(self.api("GET", "/v1/webhooks/dead-letters")[1]["total"], 0)
        failed = self.cluster.metric("notification", "callmesh_notification_webhook_deliveries_total",
                                     'result="failed"')
        print(f"\nwebhooks: receiver down {DOWN_S:.0f} s, {len(expected)} events, {len(posts)} deliveries "
              f"({duplicates} duplicates), {failed:.0f} failed attempts during the outage", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
