"""The crawl service's child program: ``python -m crawler.child <service pid> crawl <site> …``.

The crawl process asks Linux to signal it when the thread that started it dies, even by
SIGKILL of the whole service: a killed service leaves no orphan crawl running beside the
crawls of its successor, and Scrapy still closes the spider and records the run. The kernel
may repeat that signal as the dying service's threads exit, and a second SIGTERM makes Scrapy
stop uncleanly, so the signal is SIGHUP, turned into exactly one SIGTERM.

Nothing is imported before the death signal is armed but the standard library: Scrapy loads
only once the process knows it will not outlive its service.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from types import FrameType

#: prctl(2) option: the signal this process gets when its parent thread dies
PR_SET_PDEATHSIG = 1
#: exit code of a child whose service died before it could arm the signal (128 + SIGTERM)
ORPHANED = 143


def arm_parent_death_signal(service_pid: int) -> None:
    """SIGHUP when the service dies, turned into one SIGTERM; exit at once if it already has."""
    fired: list[bool] = []

    def parent_gone(signum: int, frame: FrameType | None) -> None:
        if not fired:
            fired.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGHUP, parent_gone)
    if not die_with_parent(signal.SIGHUP, service_pid):  # the service died before the signal was armed
        sys.exit(ORPHANED)


def die_with_parent(signum: int, parent_pid: int) -> bool:
    """Ask Linux for ``signum`` when the thread that started this process dies (prctl(2)); False if
    the parent ``parent_pid`` is already gone. Elsewhere nothing is armed and the answer is True."""
    if not sys.platform.startswith("linux"):
        return True
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)
    return os.getppid() == parent_pid


def main(argv: list[str]) -> None:
    arm_parent_death_signal(int(argv[0]))
    from scrapy.cmdline import execute

    execute(["scrapy", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv[1:])
