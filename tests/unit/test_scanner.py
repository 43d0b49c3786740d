"""Scanner: identifiers found, clinical values not mistaken for them, values never echoed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from privacy import scan, strip
from synth.io.tables import read_table
from synth.schema import load_schema

DIRECT = {
    "patient_id",
    "mrn",
    "full_name",
    "ssn",
    "date_of_birth",
    "phone",
    "email",
    "street_address",
}


@pytest.fixture(scope="module")
def sample(sample_path: Path) -> pd.DataFrame:
    return read_table(sample_path).iloc[:1500]


@pytest.fixture(scope="module")
def result(sample: pd.DataFrame):
    return scan(sample, name="patients")


def test_direct_identifiers_found(result) -> None:
    direct = {f.name for f in result.findings if f.role == "direct_identifier"}
    assert direct == DIRECT


def test_roles_and_actions(result) -> None:
    by = {f.name: f for f in result.findings}
    assert by["diagnosis_icd10"].role == "sensitive"
    assert by["diagnosis_icd10"].entity.startswith("CLINICAL_CODE")
    assert by["zip"].role == "quasi_identifier" and by["zip"].generalise == "zip3"
    assert by["clinical_note"].role == "free_text" and by["clinical_note"].action == "redact"
    assert by["clinical_note"].text_entities.get("PERSON", 0) > 0
    assert by["ssn"].hipaa and by["ssn"].confidence >= 0.9
    assert by["admission_date"].type == "datetime" and by["admission_date"].format == "%Y-%m-%d"
    assert by["age"].generalise == "top_code_89"
    for f in result.findings:
        assert f.evidence, f.name


def test_draft_schema_has_no_values(result, sample: pd.DataFrame) -> None:
    text = json.dumps(result.to_dict())
    for col in ("ssn", "email", "phone", "full_name", "mrn", "zip", "race_ethnicity", "payer"):
        for v in sample[col].dropna().unique()[:200]:
            # anywhere in the text, evidence strings included (not only as a whole JSON
            # value), as a token: not inside a longer word or number
            token = rf"(?<![\w.]){re.escape(str(v))}(?![\w])"
            assert not re.search(token, text), col
    from privacy.vocabularies import VOCABULARIES

    for c in result.schema.columns:
        # no domain read from the values: at most a whole public vocabulary (yes/no, F/M)
        assert c.domain is None or c.domain.min is None
        if c.domain is not None and c.domain.categories is not None:
            assert tuple(c.domain.categories) in VOCABULARIES, c.name


def test_yes_no_column_gets_its_whole_public_vocabulary() -> None:
    from privacy import scan

    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame(
        {
            "smoker": rng.choice(["Yes", "No"], n),
            "sex": np.full(n, "F"),  # only one value occurs: the vocabulary has both
            "grade": rng.choice(["low", "high"], n),
        }
    )
    draft = scan(frame, name="t").schema
    assert draft.column("smoker").domain.categories == ["No", "Yes"]
    assert draft.column("sex").domain.categories == ["F", "M"]
    assert draft.column("grade").domain is None


def test_generic_unique_key_is_identifier() -> None:
    import secrets

    df = pd.DataFrame(
        {"key": [secrets.token_hex(8) for _ in range(500)], "value": ["a", "b"] * 250}
    )
    by = {f.name: f for f in scan(df).findings}
    assert by["key"].role == "direct_identifier" and by["value"].role != "direct_identifier"


def test_strip_replaces_redacts_generalises(sample: pd.DataFrame, schema_path: Path) -> None:
    schema = load_schema(schema_path)
    small = sample.iloc[:200]
    out, counts = strip(small, schema, seed=1)
    assert not set(out["ssn"]) & set(small["ssn"])
    assert out["zip"].str.len().max() == 3
    notes = " ".join(out["clinical_note"].dropna())
    for name in small["full_name"]:
        assert name not in notes
    assert counts["clinical_note"]["PERSON"] > 0


@pytest.mark.shared
def test_adult_has_no_direct_identifier(shared_datasets: Path) -> None:
    df = read_table(shared_datasets / "adult" / "adult_train.csv").iloc[:3000]
    direct = [f.name for f in scan(df).findings if f.role == "direct_identifier"]
    assert direct == []


def test_birth_dates_found_without_header(sample: pd.DataFrame) -> None:
    """A date column named c7 whose values are birth dates is DATE_OF_BIRTH, with evidence;
    the admission and discharge dates beside it (also renamed) stay quasi-identifiers."""
    renamed = sample.rename(
        columns={"date_of_birth": "c7", "admission_date": "c3", "discharge_date": "c4"}
    )
    found = {f.name: f for f in scan(renamed, name="renamed").findings}
    dob = found["c7"]
    assert (dob.role, dob.entity, dob.action, dob.generalise) == (
        "direct_identifier",
        "DATE_OF_BIRTH",
        "generalise",
        "year",
    )
    assert "precedes c3, c4" in dob.evidence[-1]
    for col in ("c3", "c4"):
        assert (found[col].role, found[col].entity) == ("quasi_identifier", "DATE_TIME")
    alone = scan(sample[["admission_date", "sex"]].rename(columns={"admission_date": "d1"}))
    assert alone.findings[0].entity == "DATE_TIME"
    by_today = scan(sample[["date_of_birth", "sex"]].rename(columns={"date_of_birth": "d1"}))
    assert by_today.findings[0].entity == "DATE_OF_BIRTH"
    assert "ages counted to today" in by_today.findings[0].evidence[-1]
    sample_values = set(sample["date_of_birth"].dropna().head(50))
    assert not any(v in e for v in sample_values for e in dob.evidence)


def test_street_addresses_found_without_header(sample: pd.DataFrame) -> None:
    """Values alone (number + street + suffix) make a renamed address column direct."""
    cols = {"street_address": "c2", "sex": "sex", "diagnosis_icd10": "diagnosis_icd10"}
    renamed = sample[list(cols)].rename(columns=cols)
    found = {f.name: f for f in scan(renamed, name="renamed").findings}
    assert (found["c2"].role, found["c2"].entity) == ("direct_identifier", "STREET_ADDRESS")
    assert found["diagnosis_icd10"].role != "direct_identifier"
