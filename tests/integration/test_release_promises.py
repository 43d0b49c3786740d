"""Promises of the README that only a failing run shows (issue 21).

* A release whose leakage gate blocks exits 3, writes no ``synthetic.csv``, says
  ``passed: false`` in ``release.json`` and still leaves the report that explains why. The
  generator is made to leak — it returns the training rows themselves — and the real
  gate must catch it.
* An internal error (a bug) exits 1 with one line naming the exception's type and place,
  and never the message, which may hold a value from the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support import CANARY, sample_head
from typer.testing import CliRunner

import synth.releasing as release_module
from synth.cli import app
from synth.synthesizer import Synthesizer

ROWS = 1200


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> Path:
    return sample_head(sample_path, ROWS, tmp_path_factory.mktemp("promises") / "patients.csv")


def test_a_blocked_release_writes_no_synthetic_table(
    table: Path, schema_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, pd.DataFrame] = {}
    real_split = release_module.split_holdout

    def keep_train(frame: pd.DataFrame, schema: Any, rng: Any) -> Any:
        train, hold = real_split(frame, schema, rng)
        seen["train"] = train
        return train, hold

    def leaky_sample(self: Synthesizer, n: int | None = None, **_: Any) -> pd.DataFrame:
        return seen["train"][self.output_columns].reset_index(drop=True)  # copies every row

    monkeypatch.setattr(release_module, "split_holdout", keep_train)
    monkeypatch.setattr(Synthesizer, "sample", leaky_sample)
    out = tmp_path / "rel"
    res = CliRunner().invoke(
        app,
        ["release", str(table), "--schema", str(schema_path), "--epsilon", "1", "--out", str(out)],
    )
    assert res.exit_code == 3, res.output
    assert "BLOCKED" in res.output and "no synthetic data written" in " ".join(res.output.split())
    assert not (out / "synthetic.csv").exists()
    release = json.loads((out / "release.json").read_text())
    assert release["passed"] is False and release["released"] is False
    assert release["blocked_by"] and "synthetic.csv" not in release["files"]
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"]["status"] == "blocked"
    assert set(report["verdict"]["blocking_metrics"]) == set(release["blocked_by"])
    ids = set(seen["train"]["ssn"]) | set(seen["train"]["full_name"])
    assert not [v for v in ids if v and v in res.output]


def test_an_internal_error_exits_1_and_withholds_its_message(
    table: Path, schema_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fit(self: Synthesizer, *args: Any, **kwargs: Any) -> Synthesizer:
        raise ValueError(f"could not parse {CANARY} in row 17")  # a bug quoting a value

    monkeypatch.setattr(Synthesizer, "fit", broken_fit)
    res = CliRunner().invoke(
        app,
        [
            "fit",
            str(table),
            "--schema",
            str(schema_path),
            "--epsilon",
            "1",
            "--out",
            str(tmp_path / "m.synth"),
        ],
    )
    assert res.exit_code == 1, res.output
    flat = " ".join(res.output.split())
    assert "internal error: ValueError at test_release_promises.py" not in flat  # ours only
    assert "internal error: ValueError" in flat and "withheld" in flat
    assert CANARY not in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m.synth").exists()
