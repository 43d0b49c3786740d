"""Shared fixtures: the sample table and schema, ../shared/datasets (tests that need it
skip cleanly when it is absent), and one Dask scheduler for the whole session. Shared
constants and table builders live in ``support.py``."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "patients.csv"
SCHEMA = ROOT / "schemas" / "patients.yaml"
SHARED = Path(os.environ.get("STEWARD_SHARED", ROOT.parent / "shared")) / "datasets"

warnings.filterwarnings("ignore")


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def schema_path() -> Path:
    return SCHEMA


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared datasets not present at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    """One running Dask scheduler with two single-threaded worker processes for the whole
    session (as ``connect("local")`` makes them), joined by its ``tcp://`` address."""
    import logging

    import dask
    from distributed import LocalCluster

    env = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    with dask.config.set({"distributed.worker.daemon": False}):
        local = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=env,
            silence_logs=logging.ERROR,
        )
    try:
        yield local.scheduler_address
    finally:
        local.close()


@pytest.fixture(scope="session")
def cluster(scheduler: str) -> Iterator[Any]:
    """A runner on the session's Dask scheduler."""
    from synth.cluster import connect

    with connect(scheduler) as runner:
        yield runner


@pytest.fixture(params=["compiled", "numpy"])
def kernel_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a leakage-search test on the compiled scan (when numba is installed) and on the
    numpy path (:mod:`privacy.leakage.kernels`): both must give the same lists."""
    from privacy.leakage import kernels

    if request.param == "compiled" and not kernels.COMPILED:
        pytest.skip("numba not installed")
    monkeypatch.setattr(kernels, "COMPILED", request.param == "compiled")
    return request.param
