"""Stop and start recording during a call through the API (issue 19; seed 000_246ae9c7ee9a1def.txt
"Enhanced Forwarding": "the ability to stop and start recording"), end to end: the whole cluster,
its own rtpengine recording to pcap, real RTP both ways (rtp_endpoint.py), SIPp on both sides.

The agent who answered stops the recording, an admin starts it again: rtpengine's recording has a
gap as long as the stop, measured from the packets' capture times in the pcap files; an agent who
did not answer is refused 403 and nothing changes; the call detail record names the recording.
"""

import glob
import json
import os
import struct
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import BUILD_DIR, Cluster, free_port, token_hash, wait_until  # noqa: E402
from media_e2e_test import MediaCall  # noqa: E402

COMPANY = "+15550200"
TRACKING = "+15550100"
TOKENS = {"alice": "alice-token-rec", "bob": "bob-token-rec", "admin": "admin-token-rec"}
STOPPED_S = 1.5  # how long the recording stays stopped
PEER = os.path.join(BUILD_DIR, "tests", "e2e", "callmesh-e2e-zmq-peer")
KEYGEN = os.path.join(BUILD_DIR, "tools", "zmq-keys", "callmesh-zmq-keys")


def routing(alice_port, bob_port, phone_port):
    # The company number rings alice alone (a blast of one), so she is the agent who answers.
    return f"""locations:
  - {{id: hq, time_zone: UTC}}
agents:
  - {{id: alice, number: "+15550301", uri: "sip:alice@127.0.0.1:{alice_port}", location: hq}}
  - {{id: bob, number: "+15550302", uri: "sip:bob@127.0.0.1:{bob_port}", location: hq}}
company_numbers:
  - number: "{COMPANY}"
    location: hq
    ring_timeout_s: 10
    unknown_callers:
      default: {{blast: [alice]}}
tracking_numbers:
  - number: "{TRACKING}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
        prevent_recording: true
"""


def notification_settings(api_port):
    tokens = "".join(f'    "{token_hash(TOKENS[a])}": {{agent_id: {a}}}\n' for a in ("alice", "bob"))
    return f"""  api: 127.0.0.1:{api_port}
  tokens:
{tokens}    "{token_hash(TOKENS['admin'])}": {{agent_id: root, role: admin}}
"""


