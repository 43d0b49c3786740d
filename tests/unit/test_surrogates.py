"""Surrogates keep the original format (issue 20): a numeric identifier gets numeric
surrogates of its usual length, by a construction that cannot meet a real value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth import Synthesizer
from synth.schema import parse_schema
from synth.surrogates import make_surrogates, numeric_surrogates, surrogate_length


def test_numeric_surrogates_are_digits_of_the_length_and_never_a_whole_number() -> None:
    rng = np.random.default_rng(0)
    s = numeric_surrogates(5000, 8, rng)
    assert len(set(s)) == 5000
    assert all(len(v) == 8 and v.isdigit() and v[0] == "0" for v in s)
    # every 8-digit whole number, written as text, is disjoint from them
    real = {str(v) for v in rng.integers(10_000_000, 100_000_000, 200_000)}
    assert not real & set(s)
    assert not {str(int(v)) for v in s} & {v for v in s}  # the text is never canonical


def test_a_length_too_short_for_the_rows_is_lengthened() -> None:
    assert surrogate_length(10, 8) == 8
    assert surrogate_length(5000, 3) == 5  # 0 + 4 digits: 10,000 ≥ 2 · 5,000
    assert surrogate_length(1, 1) == 2  # "0" alone could be the real 0
    s = numeric_surrogates(5000, 3, np.random.default_rng(1))
    assert len(set(s)) == 5000 and {len(v) for v in s} == {5}


def test_the_shape_is_the_schemas_never_read_from_the_rows() -> None:
    # the same schema, two tables whose identifiers differ in every way: the model's
    # description (and so the surrogates' construction) is the same — nothing is read
    schema = parse_schema(
        {
            "dataset": {},
            "columns": [
                {
                    "name": "id",
                    "type": "identifier",
                    "role": "direct_identifier",
                    "action": "replace",
                    "format": "#######",
                },
                {"name": "sex", "type": "categorical", "domain": {"categories": ["F", "M"]}},
            ],
        }
    )
    rng = np.random.default_rng(0)
    sex = rng.choice(["F", "M"], 400)
    a = pd.DataFrame({"id": [str(v) for v in range(1000, 1400)], "sex": sex})
    b = a.assign(id=[f"X{v}-{v}" for v in range(400)])
    said = [
        Synthesizer(schema, epsilon=2, engine="mst").fit(t).describe()["numeric_surrogates"]
        for t in (a, b)
    ]
    assert said[0] == said[1] and said[0][0]["column"] == "id"


def test_reserved_ranges_win_over_the_numeric_construction() -> None:
    ssn = make_surrogates("US_SSN", 20, seed=1, shape="#########")
    assert all(v.startswith("9") and len(v) == 11 for v in ssn)
    declared = make_surrogates("MEDICAL_RECORD_NUMBER", 20, seed=1, shape="MRN-####")
    assert all(v.startswith("MRN-") for v in declared)
    assert make_surrogates(None, 3, seed=1)[0].startswith("S")  # unknown shape: as before


def _persons(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pid = rng.integers(10_000_000, 99_999_999, n // 2)
    return pd.DataFrame(
        {
            "patient_nbr": np.repeat(pid, 2).astype(str),
            "encounter_id": rng.choice(np.arange(100_000, 999_999), n, replace=False).astype(str),
            "mrn": [f"M{v:06d}" for v in rng.integers(0, 999_999, n)],
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 90, n).astype(str),
        }
    )


SCHEMA = {
    "dataset": {"privacy_unit": "patient_nbr", "max_rows_per_unit": 2},
    "columns": [
        {
            "name": "patient_nbr",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "MEDICAL_RECORD_NUMBER",
            "format": "########",
        },
        {
            "name": "encounter_id",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "MEDICAL_RECORD_NUMBER",
            "format": "######",
        },
        {
            "name": "mrn",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "MEDICAL_RECORD_NUMBER",
        },
        {"name": "sex", "type": "categorical"},
        {"name": "age", "type": "numerical"},
    ],
}


def test_a_fitted_model_gives_numeric_identifiers_numeric_surrogates(tmp_path: Path) -> None:
    real = _persons(2000, 0)
    model = Synthesizer(parse_schema(SCHEMA), epsilon=5, engine="mst", insecure_fit_seed=1)
    model.fit(real)
    model.save(tmp_path / "m.synth")
    loaded = Synthesizer.load(tmp_path / "m.synth")
    syn = loaded.sample(1000, seed=2)
    for col, length in (("patient_nbr", 8), ("encounter_id", 6)):
        v = syn[col].astype(str)
        assert v.str.fullmatch(r"0\d+").all() and (v.str.len() == length).all(), col
        assert not set(v) & set(real[col])
    assert syn["mrn"].astype(str).str.startswith("S").all()  # not numeric: as before
    # rows of one synthetic person share their surrogate
    assert syn["patient_nbr"].nunique() < len(syn)
    said = {r["column"]: r["construction"] for r in loaded.describe()["numeric_surrogates"]}
    assert set(said) == {"patient_nbr", "encounter_id"} and "first digit 0" in said["patient_nbr"]


@pytest.mark.shared
def test_diabetes130_patient_nbr_comes_back_numeric(shared_datasets: Path) -> None:
    path = shared_datasets / "diabetes130" / "diabetic_data.csv.gz"
    real = pd.read_csv(path, nrows=3000, dtype=str, usecols=["patient_nbr", "gender", "race"])
    usual = int(real["patient_nbr"].str.len().mode().max())  # what a steward declares
    schema = parse_schema(
        {
            "dataset": {"privacy_unit": "patient_nbr", "max_rows_per_unit": 1},
            "columns": [
                {
                    "name": "patient_nbr",
                    "type": "identifier",
                    "role": "direct_identifier",
                    "action": "replace",
                    "entity": "MEDICAL_RECORD_NUMBER",
                    "format": "#" * usual,
                },
                {"name": "gender", "type": "categorical"},
                {"name": "race", "type": "categorical"},
            ],
        }
    )
    model = Synthesizer(schema, epsilon=5, engine="mst").fit(real)
    ids = model.sample(500)["patient_nbr"].astype(str)
    assert ids.str.fullmatch(r"\d+").all() and (ids.str.len() == usual).all()
    assert not set(ids) & set(real["patient_nbr"])


def test_the_scan_drafts_the_digit_shape_of_whole_number_identifiers() -> None:
    from privacy import scan

    rng = np.random.default_rng(4)
    # lengths vary (no shape holds 90 % of values): the draft takes the usual length
    ids = [str(v) for v in rng.integers(1_000_000, 99_999_999, 600)]
    df = pd.DataFrame({"patient_nbr": ids, "sex": rng.choice(["F", "M"], 600)})
    col = scan(df, seed=1).schema.column("patient_nbr")
    assert col.action == "replace"
    assert col.format is not None and set(col.format) == {"#"} and len(col.format) == 8
    # zero-padded codes could equal '0' + digits: no digit shape for them
    padded = pd.DataFrame({"patient_nbr": [f"{v:08d}" for v in range(600)]})
    fmt = scan(padded, seed=1).schema.column("patient_nbr").format
    assert fmt is None or set(fmt) != {"#"}
