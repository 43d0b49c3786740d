"""The privacy unit (issue 17): person columns preferred, exact counts, static columns.

The scan chooses the column naming the person a row belongs to from exact counts over
every row (the chunked scan's distinct-count sketch only estimates), drafts
``max_rows_per_unit: auto`` when rows repeat per person, and marks the modelled columns
constant within each person ``static``; the chunked and in-memory scans agree.
"""

from __future__ import annotations

import doctest
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import privacy.units
from privacy.chunked_scan import scan_source
from privacy.findings import Finding, ScanResult
from privacy.profile import KMV_K, distinct_sketch, sketch_count
from privacy.scanner import scan
from privacy.units import (
    STATIC_EVIDENCE,
    KeyCounts,
    PersonValues,
    choose_unit,
    key_kind,
    static_columns,
)
from synth.io.chunks import plan_chunks

SEED = 0


def visits(persons: int = 400, seed: int = 1) -> pd.DataFrame:
    """Rows per hospital visit, 1-6 per patient, shuffled (a person's rows are spread over
    the table, so over chunks): ``gender`` constant per patient, ``age_band`` changing for
    about a third of the patients with several rows, ``rare_drug`` 'No' but in two rows."""
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 7, persons)
    pid = np.repeat(np.arange(persons), per)
    n = len(pid)
    gender = np.where(rng.random(persons) < 0.5, "F", "M")[pid]
    band = rng.integers(2, 9, persons)[pid] + (rng.random(n) < 0.12)
    drug = np.full(n, "No")
    drug[[0, n // 2]] = "Up"  # two visits: constant within nearly every person by chance
    df = pd.DataFrame(
        {
            "encounter_id": [str(10_000_000 + 37 * i) for i in range(n)],
            "patient_nbr": [str(50_000_000 + 91 * p) for p in pid],
            "gender": gender,
            "age_band": [f"[{10 * b}-{10 * b + 10})" for b in band],
            "rare_drug": drug,
            "time_in_hospital": rng.integers(1, 14, n).astype(str),
        }
    )
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def finding(name: str, distinct: int, rows: int, typ: str = "identifier") -> Finding:
    entity = "MEDICAL_RECORD_NUMBER" if typ == "identifier" else None
    return Finding(
        name=name,
        type=typ,
        role="direct_identifier" if typ == "identifier" else "other",
        entity=entity,
        confidence=0.9,
        action="replace" if typ == "identifier" else "keep",
        evidence=[],
        profile={"rows": rows, "missing": 0, "distinct": distinct},
    )


def counts(*values: str) -> KeyCounts:
    return KeyCounts.of(pd.Series(list(values)))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return visits()


@pytest.fixture(scope="module")
def whole(table: pd.DataFrame) -> ScanResult:
    return scan(table, name="visits", seed=SEED)


@pytest.fixture(scope="module")
def chunked(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    path = tmp_path_factory.mktemp("units") / "visits.csv"
    table.to_csv(path, index=False)
    chunks = plan_chunks(path, 8_000)
    assert len(chunks) >= 4  # persons' rows span chunks
    return scan_source(chunks, name="visits", seed=SEED)


def test_header_names_a_person_or_a_record() -> None:
    persons = ["patient_nbr", "PATIENT", "patient", "PatientID", "subject_id", "member_no"]
    persons += ["MRN", "medical_record_number", "chart_no", "customer_key", "src_person_id"]
    records = ["encounter_id", "Id", "ENCOUNTER", "visit_no", "claim_id", "uuid", "row_id"]
    records += ["admission_id", "specimen_number", "order_id", "patient_encounter_id"]
    neither = ["race", "admission_type_id", "provider_id", "payer_code", "visit_date", "age"]
    assert [key_kind(h) for h in persons] == ["person"] * len(persons)
    assert [key_kind(h) for h in records] == ["record"] * len(records)
    assert [key_kind(h) for h in neither] == [None] * len(neither)


def test_doctests_of_the_module_pass() -> None:
    res = doctest.testmod(privacy.units)
    assert res.attempted >= 5 and res.failed == 0


def test_key_counts_are_exact_where_the_sketch_estimates() -> None:
    ids = pd.Series([f"E{200_000 + i}" for i in range(20_000)])
    estimate, estimated = sketch_count(distinct_sketch(ids))
    assert estimated and KMV_K < 20_000  # the sketch only estimates this many ...
    assert estimate < 0.999 * 20_000  # ... and here it would call unique ids repeating
    parts = [KeyCounts.of(ids.iloc[i : i + 3_000]) for i in range(0, 20_000, 3_000)]
    exact = KeyCounts.merge(parts)
    assert (exact.distinct, exact.rows, exact.repeats) == (20_000, 20_000, False)
    patients = KeyCounts.merge([KeyCounts.of(ids.str[:-1]), counts("x")])
    assert patients.distinct == 2_001 and patients.repeats and patients.repeated == 2_000


def test_chunked_scan_counts_key_columns_exactly(tmp_path: Path) -> None:
    """20,000 unique encounter ids (more than the sketch keeps) and no person column: the
    guarantee is per row. On the sketch's estimate the ids would seem to repeat and be
    drafted as the unit."""
    n = 20_000
    df = pd.DataFrame(
        {
            "encounter_id": [f"E{200_000 + i}" for i in range(n)],
            "ward": np.where(np.arange(n) % 3 == 0, "A", "B"),
        }
    )
    estimate, _ = sketch_count(distinct_sketch(df["encounter_id"]))
    assert estimate < 0.999 * n  # the sketch alone would misjudge them
    path = tmp_path / "encounters.csv"
    df.to_csv(path, index=False)
    res = scan_source(plan_chunks(path, 100_000), name="enc", seed=SEED, sample_rows=2_000)
    enc = next(f for f in res.findings if f.name == "encounter_id")
    assert enc.profile["distinct"] == n and enc.profile["unique_ratio"] == 1.0
    assert "encounter_id" not in (res.method or {})["estimated"]["columns"]
    assert res.unit is not None and res.unit.column is None and not res.unit.rows_repeat
    assert res.schema.dataset.privacy_unit is None
    assert res.schema.dataset.max_rows_per_unit == 1

    # with repeating patient ids next to them, the patient is the unit
    df["patient_nbr"] = [f"P{100_000 + i // 3}" for i in range(n)]
    df.to_csv(path, index=False)
    res = scan_source(plan_chunks(path, 100_000), name="enc", seed=SEED, sample_rows=2_000)
    assert res.unit is not None and res.unit.column == "patient_nbr"
    assert res.schema.dataset.max_rows_per_unit == "auto"


def test_person_column_preferred_over_a_repeating_record_column() -> None:
    findings = [finding("visit_id", 50, 100), finding("patient_id", 30, 100)]
    keys = {"visit_id": counts("v1", "v1", "v2"), "patient_id": counts("p1", "p1", "p2")}
    unit = choose_unit(findings, keys)
    assert (unit.column, unit.kind, unit.rows_repeat) == ("patient_id", "person", True)
    assert unit.reason == "patient_id: person identifier; rows repeat per person"
    # no person column: a record column whose values repeat groups the rows
    unit = choose_unit(findings[:1], keys)
    assert (unit.column, unit.kind, unit.rows_repeat) == ("visit_id", "record", True)


def test_unique_person_id_is_still_the_unit() -> None:
    findings = [finding("encounter_id", 3, 3), finding("patient_id", 3, 3)]
    keys = {"encounter_id": counts("e1", "e2", "e3"), "patient_id": counts("p1", "p2", "p3")}
    unit = choose_unit(findings, keys)
    assert (unit.column, unit.kind, unit.rows_repeat) == ("patient_id", "person", False)
    df = pd.DataFrame(
        {
            "patient_id": [str(70_000_000 + 13 * i) for i in range(300)],
            "gender": np.where(np.arange(300) % 2 == 0, "F", "M"),
        }
    )
    res = scan(df, name="people", seed=SEED)
    assert res.schema.dataset.privacy_unit == "patient_id"
    assert res.schema.dataset.max_rows_per_unit == 1
    assert not any(c.static for c in res.schema.columns)


def test_no_key_column_means_per_row() -> None:
    unit = choose_unit([finding("gender", 2, 100, typ="categorical")], {})
    assert (unit.column, unit.kind, unit.rows_repeat) == (None, None, False)
    assert unit.reason == "no person column: the guarantee is per row"
    # a unique record id is no unit; nor is a person-named column that is not a key
    keys = {"encounter_id": counts("e1", "e2")}
    assert choose_unit([finding("encounter_id", 2, 2)], keys).column is None
    assert choose_unit([finding("patient", 2, 100, typ="categorical")], {}).column is None


def test_scan_drafts_the_person_unit_and_static_columns(whole: ScanResult) -> None:
    assert whole.unit is not None
    assert (whole.unit.column, whole.unit.kind) == ("patient_nbr", "person")
    ds = whole.schema.dataset
    assert (ds.privacy_unit, ds.max_rows_per_unit) == ("patient_nbr", "auto")
    static = {c.name for c in whole.schema.columns if c.static}
    # age bands change between visits; a drug nearly nobody takes is constant within
    # persons by chance only; the stay length varies
    assert static == {"gender"}
    by = {f.name: f for f in whole.findings}
    assert STATIC_EVIDENCE in by["gender"].evidence
    assert STATIC_EVIDENCE not in by["age_band"].evidence
    assert whole.to_dict()["unit"] == {
        "column": "patient_nbr",
        "kind": "person",
        "reason": "patient_nbr: person identifier; rows repeat per person",
        "rows_repeat": True,
    }


def test_chunked_scan_finds_the_same_unit_and_static_columns(
    whole: ScanResult, chunked: ScanResult
) -> None:
    assert chunked.unit == whole.unit
    assert chunked.schema.dataset == whole.schema.dataset
    assert [c.static for c in chunked.schema.columns] == [c.static for c in whole.schema.columns]
    assert [f.evidence[-1] for f in chunked.findings] == [f.evidence[-1] for f in whole.findings]


def test_a_column_varying_within_persons_is_not_static() -> None:
    rng = np.random.default_rng(3)
    pid = np.repeat(np.arange(1_000), 2)
    race = rng.choice(["a", "b", "c"], 1_000)[pid]
    df = pd.DataFrame({"p": pid.astype(str), "race": race, "race_noisy": race.copy()})
    unit = KeyCounts.of(df["p"])
    assert static_columns(PersonValues.of(df, "p", ["race", "race_noisy"]), unit) == [
        "race",
        "race_noisy",
    ]
    # 2 % of the persons get a second value in one of their rows: no longer static
    changed = rng.choice(1_000, 20, replace=False) * 2
    df.loc[changed, "race_noisy"] = "z"
    people = PersonValues.of(df, "p", ["race", "race_noisy"])
    assert people.varying().tolist() == [0, 20]
    assert static_columns(people, unit) == ["race"]
    # a value missing in one row and present in another is not constant either; empty,
    # blank and missing are one missing value
    df.loc[changed, "race"] = None
    assert static_columns(PersonValues.of(df, "p", ["race"]), unit) == []
    df.loc[changed + 1, "race"] = np.where(np.arange(20) % 2 == 0, "", " ")
    assert static_columns(PersonValues.of(df, "p", ["race"]), unit) == ["race"]


def test_person_values_merge_across_chunks_as_over_the_whole(table: pd.DataFrame) -> None:
    cols = ["gender", "age_band", "rare_drug"]
    whole = PersonValues.of(table, "patient_nbr", cols)
    cuts = [0, 101, 555, 556, 1_200, len(table)]
    parts = [
        PersonValues.of(table.iloc[a:b], "patient_nbr", cols) for a, b in itertools.pairwise(cuts)
    ]
    merged = PersonValues.merge(parts[::-1])
    assert np.array_equal(merged.units, whole.units)
    assert np.array_equal(merged.values, whole.values)
    keys = KeyCounts.merge(
        [KeyCounts.of(table["patient_nbr"].iloc[a:b]) for a, b in itertools.pairwise(cuts)]
    )
    assert static_columns(merged, keys) == static_columns(whole, KeyCounts.of(table["patient_nbr"]))


def test_reasons_hold_no_values_and_no_counts(whole: ScanResult, table: pd.DataFrame) -> None:
    text = json.dumps(whole.to_dict()["unit"])
    for col in ("patient_nbr", "encounter_id"):
        for value in table[col].unique()[:200]:
            assert value not in text
    assert not re.search(r"\d", text)  # nor a count of rows per person
    ids = pd.Series([str(i) for i in range(100)])
    for unit in (
        choose_unit([finding("patient_nbr", 100, 100)], {"patient_nbr": KeyCounts.of(ids)}),
        choose_unit([finding("visit_id", 10, 100)], {"visit_id": KeyCounts.of(ids.str[:1])}),
    ):
        assert not re.search(r"\d", unit.reason), unit.reason


def test_cli_scan_prints_the_unit(table: pd.DataFrame, tmp_path: Path) -> None:
    from synth.cli import app

    path = tmp_path / "visits.csv"
    table.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["scan", str(path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("privacy unit:")]
    assert lines == [
        "privacy unit: patient_nbr: person identifier; rows repeat per person; "
        "max_rows_per_unit: auto; static columns: gender"
    ]
