"""A time limit for Python-level work: SIGALRM raising :class:`Deadline`.

Used where a forked child would cost more than the work (rendering a simple document, a model
kept loaded in-process).  It interrupts Python code only — a long C call (cairo) runs on until
it returns, which is why costly documents render in a killable child instead.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class Deadline(BaseException):
    """Raised by SIGALRM; a BaseException so that no ``except Exception`` in between eats it."""


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`Deadline` in the block after ``seconds`` (main thread only; no-op elsewhere,
    for None/0, or when the caller already uses SIGALRM)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise Deadline

    signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
