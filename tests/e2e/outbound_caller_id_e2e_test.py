"""Outbound caller ID end to end (issue 4, rule 10; seed 002_39a4312a6c94260d.txt): an agent's
device (SIPp UAC whose From is the agent's number) calls an external number through the ingress;
the router plans one leg to the PSTN gateway with the project's caller ID; the "PSTN gateway" is a
SIPp UAS that logs the P-Asserted-Identity each INVITE carried. Every assertion is the exact
caller ID presented to that callee."""

import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

ALICE = "+12125550101"  # collections: fixed number
BOB = "+12125550102"    # renewals: regional, keeps the contact's number, outcomes
CAROL = "+12125550103"  # collections, with her own outbound number that overrides it
STRANGER = "+15557770000"  # an agent with no outbound project

# The project's numbers; the callees below are valid numbers whose type and area libphonenumber
# knows (NANP numbers are FIXED_LINE_OR_MOBILE, which counts as a landline).
COLLECTIONS = "+12127365099"
NEW_YORK, CHICAGO, LONDON, MANCHESTER = "+12127365000", "+13122223333", "+442079460018", "+441614960000"
CONTACT = "+14155550180"          # San Francisco
LONDON_LANDLINE = "+442079460099"  # area 20
MANCHESTER_LANDLINE = "+441614960123"  # area 161

# Each device's From user (the agent's number) and the agent id it authenticates as.
DEVICES = {ALICE: "alice", BOB: "bob", CAROL: "carol", STRANGER: "walkin"}
PASSWORD = "correct horse"
AGENT_AUTH = """  agent_auth: required
  agent_credentials_file: agents.txt
  agent_auth_algorithms: [MD5]
"""


def device(agent_number):
    """SIPp arguments of an agent's device: From user, no project named, digest credentials."""
    return ["-key", "agent", agent_number, "-key", "project", "", "-au", DEVICES[agent_number],
            "-ap", PASSWORD]


def routing(gateway_port):
    return f"""pstn_gateway: "127.0.0.1:{gateway_port}"
projects:
  - id: collections
    numbers: ["+1 212 736 5099"]
    first_call: fixed
    fixed_number: "+1 212 736 5099"
    agent_number_overrides: true
  - id: renewals
    numbers: ["+1 212 736 5000", "+1 312 222 3333", "+44 20 7946 0018", "+44 161 496 0000"]
    first_call: regional
    keep_number_with_contact: true
    later_attempts:
      by_outcome: {{callback_requested: "+1 312 222 3333", answered: "+44 161 496 0000"}}
      default: regional
agents:
  - {{id: alice, number: "{ALICE}", outbound_project: collections}}
  - {{id: bob, number: "{BOB}", outbound_project: renewals}}
  - {{id: carol, number: "{CAROL}", outbound_number: "+1 212 736 5077", outbound_project: collections}}
  - {{id: walkin, number: "{STRANGER}"}}
"""


