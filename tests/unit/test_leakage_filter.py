"""The optional filter of flagged rows, through the library and `synth check --filter`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import make_people, people_schema
from typer.testing import CliRunner

from privacy.leakage import check_leakage
from privacy.leakage.filter import filter_flagged
from synth.cli import app
from synth.report import governance
from synth.report.html import render_section
from synth.schema.model import GateThresholds


def test_filter_removes_exactly_the_flagged_rows_and_says_it_is_outside_dp():
    df = make_people(3000, seed=21)
    train, holdout = df.iloc[:2400].reset_index(drop=True), df.iloc[2400:].reset_index(drop=True)
    rng = np.random.default_rng(3)
    fresh = pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, 2400, 900)] for c in train})
    synthetic = pd.concat([fresh, train.iloc[:100]], ignore_index=True)
    result = check_leakage(train, holdout, synthetic, attack=False)
    assert set(range(900, 1000)) <= set(result.flagged.tolist())
    kept, filtered = filter_flagged(synthetic, result)
    assert len(kept) == 1000 - len(result.flagged)
    assert filtered.filter["removed"] == len(result.flagged)
    assert "outside the differential-privacy guarantee" in filtered.filter["note"]
    assert filtered.passed == result.passed  # the verdict is about the generator
    # no kept row is an exact copy any more
    again = check_leakage(train, holdout, kept, attack=False)
    assert next(m for m in again.metrics if m.name == "exact_copies_train").value == 0.0
    with pytest.raises(ValueError, match="rows"):
        filter_flagged(synthetic.iloc[:10], result)


def test_cli_check_filter_writes_the_remainder(
    tmp_path: Path, sample_path: Path, schema_path: Path
) -> None:
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False)
    idx = np.random.default_rng(0).permutation(len(df))
    train, hold = df.iloc[idx[:3000]], df.iloc[idx[3000:4000]]
    syn = train.sample(1500, replace=True, random_state=2)
    paths = {k: tmp_path / f"{k}.csv" for k in ("train", "holdout", "syn")}
    for k, frame in zip(paths, (train, hold, syn), strict=True):
        frame.to_csv(paths[k], index=False)
    out, report = tmp_path / "kept.csv", tmp_path / "check.json"
    res = CliRunner().invoke(
        app,
        [
            "check",
            "--real",
            str(paths["train"]),
            "--holdout",
            str(paths["holdout"]),
            "--synthetic",
            str(paths["syn"]),
            "--schema",
            str(schema_path),
            "--filter",
            str(out),
            "--json",
            str(report),
        ],
    )
    assert res.exit_code == 3, res.output  # a copy is still blocked: the filter is no excuse
    payload = json.loads(report.read_text())
    flt = payload["filter"]
    assert flt["removed"] == len(payload["flagged_rows"]) == 1500  # every row is a copy
    assert flt["kept"] == 0 and "outside" in flt["note"]
    assert "differential-privacy guarantee" in " ".join(res.output.split())
    assert out.exists()
    by = {m["name"]: m for m in payload["metrics"]}
    assert by["inference_risk"]["verdict"] == "block"  # the patients schema declares secrets
    assert payload["attacks"]["secrets"]


def test_report_leakage_section_shows_attacks_sampling_and_filter():
    df = make_people(2000, seed=8)
    train, holdout = df.iloc[:1600].reset_index(drop=True), df.iloc[1600:].reset_index(drop=True)
    synthetic = train.sample(600, replace=True, random_state=1).reset_index(drop=True)
    schema = people_schema({"plan": "sensitive"})
    gate = GateThresholds(exact_max_rows=500)
    result = check_leakage(train, holdout, synthetic, schema, thresholds=gate)
    _, result = filter_flagged(synthetic, result)
    section = governance.leakage(result.to_dict(), result.dcr_train, result.dcr_holdout, {})
    assert section["filter"]["removed"] == len(result.flagged)
    assert section["sampling"]["rows_measured"] == 500
    html = " ".join(render_section("leakage", section, {}).split())
    assert "inference: plan" in html and "linkability" in html
    assert "outside the differential-privacy guarantee" in html
    assert "uniform random sample of 500 synthetic rows" in html
    assert "Risk = (train − control) / (1 − control)" in html


@pytest.mark.slow  # a whole release (scan-free, but a fit): minutes on a shared box
def test_release_filter_flagged_says_so_in_leakage_json(
    tmp_path: Path, sample_path: Path, schema_path: Path
) -> None:
    from synth.releasing import run_release

    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False).iloc[:1500]
    src = tmp_path / "small.csv"
    df.to_csv(src, index=False)
    res = run_release(
        src, epsilon=1.0, out_dir=tmp_path / "out", schema_path=schema_path, filter_flagged=True
    )
    leak = json.loads((tmp_path / "out" / "leakage.json").read_text())
    flt = leak["filter"]
    assert flt["removed"] == len(leak["flagged_rows"])
    assert "outside the differential-privacy guarantee" in flt["note"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["leakage"]["filter"]["removed"] == flt["removed"]
    if res.passed:
        written = pd.read_csv(tmp_path / "out" / "synthetic.csv")
        assert len(written) == flt["kept"]
