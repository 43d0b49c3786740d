"""Column classification: header rules + Presidio over sampled values + shape statistics.

Each column gets a type, a role, an entity, a confidence, the evidence, the HIPAA
Safe Harbor class where one applies, and a proposed action. The result is a
*draft* schema for the steward to review. The draft records structure only
(types, date formats, decimal places, identifier shapes such as ``###-##-####``);
it never copies category lists or bounds from the data, since those would leak
outside the DP guarantee. Nothing here prints or stores a real value.

The pieces: :mod:`privacy.classification` (one column), :mod:`privacy.header_rules`,
:mod:`privacy.value_entities`, :mod:`privacy.birth_dates`, :mod:`privacy.units` (the
privacy unit and the columns constant within each person, from every row),
:mod:`privacy.draft` (the schema) and :mod:`privacy.findings` (what a scan returns).
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from privacy.birth_dates import _birth_dates
from privacy.classification import classify
from privacy.draft import draft_schema
from privacy.findings import ScanResult
from privacy.nlp import engine_name
from privacy.units import (
    KeyCounts,
    PersonValues,
    choose_unit,
    key_columns,
    mark_static,
    static_candidates,
    static_columns,
)


def scan(
    data: pd.DataFrame, *, name: str = "dataset", seed: int | None = None, progress: Any = None
) -> ScanResult:
    """Classify every column of ``data`` and draft a schema.

    The rows the classifier samples are drawn from fresh OS entropy; ``seed`` (tests
    only) makes the draw reproducible.
    """
    from synth.errors import InputError
    from synth.randomness import Randomness

    if len(data.columns) == 0:
        raise InputError(f"{name}: table has no columns")
    if len(data) == 0:
        raise InputError(f"{name}: table has no rows")
    start = time.perf_counter()
    rng = Randomness.create(seed).rng
    findings = []
    total = len(data.columns)
    for i, col in enumerate(data.columns):
        findings.append(classify(str(col), data[col], rng))
        if progress is not None:
            progress("scanning columns", i + 1, total)
    findings = _birth_dates(data, findings, rng)
    keys = {c: KeyCounts.of(data[c]) for c in key_columns([str(c) for c in data.columns])}
    unit = choose_unit(findings, keys)
    static: list[str] = []
    if unit.rows_repeat and unit.column is not None:
        people = PersonValues.of(data, unit.column, static_candidates(findings, unit.column))
        static = static_columns(people, keys[unit.column])
        findings = mark_static(findings, static)
    schema = draft_schema(findings, name, unit, static)
    return ScanResult(
        source=name,
        rows=len(data),
        findings=findings,
        schema=schema,
        nlp_engine=engine_name(),
        seconds=time.perf_counter() - start,
        unit=unit,
    )
