"""The report read by a non-specialist (issue 20): the guarantee in one plain sentence,
column names instead of engine indices in the ledger, percentages that never show a
non-zero share as 0%, and what to do when the gate blocks."""

from __future__ import annotations

import doctest
from html import unescape

import pandas as pd
import pytest
from test_report import _build

from synth.ledger import PrivacyLedger
from synth.report import common, governance, render_html
from synth.schema import Schema


def test_doctests() -> None:
    for mod in (common, governance):
        assert doctest.testmod(mod).failed == 0


def test_pct_never_rounds_a_non_zero_share_to_zero() -> None:
    assert common.pct(10 / 2241) != "0.0%"
    assert common.pct(10 / 2241, 0) == "0.45%"
    assert common.pct(0.0004) == "0.04%"
    assert common.pct(0.0) == "0.0%"
    assert common.pct(0.99999) == ">99.9%"


def test_plain_guarantee_per_person_and_per_row() -> None:
    person = PrivacyLedger(1.0, 1e-6, unit="patient_nbr", rows_per_unit=2).guarantee()
    text = governance.plain_guarantee(person, 1.0, 1e-6)
    assert text is not None
    assert "any one person (column 'patient_nbr', up to 2 rows each)" in text
    assert "e^1 ≈ 2.7" in text and "1e-06" in text
    row = governance.plain_guarantee(PrivacyLedger(0.5, 1e-7).guarantee(), 0.5, 1e-7)
    assert row is not None and "any one row" in row and "e^0.5 ≈ 1.6" in row
    assert "row by row" in row
    assert governance.plain_guarantee(None, 1.0, 1e-6) is None


