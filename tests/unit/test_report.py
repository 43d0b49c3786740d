"""The release report: sections, self-containment, no identifying values, verdicts."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synth.ledger import PrivacyLedger
from synth.randomness import Randomness
from synth.report import build_report, render_html, write_report
from synth.report.build import SECTION_KEYS
from synth.report.safety import WITHHELD, Scrubber
from synth.schema import Schema, parse_schema

N = 300
#: the model's DP estimate of its training rows (the report never sees the exact N)
ROWS_ESTIMATE = 311


def _table(n: int, seed: int) -> pd.DataFrame:
    """An invented table, as read from CSV: every value a string, None for missing."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 95, n)
    sex = rng.choice(["F", "M"], n, p=[0.55, 0.45])
    lab = np.round(rng.normal(13, 2, n), 1).astype(object)
    lab[rng.random(n) < 0.05] = None
    admitted = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    outcome = np.where(rng.random(n) < 0.15 + (age > 70) * 0.3, "yes", "no")
    ward = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    ward[:2] = "rare-ward"  # under 1% of rows: a rare category
    return pd.DataFrame(
        {
            "patient_id": [f"QZX{seed}{i:05d}SECRETID" for i in range(n)],
            "full_name": [f"Zebedee{seed}x{i} Quaffleton" for i in range(n)],
            "age": age.astype(str),
            "sex": sex,
            "zip": [f"{z:05d}" for z in rng.integers(1000, 3000, n)],
            "ward": ward,
            "lab": [None if v is None else str(v) for v in lab],
            "admitted": admitted.strftime("%Y-%m-%d"),
            "outcome": outcome,
            "note": [
                f"Seen by Dr Xylophant{seed}{i} on ward, callback 555-{i:04d}" for i in range(n)
            ],
        }
    )


SCHEMA: dict[str, Any] = {
    "dataset": {"name": "invented-ward", "target": "outcome", "protected": ["sex", "age"]},
    "columns": [
        {
            "name": "patient_id",
            "type": "identifier",
            "role": "direct_identifier",
            "entity": "MEDICAL_RECORD_NUMBER",
            "action": "replace",
        },
        {
            "name": "full_name",
            "type": "identifier",
            "role": "direct_identifier",
            "entity": "PERSON",
            "action": "drop",
        },
        {
            "name": "age",
            "type": "numerical",
            "role": "quasi_identifier",
            "entity": "AGE",
            "action": "generalise",
            "generalise": "top_code_89",
            "domain": {"min": 0, "max": 110, "precision": 0},
        },
        {
            "name": "sex",
            "type": "categorical",
            "role": "quasi_identifier",
            "domain": {"categories": ["F", "M"]},  # public: its names may be printed
        },
        {
            "name": "zip",
            "type": "categorical",
            "role": "quasi_identifier",
            "action": "generalise",
            "generalise": "zip3",
        },
        {"name": "ward", "type": "categorical"},
        {"name": "lab", "type": "numerical", "role": "sensitive", "domain": {"precision": 1}},
        {"name": "admitted", "type": "datetime", "format": "%Y-%m-%d"},
        {
            "name": "outcome",
            "type": "categorical",
            "role": "sensitive",
            "domain": {"categories": ["no", "yes"]},
        },
        {
            "name": "note",
            "type": "text",
            "role": "free_text",
            "entity": "FREE_TEXT",
            "action": "redact",
        },
    ],
    "constraints": [],
}


