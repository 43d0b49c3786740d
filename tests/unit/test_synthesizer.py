"""Synthesizer: budget respected, schema respected, reproducible, safe round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth import Synthesizer
from synth.errors import BudgetError, InputError, SchemaError
from synth.schema import parse_schema

FAST = {"epochs": 2}


def _table(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 95, n)
    los = np.clip(rng.poisson(3, n), 0, 30)
    adm = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    dis = adm + pd.to_timedelta(los, unit="D")
    lab = np.round(rng.normal(13, 2, n), 1).astype(object)
    lab[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "pid": [f"P{i:06d}" for i in range(n)],
            "ssn": [
                f"{rng.integers(100, 899)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)}"
                for _ in range(n)
            ],
            "age": age.astype(str),
            "sex": rng.choice(["F", "M"], n),
            "zip": [f"{z:05d}" for z in rng.choice([2139, 2140, 10001, 10002], n)],
            "adm": adm.strftime("%Y-%m-%d"),
            "dis": dis.strftime("%Y-%m-%d"),
            "lab": lab,
            "note": ["Seen today."] * n,
        }
    )


SCHEMA = {
    "dataset": {"privacy_unit": "pid"},
    "columns": [
        {
            "name": "pid",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "MEDICAL_RECORD_NUMBER",
            "format": "P######",
        },
        {
            "name": "ssn",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "US_SSN",
        },
        {
            "name": "age",
            "type": "numerical",
            "action": "generalise",
            "generalise": "top_code_89",
            "domain": {"min": 0, "max": 110, "precision": 0},
        },
        {"name": "sex", "type": "categorical"},
        {"name": "zip", "type": "categorical", "action": "generalise", "generalise": "zip3"},
        {"name": "adm", "type": "datetime", "format": "%Y-%m-%d"},
        {
            "name": "dis",
            "type": "datetime",
            "format": "%Y-%m-%d",
            "domain": {"min": "2021-01-01", "max": "2025-12-31"},
        },
        {"name": "lab", "type": "numerical", "domain": {"precision": 1}},
        {"name": "note", "type": "text", "role": "free_text", "action": "redact"},
    ],
    "constraints": [{"kind": "inequality", "low": "adm", "high": "dis"}],
}


@pytest.fixture(scope="module", params=["dpsgd", "mst"])
def fitted(request: pytest.FixtureRequest) -> Synthesizer:
    return Synthesizer(
        parse_schema(SCHEMA),
        epsilon=2.0,
        delta=1e-6,
        engine=request.param,
        engine_options=FAST if request.param == "dpsgd" else {},
    ).fit(_table())


def test_budget_and_ledger(fitted: Synthesizer) -> None:
    eps, delta = fitted.ledger.spent()
    # what the model reports is the ledger's composition, to the last bit, not the budget
    assert fitted.describe()["spent"] == {"epsilon": eps, "delta": delta}
    assert eps < fitted.epsilon  # calibrated just inside the budget: the two differ
    assert 0.9 * 2.0 <= eps <= 2.0 and delta <= 1e-6
    purposes = {c.purpose for c in fitted.ledger.charges}
    # sex and zip3 have no public categories, adm and lab no public bounds: all are paid for
    targets = {
        c.target for c in fitted.ledger.charges if c.purpose.startswith(("category set", "bounds"))
    }
    assert targets == {"sex", "zip", "adm", "lab"}
    if fitted.engine_name == "dpsgd":
        assert "DP-SGD training" in purposes
    else:
        assert {"1-way marginals (MST)", "2-way marginals (MST tree)"} <= purposes
        assert any(c.kind == "zcdp" for c in fitted.ledger.charges)


def test_schema_respected(fitted: Synthesizer) -> None:
    s = fitted.sample(2000, seed=3)
    assert list(s.columns) == ["pid", "ssn", "age", "sex", "zip", "adm", "dis", "lab"]
    assert str(s["age"].dtype) == "Int64" and s["age"].max() <= 90
    assert s["zip"].dropna().str.fullmatch(r"\d{3}").all()
    adm = pd.to_datetime(s["adm"], format="%Y-%m-%d")
    dis = pd.to_datetime(s["dis"], format="%Y-%m-%d")
    ok = adm.isna() | dis.isna() | (adm <= dis)
    assert ok.all()
    lab = s["lab"].dropna()
    assert np.allclose(lab, lab.round(1))
    assert s["pid"].str.fullmatch(r"P\d{6}").all() and s["pid"].is_unique
    assert s["ssn"].str.startswith("9").all()


def test_seeded_and_round_trip(fitted: Synthesizer, tmp_path: Path) -> None:
    a = fitted.sample(500, seed=11)
    b = fitted.sample(500, seed=11)
    pd.testing.assert_frame_equal(a, b)
    fitted.save(tmp_path / "m.synth")
    again = Synthesizer.load(tmp_path / "m.synth")
    pd.testing.assert_frame_equal(again.sample(500, seed=11), a)
    assert again.ledger.spent() == fitted.ledger.spent()


def test_model_file_holds_no_raw_values(fitted: Synthesizer, tmp_path: Path) -> None:
    import zipfile

    fitted.save(tmp_path / "m.synth")
    with zipfile.ZipFile(tmp_path / "m.synth") as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())  # every member, arrays included
    df = _table()
    for v in list(df["ssn"][:50]) + list(df["pid"][:50]):
        assert v.encode() not in blob


RARE = "Q-RARE-9931"
OUTLIER = 987654.321


@pytest.mark.parametrize("engine", ["aim", "dpsgd"])
def test_planted_rare_value_and_outlier_reach_no_member(engine: str, tmp_path: Path) -> None:
    """One person's rare category and one extreme number: DP selection and bounds keep both
    out of every member of the model file (JSON and arrays) and out of the samples."""
    import io
    import zipfile

    df = _table()
    df.loc[7, "sex"] = RARE
    df.loc[11, "lab"] = OUTLIER
    options = FAST if engine == "dpsgd" else {}
    m = Synthesizer(parse_schema(SCHEMA), epsilon=2.0, engine=engine, engine_options=options)
    m.fit(df)
    m.save(tmp_path / "m.synth")
    with zipfile.ZipFile(tmp_path / "m.synth") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for name, data in members.items():
        assert RARE.encode() not in data, name
        assert b"987654" not in data, name
    with np.load(io.BytesIO(members["weights.npz"])) as npz:
        for key in npz.files:
            assert not np.any(np.abs(npz[key]) >= 0.9 * OUTLIER), key
    lab = next(c for c in m.codecs if c.name == "lab")
    assert lab.high < 1_000  # type: ignore[attr-defined]  # DP bounds of the bulk only
    s = m.sample(2000, seed=0)
    assert RARE not in set(s["sex"].dropna()) and s["lab"].max() < 1_000


def test_conditional_sampling(fitted: Synthesizer) -> None:
    cats = next(c for c in fitted.codecs if c.name == "sex").categories  # type: ignore[attr-defined]
    s = fitted.sample(100, seed=1, conditions={"sex": cats[0]})
    assert (s["sex"] == cats[0]).all() and len(s) == 100


def test_fit_errors() -> None:
    schema = parse_schema(SCHEMA)
    bad = _table(300)
    bad.loc[5, "lab"] = "high"
    with pytest.raises(SchemaError, match="column 'lab'.*1 value"):
        Synthesizer(schema, epsilon=1).fit(bad)
    with pytest.raises(SchemaError, match="'extra'"):
        Synthesizer(schema, epsilon=1).fit(_table(300).assign(extra="x"))
    with pytest.raises(BudgetError, match="too few"):  # on the DP row estimate (s.d. ≈ 8 at ε=10)
        Synthesizer(schema, epsilon=10, engine="dpsgd", engine_options=FAST).fit(_table(120))
    with pytest.raises(InputError, match="no rows"):
        Synthesizer(schema, epsilon=1).fit(_table(10).iloc[:0])
    inf = _table(300)
    inf.loc[3, "lab"] = "inf"
    with pytest.raises(SchemaError, match="infinite"):
        Synthesizer(schema, epsilon=1).fit(inf)
    dates = _table(300)
    dates.loc[2, "adm"] = "not a date"
    with pytest.raises(SchemaError, match="column 'adm'.*cannot be parsed"):
        Synthesizer(schema, epsilon=1).fit(dates)


def test_contribution_bounding() -> None:
    df = _table(600)
    df["pid"] = [f"P{i // 2:06d}" for i in range(600)]  # two rows per person
    m = Synthesizer(parse_schema(SCHEMA), epsilon=10, engine="mst").fit(df)
    # the model only knows a DP estimate of its rows (s.d. ≈ 15 here): 300 persons, not 600
    assert m.rows_estimate is not None and abs(m.rows_estimate - 300) < 100
    assert len(m.sample(seed=0)) == m.rows_estimate


def test_auto_engine_choice() -> None:
    from synth.synthesizer import choose_engine

    assert choose_engine("auto", [10, 64, 80])[0] == "aim"
    assert choose_engine("auto", [5000, 5000])[0] == "dpsgd"
    assert choose_engine("dpsgd", [10])[0] == "dpsgd"
    assert "rows" not in choose_engine("auto", [10, 64, 80])[1]  # the reason names no count


def test_synth_release_has_the_real_signature_and_stays_callable() -> None:
    import inspect

    import synth
    import synth.releasing  # importing the orchestration module must not shadow the function

    assert callable(synth.release)
    ours = inspect.signature(synth.release).parameters
    theirs = inspect.signature(synth.releasing.run_release).parameters
    assert list(ours) == list(theirs)
    for name, p in theirs.items():
        assert ours[name].default == p.default, name
        assert ours[name].kind == p.kind, name
    assert synth.release is synth.releasing.run_release  # the very function, its doc too
