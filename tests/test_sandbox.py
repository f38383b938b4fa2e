"""The one runner for untrusted work: answers, errors, deadlines, deaths, no leftover process."""

import os
import signal
import subprocess
import time

import pytest

from svgvl import sandbox

pytestmark = pytest.mark.skipif(not sandbox.CAN_FORK, reason="needs fork")


def test_the_child_returns_bytes_and_its_own_time():
    outcome = sandbox.run_in_child(lambda: time.sleep(0.05) or b"pixels", timeout=10)
    assert outcome.value == b"pixels" and outcome.error is None
    assert not outcome.timed_out and not outcome.died
    assert 0.05 <= outcome.seconds < 5


def test_what_the_work_raises_comes_back_described():
    def work():
        raise RuntimeError("cannot handle gears")

    outcome = sandbox.run_in_child(work, 10, describe=lambda e: f"{type(e).__name__}: {e}")
    assert outcome.error == "RuntimeError: cannot handle gears" and outcome.value is None


def test_the_deadline_kills_the_child_and_what_it_started(tmp_path):
    pid_file = tmp_path / "pid"

    def work():
        sleeper = subprocess.Popen(["sleep", "30"])
        pid_file.write_text(str(sleeper.pid))
        time.sleep(30)
        return b""

    start = time.monotonic()
    outcome = sandbox.run_in_child(work, timeout=1)
    assert outcome.timed_out and outcome.value is None and outcome.error is None
    assert time.monotonic() - start < 5
    grandchild = int(pid_file.read_text())
    for _ in range(50):  # killed with the group; init reaps it
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_a_child_that_dies_is_told_apart():
    outcome = sandbox.run_in_child(lambda: os.kill(os.getpid(), signal.SIGKILL), 10)
    assert outcome.died and os.WIFSIGNALED(outcome.status)
    assert os.WTERMSIG(outcome.status) == signal.SIGKILL


def test_time_limit_interrupts_python_and_restores_the_alarm():
    with pytest.raises(sandbox.Deadline), sandbox.time_limit(0.05):
        while True:
            pass
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False