def test_first_screen_says_the_guarantee_plainly(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    report, figures = _build(schema, tables, scan={"columns": []})
    v = report["verdict"]
    assert v["guarantee_plain"].startswith("Whether or not any one person (column 'patient_id'")
    assert "e^0.98 ≈ 2.7" in v["guarantee_plain"]
    page = render_html(report, figures)
    first = unescape(page[page.index('id="verdict"') : page.index('class="tiles"')])
    assert "What this means for one person" in first
    assert "any one person (column 'patient_id'" in first
    assert "Not covered by the guarantee" in first and "--filter-flagged" in first
    assert "Unreviewed draft schema" in first


@pytest.fixture(scope="module")
def schema() -> Schema:
    from test_report import SCHEMA

    from synth.schema import parse_schema

    return parse_schema(SCHEMA)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    from test_report import N, _synthetic, _table

    train = _table(N, seed=1)
    return {"train": train, "holdout": _table(N // 3, seed=2), "synthetic": _synthetic(train, 3)}


def _aim_model(rounds: int, *, linked: bool = False) -> dict:
    led = PrivacyLedger(5.0, 1e-6)
    led.charge_gaussian("1-way marginals (AIM)", "all modelled columns", sigma=30.0)
    for t in range(1, rounds + 1):
        led.charge_gaussian(
            "marginal measurement (Gaussian, AIM)",
            f"round {t}: 2-way marginal",
            sigma=40.0,
            details={"round": t, "columns": [0, 2]},
        )
    state = led.state_dict()
    if linked:
        for c in state["charges"]:
            c["target"] = f"other: {c['target']}"
    return {
        "ledger": state,
        "engine": {
            "engine": "aim",
            "options": {"ordinal": [0, 12, 0]},
            "training": {
                "selected": [[0, 2], [1]],
                "factors": [[2, 1, 0]],
                "target": 2,
                "compressed_cardinalities": [3, 9, 2],
            },
        },
    }


def test_ledger_names_columns_instead_of_indices() -> None:
    from synth.report.html import render_section

    names = ["sex", "age", "outcome"]
    s = governance.ledger(_aim_model(2), names)
    tr = s["training"]
    assert tr["selected"] == [["sex", "outcome"], ["age"]]
    assert tr["factors"] == [["outcome", "age", "sex"]] and tr["target"] == "outcome"
    assert tr["compressed_cardinalities"] == {"sex": 3, "age": 9, "outcome": 2}
    assert s["engine_options"]["ordinal"] == {"sex": 0, "age": 12, "outcome": 0}
    measured = [c for c in s["charges"] if c["purpose"].startswith("marginal measurement")]
    assert [c["parameters"]["columns"] for c in measured] == [["sex", "outcome"]] * 2
    html = render_section("ledger", s, {})
    assert "sex × outcome" in html and "outcome × age × sex" in html
    assert "[0, 2]" not in html and "[[0, 2]" not in html
    # a column count that does not match the engine's: indices are left alone
    off = governance.ledger(_aim_model(2), ["sex", "age"])
    assert off["training"]["selected"] == [[0, 2], [1]] and off["columns"] is None
    # a linked release's composed ledger holds other tables' charges: not renamed
    lk = governance.ledger(_aim_model(2, linked=True), names)
    assert lk["training"]["selected"][0] == ["sex", "outcome"]
    assert [c["parameters"]["columns"] for c in lk["charges"][1:]] == [[0, 2]] * 2


def test_report_ledger_uses_the_schema_column_order(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    from test_report import _model

    model = _model()
    d = len(schema.modelled)
    model["engine"]["training"]["selected"] = [[0, d - 1]]
    model["engine"]["training"]["compressed_cardinalities"] = [2] * d
    report, _ = _build(schema, tables, model=model)
    first, last = schema.modelled[0].name, schema.modelled[-1].name
    assert report["ledger"]["columns"] == [c.name for c in schema.modelled]
    assert report["ledger"]["training"]["selected"] == [[first, last]]


def test_a_blocked_release_says_what_to_do(schema: Schema, tables: dict[str, pd.DataFrame]) -> None:
    report, figures = _build(schema, tables, block=True)
    v = report["verdict"]
    assert [r["metric"] for r in v["remedies"]] == v["blocking_metrics"] == ["dcr_share"]
    r = v["remedies"][0]
    assert r["plain"] == "synthetic rows that are near-copies of real people's rows"
    assert r["causes"] and "near-copies" in v["reason"]
    fixes = " ".join(r["remedies"])
    assert "Lower ε (now 0.98)" in fixes
    assert "--engine aim" in fixes  # the test model is DP-SGD: offer the other engine
    assert "Declare public domains" in fixes  # its domains were estimated under DP
    gate = report["leakage"]["metrics"]
    assert gate[0]["plain_name"] == r["plain"] and gate[-1]["plain_name"] is None
    page = render_html(report, figures)
    first = page[page.index('id="verdict"') : page.index('id="pii_scan"')]
    assert 'id="remedies"' in first and "What to do" in first and "Lower ε" in first
    assert "re-run" in first
    released, figs = _build(schema, tables)
    assert released["verdict"]["remedies"] == []
    assert 'id="remedies"' not in render_html(released, figs)


def test_remedies_name_the_columns_the_attack_points_at() -> None:
    from synth.report.remedies import remedies

    leak = {
        "metrics": [
            {"name": "inference_risk", "verdict": "block", "threshold": 0.1},
            {"name": "singling_out_risk", "verdict": "block", "threshold": 0.1},
            {"name": "linkability_risk", "verdict": "pass", "threshold": 0.1},
        ],
        "attacks": {
            "auxiliary_columns": ["zip", "age"],
            "inference": [
                {"name": "diagnosis", "risk": 0.3, "risk_interval": [0.2, 0.4]},
                {"name": "payer", "risk": 0.05, "risk_interval": [-0.01, 0.11]},
            ],
        },
    }
    model = {
        "engine": {"engine": "aim"},
        "spent": {"epsilon": 8.0},
        "privacy": {"unit_column": "pid", "persons": {"persons_estimate": 900}},
    }
    out = remedies(leak, model)
    assert [r["metric"] for r in out] == ["inference_risk", "singling_out_risk"]
    inf, single = out
    assert inf["columns"] == ["diagnosis"]
    assert "'diagnosis'" in inf["remedies"][0] and "'payer'" not in inf["remedies"][0]
    assert single["columns"] == ["zip", "age"] and "'zip', 'age'" in single["remedies"][0]
    fixes = " ".join(single["remedies"])
    assert "Lower ε (now 8)" in fixes and "more rows" in fixes and "about 900" in fixes
    assert "--engine mst" in fixes and "public domains" not in fixes
