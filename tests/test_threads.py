"""CPU threads: set_num_threads/get_num_threads as torch's, and following the free CPUs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

import minigrad as mg
from minigrad import threads


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = mg.get_num_threads()
    yield
    mg.set_num_threads(before)


def test_set_num_threads_changes_the_blas_thread_count(restore_threads: None) -> None:
    from threadpoolctl import threadpool_info

    for n in (1, 2):
        mg.set_num_threads(n)
        assert mg.get_num_threads() == n
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {n}
    a = mg.randn(64, 64)
    assert (a @ a).shape == (64, 64)


@pytest.mark.parametrize(("bad", "message"), [
    (0, "expects a positive integer, but got 0"), (-1, "expects a positive integer, but got -1"),
    (1.5, "expects an int, but got float"), (True, "expects an int, but got bool"),
    ("2", "expects an int, but got str")])
def test_set_num_threads_rejects_what_is_no_thread_count(bad: object, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):  # as torch.set_num_threads
        mg.set_num_threads(bad)


def test_without_threadpoolctl_the_error_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    with pytest.raises(RuntimeError, match=r"pip install threadpoolctl.*OPENBLAS_NUM_THREADS"):
        mg.set_num_threads(1)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert mg.get_num_threads() == 3


def fake_machine(readings: list[tuple[float, float]], own: list[float]) -> threads.CpuMeter:
    """A meter over scripted (busy, total) machine seconds and own CPU seconds."""
    r, o = iter(readings), iter(own)
    return threads.CpuMeter(read=lambda: next(r), own=lambda: next(o))


def test_the_meter_counts_only_other_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    # 1 s passes on 2 CPUs (2 s in total); the machine was busy 1.5 s, of which 1 s was ours
    meter = fake_machine([(10.0, 100.0), (11.5, 102.0), (13.5, 104.0)], [5.0, 6.0, 6.2])
    assert meter.free() == pytest.approx(1.5)
    # the next second: busy 2 s, 0.2 s ours -> others use 1.8 CPUs
    assert meter.free() == pytest.approx(0.2)
    assert threads.threads_for_free_cpus(0.2) == 1
    assert threads.threads_for_free_cpus(1.5) == 1
    assert threads.threads_for_free_cpus(1.9) == 2
    assert threads.threads_for_free_cpus(7.0) == 2  # never more than this process's CPUs


def test_following_the_free_cpus_changes_the_count_as_the_load_changes(
        monkeypatch: pytest.MonkeyPatch, restore_threads: None) -> None:
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "cpus_free", lambda seconds=0.1: 2.0)
    follow = threads.FollowFreeCpus(every=3)
    assert follow.threads == 2 and mg.get_num_threads() == 2
    free = iter([0.9, 2.0])
    follow.meter = type("Meter", (), {"free": lambda self: next(free)})()
    assert [follow() for _ in range(3)] == [2, 2, 1]  # a busy neighbour: one thread
    assert mg.get_num_threads() == 1
    assert [follow() for _ in range(3)] == [1, 1, 2]  # it went: two again
    assert mg.get_num_threads() == 2
    with pytest.raises(ValueError, match="every must be a positive integer, but got 0"):
        threads.FollowFreeCpus(every=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the meter reads Linux's /proc/stat; elsewhere it uses the load average")
def test_a_busy_neighbour_takes_a_cpu_from_the_free_count() -> None:
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        free = threads.cpus_free(0.5)
    finally:
        spin.kill()
        spin.wait()
    assert free <= threads.cpu_count() - 0.5, free  # one CPU spins for someone else