def _synthetic(real: pd.DataFrame, seed: int, shrink: float = 1.0) -> pd.DataFrame:
    """A noisy 'synthetic' copy: modelled columns resampled per column, typed like sample()."""
    rng = np.random.default_rng(seed)
    n = len(real)
    out = pd.DataFrame()
    out["patient_id"] = [f"SURR{i:06d}" for i in range(n)]
    age = np.minimum(pd.to_numeric(real["age"]).to_numpy(), 90)
    age = np.round(age.mean() + shrink * (age - age.mean()) + rng.integers(-3, 4, n))
    out["age"] = pd.array(age.astype(int), dtype="Int64")
    out["sex"] = real["sex"].sample(frac=1.0, random_state=seed).to_numpy()
    out["zip"] = real["zip"].str[:3].to_numpy()
    out["ward"] = rng.permutation(real["ward"].to_numpy())
    lab = pd.to_numeric(real["lab"]).to_numpy()
    out["lab"] = np.round(
        np.nanmean(lab) + shrink * (lab - np.nanmean(lab)) + rng.normal(0, 0.5, n), 1
    )
    out["admitted"] = real["admitted"].to_numpy()
    out["outcome"] = np.where(rng.random(n) < 0.9, real["outcome"], "yes")
    return out


def _model() -> dict[str, Any]:
    charges = [
        {
            "kind": "gaussian",
            "purpose": "bounds (noisy histogram)",
            "target": "lab",
            "rho": 0.002,
            "delta": 0.0,
            "sample_rate": 0.0,
            "noise_multiplier": 0.0,
            "steps": 0,
            "details": {"grid": "signed 2^(k/4)"},
            "epsilon_alone": 0.3,
        },
        {
            "kind": "dpsgd",
            "purpose": "DP-SGD training",
            "target": "generator",
            "rho": 0.0,
            "delta": 0.0,
            "sample_rate": 0.5,
            "noise_multiplier": 1.7,
            "steps": 60,
            "details": {"max_grad_norm": 1.0},
            "epsilon_alone": 0.9,
        },
    ]
    return {
        "engine": {
            "engine": "dpsgd",
            "options": {"epochs": 30},
            "training": {"rows_estimate": ROWS_ESTIMATE, "steps": 60, "noise_multiplier": 1.7},
        },
        "engine_reason": "requested explicitly",
        "rows_estimate": ROWS_ESTIMATE,
        "privacy": PrivacyLedger(1.0, 1e-6, unit="patient_id").guarantee(),
        "randomness": Randomness.secret().describe(),
        "budget": {"epsilon": 1.0, "delta": 1e-6},
        "spent": {"epsilon": 0.98, "delta": 9e-7},
        "ledger": {
            "budget": {"epsilon": 1.0, "delta": 1e-6},
            "spent": {"epsilon": 0.98, "delta": 9e-7},
            "accounting": "RDP composition",
            "conversion_delta": 9e-7,
            "charges": charges,
        },
        "domains": [{"column": "lab", "kind": "bounds", "found": True}],
        "not_released": [
            {"column": "full_name", "action": "drop"},
            {"column": "note", "action": "redact"},
        ],
    }


