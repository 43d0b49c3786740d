"""Test data and constants shared by test modules (test modules never import each other).

``tests/`` is on ``sys.path`` while pytest runs (the directory of the top conftest), so a
test imports these as ``from support import ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from synth.schema.model import Column, Dataset, Schema

#: the installed console script, for tests that run ``synth`` as a real process
SYNTH = str(Path(sys.executable).parent / "synth")
#: a value planted in bad inputs; it must never be printed, logged or written back
CANARY = "ZQX-CANARY-7731"

#: a person table's key column in a linked schema: an identifier replaced by surrogates
PERSON_KEY = {
    "type": "identifier",
    "role": "direct_identifier",
    "action": "replace",
    "entity": "MEDICAL_RECORD_NUMBER",
}

#: the column types of :func:`make_people`
PEOPLE_TYPES = {
    "age": "numerical",
    "income": "numerical",
    "bmi": "numerical",
    "sex": "categorical",
    "region": "categorical",
    "smoker": "categorical",
    "visit": "datetime",
    "plan": "categorical",
}


def make_people(n: int, seed: int) -> pd.DataFrame:
    """An invented table: numbers, categories and dates, some missing, some structure."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    region = rng.choice([f"R{i:02d}" for i in range(12)], n)
    income = np.round(np.exp(rng.normal(9.5 + 0.01 * age, 0.6)), 2)
    df = pd.DataFrame(
        {
            "age": age,
            "income": income,
            "bmi": np.round(rng.normal(26, 4, n), 1),
            "sex": rng.choice(["F", "M"], n),
            "region": region,
            "smoker": rng.choice(["yes", "no"], n, p=[0.2, 0.8]).astype(object),
            "visit": pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1460, n), "D"),
            "plan": rng.choice(["basic", "plus", "gold", "none", "other"], n),
        }
    )
    df.loc[rng.random(n) < 0.05, "income"] = np.nan
    df.loc[rng.random(n) < 0.10, "smoker"] = None
    df.loc[rng.random(n) < 0.03, "visit"] = pd.NaT
    return df


def people_schema(roles: dict[str, str] | None = None, target: str | None = None) -> Schema:
    """A schema of :func:`make_people`'s columns with the given roles and target."""
    roles = roles or {}
    return Schema(
        dataset=Dataset(target=target),
        columns=[
            Column(name=n, type=t, role=roles.get(n, "other")) for n, t in PEOPLE_TYPES.items()
        ],
    )


def sample_head(sample_path: Path, rows: int, out: Path) -> Path:
    """The first ``rows`` rows of the sample table, as text, written to ``out``."""
    pd.read_csv(sample_path, dtype=str, keep_default_na=False).head(rows).to_csv(out, index=False)
    return out
