"""Bounding untrusted work in time and memory: a forked child, its memory capped,
killed at the deadline; and a ``SIGALRM`` limit in-process for work known to be Python-level.

The alarm is cheap and serves work that is Python-level (a simple render, a model kept loaded
in-process), but it cannot interrupt a long C call (cairo stroking a dashed path runs on until
it returns).  Such work runs in a child instead: a plain ``fork`` (not multiprocessing) costs one
page-table copy and needs no importable ``__main__``; the child gets its own process group so
that killing it also kills anything it started (potrace), and may have its memory capped so
that a runaway render cannot swap.  :func:`call` is the one way svgvl bounds a costly step
(a render, a trace, a benchmarked method): it returns the work's value or raises what the work
raised, and turns a deadline or a memory overrun into one :class:`~svgvl.errors.LimitError`.
The alarm is never used around cairo: raised inside one of cairo's callbacks into Python (the
PNG reader of an embedded image), it is printed as "Exception ignored" and lost.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from .errors import LimitError

CAN_FORK = hasattr(os, "fork")
"""Whether work can run in a killable child here (not on Windows)."""

DEFAULT_MEMORY = 3 << 29
"""Memory (bytes) bounded work may add to its process: 1.5 GiB, over twice what a 2048 px trace
or an 8192 px render needs, and under 2 GB with the process itself (``--max-memory``)."""

_HEADER = struct.Struct("<BdQ")  # 0 = returned / 1 = raised, the work's seconds, body length


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


def call(work: Callable[[], object], *, timeout, memory=DEFAULT_MEMORY, what="the work", why=None):
    """``work()`` in a child killed after ``timeout`` seconds, its memory capped at ``memory``
    bytes beyond this process's (None: no limit for either); returns what ``work`` returned
    (pickled across), raises what it raised.  A deadline or a memory overrun raises one
    :class:`~svgvl.errors.LimitError` naming ``what``, the limit and ``why`` the work was
    bounded, when given.  Without ``fork`` (Windows) the work runs here, unbounded."""
    if not CAN_FORK:
        return work()

    def run() -> bytes:
        try:
            return pickle.dumps((True, work()), pickle.HIGHEST_PROTOCOL)
        except BaseException as failure:  # noqa: BLE001 - raised again in the parent
            error = failure
            if out_of_memory(error, memory):
                error = LimitError(memory_message(what, memory, why))
            if not isinstance(error, LimitError | ValueError | OSError):  # a bug: say where
                error.add_note("".join(traceback.format_exception(error)).rstrip())
        try:  # an exception that cannot make the trip comes back as its traceback
            return pickle.dumps((False, pickle.loads(pickle.dumps(error))))
        except Exception:
            text = "".join(traceback.format_exception(error)).rstrip()
            return pickle.dumps((False, RuntimeError(f"{what} failed in its process:\n{text}")))

    def describe(error: BaseException) -> str:
        return memory_message(what, memory, why) if out_of_memory(error, memory) else repr(error)

    outcome = run_in_child(run, timeout, describe=describe, memory=memory)
    if outcome.timed_out:
        raise LimitError(time_message(what, timeout, why))
    if outcome.error is not None:  # the result itself could not be pickled
        if outcome.error == memory_message(what, memory, why):
            raise LimitError(outcome.error)
        raise RuntimeError(f"{what} failed in its process: {outcome.error}")
    if outcome.died:
        raise LimitError(death_message(what, outcome.status, memory, why))
    ok, value = pickle.loads(outcome.value)
    if ok:
        return value
    raise value


def out_of_memory(error: BaseException, memory: int | None) -> bool:
    """Whether ``error`` is an allocation that failed: a ``MemoryError``, or under a memory cap
    the ``SystemError`` some of CPython's C code raises when an allocation fails without setting
    one (the regex compiler, "error return without exception set")."""
    return isinstance(error, MemoryError) or (memory is not None and type(error) is SystemError)


def time_message(what: str, timeout: float, why: str | None = None) -> str:
    because = f" ({why})" if why else ""
    return (
        f"{what} took longer than {timeout:g} s{because} and was stopped; "
        "--timeout raises the limit"
    )


def memory_message(what: str, memory: int | None, why: str | None = None) -> str:
    because = f" ({why})" if why else ""
    return (
        f"{what} needed more than {amount(memory)} of memory{because}; "
        "--max-memory raises the limit"
    )


def death_message(what: str, status: int, memory: int | None, why: str | None = None) -> str:
    because = f" ({why})" if why else ""
    if not os.WIFSIGNALED(status):
        return f"{what} died early{because} (exit status {os.waitstatus_to_exitcode(status)})"
    how = f"{what} died of signal {os.WTERMSIG(status)}{because}"
    if memory is None:
        return how
    return f"{how}, likely over its {amount(memory)} memory limit; --max-memory raises it"


def amount(memory: int | None) -> str:
    """Bytes as a person writes them: ``1.5 GiB``, ``512 MiB``."""
    if memory is None:
        return "unlimited"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if memory >= size:
            return f"{memory / size:.4g} {unit}"
    return f"{memory} bytes"


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``), so
    that killing ``svgvl`` also ends its workers; ``parent``: the pid expected as parent (a
    process whose parent died before the call exits at once).  Elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os._exit(1)


@dataclass(frozen=True)
class Outcome:
    """What work run in a child came to: exactly one of ``value``, ``error``, ``timed_out`` or
    :attr:`died` holds."""

    value: bytes | None  # what the work returned
    error: str | None  # what it raised, as ``describe`` put it
    seconds: float  # the work's own time in the child; wall time when the child did not report
    timed_out: bool
    status: int  # the child's wait status (``os.WIFSIGNALED`` and friends read it)

    @property
    def died(self) -> bool:
        """The child ended without a report: killed (out of memory) or exited early."""
        return not self.timed_out and self.value is None and self.error is None


def run_in_child(
    work: Callable[[], bytes | memoryview],
    timeout: float | None,
    *,
    describe: Callable[[BaseException], str] = str,
    memory: int | None = None,
) -> Outcome:
    """Call ``work()`` in a forked child and return its bytes, killing the child (and its
    process group) after ``timeout`` seconds (None: no limit).

    ``describe`` turns what ``work`` raised into the message returned as ``error``; ``memory``
    caps the child's data (its allocations) at their size at fork plus this many bytes (Linux).
    Raises ``OSError`` when no child can be started.
    """
    for stream in (sys.stdout, sys.stderr):  # else the child would write the parent's buffer
        with contextlib.suppress(Exception):
            stream.flush()
    start = time.perf_counter()
    parent = os.getpid()
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # child: never returns into the caller's code
        _child(work, describe, memory, read_end, write_end, parent)

    os.close(write_end)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    data, finished = b"", False
    try:
        data, finished = _read_pipe(read_end, timeout)
    finally:
        os.close(read_end)
        if not finished:
            _kill(pid)
        try:
            status = os.waitpid(pid, 0)[1]
        except ChildProcessError:  # SIGCHLD ignored by the application: already reaped
            status = 0
    wall = time.perf_counter() - start
    if not finished or len(data) < _HEADER.size:
        return Outcome(None, None, wall, not finished, status)
    raised, seconds, length = _HEADER.unpack_from(data)
    body = data[_HEADER.size :]
    if len(body) != length:
        return Outcome(None, None, wall, False, status)
    if raised:
        return Outcome(None, body.decode("utf-8", "replace"), seconds, False, status)
    return Outcome(body, None, seconds, False, status)


def _child(work, describe, memory, read_end: int, write_end: int, parent: int):
    """Run ``work`` and send its report through ``write_end``; ends the process."""
    raised, seconds, body = 1, 0.0, b"the work did not finish"
    try:
        os.close(read_end)
        die_with_parent(parent)  # own process group: a kill of the parent's group misses it
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        if memory is not None:
            _limit_memory(memory)
        begin = time.perf_counter()
        try:
            body, raised = memoryview(work()).cast("B"), 0
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            body = describe(error).encode("utf-8", "replace")
        seconds = time.perf_counter() - begin
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        try:  # header and body written apart: no copy of a large body in a capped child
            for part in (_HEADER.pack(raised, seconds, len(body)), body):
                view = memoryview(part)
                while view:
                    view = view[os.write(write_end, view) :]
        finally:
            os._exit(0)


def _read_pipe(fd: int, timeout: float | None) -> tuple[bytes, bool]:
    """Everything the child writes to ``fd`` until it closes it, or until ``timeout`` seconds
    pass: ``(data, finished)``."""
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


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the child and anything it started
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _limit_memory(extra: int) -> None:
    """Cap this process's data (heap and private writable mappings: every allocation) at its
    current size plus ``extra`` bytes (Linux).  ``RLIMIT_DATA`` rather than ``RLIMIT_AS``: the
    address space also counts shared libraries mapped but not used (importing torch maps
    3 GB), which no allocation needs."""
    try:
        import resource

        with open("/proc/self/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        current = int(fields["VmData"].split()[0]) * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = current + extra
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, OSError, ValueError, KeyError):
        pass
