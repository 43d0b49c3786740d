"""The hand-labelled shared tables: every direct identifier found, no false one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from privacy import scan

LABELS = Path(__file__).resolve().parents[2] / "benchmarks" / "scanner_labels.yaml"
TABLES = ["synthea_patients", "synthea_conditions", "synthea_encounters", "adult_train"]


@pytest.mark.shared
@pytest.mark.parametrize("table", TABLES)
def test_direct_identifiers_match_labels(shared_datasets: Path, table: str) -> None:
    spec = yaml.safe_load(LABELS.read_text())["tables"][table]
    path = shared_datasets / spec["shared"]
    if not path.exists():
        pytest.skip(f"{path} not present")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=spec["na"]).iloc[:5000]
    truth = {c for c, lab in spec["columns"].items() if lab["direct"]}
    found = {f.name for f in scan(df, name=table).findings if f.role == "direct_identifier"}
    assert sorted(truth - found) == [], "missed"
    assert sorted(found - truth) == [], "false direct identifiers"


def _repo_tables() -> list[str]:
    tables = yaml.safe_load(LABELS.read_text())["tables"]
    return [name for name, spec in tables.items() if "repo" in spec]


@pytest.mark.parametrize("table", _repo_tables())
def test_in_repo_tables_match_labels(table: str) -> None:
    """The labelled tables that ship with the project run everywhere (no ../shared)."""
    spec = yaml.safe_load(LABELS.read_text())["tables"][table]
    path = LABELS.parents[1] / spec["repo"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=spec["na"])
    truth = {c for c, lab in spec["columns"].items() if lab["direct"]}
    found = {f.name for f in scan(df, name=table).findings if f.role == "direct_identifier"}
    assert sorted(truth - found) == [], "missed"
    assert sorted(found - truth) == [], "false direct identifiers"
