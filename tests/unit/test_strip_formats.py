"""``strip``: input formats kept, Safe Harbor dates and ages, addresses never kept."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from privacy import scan
from privacy.stripping import safe_harbor, strip
from synth.schema.model import Action, Schema

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "pii_columns_bench.py"
_spec = importlib.util.spec_from_file_location("pii_columns_bench_strip", BENCH)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def uk() -> pd.DataFrame:
    df = bench.build_patients("en_GB", 150, seed=9)
    df["AGE"] = [str(a) for a in ([95, 91, 40] * 50)]
    return df


@pytest.fixture(scope="module")
def draft(uk: pd.DataFrame) -> Schema:
    return scan(uk, name="uk", seed=0).schema


def test_strip_keeps_formats_and_applies_safe_harbor(uk: pd.DataFrame, draft: Schema) -> None:
    out, _ = strip(uk, draft, seed=0)
    text = out.astype(str)
    born = out["BIRTHDATE"].dropna().astype(str)
    assert born.str.fullmatch(r"(19|20)\d\d").all(), "years as whole numbers, not 2006.0"
    dead = out["DEATHDATE"].dropna().astype(str)
    assert len(dead) and dead.str.fullmatch(r"(19|20)\d\d").all(), "death dates to the year"
    assert set(out["AGE"].astype(str)) == {"90", "40"}
    assert not set(uk["ADDRESS"]) & set(text.to_numpy().ravel())
    # the postcode area (letters), or a bare "A9A" district, which reads as a Canadian
    # forward sortation area and is kept (so that generalising twice changes nothing)
    districts = set(uk["ZIP"])
    areas = {re.match(r"[A-Z]+", c).group(0) for c in districts}  # type: ignore[union-attr]
    assert set(out["ZIP"].dropna()) <= areas | {
        c for c in districts if re.fullmatch(r"[A-Z]\d[A-Z]", c)
    }
    assert "000" not in set(out["ZIP"])


def test_schema_can_keep_full_dates(uk: pd.DataFrame, draft: Schema) -> None:
    cols = [
        c.model_copy(update={"hipaa": None}) if c.name == "DEATHDATE" else c for c in draft.columns
    ]
    keep = draft.model_copy(update={"columns": cols})
    out, _ = strip(uk, keep, seed=0)
    assert out["DEATHDATE"].dropna().astype(str).str.match(r"\d{4}-\d\d-\d\d").all()
    out, _ = strip(uk, draft, seed=0, safe_harbor_dates=False)
    assert out["DEATHDATE"].dropna().astype(str).str.match(r"\d{4}-\d\d-\d\d").all()
    assert safe_harbor(next(c for c in draft.columns if c.name == "DEATHDATE")) is not None


def test_leak_metric_catches_a_broken_draft(uk: pd.DataFrame, draft: Schema) -> None:
    """The benchmark's strip check scores a draft that keeps addresses and dates badly."""
    broken_cols = [
        c.model_copy(update={"action": Action.KEEP, "generalise": None, "hipaa": None})
        if c.name in ("ADDRESS", "ZIP", "DEATHDATE")
        else c
        for c in draft.columns
    ]
    broken = draft.model_copy(update={"columns": broken_cols})
    result = scan(uk, name="uk", seed=0)
    leaks = bench.strip_leaks(uk, type(result)(**{**result.__dict__, "schema": broken}), strip)
    assert leaks["addresses_verbatim"] == leaks["addresses"] == len(uk)
    assert leaks["death_dates_to_the_day"] == uk["DEATHDATE"].notna().sum() > 0
    good = bench.strip_leaks(uk, result, strip)
    assert good["addresses_verbatim"] == 0 and good["death_dates_to_the_day"] == 0


def test_safe_harbor_dates_option_modes(tmp_path: Path) -> None:
    """``synth strip --safe-harbor-dates``: 'schema' follows the hipaa class (a kept date
    without one stays whole), 'all' takes every kept date to its year, 'off' keeps the
    classed date too; the JSON names the mode and the columns it changed (issue 20)."""
    import json

    from typer.testing import CliRunner

    from synth.cli import app

    df = pd.DataFrame(
        {
            "died": ["2020-03-04", "2019-11-30", None],
            "seen": ["2021-01-02", "2018-06-07", "2017-08-09"],
            "ward": ["A", "B", "A"],
        }
    )
    df.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "s.yaml").write_text(
        "dataset: {}\ncolumns:\n"
        '  - {name: died, type: datetime, format: "%Y-%m-%d",'
        ' hipaa: "Dates (except year) directly related to an individual"}\n'
        '  - {name: seen, type: datetime, format: "%Y-%m-%d"}\n'
        "  - {name: ward, type: categorical}\n"
    )
    runner = CliRunner()
    got = {}
    for mode in ("schema", "all", "off"):
        out, js = tmp_path / f"{mode}.csv", tmp_path / f"{mode}.json"
        args = ["strip", str(tmp_path / "t.csv"), "--schema", str(tmp_path / "s.yaml")]
        res = runner.invoke(
            app, [*args, "--out", str(out), "--safe-harbor-dates", mode, "--json", str(js)]
        )
        assert res.exit_code == 0, res.output
        got[mode] = (pd.read_csv(out, dtype=str), json.loads(js.read_text()))
    year, day = r"\d{4}", r"\d{4}-\d\d-\d\d"
    schema_out, schema_js = got["schema"]
    assert schema_out["died"].dropna().str.fullmatch(year).all()
    assert schema_out["seen"].str.fullmatch(day).all()
    assert schema_js["safe_harbor_dates"] == "schema" and schema_js["safe_harbor_columns"] == [
        "died"
    ]
    all_out, all_js = got["all"]
    assert all_out["died"].dropna().str.fullmatch(year).all()
    assert all_out["seen"].str.fullmatch(year).all()
    assert all_js["safe_harbor_columns"] == ["died", "seen"]
    off_out, off_js = got["off"]
    assert off_out["died"].dropna().str.fullmatch(day).all() and off_js["safe_harbor_columns"] == []
    res = runner.invoke(app, ["strip", "--help"], env={"COLUMNS": "200"})
    assert "--safe-harbor-dates" in res.output and "expert determination" in res.output
