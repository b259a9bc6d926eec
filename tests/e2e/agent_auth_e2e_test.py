"""Agents' devices authenticate before calling out (issue 16 item 5, toll fraud). The reported
attack: an INVITE with an agent's id as From, no credentials, another project's name in
X-Callmesh-Project, to a premium-rate number, was answered through the PSTN gateway. Here the
ingress requires SIP digest (agent_auth: required, credentials from a file as a Kubernetes Secret
would mount it) and the router applies the project's destination policy. The "PSTN gateway" is a
SIPp UAS that logs every INVITE it receives, so "no PSTN leg" is asserted exactly. SIPp 3.6 answers
MD5 only: this cluster offers [MD5] (SHA-256 is covered by services/ingress/agent_auth_test.cpp)."""

import hashlib
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas  # noqa: E402

ALICE_PASSWORD = "wonderland"
PREMIUM = "+19005550100"
CALLEE = "+14155550180"
COLLECTIONS = "+12127365099"


def routing(gateway_port):
    return f"""pstn_gateway: "127.0.0.1:{gateway_port}"
projects:
  - id: collections
    numbers: ["+1 212 736 5099"]
    first_call: fixed
    fixed_number: "+1 212 736 5099"
    destinations:
      allowed_country_codes: [1, 44]
      blocked_prefixes: ["+1900", "+1976"]
  - id: bank_collections
    numbers: ["+1 212 736 5088"]
    first_call: fixed
    fixed_number: "+1 212 736 5088"
agents:
  - {{id: alice, number: "+1 212 555 0101", outbound_project: collections}}
"""


def ha1(user, realm, password, algorithm):
    return getattr(hashlib, algorithm)(f"{user}:{realm}:{password}".encode()).hexdigest()


class AgentAuthTest(unittest.TestCase):
    def setUp(self):
        gateway_port = free_port()
        self.cluster = Cluster(routing(gateway_port), ingress_extra="""  agent_auth: required
  agent_credentials_file: agents.txt
  agent_auth_algorithms: [MD5]
""")
        self.addCleanup(self.cluster.cleanup)
        with open(os.path.join(self.cluster.dir, "agents.txt"), "w") as f:
            f.write("# user:realm:HA1 (MD5: 32 hex digits, SHA-256: 64)\n")
            f.write(f"alice:callmesh:{ha1('alice', 'callmesh', ALICE_PASSWORD, 'md5')}\n")
            f.write(f"alice:callmesh:{ha1('alice', 'callmesh', ALICE_PASSWORD, 'sha256')}\n")
        self.cluster.start()
        self.gateway = uas(self.cluster, "uas_pstn_gateway_caller_id.xml", gateway_port, "gateway")
        self.addCleanup(self.gateway.stop)
        self.calls = 0

    def call_out(self, callee, password, project="collections", agent="alice"):
        self.calls += 1
        caller = uac(self.cluster, callee, calls=1, rate=10, hold_ms=100, name=f"agent{self.calls}",
                     scenario="uac_agent_call_auth.xml",
                     extra=["-key", "agent", agent, "-key", "project", project, "-au", agent, "-ap", password])
        self.assertEqual(caller.wait(timeout=20), 0, "SIPp reports a failed call: " + caller.out_file)
        self.assertEqual(caller.count("challenged"), 1, caller.out_file)  # the first INVITE: 407
        return caller

    def refused(self, reason):
        return self.cluster.metric("router", "callmesh_router_outbound_refused_total", f'reason="{reason}"')

    def auth(self, result):
        return self.cluster.metric("ingress", "callmesh_ingress_agent_auth_total", f'result="{result}"')

    def test_the_reported_toll_fraud_gets_407_and_no_pstn_leg(self):
        """alice's id, no credentials (then a guessed password), bank_collections (not alice's
        project), a premium-rate number: challenged twice, never routed."""
        caller = self.call_out(PREMIUM, "guess", project="bank_collections")
        self.assertEqual(caller.lines("final"), ["407"])
        self.assertEqual(caller.count("answered"), 0)
        self.assertEqual(self.gateway.lines("caller_id"), [])  # the gateway received nothing
        self.assertEqual(self.refused("auth_required"), 1)  # the unauthenticated first INVITE
        self.assertEqual(self.auth("rejected"), 1)  # the wrong password
        self.assertEqual(self.auth("challenged"), 2)

    def test_authenticated_agent_blocked_prefix_other_project_then_allowed_number(self):
        """With the right password: the premium-rate prefix is refused (403), so is a project
        that is not alice's; a number her project allows goes out (200) presenting its number."""
        blocked = self.call_out(PREMIUM, ALICE_PASSWORD)
        self.assertEqual(blocked.lines("final"), ["403"])
        other = self.call_out(CALLEE, ALICE_PASSWORD, project="bank_collections")
        self.assertEqual(other.lines("final"), ["403"])
        self.assertEqual(self.gateway.lines("caller_id"), [])
        allowed = self.call_out(CALLEE, ALICE_PASSWORD)
        self.assertEqual(allowed.count("answered"), 1, allowed.out_file)
        seen = self.gateway.lines("caller_id")
        self.assertEqual(len(seen), 1, self.gateway.log_file)
        self.assertEqual(seen[0].split(), [COLLECTIONS, CALLEE])
        self.assertEqual((self.refused("blocked_prefix"), self.refused("project_not_allowed"),
                          self.refused("auth_required")), (1, 1, 3))
        self.assertEqual(self.auth("authenticated"), 3)


class ChallengeOnTheWireTest(unittest.TestCase):
    """The 407 as a phone sees it, with the default algorithms: SHA-256 offered first, then MD5
    (RFC 8760), qop=auth, one nonce."""

    def test_407_offers_sha256_then_md5(self):
        cluster = Cluster(routing(free_port()))
        self.addCleanup(cluster.cleanup)
        cluster.start()
        host, port = cluster.sip.split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        me = sock.getsockname()[1]
        invite = (f"INVITE sip:{CALLEE}@{host}:{port} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-wire-1\r\n"
                  f"From: <sip:alice@127.0.0.1:{me}>;tag=wire\r\n"
                  f"To: <sip:{CALLEE}@{host}:{port}>\r\n"
                  "Call-ID: wire-challenge@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
                  f"Contact: <sip:alice@127.0.0.1:{me}>\r\nMax-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n")
        sock.sendto(invite.encode(), (host, int(port)))
        while True:
            reply = sock.recv(65536).decode()
            if not reply.startswith("SIP/2.0 100"):
                break
        self.assertTrue(reply.startswith("SIP/2.0 407"), reply)
        challenges = [line.split(":", 1)[1].strip() for line in reply.split("\r\n")
                      if line.lower().startswith("proxy-authenticate:")]
        self.assertEqual(len(challenges), 2, reply)
        self.assertIn("algorithm=SHA-256", challenges[0])
        self.assertIn("algorithm=MD5", challenges[1])
        for c in challenges:
            self.assertIn('realm="callmesh"', c)
            self.assertIn('qop="auth"', c)
        nonces = {c.split('nonce="')[1].split('"')[0] for c in challenges}
        self.assertEqual(len(nonces), 1)


if __name__ == "__main__":
    unittest.main()