class OutboundCallerIdTest(unittest.TestCase):
    def setUp(self):
        gateway_port = free_port()
        # The agents' devices authenticate (SIP digest, issue 16) as in production; SIPp 3.6
        # answers MD5 only, so the cluster offers [MD5] (agent_auth_e2e_test.py covers the rest).
        self.cluster = Cluster(routing(gateway_port), ingress_extra=AGENT_AUTH)
        self.addCleanup(self.cluster.cleanup)
        with open(os.path.join(self.cluster.dir, "agents.txt"), "w") as f:
            for agent in DEVICES.values():
                f.write(f"{agent}:callmesh:{hashlib.md5(f'{agent}:callmesh:{PASSWORD}'.encode()).hexdigest()}\n")
        self.cluster.start()
        self.gateway = uas(self.cluster, "uas_pstn_gateway_caller_id.xml", gateway_port, "gateway")
        self.addCleanup(self.gateway.stop)
        self.calls = 0

    def call_out(self, agent_number, callee):
        """The agent's device calls `callee`; returns the caller ID the gateway saw for it."""
        self.calls += 1
        caller = uac(self.cluster, callee, calls=1, rate=10, hold_ms=100, name=f"agent{self.calls}",
                     scenario="uac_agent_call_auth.xml", extra=device(agent_number))
        self.assertEqual(caller.wait(timeout=20), 0, "SIPp reports a failed call: " + caller.out_file)
        self.assertEqual(caller.count("answered"), 1, caller.out_file)
        seen = self.gateway.lines("caller_id")
        self.assertEqual(len(seen), self.calls, self.gateway.log_file)
        caller_id, dialed = seen[-1].split()
        self.assertEqual(dialed, callee)  # rung at sip:<dialed>@<pstn_gateway>
        return caller_id

    def wait_outcome(self, callee, outcome):
        key = f"cm:outbound:{{{callee}}}"
        wait_until(lambda: self.cluster.redis("HGET", key, "outcome:renewals") == outcome, 10,
                   what=f"outcome {outcome} of the call to {callee} written back")

    def test_the_clusters_own_record_of_an_answered_call_chooses_the_next_number(self):
        """seed 002_39a4312a6c94260d.txt: "After the first call, the project's outcomes might decide
        which number should be used for the next call", from the cluster's own call records (issue 20
        item 6), with no dialer header and no outcome written by anyone else: renewals maps
        `answered` to Manchester's number."""
        self.assertEqual(self.call_out(BOB, LONDON_LANDLINE), LONDON)  # first call: regional
        self.wait_outcome(LONDON_LANDLINE, "answered")
        self.assertEqual(self.call_out(BOB, LONDON_LANDLINE), MANCHESTER)  # the outcome's number
        self.assertEqual(self.chosen("outcome"), 1)
        wait_until(lambda: self.cluster.metric("notification", "callmesh_notification_outbound_outcomes_total") == 2,
                   10, what="both calls' outcomes written back")

    def chosen(self, source):
        return self.cluster.metric("router", "callmesh_router_outbound_caller_ids_total", f'source="{source}"')

    def test_fixed_then_kept_with_the_contact_then_regional_for_landlines(self):
        """seed 002_39a4312a6c94260d.txt: "Click to select the number to use" (collections: a fixed
        number); "Keep the number used in the previous call to a contact" (renewals' first call to
        the same contact presents collections' number, remembered in Redis); "Regionally random
        ... if calling a landline, the random selected number will try to match to the region it
        is calling to" (renewals has one number in each of London's and Manchester's areas)."""
        self.assertEqual(self.call_out(ALICE, CONTACT), COLLECTIONS)
        self.assertEqual(self.cluster.redis("HGET", f"cm:outbound:{{{CONTACT}}}", "last_number"), COLLECTIONS)
        self.assertEqual(self.call_out(BOB, CONTACT), COLLECTIONS)
        self.assertEqual(self.cluster.redis("HGET", f"cm:outbound:{{{CONTACT}}}", "last_project"), "renewals")
        self.assertEqual(self.call_out(BOB, LONDON_LANDLINE), LONDON)
        self.assertEqual(self.call_out(BOB, MANCHESTER_LANDLINE), MANCHESTER)
        self.assertEqual(self.cluster.metric("router", "callmesh_router_decisions_total",
                                             'outcome="ring",rule="outbound_caller_id"'), 4)
        self.assertEqual((self.chosen("fixed"), self.chosen("kept"), self.chosen("regional")), (1, 1, 2))

    def test_outcome_chooses_the_next_number_and_the_agent_number_overrides(self):
        """seed 002_39a4312a6c94260d.txt: "After the first call, the project's outcomes might decide
        which number should be used for the next call" (the dialer records the outcome in Redis,
        cm:outbound:{<callee>} outcome:<project>); "Use agent number if you want the agent's phone
        number to override the number selection logic" (carol in collections). A caller who is an
        agent without a project is refused (403), not routed."""
        self.assertEqual(self.call_out(BOB, LONDON_LANDLINE), LONDON)  # first call: regional
        # The cluster writes the call's own outcome back first (issue 20); the dialer's later one
        # replaces it.
        self.wait_outcome(LONDON_LANDLINE, "answered")
        self.cluster.redis("HSET", f"cm:outbound:{{{LONDON_LANDLINE}}}", "outcome:renewals", "callback_requested")
        self.assertEqual(self.call_out(BOB, LONDON_LANDLINE), CHICAGO)
        self.assertEqual(self.cluster.redis("HGET", f"cm:outbound:{{{LONDON_LANDLINE}}}", "attempts:renewals"), "2")
        self.assertEqual(self.call_out(CAROL, LONDON_LANDLINE), "+12127365077")
        self.assertEqual((self.chosen("outcome"), self.chosen("agent")), (1, 1))
        refused = uac(self.cluster, CONTACT, calls=1, rate=10, hold_ms=100, name="walkin",
                      scenario="uac_agent_call_auth.xml", extra=device(STRANGER))
        self.assertEqual(refused.wait(timeout=20), 0, refused.out_file)
        self.assertEqual(refused.lines("final"), ["403"])
        self.assertEqual(len(self.gateway.lines("caller_id")), 3)  # the refused call never reached it


if __name__ == "__main__":
    unittest.main()
