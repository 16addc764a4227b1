"""Shared fixtures: the backend fixture and hypothesis profiles.

Profiles bound the number of examples, never the properties: ``ci`` (set automatically when
the CI variable is set) keeps the suite well inside CI's time; ``dev`` draws more; ``thorough``
is for a long local run; ``gpu`` is ``ci`` without the shrink phase, for the one-shot GPU check
(benchmarks/gpu_check.sh), where one failing example must not eat the step's time in shrinking
(it is reported as found). Choose one with HYPOTHESIS_PROFILE=name.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

import minigrad as mg

settings.register_profile(
    "ci", max_examples=12, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "gpu", max_examples=12, deadline=None, print_blob=True, database=None,
    phases=[p for p in Phase if p not in (Phase.shrink, Phase.explain)],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REQUIRE_GPU = os.environ.get("MINIGRAD_REQUIRE_GPU") == "1"

# Every backend the op suite runs on. "strict" (array-api-strict) is a test dependency, so it
# never skips: it proves no op relies on NumPy-only behaviour that would break on CuPy.
BACKENDS = ["cpu", "strict", "cuda"]


def require_device(name: str) -> None:
    """Skip (saying why) when a device is unavailable; fail instead under MINIGRAD_REQUIRE_GPU=1
    for the GPU, and always for the CPU backends, which must work everywhere."""
    backend = mg.get_backend(name)
    if backend.is_available():
        return
    if name == "cuda" and not REQUIRE_GPU:
        pytest.skip(f"no usable GPU here ({backend.reason}); set MINIGRAD_REQUIRE_GPU=1 on a GPU "
                    "machine to make this a failure")
    pytest.fail(f"backend {name!r} is unavailable: {backend.reason}")


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """A device string for each backend: the op tests run once per backend."""
    require_device(request.param)
    return request.param


@pytest.fixture(params=[True, False], ids=["fast", "textbook"], scope="session")
def fast(request: pytest.FixtureRequest) -> bool:
    """Fast paths on, then off: the op tables run both ways (mg.backends.fast_paths)."""
    return request.param


@pytest.fixture(params=["cpu", "strict"], scope="session")
def cpu_backend(request: pytest.FixtureRequest) -> str:
    """The two CPU backends (for tests too slow or too host-bound for the GPU run)."""
    require_device(request.param)
    return request.param
