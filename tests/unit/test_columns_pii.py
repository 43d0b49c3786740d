"""Column PII on tables not used to write the header rules: UK/EU patients with their own
and with unfamiliar headers, an ACS-style census table, postcodes by country."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from privacy import scan
from synth.schema.generalise import generalise

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "pii_columns_bench.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pii_columns_bench", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _bench()


@pytest.fixture(scope="module")
def uk() -> pd.DataFrame:
    return bench.build_patients("en_GB", 200, seed=5)


@pytest.mark.parametrize("renamed", [False, True])
def test_uk_patients_direct_identifiers(uk: pd.DataFrame, renamed: bool) -> None:
    df = uk.rename(columns=bench.UNFAMILIAR) if renamed else uk
    names = bench.UNFAMILIAR if renamed else {}
    truth = {names.get(c, c) for c in bench.DIRECT}
    result = scan(df, name="uk", seed=0)
    found = {f.name for f in result.findings if f.role == "direct_identifier"}
    assert sorted(truth - found) == [], "missed"
    assert sorted(found - truth) == [], "false direct identifiers"
    by = {f.name: f for f in result.findings}
    address = by[names.get("ADDRESS", "ADDRESS")]
    assert (address.entity, address.action) == ("STREET_ADDRESS", "replace")
    assert any("street addresses" in e for e in address.evidence)
    postcode = by[names.get("ZIP", "ZIP")]
    assert (postcode.role, postcode.entity, postcode.generalise) == (
        "quasi_identifier",
        "UK_POSTCODE",
        "zip3",
    )
    # evidence and the draft never carry a value of the table
    text = json.dumps(result.to_dict())
    for col in ("ADDRESS", "SSN", "FIRST", "ZIP"):
        for v in uk[col].dropna().unique()[:50]:
            assert f'"{v}"' not in text and f" {v} " not in text, col


def test_census_quasi_identifiers() -> None:
    df = bench.build_census(1000, seed=2)
    by = {f.name: f for f in scan(df, name="acs", seed=0).findings}
    assert [c for c, f in by.items() if f.role == "direct_identifier"] == []
    for col in bench.CENSUS_QUASI:
        assert by[col].role == "quasi_identifier", col
        assert by[col].evidence
    assert by["AGEP"].generalise == "top_code_89"
    assert by["WAGP"].role == "sensitive"


def test_demographics_by_values_under_silent_headers() -> None:
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "c1": rng.choice(["Married", "Never married", "Divorced", "Widowed"], n),
            "c2": rng.choice(["Mr.", "Mrs.", "Ms.", "Dr."], n),
            "c3": rng.choice(["White", "Black or African American", "Asian", "Other"], n),
            "c4": rng.choice(["red", "green", "blue", "amber"], n),
        }
    )
    by = {f.name: f for f in scan(df, seed=0).findings}
    for col in ("c1", "c2", "c3"):
        assert by[col].role == "quasi_identifier", col
    assert by["c4"].role == "other"


@pytest.mark.parametrize(
    ("codes", "entity"),
    [
        (["LA4", "RM17", "SW1A", "M1", "EH66"], "UK_POSTCODE"),
        (["LA4 5XY", "RM17 6AA", "SW1A 1AA", "M1 1AE", "EH66 5XQ"], "UK_POSTCODE"),
        (["K1A 0B1", "M9A2S3", "E7N 9X4", "H2X 1Y4", "V6B 3K9"], "CA_POSTAL_CODE"),
        (["02139", "10001", "94110", "60614", "73301"], "US_ZIP_CODE"),
    ],
)
def test_postcodes_by_country(codes: list[str], entity: str) -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"postcode": rng.choice(codes, 300), "sex": rng.choice(["F", "M"], 300)})
    f = scan(df, seed=0).findings[0]
    assert (f.entity, f.generalise) == (entity, "zip3")
    out = generalise(df["postcode"], f.generalise)
    assert "000" not in set(out)
    assert set(generalise(out, f.generalise)) == set(out) or entity == "US_ZIP_CODE"


def test_postcode_areas() -> None:
    values = pd.Series(["LA4 5XY", "rm17", "K1A 0B1", "02139", None, "1636 HO"])
    out = generalise(values, "zip3")
    assert out.isna().tolist() == [False] * 4 + [True, False]
    assert out.dropna().tolist() == ["LA", "RM", "K1A", "021", "16"]


def test_metric_scores_a_broken_scan_badly() -> None:
    """The benchmark's precision/recall punish a scanner that flags everything or nothing."""
    truth = set(bench.DIRECT)
    everything = set(bench.DIRECT) | set(bench.QUASI)
    assert bench.prf(everything, truth)["precision"] < 0.6
    assert bench.prf(set(), truth)["recall"] == 0.0


@pytest.mark.parametrize("header", ["NHS_NUMBER", "c5"])
def test_grouped_national_numbers(header: str) -> None:
    """NHS-style numbers written in groups ("943 476 5919") are identifiers by header or
    by shape, not free text."""
    rng = np.random.default_rng(4)
    nums = [
        f"{a} {b} {c}"
        for a, b, c in zip(
            *(rng.integers(100, 999, (2, 300))), rng.integers(1000, 9999, 300), strict=True
        )
    ]
    df = pd.DataFrame({header: nums, "sex": rng.choice(["F", "M"], 300)})
    f = scan(df, seed=0).findings[0]
    assert f.role == "direct_identifier" and f.action == "replace"


def test_name_rule_runs_before_the_free_text_test() -> None:
    """Four-word names ("Mary Anne Smith Jones") under a name header are names, not notes."""
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(3)
    names = [
        f"{fake.first_name()} {fake.first_name()} {fake.last_name()} {fake.last_name()}"
        for _ in range(300)
    ]
    df = pd.DataFrame({"patient_name": names, "sex": ["F", "M"] * 150})
    f = scan(df, seed=0).findings[0]
    assert (f.role, f.entity, f.action) == ("direct_identifier", "PERSON", "replace")


def test_long_text_under_an_identifier_header_stays_free_text() -> None:
    """Sentences under an e-mail header are notes to redact, not addresses to replace."""
    body = [
        f"Hi team, the report for case {i} is attached; tell me if anything is missing today."
        for i in range(200)
    ]
    df = pd.DataFrame({"email_body": body, "sex": ["F", "M"] * 100})
    f = scan(df, seed=0).findings[0]
    assert (f.role, f.action) == ("free_text", "redact")
