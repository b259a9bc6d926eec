"""Children a test starts die with the test: however it ends (an exception in setUp, a ctest
timeout that kills the test process, Ctrl-C), no redis-server, service or SIPp is left running.

Two guards, because neither alone covers every path:
  * PR_SET_PDEATHSIG: the kernel sends SIGKILL to the child when the test process dies, even by
    SIGKILL, where no Python code runs;
  * an atexit hook that stops, by pid, every child still running when the interpreter exits
    normally (a failed setUp whose tearDown never ran, say)."""

import atexit
import ctypes
import signal
import subprocess

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_live = []


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def popen(argv, **kwargs):
    """subprocess.Popen for a test's child process: killed when the test process goes away."""
    proc = subprocess.Popen(argv, preexec_fn=_die_with_parent, **kwargs)
    _live.append(proc)
    return proc


def start_or_clean_up(start, cleanup):
    """Runs `start()`; if it fails, runs `cleanup()` before the error propagates. A test whose
    setUp fails never runs its tearDown, so whatever `start` had already launched must not
    outlive the exception."""
    try:
        return start()
    except BaseException:
        cleanup()
        raise


@atexit.register
def _stop_leftovers():
    for proc in _live:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
