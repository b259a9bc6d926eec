"""The media plane end to end (issue 19): the cluster's own rtpengine (loopback, free ports, a port
range per test) anchors calls that SIPp sets up, and real RTP flows between two test endpoints
(rtp_endpoint.py: G.711 A-law frames from SIPp's g711a.pcap, copied into tests/data/rtp) that
record what they receive. Every assertion is an exact outcome: ports, SIP codes, counters, files,
the order and spacing of RFC 4733 events, which side got which packets."""

import glob
import math
import os
import struct
import sys
import time
import unittest
import urllib.parse
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, free_port_block, uac, uas, wait_until  # noqa: E402
from rtp_endpoint import DATA_DIR, RtpEndpoint, pcap_rtp_payloads, telephone_events  # noqa: E402

TRACKING = "+15550100"


def routing(phone_port, options=""):
    return f"""tracking_numbers:
  - number: "{TRACKING}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
{options}"""


def write_tone(path, seconds=1.0, hz=440):
    """A whisper file: 8 kHz 16-bit mono, what rtpengine's player reads."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(int(8000 * seconds))))


class MediaCall:
    """One call through the cluster with RTP endpoints on both sides."""

    def __init__(self, test, cluster, hold_ms=3000, phone_port=None, phone_scenario="uas_media_answer.xml",
                 caller_scenario="uac_media_call.xml"):
        self.test = test
        self.cluster = cluster
        self.caller_rtp = RtpEndpoint(free_port_block(2))
        self.phone_rtp = RtpEndpoint(free_port_block(2))
        test.addCleanup(self.caller_rtp.close)
        test.addCleanup(self.phone_rtp.close)
        self.phone = uas(cluster, phone_scenario, phone_port, "phone",
                         extra=["-key", "rtp_port", str(self.phone_rtp.port)])
        test.addCleanup(self.phone.stop)
        self.caller = uac(cluster, TRACKING, calls=1, rate=1, hold_ms=hold_ms, name="caller",
                          scenario=caller_scenario, extra=["-key", "rtp_port", str(self.caller_rtp.port)])
        test.addCleanup(self.caller.stop)
        self.audio = [payload for _, payload in pcap_rtp_payloads(os.path.join(DATA_DIR, "g711a.pcap"))]

    def answered(self, timeout=10):
        """Waits for the answer; returns (port the phone was told to send to, port the caller was
        told to send to) and starts both endpoints' audio there."""
        wait_until(lambda: self.caller.lines("answer_port") and self.phone.lines("offer_port"), timeout,
                   what="the call answered with SDP on both sides")
        self.answered_at = time.monotonic()
        answer_port, answer_ip = self.caller.lines("answer_port")[0].split()
        offer_port, offer_ip = self.phone.lines("offer_port")[0].split()
        self.test.assertEqual((answer_ip, offer_ip), ("127.0.0.1", "127.0.0.1"))
        self.call_id = self.phone.lines("answered")[0]
        return int(offer_port), int(answer_port)

    def start_audio(self, offer_port, answer_port):
        self.caller_rtp.start_sending(answer_port, self.audio)
        self.phone_rtp.start_sending(offer_port, self.audio)


