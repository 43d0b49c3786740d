"""A blocked release's report says what to do (issue 20): the generator is made to leak
(it returns the training rows), the real gate blocks, and report.json and report.html
carry, for each blocking metric, its plain name, likely causes and remedies, and the
guarantee in one plain sentence; report.json validates against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support import sample_head
from typer.testing import CliRunner

import synth.release as release_module
from synth.cli import app
from synth.synthesizer import Synthesizer

ROWS = 1200


def test_blocked_release_report_has_remedies(
    sample_path: Path, schema_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jsonschema

    table = sample_head(sample_path, ROWS, tmp_path / "patients.csv")
    seen: dict[str, pd.DataFrame] = {}
    real_split = release_module.split_holdout

    def keep_train(frame: pd.DataFrame, schema: Any, rng: Any) -> Any:
        train, hold = real_split(frame, schema, rng)
        seen["train"] = train
        return train, hold

    def leaky_sample(self: Synthesizer, n: int | None = None, **_: Any) -> pd.DataFrame:
        return seen["train"][self.output_columns].reset_index(drop=True)

    monkeypatch.setattr(release_module, "split_holdout", keep_train)
    monkeypatch.setattr(Synthesizer, "sample", leaky_sample)
    out = tmp_path / "rel"
    res = CliRunner().invoke(
        app,
        ["release", str(table), "--schema", str(schema_path), "--epsilon", "1", "--out", str(out)],
    )
    assert res.exit_code == 3, res.output
    report = json.loads((out / "report.json").read_text())
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    )
    jsonschema.validate(report, schema)
    v = report["verdict"]
    assert v["blocking_metrics"]
    assert [r["metric"] for r in v["remedies"]] == v["blocking_metrics"]
    for r in v["remedies"]:
        assert r["plain"] and r["causes"] and r["remedies"]
        assert any(x.startswith("Lower ε (now 1)") for x in r["remedies"])
    assert v["guarantee_plain"].startswith("Whether or not any one ")
    html = (out / "report.html").read_text()
    first = html[html.index('id="verdict"') : html.index('id="pii_scan"')]
    assert 'id="remedies"' in first and "What to do" in first
    for r in v["remedies"]:
        assert r["metric"] in first
    assert "What this means for one person" in first
    # the ledger names the engine's columns
    assert report["ledger"]["columns"] and "selected = [[" not in html
