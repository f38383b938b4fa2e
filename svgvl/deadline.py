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


def read_pipe(fd: int, timeout: float | None) -> tuple[bytes, bool]:
    """Everything a child writes to ``fd`` until it closes it, or until ``timeout`` seconds
    pass: ``(data, finished)``.  The caller kills the child when ``finished`` is False."""
    import os
    import select
    import time

    chunks = []
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            return b"".join(chunks), False
        if not select.select([fd], [], [], wait)[0]:
            return b"".join(chunks), False
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