def _leakage(block: bool) -> dict[str, Any]:
    return {
        "passed": not block,
        "metrics": [
            {
                "name": "dcr_share",
                "value": 0.71 if block else 0.52,
                "baseline": 0.5,
                "interval": [0.66, 0.76] if block else [0.47, 0.57],
                "threshold": 0.55,
                "verdict": "block" if block else "pass",
                "explanation": "share of synthetic rows nearer a training row",
            },
            {
                "name": "exact_match_share",
                "value": 0.01,
                "baseline": 0.5,
                "interval": [0.0, 0.3],
                "threshold": 0.55,
                "verdict": "pass",
                "explanation": "same, for exact copies",
            },
            {
                "name": "median_dcr",
                "value": 1.2,
                "baseline": None,
                "interval": None,
                "threshold": None,
                "verdict": "info",
                "explanation": "for reference",
            },
        ],
        "sizes": {"train": N, "holdout": N // 3, "synthetic": N},
        "columns_used": ["age", "sex", "lab"],
        "flagged_rows": [3, 17] if block else [],
        "dcr_quantiles": {"train": {"p05": 0.2, "p50": 1.1}, "holdout": {"p05": 0.3, "p50": 1.2}},
    }


@pytest.fixture(scope="module")
def schema() -> Schema:
    return parse_schema(SCHEMA)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    train = _table(N, seed=1)
    return {"train": train, "holdout": _table(N // 3, seed=2), "synthetic": _synthetic(train, 3)}


def _build(
    schema: Schema, tables: dict[str, pd.DataFrame], *, block: bool = False, **kw: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    rng = np.random.default_rng(0)
    args: dict[str, Any] = {
        "train": tables["train"],
        "synthetic": tables["synthetic"],
        "schema": schema,
        "leakage": _leakage(block),
        "dcr_train": rng.gamma(2, 0.5, N),
        "dcr_holdout": rng.gamma(2, 0.55, N),
        "model": _model(),
        "released": not block,
        "holdout": tables["holdout"],
    }
    args.update(kw)
    return build_report(**args)


@pytest.fixture(scope="module")
def built(schema: Schema, tables: dict[str, pd.DataFrame]) -> tuple[dict, dict, str]:
    report, figures = _build(schema, tables)
    return report, figures, render_html(report, figures)


def test_every_section_is_in_json_and_html(built: tuple[dict, dict, str]) -> None:
    report, figures, page = built
    assert list(SECTION_KEYS) == [k for k in report if k in SECTION_KEYS]
    for key in SECTION_KEYS:
        assert key in report
        assert f'id="{key}"' in page
    assert {"marginals", "association", "dcr", "gate", "bias"} <= set(figures)
    for data in figures.values():
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.index('id="verdict"') < page.index('id="pii_scan"') < page.index('id="limits"')


def test_page_is_self_contained(built: tuple[dict, dict, str]) -> None:
    _, figures, page = built
    low = page.lower()
    for bad in ('src="http', "src='http", "<link", "<script", "@import", "url(", "<iframe"):
        assert bad not in low
    assert "http://" not in low and "https://" not in low
    assert low.count('src="data:image/png;base64,') == len(figures)
    assert len(page) < 2_000_000


def test_no_identifying_values(
    built: tuple[dict, dict, str], tables: dict[str, pd.DataFrame]
) -> None:
    report, _, page = built
    text = json.dumps(report, ensure_ascii=False)
    for t in (tables["train"], tables["holdout"]):
        for col in ("patient_id", "full_name", "note"):
            for v in t[col]:
                assert v not in text and v not in page
        for token in ("SECRETID", "Zebedee", "Quaffleton", "Xylophant"):
            assert token not in text and token not in page
    assert report["meta"]["withheld_strings"] == 0


def test_json_round_trips(built: tuple[dict, dict, str]) -> None:
    report, _, _ = built
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report


def test_released_report_content(built: tuple[dict, dict, str]) -> None:
    report, _, page = built
    v = report["verdict"]
    assert v["released"] and v["status"] == "released"
    assert v["epsilon"] == {"spent": 0.98, "budget": 1.0}
    assert v["rows_estimate"] == ROWS_ESTIMATE and v["rows_released"] == N
    assert v["privacy"]["unit_column"] == "patient_id" and v["schema"] == "reviewed"
    assert "≈ 311" in page and "DP estimate" in page and "add/remove-one neighbours" in page
    assert "Not covered by the guarantee" in page and "NOT PRIVATE" not in page
    assert "RELEASED" in page and "banner ok" in page
    pii = report["pii_scan"]
    assert {c["column"] for c in pii["columns"]} == {c["name"] for c in SCHEMA["columns"]}
    assert {g["column"] for g in pii["not_released"]} == {"full_name", "note"}
    assert pii["surrogates"] == ["patient_id"]
    assert len(report["ledger"]["charges"]) == 2
    fid = report["fidelity"]
    compared = {r["column"] for r in fid["columns"]}
    assert compared == {"age", "sex", "zip", "ward", "lab", "admitted", "outcome"}
    assert fid["marginals"]["counts"] == {"1-way": 7, "2-way": 21, "3-way": 35}
    by = {r["column"]: r for r in fid["columns"]}
    assert by["admitted"]["tvd"] == 0.0 and by["zip"]["tvd"] == 0.0  # copied unchanged
    assert 0.02 < by["age"]["tvd"] < 0.1  # ages jittered by ±3 years: seen, and small
    t = fid["tstr"]
    assert t["skipped"] is None
    assert t["gap"] == pytest.approx(t["trtr_auc"] - t["tstr_auc"], abs=2e-4)
    assert [a["column"] for a in report["bias"]["attributes"]] == ["sex", "age"]
    assert report["bias"]["tolerances"] == {
        "share_points": 0.05,
        "rate_points": 0.1,
        "small_group_rows": 50,
    }
    rare = report["diversity"]["rare_categories"]
    assert rare["total"] >= 1
    assert any("aggregate statistics of the real data" in p for p in report["limits"]["points"])


def test_blocked_report_shows_the_block(schema: Schema, tables: dict[str, pd.DataFrame]) -> None:
    report, figures = _build(schema, tables, block=True)
    page = render_html(report, figures)
    v = report["verdict"]
    assert not v["released"] and v["status"] == "blocked" and v["rows_released"] == 0
    assert v["blocking_metrics"] == ["dcr_share"]
    assert "dcr_share" in v["reason"]
    assert "BLOCKED" in page and "banner bad" in page and "must not be released" in page
    assert report["leakage"]["flagged_rows"]["count"] == 2


def test_identical_synthetic_has_zero_tvd(schema: Schema, tables: dict[str, pd.DataFrame]) -> None:
    train = tables["train"]
    syn = train.drop(columns=["full_name", "note"]).copy()
    syn["zip"] = syn["zip"].str[:3]
    syn["age"] = pd.to_numeric(syn["age"]).clip(upper=90).astype(str)
    report, _ = _build(
        schema,
        tables,
        synthetic=syn,
        holdout=None,
        dcr_train=None,
        dcr_holdout=None,
        model=None,
        scan=None,
    )
    m = report["fidelity"]["marginals"]["mean_tvd"]
    assert m == {"1-way": 0.0, "2-way": 0.0, "3-way": 0.0}
    assert report["fidelity"]["tstr"]["skipped"].startswith("no holdout")
    assert (
        report["diversity"]["duplicates"]["synthetic"] == report["diversity"]["duplicates"]["real"]
    )
    assert report["leakage"]["exact_copies"]["synthetic_in_train"] == 1.0
    assert report["ledger"]["available"] is False
    render_html(report, {})  # renders without a model or figures


def test_bias_and_regression_to_mean_are_flagged(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    syn = _synthetic(tables["train"], 3, shrink=0.4)
    syn["sex"] = np.where(np.arange(len(syn)) % 5 == 0, "F", syn["sex"])  # F share +~9 pp
    report, _ = _build(schema, tables, synthetic=syn)
    sex = next(a for a in report["bias"]["attributes"] if a["column"] == "sex")
    flagged = {g["group"]: g["flags"] for g in sex["groups"]}
    assert "share" in flagged["F"] and "share" in flagged["M"]
    div = report["diversity"]
    assert div["regression_to_mean"]
    assert any("Regression to the mean" in w for w in div["warnings"])
    assert any("Regression to the mean" in a for a in report["verdict"]["attention"])


def test_write_report(tmp_path: Path, built: tuple[dict, dict, str]) -> None:
    report, figures, page = built
    write_report(tmp_path / "out", report, figures)
    assert json.loads((tmp_path / "out" / "report.json").read_text()) == report
    assert (tmp_path / "out" / "report.html").read_text() == page
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.json"]


def test_scrubber_withholds_identifier_values() -> None:
    s = Scrubber({"Kelly Berry", "852-27-3645"})
    assert s.text("Kelly Berry") == WITHHELD
    assert s.text("seen: (Kelly Berry), ok") == WITHHELD
    assert s.text("ssn 852-27-3645.") == WITHHELD
    assert s.text("Kelly") == "Kelly"
    assert s.tree({"a": ["x", "Kelly Berry"]}) == {"a": ["x", WITHHELD]}
    assert s.hits == 4


def test_verdict_reasons_cover_overrides_and_missing_gates() -> None:
    from synth.report.governance import verdict

    blocked = _leakage(block=True)
    override = verdict(blocked, _model(), True, N, N)
    assert override["released"] and "override" in override["reason"]
    assert "dcr_share" in override["reason"]
    none = verdict({}, None, False, N, N)
    assert not none["released"] and "no leakage-check result" in none["reason"]
    ungated = verdict({"passed": True, "metrics": []}, None, True, N, N)
    assert "no leakage-gate metric" in ungated["reason"]
    assert ungated["epsilon"] == {"spent": None, "budget": None}


def test_ledger_groups_round_charges() -> None:
    """AIM charges every round; the report shows the charges of one purpose as one row
    whose ε alone is that of the summed ρ, and keeps the others itemised."""
    import numpy as np

    from synth.ledger import ORDERS, PrivacyLedger, rdp_to_dp
    from synth.report.governance import ledger

    led = PrivacyLedger(5.0, 1e-6)
    led.charge_gaussian("1-way marginals (AIM)", "all modelled columns", sigma=30.0)
    for t in range(1, 6):
        led.charge_zcdp("selection", f"round {t}", rho=0.001)
        led.charge_gaussian("measurement", f"round {t}", sigma=40.0 / t)
    led.charge_zcdp("tail", "one", rho=0.002)
    state = led.state_dict()
    rows = ledger({"ledger": state})["charges"]
    assert [r["purpose"] for r in rows] == [
        "1-way marginals (AIM)",
        "selection",
        "measurement",
        "tail",
    ]
    rho = sum(t**2 / (2 * 40.0**2) for t in range(1, 6))
    measured = rows[2]
    assert measured["parameters"]["rho"] == pytest.approx(rho)
    expected = rdp_to_dp(rho * np.asarray(ORDERS), state["conversion_delta"])
    assert measured["epsilon_alone"] == pytest.approx(expected)
    assert measured["target"].startswith("5 charges")
    assert rows[1]["parameters"]["mechanism"] == "exponential mechanism (zCDP)"
    assert rows[3]["parameters"]["rho"] == pytest.approx(0.002)


def test_tstr_trains_on_the_synthetic_rows(schema: Schema, tables: dict[str, pd.DataFrame]) -> None:
    """A synthetic table that copies the training rows gives TSTR = TRTR exactly (the same
    seeded classifier on the same rows); the noisy one gives a different AUC."""
    train = tables["train"]
    copy = _synthetic(train, 3)
    for col in ("sex", "ward", "lab", "outcome"):
        copy[col] = train[col].to_numpy()
    copy["age"] = np.minimum(pd.to_numeric(train["age"]).to_numpy(), 90)
    same, _ = _build(schema, {**tables, "synthetic": copy})
    t = same["fidelity"]["tstr"]
    assert t["tstr_auc"] == t["trtr_auc"] and t["gap"] == 0
    noisy, _ = _build(schema, tables)
    assert noisy["fidelity"]["tstr"]["tstr_auc"] != t["tstr_auc"]


def test_a_smeared_point_mass_scores_badly_and_is_flagged() -> None:
    """A zero-inflated column (92 % zeros, as capital-gain in Adult) against an honest copy
    of its distribution and against one whose zeros were smeared over [0, 150] (what uniform
    decoding inside a bin did): the fidelity metric must tell them apart (the old decile
    edges scored both 0.0), and the report must name the value."""
    import doctest

    from synth.report import binning
    from synth.report.columns import prepare_column
    from synth.report.fidelity import column_tvd, moved_values
    from synth.schema.model import Column

    assert doctest.testmod(binning).failed == 0
    rng = np.random.default_rng(0)
    n = 5000

    def zero_inflated(k: int) -> np.ndarray:
        return np.where(rng.random(k) < 0.92, 0.0, rng.uniform(1, 1000, k).round())

    real = pd.Series(zero_inflated(n).astype(int).astype(str))
    honest = pd.Series(zero_inflated(n))
    smeared = pd.Series(np.where(honest == 0, rng.uniform(0, 150, n).round(), honest))
    col = Column(name="capital_gain", type="numerical")
    good, bad = (prepare_column(col, real, syn, None) for syn in (honest, smeared))
    assert column_tvd(good) < 0.05
    assert column_tvd(bad) > 0.5
    assert not moved_values(good)
    # the real rows' own frequent value is unpaid: named by number, not by value
    (zero,) = [m for m in moved_values(bad) if m["value"] == "frequent value 1"]
    assert zero["share_real"] > 0.85 and zero["share_synthetic"] < 0.05
    # the model's DP heavy value 0 (its codec) is paid for: named by value
    codec = {"kind": "numerical", "low": 0.0, "high": 1000.0, "precision": 0, "points": [0.0]}
    (zero,) = [m for m in moved_values(prepare_column(col, real, smeared, None, codec))]
    assert zero["value"] == "= 0" and zero["share_real"] > 0.85


def test_only_public_or_dp_selected_category_names_are_printed(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    """A category name is a label (plots, moved values, bias groups) only when declared
    (sex, outcome) or selected by the model under DP (its codec); 'rare-ward' (2 rows,
    undeclared, not selected) never is, and without a model no undeclared ward name is
    (issue 20)."""
    from synth.report.columns import prepare

    train, syn = tables["train"], tables["synthetic"]

    def labels(codecs: dict[str, Any] | None) -> dict[str, list[str]]:
        cols, _ = prepare(train, syn, schema, tables["holdout"], codecs)
        return {c.name: c.labels for c in cols if c.kind == "categorical"}

    plain = labels(None)
    assert plain["sex"][:2] == ["F", "M"] and set(plain["outcome"][:2]) == {"no", "yes"}
    assert all(x.startswith("category ") for x in plain["ward"][:-2])  # (other), (missing)
    codecs = {"ward": {"kind": "categorical", "name": "ward", "categories": ["north", "south"]}}
    paid = labels(codecs)["ward"]
    assert paid[:2] == ["north", "south"] and "rare-ward" not in paid and "west" not in paid
    assert {x for x in paid[2:-2]} == {"category 3", "category 4", "category 5"}
    # a public candidate list (a vocabulary the schema declares) is public too
    listed = SCHEMA["columns"]
    with_candidates = parse_schema(
        {
            **SCHEMA,
            "columns": [
                {**c, "domain": {"candidates": ["east", "atlantis"]}} if c["name"] == "ward" else c
                for c in listed
            ],
        }
    )
    cols, _ = prepare(train, syn, with_candidates, tables["holdout"], None)
    ward = next(c for c in cols if c.name == "ward")
    assert "east" in ward.labels and "north" not in ward.labels and "rare-ward" not in ward.labels
    # the whole report: the rare name nowhere, the counts of names shown per column
    syn = syn.copy()
    syn["ward"] = np.where(np.arange(len(syn)) % 3 == 0, "rare-ward", syn["ward"])  # moved
    report, figures = _build(schema, {**tables, "synthetic": syn}, codecs=codecs)
    text = json.dumps(report) + render_html(report, figures)
    assert "rare-ward" not in text and "west" not in text
    row = next(r for r in report["fidelity"]["columns"] if r["column"] == "ward")
    assert row["category_names_shown"] == 2
    assert any(m["value"] == "category 5" for m in row["moved_values"])  # the rare one, masked


def test_numeric_surrogates_construction_is_stated(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    """A numeric identifier's surrogate construction (the model's describe()) is stated in
    the PII section, the 'before signing' points and report.json, which validates (issue
    20: 'from a range that cannot collide with real ones, stated in the report')."""
    import jsonschema

    from synth.surrogates import numeric_construction

    said = numeric_construction(8, 300)
    model = {**_model(), "numeric_surrogates": [{"column": "patient_id", "construction": said}]}
    report, figures = _build(schema, tables, model=model)
    assert report["pii_scan"]["surrogate_constructions"] == [
        {"column": "patient_id", "construction": said}
    ]
    assert any(said in p for p in report["limits"]["points"])
    assert "first digit 0" in render_html(report, figures)
    spec = json.loads((Path(__file__).parents[2] / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(report)), spec)
