"""Scanner rules that must generalise: synonyms, shapes, validators (no shared data needed)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from privacy import scan
from privacy.recognizers.phone import FastPhoneRecognizer
from privacy.redaction import Span, replace_spans, resolve
from privacy.shapes import key_share, name_like, opaque_key

N = 300


@pytest.fixture(scope="module")
def findings() -> dict:
    rng = np.random.default_rng(3)
    patients = [str(uuid.UUID(int=int(rng.integers(0, 2**62)))) for _ in range(40)]
    orgs = [str(uuid.UUID(int=int(rng.integers(0, 2**62)))) for _ in range(30)]
    first = ["Kelly", "Marcus", "Olivia", "Daniel", "Sophia", "Henry", "Laura", "Victor"]
    df = pd.DataFrame(
        {
            "SUBJECT": rng.choice(patients, N),  # repeated opaque key, person word
            "CARE_SITE": rng.choice(orgs, N),  # opaque key of an organisation
            "GivenName": [f"{first[i % 8]}{rng.integers(10, 999)}" for i in range(N)],
            "Latitude": [f"{x:.9f}" for x in rng.uniform(41, 43, N)],
            "lon_rounded": [f"{x:.1f}" for x in rng.uniform(-73, -70, N)],
            "visit_start": pd.date_range("2020-01-01", periods=N, freq="D").astype(str),
            "birth_date": pd.date_range("1940-01-01", periods=N, freq="37D").astype(str),
            "zip5": [f"{x:05d}" for x in rng.integers(1000, 99999, N)],
            "type_id": rng.integers(1, 9, N).astype(str),
            "snomed_code": rng.choice(["44054006", "38341003", "195662009", "10509002"], N),
            "weight_kg": [f"{x:.2f}" for x in rng.uniform(40, 120, N)],
            "token": [uuid.uuid4().hex for _ in range(N)],
            "age": rng.integers(18, 99, N).astype(str),
        }
    )
    return {f.name: f for f in scan(df).findings}


def test_keys_of_people_vs_organisations(findings) -> None:
    assert findings["SUBJECT"].role == "direct_identifier"
    assert findings["CARE_SITE"].role != "direct_identifier"
    assert findings["token"].role == "direct_identifier"
    assert findings["type_id"].role != "direct_identifier"


def test_names_with_digits_and_synonym_header(findings) -> None:
    f = findings["GivenName"]
    assert f.role == "direct_identifier" and f.entity == "PERSON"


def test_coordinates_precise_vs_rounded(findings) -> None:
    assert findings["Latitude"].role == "direct_identifier"
    assert findings["Latitude"].entity == "GEO_COORDINATE"
    assert findings["lon_rounded"].role == "quasi_identifier"


def test_dates_zip_codes_measurements(findings) -> None:
    assert findings["visit_start"].role == "quasi_identifier"
    assert findings["birth_date"].entity == "DATE_OF_BIRTH"
    assert findings["birth_date"].role == "direct_identifier"
    assert findings["zip5"].generalise == "zip3"
    assert findings["snomed_code"].entity.startswith("CLINICAL_CODE")
    assert findings["weight_kg"].role != "direct_identifier"
    assert findings["age"].generalise == "top_code_89"
    for f in findings.values():
        assert f.evidence and 0 < f.confidence <= 1


def test_shapes() -> None:
    assert opaque_key(uuid.uuid4().hex) and not opaque_key("Kelly")
    assert name_like("Kelly604") and not name_like("42.1")
    assert key_share(["S99912345", "X1234567X", "PT0012345"]) == 1.0


def test_fast_phone_skips_dates_and_finds_phones() -> None:
    rec = FastPhoneRecognizer(supported_regions=("US",))
    text = "Seen 2023-03-14, DOB 03/14/1950, call (617) 555-0123."
    hits = rec.analyze(text, ["PHONE_NUMBER"])
    assert [text[h.start : h.end] for h in hits] == ["(617) 555-0123"]


def test_replace_spans_resolves_overlaps() -> None:
    spans = [Span(0, 5, "PERSON", 0.8), Span(0, 11, "PERSON", 0.85), Span(15, 20, "DATE_TIME", 0.6)]
    assert len(resolve(spans)) == 2
    assert replace_spans("Kelly Berry on 2023x", spans) == "<PERSON> on <DATE_TIME>"


def test_demographic_vocabularies_are_drafted_as_their_whole_public_domain() -> None:
    import numpy as np
    import pandas as pd

    from privacy import scan

    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "RACE": rng.choice(["white", "black", "asian"], 300),
            "STATE": rng.choice(["Ohio", "Texas"], 300),
            "MARITAL": rng.choice(["M", "S"], 300),
        }
    )
    schema = scan(df, seed=1).schema
    # the whole vocabulary, not the values seen (a rare value would otherwise tell)
    assert set(schema.column("RACE").domain.categories) >= {"native", "hawaiian", "other"}
    assert len(schema.column("STATE").domain.categories) == 51
    assert set(schema.column("MARITAL").domain.categories) == {"D", "M", "S", "W"}
