"""Loopback ports for one test process's clusters and SIPp agents: free for TCP and UDP when
handed out, never handed out twice, and taken from below the kernel's ephemeral range."""

import random
import socket

_handed_out = set()  # ports this test process already gave to someone


def _bindable(port):
    """True when `port` on 127.0.0.1 is free for both TCP and UDP right now."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", port))
            u.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Ports are handed out from below the kernel's ephemeral range. Inside it, every outgoing
# connection of every process (SIPp, redis-cli, a 5,000-stream bench) takes ports and leaves
# them in TIME_WAIT for a minute, so a port found free could be taken as a client's source port
# before the service binds it, and a block of 41 consecutive free ports for rtpengine was not
# found in 200 tries on a busy machine.
_PORT_FLOOR = 10000
_PORT_CEILING = _ephemeral_low()
_random = random.SystemRandom()


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1 right now, and never handed out before by
    this process (two services of one cluster must not be configured on the same port)."""
    return free_port_block(1)


def free_port_block(size=4):
    """The first of `size` consecutive ports, all free for TCP and UDP and none handed out before.
    SIPp binds its media port and the ones above it (audio RTP/RTCP, video RTP/RTCP at +2/+3) and
    exits 254 when any is taken, so `-mp` needs a whole block, reserved like free_port's."""
    for _ in range(2000):
        first = _random.randrange(_PORT_FLOOR, _PORT_CEILING - size)
        block = range(first, first + size)
        if any(p in _handed_out for p in block) or not all(_bindable(p) for p in block):
            continue
        _handed_out.update(block)
        return first
    raise RuntimeError(f"no free block of {size} ports in {_PORT_FLOOR}-{_PORT_CEILING - 1}")


def claim(port):
    """Marks `port` as taken by a process this test starts without asking free_port for it (a
    Redis Cluster node's bus port, its port + 10000), so free_port never hands it to a service;
    False when free_port already handed it out (then that process must not use it)."""
    if port in _handed_out:
        return False
    _handed_out.add(port)
    return True