def pcap_times(path):
    """Capture time (s) of every packet of a classic pcap, as rtpengine wrote them."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4 else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl = struct.unpack(endian + "III", data[off:off + 12])
        out.append(sec + usec / 1e6)
        off += 16 + incl
    return out


class RecordingControl(unittest.TestCase):
    def setUp(self):
        self.alice_port, self.bob_port, self.phone_port, self.api_port = (free_port() for _ in range(4))
        self.cluster = Cluster(routing(self.alice_port, self.bob_port, self.phone_port), media=True)
        with open(self.cluster.config, "a") as f:
            f.write(notification_settings(self.api_port))
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        wait_until(self._api_up, 10, what="notification API")

    def _api_up(self):
        try:
            return self.api("GET", "/v1/me", "admin")[0] == 200
        except OSError:
            return False

    def api(self, method, path, who, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", data=data, method=method)
        req.add_header("Authorization", "Bearer " + TOKENS[who])
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, json.loads(r.read().decode() or "null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "null")

    def recording(self, call_id, who, action):
        return self.api("POST", f"/v1/calls/{urllib.parse.quote(call_id, safe='')}/recording", who,
                        {"recording": action})

    def recordings(self, call_id):
        name = urllib.parse.quote(call_id, safe="")
        return sorted(glob.glob(os.path.join(self.cluster.recording_dir, "pcaps", glob.escape(name) + "-*.pcap")))

    def peer(self, owner, call_id):
        """callmesh-e2e-zmq-peer sends a stop-recording for `call_id` to the ingress's control
        socket with `owner`'s keypair; 0 answered, 3 not answered."""
        directory = "zmq-keys"
        if owner == "stranger":
            directory = "stranger"
            if not os.path.exists(os.path.join(self.cluster.dir, directory)):
                subprocess.run([KEYGEN, os.path.join(self.cluster.dir, directory)], check=True,
                               capture_output=True, timeout=30)
            owner = "notification"  # the stranger's file has every service's name, other keys
        out = subprocess.run([PEER, "--endpoint", self.cluster.zmq_endpoint("ingress_control"), "--message",
                              "recording-stop", "--call-id", call_id, "--wait-ms", "1200",
                              "--key", os.path.join(self.cluster.dir, directory, f"{owner}.key"),
                              "--server-key", self.cluster.public_key("ingress")],
                             capture_output=True, text=True, timeout=30)
        self.assertIn(out.returncode, (0, 3), out.stderr)
        return out.returncode

    def ingress_commands(self, action, outcome):
        return self.cluster.metric("ingress", "callmesh_ingress_recording_commands_total",
                                   f'action="{action}",outcome="{outcome}"')

    def test_agent_stops_admin_starts_recording_has_the_gap_other_agent_403_record_names_it(self):
        # seed 000_246ae9c7ee9a1def.txt "Enhanced Forwarding".
        call = MediaCall(self, self.cluster, hold_ms=6500, phone_port=self.alice_port, dialed=COMPANY)
        call.start_audio(*call.answered())
        cid = call.call_id
        wait_until(lambda: self.cluster.redis("HGET", f"cm:call:{{{cid}}}:presence", "answered_by") == "alice", 5,
                   what="agent-presence: alice answered")
        wait_until(lambda: len(call.phone_rtp.packets(8)) >= 25, 5, what="caller audio at alice's phone")
        self.assertEqual(len(self.recordings(cid)), 1)

        # bob did not answer this call: refused, and nothing reached the ingress.
        status, body = self.recording(cid, "bob", "stop")
        self.assertEqual(status, 403, body)
        self.assertEqual(body["error"], "forbidden")
        self.assertIn(cid, body["message"])
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_recording_commands_total",
                                             'action="stop",outcome="applied"'), 0)
        self.assertEqual(self.cluster.metric("notification", "callmesh_notification_recording_commands_total",
                                             'action="stop",outcome="forbidden"'), 1)

        # The control socket follows the peer links' security: only notification's key gets an
        # answer (for another call id, so this one's recording is untouched); a cluster key of
        # another service and a stranger's key are refused at the handshake.
        self.assertEqual(self.peer("notification", "no-such-call"), 0)
        self.assertEqual(self.peer("router", cid), 3)
        self.assertEqual(self.peer("stranger", cid), 3)
        self.assertEqual(self.ingress_commands("stop", "unknown_call"), 1)
        self.assertEqual(self.ingress_commands("stop", "applied"), 0)
        self.assertGreaterEqual(self.cluster.metric("ingress", "callmesh_zmq_handshakes_total", 'result="refused"'), 2)

        # alice (she answered) stops it; a repeated stop changes nothing.
        time.sleep(0.5)
        stopped_at = time.time()
        status, body = self.recording(cid, "alice", "stop")
        self.assertEqual((status, body), (200, {"call_id": cid, "recording": "off", "changed": True, "segments": 1}))
        self.assertEqual(self.recording(cid, "alice", "stop"),
                         (200, {"call_id": cid, "recording": "off", "changed": False, "segments": 1}))
        time.sleep(STOPPED_S)
        # An admin starts it again: a second segment.
        started_at = time.time()
        status, body = self.recording(cid, "admin", "start")
        self.assertEqual((status, body), (200, {"call_id": cid, "recording": "on", "changed": True, "segments": 2}))
        self.assertEqual(call.caller.wait(timeout=30), 0, "SIPp caller failed: " + call.caller.out_file)
        wait_until(lambda: self.cluster.ng("list")["calls"] == [], 5, what="rtpengine call deleted")

        # The recording: rtpengine 10.5 writes a file per segment, side by side; together they have
        # one gap, as long as the stop (packets every 20 ms both ways otherwise).
        files = self.recordings(cid)
        self.assertEqual(len(files), 2, files)
        times = sorted(t for f in files for t in pcap_times(f))
        per_file = [pcap_times(f) for f in files]
        self.assertTrue(all(len(t) >= 25 for t in per_file), [len(t) for t in per_file])
        gaps = sorted(((b - a), a) for a, b in zip(times, times[1:]))
        (gap, gap_from), second = gaps[-1], gaps[-2][0]
        self.assertAlmostEqual(gap, started_at - stopped_at, delta=0.3)
        self.assertAlmostEqual(gap_from, stopped_at, delta=0.3)
        self.assertLess(second, 0.25)

        # The ingress counted what it did; rtpengine got one stop and one start.
        self.assertEqual(self.ingress_commands("stop", "applied"), 1)
        self.assertEqual(self.ingress_commands("stop", "unchanged"), 1)
        self.assertEqual(self.ingress_commands("start", "applied"), 1)
        for command in ("stop recording", "start recording"):
            self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_media_commands_total",
                                                 f'command="{command}",outcome="ok"'), 1)

        # The call detail record names rtpengine's recording: the first file, and two segments
        # (the second is the file beside it with the same name up to its last '-').
        wait_until(lambda: self.cluster.redis("EXISTS", f"cm:{{cdr}}:call:{cid}") == "1", 10,
                   what="the call detail record")
        status, record = self.api("GET", f"/v1/call-records/{urllib.parse.quote(cid, safe='')}", "admin")
        self.assertEqual(status, 200, record)
        self.assertEqual(record["answered_by"]["agent_id"], "alice")
        self.assertEqual(record["recording_segments"], 2)
        self.assertEqual(len(record["recordings"]), 1)
        self.assertIn(record["recordings"][0], files)
        prefix = record["recordings"][0].rsplit("-", 1)[0]
        self.assertEqual(sorted(glob.glob(glob.escape(prefix) + "-*.pcap")), files)

        # Over: the call is no longer live for anyone.
        status, body = self.recording(cid, "alice", "start")
        self.assertEqual(status, 404, body)
        self.assertEqual(body["error"], "call_not_live")

    def test_prevent_recording_number_cannot_be_started_and_refusals_are_exact(self):
        # seed 000_246ae9c7ee9a1def.txt "Prevent Recording" wins over "Enhanced Forwarding".
        call = MediaCall(self, self.cluster, hold_ms=3000, phone_port=self.phone_port, dialed=TRACKING)
        call.start_audio(*call.answered())
        cid = call.call_id
        wait_until(lambda: self.cluster.redis("HGET", f"cm:call:{{{cid}}}:presence", "state") == "answered", 5,
                   what="agent-presence: answered")
        status, body = self.recording(cid, "admin", "start")
        self.assertEqual(status, 409, body)
        self.assertEqual(body["error"], "recording_prevented")
        self.assertIn("prevents recording", body["message"])
        # Nobody answered as an agent: an agent may not touch it.
        self.assertEqual(self.recording(cid, "alice", "stop")[0], 403)
        # A stop of a call that is not recorded is harmless.
        self.assertEqual(self.recording(cid, "admin", "stop"),
                         (200, {"call_id": cid, "recording": "off", "changed": False, "segments": 0}))
        # Unknown calls and bad bodies.
        status, body = self.recording("no-such-call@x", "admin", "stop")
        self.assertEqual((status, body["error"]), (404, "call_not_live"))
        status, body = self.recording(cid, "admin", "pause")
        self.assertEqual((status, body["error"], body["field"]), (400, "invalid_request", "recording"))
        self.assertEqual(call.caller.wait(timeout=20), 0)
        wait_until(lambda: self.cluster.ng("list")["calls"] == [], 5, what="rtpengine call deleted")
        self.assertEqual(self.recordings(cid), [])
        self.assertEqual(self.ingress_commands("start", "prevented"), 1)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_media_commands_total",
                                             'command="start recording",outcome="ok"'), 0)


if __name__ == "__main__":
    unittest.main()
