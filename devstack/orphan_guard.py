"""Become a command that ends when the process which started it dies (Linux).

``python orphan_guard.py PARENT_PID -- ARGV…`` asks the kernel for SIGTERM on the parent's
death (``PR_SET_PDEATHSIG``), checks that the parent has not died already, then becomes
``ARGV`` (``execvp``: same pid, so stopping and signalling it work as before). A test run or
``make run`` killed hard then leaves no SecantusDB or service behind. Elsewhere than Linux it
only becomes ``ARGV``. Standard library only, run isolated (``python -I``), so no file beside
it can shadow a module it imports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(args: list[str]) -> None:
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: orphan_guard.py PARENT_PID -- ARGV…")
    parent, command = int(args[0]), args[2:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(f"orphan_guard: parent {parent} is gone; not starting {command[0]}")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
