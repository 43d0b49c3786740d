"""Shared fixtures. Tests that need ../shared/datasets skip cleanly when it is absent."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

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