class MediaPlane(unittest.TestCase):
    def setUp(self):
        self.phone_port = free_port()

    def cluster(self, options="", media_extra=""):
        # The services a call's signalling needs; presence and notification only take its events.
        c = Cluster(routing(self.phone_port, options), media=True, media_extra=media_extra).start(
            ["concurrency-limiter", "router", "ingress"])
        self.addCleanup(c.cleanup)
        return c

    def in_rtpengine_range(self, cluster, port):
        return cluster.rtp_port_min <= port <= cluster.rtp_port_max

    def recordings(self, cluster, call_id):
        # rtpengine names the file after the Call-ID, percent-encoded ("@" is "%40"), and a random part.
        name = urllib.parse.quote(call_id, safe="")
        return glob.glob(os.path.join(cluster.recording_dir, "pcaps", glob.escape(name) + "-*.pcap"))

    # -- anchoring -----------------------------------------------------------------------------
    def test_call_is_anchored_both_ways_recorded_and_deleted_on_bye(self):
        cluster = self.cluster()
        call = MediaCall(self, cluster, hold_ms=2500, phone_port=self.phone_port)
        offer_port, answer_port = call.answered()
        # SDP rewritten both ways: each side was told to send to one of rtpengine's ports.
        self.assertTrue(self.in_rtpengine_range(cluster, offer_port), offer_port)
        self.assertTrue(self.in_rtpengine_range(cluster, answer_port), answer_port)
        self.assertNotEqual(offer_port, answer_port)
        self.assertEqual(cluster.ng("list")["calls"], [call.call_id])
        call.start_audio(offer_port, answer_port)
        # The caller's audio reaches the phone from rtpengine's port (the one the phone sends to).
        wait_until(lambda: len(call.phone_rtp.packets(8)) >= 25, 5, what="caller audio at the phone")
        wait_until(lambda: len(call.caller_rtp.packets(8)) >= 25, 5, what="phone audio at the caller")
        self.assertEqual({p.source for p in call.phone_rtp.packets()}, {("127.0.0.1", offer_port)})
        self.assertEqual({p.source for p in call.caller_rtp.packets()}, {("127.0.0.1", answer_port)})
        self.assertEqual({p.ssrc for p in call.phone_rtp.packets()}, {call.caller_rtp.ssrc})
        self.assertEqual(call.caller.wait(timeout=20), 0, "SIPp caller failed: " + call.caller.out_file)
        # Deleted on BYE: rtpengine holds no call and does not know this one.
        wait_until(lambda: cluster.ng("list")["calls"] == [], 5, what="rtpengine call deleted")
        self.assertEqual(cluster.ng("query", **{"call-id": call.call_id})["result"], "error")
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_anchored_total"), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_commands_total",
                                        'command="delete",outcome="ok"'), 1)
        # Recorded (seed 000: recording is on unless the receiving number prevents it): the pcap
        # holds the call's RTP, more than its 24-byte file header.
        files = self.recordings(cluster, call.call_id)
        self.assertEqual(len(files), 1, files)
        self.assertGreater(os.path.getsize(files[0]), 24 + 50 * 100)
        self.assertIn(f'"recording":"{files[0]}"', cluster.log("ingress"))

    def test_prevent_recording_number_is_not_recorded(self):
        # seed 000_246ae9c7ee9a1def.txt "Prevent Recording".
        cluster = self.cluster(options="        prevent_recording: true\n")
        call = MediaCall(self, cluster, hold_ms=1500, phone_port=self.phone_port)
        call.start_audio(*call.answered())
        wait_until(lambda: len(call.phone_rtp.packets(8)) >= 25, 5, what="caller audio at the phone")
        self.assertEqual(call.caller.wait(timeout=20), 0)
        wait_until(lambda: cluster.ng("list")["calls"] == [], 5, what="rtpengine call deleted")
        self.assertEqual(self.recordings(cluster, call.call_id), [])
        self.assertEqual(glob.glob(os.path.join(cluster.recording_dir, "pcaps", "*")), [])

    def test_reinvite_offer_and_answer_are_anchored_too(self):
        cluster = self.cluster()
        call = MediaCall(self, cluster, hold_ms=500, phone_port=self.phone_port,
                         phone_scenario="uas_media_reinvite.xml", caller_scenario="uac_media_reinvite.xml")
        offer_port, answer_port = call.answered()
        self.assertEqual(call.caller.wait(timeout=20), 0, "SIPp caller failed: " + call.caller.out_file)
        reoffer = int(call.phone.lines("reoffer_port")[0])
        reanswer = int(call.caller.lines("reinvite_port")[0])
        # Each side still sends to rtpengine, on the ports it already had.
        self.assertEqual((reoffer, reanswer), (offer_port, answer_port))
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_commands_total",
                                        'command="offer",outcome="ok"'), 2)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_commands_total",
                                        'command="answer",outcome="ok"'), 2)
        wait_until(lambda: cluster.ng("list")["calls"] == [], 5, what="rtpengine call deleted")

    # -- fail open / closed --------------------------------------------------------------------
    def test_rtpengine_stopped_fail_open_connects_unanchored_and_counts(self):
        cluster = self.cluster()
        cluster.stop_service("rtpengine")
        call = MediaCall(self, cluster, hold_ms=500, phone_port=self.phone_port)
        offer_port, answer_port = call.answered()
        # Not anchored: each side got the other's own SDP.
        self.assertEqual((offer_port, answer_port), (call.caller_rtp.port, call.phone_rtp.port))
        self.assertEqual(call.caller.wait(timeout=20), 0)
        self.assertEqual(call.caller.count("answered"), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_failures_total",
                                        'reason="unavailable"'), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_anchored_total"), 0)

    def test_rtpengine_stopped_fail_closed_answers_503(self):
        cluster = self.cluster(media_extra="  fail_mode: closed\n")
        cluster.stop_service("rtpengine")
        call = MediaCall(self, cluster, hold_ms=500, phone_port=self.phone_port)
        self.assertEqual(call.caller.wait(timeout=20), 0, "SIPp caller failed: " + call.caller.out_file)
        self.assertEqual(len(call.caller.lines("rejected")), 1)
        self.assertEqual(call.caller.count("answered"), 0)
        self.assertEqual(call.phone.lines("offer_port"), [])  # the phone never rang
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_media_failures_total",
                                        'reason="unavailable"'), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_calls_rejected_total", 'status="503"'), 1)

    # -- extension digits and whisper (seed 000_246ae9c7ee9a1def.txt) -----------------------------
    def test_extension_digits_reach_the_answering_phone_in_order_with_w_as_half_a_second(self):
        # "3ww1928"-style: a menu digit, waits, then the extension; Dial Pause 1 s before it all.
        cluster = self.cluster(options='        extension: "1w23"\n        dial_pause_s: 1\n')
        call = MediaCall(self, cluster, hold_ms=4500, phone_port=self.phone_port)
        call.start_audio(*call.answered())
        wait_until(lambda: len(telephone_events(call.phone_rtp.packets(101))) >= 3, 8,
                   what="three telephone-events at the phone")
        time.sleep(0.3)  # the last event's final packets
        events = telephone_events(call.phone_rtp.packets(101))
        self.assertEqual([e[0] for e in events], ["1", "2", "3"])
        (_, at1, dur1, _), (_, at2, dur2, _), (_, at3, _, _) = events
        self.assertAlmostEqual(dur1, 100, delta=30)
        # `w`: half a second of silence between the end of 1 and the start of 2, and the default
        # 100 ms gap between 2 and 3.
        self.assertAlmostEqual((at2 - at1) * 1000 - dur1, 500, delta=60)
        self.assertAlmostEqual((at3 - at2) * 1000 - dur2, 100, delta=60)
        # The dial pause: no digit in the first second after the answer.
        self.assertGreaterEqual(at1 - call.answered_at, 0.8)
        # The caller got none of them; and while they played, the phone heard no caller audio
        # (silence, one repeated A-law byte), then the caller's audio once bridged.
        self.assertEqual(call.caller_rtp.packets(101), [])
        during = [p for p in call.phone_rtp.packets(8) if p.at < at3]
        self.assertTrue(during)
        self.assertTrue(all(len(set(p.payload)) == 1 for p in during))
        wait_until(lambda: any(len(set(p.payload)) > 1 for p in call.phone_rtp.packets(8) if p.at > at3 + 0.2), 3,
                   what="the caller's audio after the digits")
        self.assertEqual(call.caller.wait(timeout=20), 0)

    def test_whisper_reaches_only_the_answering_phone_before_any_caller_audio(self):
        cluster = self.cluster(options="        whisper: greeting\n")
        write_tone(os.path.join(cluster.whisper_dir, "greeting.wav"), seconds=1.0)
        call = MediaCall(self, cluster, hold_ms=3500, phone_port=self.phone_port)
        call.start_audio(*call.answered())
        wait_until(lambda: any(p.ssrc == call.caller_rtp.ssrc for p in call.phone_rtp.packets(8)), 6,
                   what="caller audio at the phone after the whisper")
        self.assertEqual(call.caller.wait(timeout=20), 0)
        at_phone = call.phone_rtp.packets(8)
        whisper = [p for p in at_phone if p.ssrc != call.caller_rtp.ssrc]
        caller_audio = [p for p in at_phone if p.ssrc == call.caller_rtp.ssrc]
        self.assertGreaterEqual(len(whisper), 40)  # 1 s at 20 ms per packet, some lost to timing
        self.assertLess(max(p.at for p in whisper[:40]), min(p.at for p in caller_audio))
        whisper_ssrcs = {p.ssrc for p in whisper}
        self.assertFalse(any(p.ssrc in whisper_ssrcs for p in call.caller_rtp.packets()))
        self.assertEqual({p.ssrc for p in call.caller_rtp.packets(8)}, {call.phone_rtp.ssrc})


if __name__ == "__main__":
    unittest.main()
