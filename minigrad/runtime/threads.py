"""CPU threads: how many the matrix products may use, and how many CPUs are free for them.

On the CPU, minigrad's heavy lifting (convolutions as matrix products) runs in the BLAS under
NumPy (OpenBLAS, MKL, ...), which starts one thread per core. On a machine another program is
also using, those threads wait on each other, spinning: with 2 cores and one busy neighbour, a
LeNet epoch takes several times longer with 2 threads than with 1 (benchmarks/README.md has
the numbers). ``set_num_threads`` (as ``torch.set_num_threads``) sets the count while Python
runs, through threadpoolctl (``pip install threadpoolctl``; NumPy itself has no such call);
``cpus_free`` says how many CPUs other programs leave free, to choose the count from.
Setting ``OPENBLAS_NUM_THREADS=1`` (or ``OMP_NUM_THREADS``) before starting Python needs
nothing installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "CpuMeter", "FollowFreeCpus", "cpu_count", "cpus_free", "get_num_threads", "set_num_threads",
    "threads_for_free_cpus",
]


def _controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded in this process."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        raise RuntimeError(
            "setting the number of threads while Python runs needs threadpoolctl "
            "(pip install threadpoolctl); or set OPENBLAS_NUM_THREADS=N (or OMP_NUM_THREADS=N) "
            "before starting Python") from None
    import numpy  # noqa: F401 - its BLAS must be loaded to be found

    return ThreadpoolController()


def set_num_threads(n: int) -> None:
    """Let the BLAS under NumPy use ``n`` threads from now on (as torch.set_num_threads)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n}")
    _controller().limit(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads the BLAS under NumPy uses (as torch.get_num_threads)."""
    try:
        pools = _controller().select(user_api="blas").info()
    except RuntimeError:  # without threadpoolctl: what the environment asked for, if anything
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            if os.environ.get(var, "").isdigit():
                return int(os.environ[var])
        return cpu_count()
    return max((p["num_threads"] for p in pools), default=1)


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _proc_stat() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, from Linux's /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def _own_cpu_seconds() -> float:
    """CPU seconds this process has used (all its threads)."""
    t = os.times()
    return t.user + t.system


class CpuMeter:
    """How many of this process's CPUs other programs left free since the last reading.

    On Linux, from the machine's busy time in /proc/stat less this process's own CPU time, so
    it can be read while training runs (its own threads do not count); elsewhere from the
    1-minute load average (which lags), or all CPUs when neither is known.
    """

    def __init__(self, read: Callable[[], tuple[float, float] | None] = _proc_stat,
                 own: Callable[[], float] = _own_cpu_seconds) -> None:
        self._read, self._own = read, own
        self._last = (read(), own())

    def free(self) -> float:
        """CPUs free of other programs since the last call (or since the meter was made)."""
        cpus = cpu_count()
        machine = os.cpu_count() or cpus
        (first, mine), now = self._last, (self._read(), self._own())
        self._last = now
        if first is None or now[0] is None:
            try:
                load = os.getloadavg()[0]
            except (AttributeError, OSError):
                return float(cpus)
            return max(0.0, min(float(cpus), machine - load))
        if now[0][1] <= first[1]:  # no time has passed
            return float(cpus)
        wall = (now[0][1] - first[1]) / machine  # seconds that passed, by the machine's clock
        others = max(0.0, (now[0][0] - first[0] - (now[1] - mine)) / wall)
        return max(0.0, min(float(cpus), machine - others))


def cpus_free(seconds: float = 0.1) -> float:
    """How many of this process's CPUs other programs leave free, watched for ``seconds``."""
    meter = CpuMeter()
    time.sleep(seconds)
    return meter.free()


def threads_for_free_cpus(free: float) -> int:
    """The BLAS thread count for ``free`` CPUs: at least 1, never more threads than CPUs are
    free (a thread that must wait for a CPU holds up the others, which spin waiting for it)."""
    return max(1, min(cpu_count(), int(free + 0.25)))


class FollowFreeCpus:
    """Keeps the BLAS thread count at the CPUs other programs leave free.

    Call it once per training step: every ``every`` calls it reads a ``CpuMeter`` (which costs
    no waiting) and sets the count when it should change. Made, it watches for ``seconds``
    first to start from the right count. Needs threadpoolctl, as ``set_num_threads``.
    """

    def __init__(self, every: int = 50, seconds: float = 0.1) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, but got {every!r}")
        self.every, self.calls = every, 0
        self.threads = threads_for_free_cpus(cpus_free(seconds))
        set_num_threads(self.threads)
        self.meter = CpuMeter()

    def __call__(self) -> int:
        """Count one step; every ``every`` steps follow the free CPUs. The thread count now."""
        self.calls += 1
        if self.calls % self.every == 0:
            threads = threads_for_free_cpus(self.meter.free())
            if threads != self.threads:
                set_num_threads(threads)
                self.threads = threads
        return self.threads
