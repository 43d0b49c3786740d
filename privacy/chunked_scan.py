"""The scan of a table read in chunks, in this process or on a Dask cluster.

:func:`scan_source` gives the same :class:`ScanResult` as :func:`privacy.scanner.scan`
without holding the table: every chunk is read where its task runs (one chunk per
worker at a time), and the driver holds a row sample and small per-column sketches.

Two passes over the chunks:

1. *Counts and sample.* Per chunk: rows, missing values per column, a KMV sketch of
   each column's distinct values (:func:`privacy.profile.distinct_sketch`), the hash
   of every value of the columns named like a key of a person or a record
   (:func:`privacy.units.key_columns`: exact distinct counts and whether values repeat,
   :class:`privacy.units.KeyCounts`), the largest value of columns named like an age
   (the HIPAA rule on ages over 89 is the one use of a column maximum), and the rows of
   a seeded uniform sample drawn on the driver by GLOBAL row index (so the sample does
   not depend on how the file was cut or where chunks ran). The column classifier then
   runs on the sample (``SAMPLE_ROWS`` rows; the whole table when it is smaller) with
   the whole-column counts (:class:`privacy.profile.ColumnTotals`), and the privacy unit
   is chosen on the exact key counts (:func:`privacy.units.choose_unit`).
2. *Every row of the free text, and of each person* (only when the classifier found free
   text, or the unit's values repeat). Per chunk, the redaction analyzer
   (:func:`privacy.redaction.analyze_fast`) runs on every value of the free-text columns
   and counts spans per entity type and rows with a span (no value is kept); and per
   person of the chunk, whether each modelled column is constant over the person's rows
   (:class:`privacy.units.PersonValues`, value hashes merged across chunks, since a
   person's rows may span them): the draft's static columns.

Exact over all rows: row count, missing counts, the maximum of age columns, free-text
span counts and rows with PII, distinct counts of key columns, the privacy unit and the
static columns; distinct counts of other columns up to ``KMV_K`` distinct values.
Estimated: distinct counts of other columns above ``KMV_K`` (KMV, relative standard
error ≈ 0.8 %; the columns are listed in ``scan_method``). Sample-based, as in
:func:`scan`: value shapes, types, formats, the Presidio checks of sampled values (and
the profile's maximum of other numeric columns, which nothing reads). Every per-chunk
result is an exact quantity reduced in chunk order, so in-process and Dask runs give
identical results for the same seed.

Memory: per worker, one chunk (see :mod:`synth.io.chunks`) plus ``8 × KMV_K`` bytes per
column (and 8 bytes per cell when a column is named like a person's key: the chunk's
person values); on the driver, the row sample (``SAMPLE_ROWS`` rows) plus the sketches of at most
``BATCH_PER_WORKER × workers`` chunks per column at a time (128 KiB each), 16 bytes per
distinct value of each key column, and when rows repeat per person 8 bytes per person
and modelled column (columns drop out as soon as they vary within too many persons).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from privacy.birth_dates import _birth_dates
from privacy.classification import classify
from privacy.draft import draft_schema
from privacy.findings import Finding, ScanResult
from privacy.header_rules import header_rules, normalise_header
from privacy.nlp import engine_name
from privacy.profile import (
    KMV_K,
    MAX_CODES,
    ColumnTotals,
    distinct_sketch,
    merge_sketches,
    non_numeric,
    present_values,
    sketch_count,
)
from privacy.redaction import analyze_fast
from privacy.units import (
    KeyCounts,
    PersonValues,
    choose_unit,
    key_columns,
    key_kind,
    mark_static,
    static_candidates,
    static_columns,
)
from synth.cluster import InProcess, Runner
from synth.errors import InputError
from synth.io.chunks import Chunk, total_rows
from synth.io.numbers import to_numbers
from synth.randomness import Randomness

#: rows the classifier sees (the birth-date check's sample size); the whole table below it
SAMPLE_ROWS = 20_000
#: chunks whose results the driver holds at once, per worker (bounds the sketches held)
BATCH_PER_WORKER = 4
#: texts analysed at a time inside a chunk (bounds the spans held)
TEXT_BATCH = 2_000

Progress = Callable[[str, int, int], None]


def sample_indices(rows: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted global row indices of the classifier's sample: all rows when ``rows <=
    size``, else ``size`` drawn uniformly without replacement (driver side)."""
    if rows <= size:
        return np.arange(rows, dtype=np.int64)
    return np.sort(rng.choice(rows, size, replace=False)).astype(np.int64)


def age_columns(columns: Sequence[str]) -> list[str]:
    """Columns whose name matches an AGE header rule (their maximum is needed)."""
    rules = [r.pattern for r in header_rules() if r.entity == "AGE"]
    return [c for c in columns if any(rx.search(normalise_header(c)) for rx in rules)]


def chunk_counts(
    df: pd.DataFrame,
    picks: np.ndarray,
    k: int,
    max_cols: list[str],
    key_cols: Sequence[str] = (),
    person_cols: Sequence[str] = (),
) -> dict[str, Any]:
    """Pass 1 on one chunk: rows, missing and KMV sketch per column, the numeric maximum
    of ``max_cols``, every value hash of ``key_cols`` (:class:`KeyCounts`), per
    ``person_cols`` column the person values of every other column
    (:class:`PersonValues`), and the sampled rows (``picks`` are global row indices;
    ``df`` carries its global RangeIndex)."""
    first = int(df.index[0]) if len(df) else 0
    lo, hi = np.searchsorted(picks, [first, first + len(df)])
    missing: list[int] = []
    sketches: list[np.ndarray] = []
    maxima: dict[str, float | None] = {}
    codes: list[tuple[str, ...] | None] = []
    keys: dict[str, KeyCounts] = {}
    for col in df.columns:
        present = present_values(df[col])
        missing.append(len(df) - len(present))
        sketches.append(distinct_sketch(present, k))
        if col in key_cols:
            keys[str(col)] = KeyCounts.of(present)
        # the codes are a set of stripped texts: reading each distinct text once is the
        # same set (a column of a few hundred values repeated over the chunk's rows)
        codes.append(non_numeric(pd.Series(present.astype(str).unique(), dtype=object)))
        if col in max_cols:
            top = to_numbers(present).max()
            maxima[str(col)] = None if pd.isna(top) else float(top)
    return {
        "rows": len(df),
        "columns": [str(c) for c in df.columns],
        "missing": missing,
        "sketches": sketches,
        "maxima": maxima,
        "codes": codes,
        "keys": keys,
        "people": {
            str(p): PersonValues.of(df, p, [str(c) for c in df.columns if c != p])
            for p in person_cols
        },
        "sample": df.loc[picks[lo:hi]],
    }


def _merge_codes(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Non-numeric codes of two chunks of a column (None: too many, or not codes)."""
    if a is None or b is None:
        return None
    both = tuple(sorted(set(a) | set(b)))
    return None if len(both) > MAX_CODES else both


def _text_counts(values: list[str]) -> tuple[dict[str, int], int]:
    counts: dict[str, int] = {}
    with_pii = 0
    for i in range(0, len(values), TEXT_BATCH):
        for spans in analyze_fast(values[i : i + TEXT_BATCH]):
            with_pii += bool(spans)
            for s in spans:
                counts[s.entity] = counts.get(s.entity, 0) + 1
    return counts, with_pii


def chunk_text(df: pd.DataFrame, text_cols: list[str]) -> dict[str, tuple[dict[str, int], int]]:
    """Per free-text column, PII spans per entity type over every value and the number
    of values with a span (no value is kept)."""
    return {col: _text_counts([str(v) for v in present_values(df[col])]) for col in text_cols}


def chunk_rows(
    df: pd.DataFrame, text_cols: list[str], unit: str | None, static_cols: list[str]
) -> dict[str, Any]:
    """Pass 2 on one chunk: the free-text counts (:func:`chunk_text`) and, when ``unit``
    is given, each person's value hashes of ``static_cols`` (:class:`PersonValues`)."""
    return {
        "text": chunk_text(df, text_cols),
        "people": None if unit is None else PersonValues.of(df, unit, static_cols),
    }


def _batched(
    runner: Runner,
    fn: Callable[..., Any],
    chunks: Sequence[Chunk],
    *args: Any,
    progress: Progress | None,
    stage: str,
) -> Iterator[Any]:
    """``runner.map`` over groups of chunks, yielding results in chunk order."""
    size = max(1, BATCH_PER_WORKER * runner.workers)
    for start in range(0, len(chunks), size):

        def step(_stage: str, done: int, _total: int, start: int = start) -> None:
            if progress is not None:
                progress(stage, start + done, len(chunks))

        yield from runner.map(fn, chunks[start : start + size], *args, progress=step, stage=stage)


def _merge_people(
    people: PersonValues | None, parts: list[PersonValues], repeated: int
) -> PersonValues | None:
    """``people`` with the chunks' ``parts`` merged in, keeping only the columns that may
    still be static (:meth:`PersonValues.still_possible` with ``repeated`` an upper bound
    on the persons with several rows; bounds the driver's memory). A column varying in too
    many persons of one part does so in the whole, so it is dropped before the merge."""
    if not parts:
        return people
    parts = [people, *parts] if people is not None else parts
    alive = set.intersection(*(set(p.still_possible(repeated)) for p in parts))
    merged = PersonValues.merge([p.keep(alive) for p in parts])
    return merged.keep(merged.still_possible(repeated))


def _rows_pass(
    runner: Runner,
    chunks: Sequence[Chunk],
    text_cols: list[str],
    unit: str | None,
    static_cols: list[str],
    repeated: int,
    progress: Progress | None,
) -> tuple[dict[str, tuple[dict[str, int], int]], PersonValues | None]:
    """Pass 2 (:func:`chunk_rows`): free-text counts per column, and when ``unit`` is
    given the person values of the ``static_cols`` that may still be static."""
    text: dict[str, tuple[dict[str, int], int]] = {c: ({}, 0) for c in text_cols}
    if not text_cols and unit is None:
        return text, None
    stage = " and ".join(
        s for s, on in (("free text", text_cols), ("persons", unit is not None)) if on
    )
    people: PersonValues | None = None
    pending: list[PersonValues] = []
    size = max(1, BATCH_PER_WORKER * runner.workers)
    for res in _batched(
        runner,
        chunk_rows,
        chunks,
        text_cols,
        unit,
        static_cols,
        progress=progress,
        stage=f"{stage}, all rows",
    ):
        for col, (counts, with_pii) in res["text"].items():
            total, rows = text[col]
            for ent, c in counts.items():
                total[ent] = total.get(ent, 0) + c
            text[col] = (total, rows + with_pii)
        if res["people"] is not None:
            pending.append(res["people"])
        if len(pending) >= size:
            people, pending = _merge_people(people, pending, repeated), []
    return text, _merge_people(people, pending, repeated)


class _KeyState:
    """Pass 1 on the driver: exact :class:`KeyCounts` of the key columns and, per
    person-named key, the :class:`PersonValues` of every other column, merged every
    ``batch`` chunks. Person values keep only the columns that may still be static: a
    column varying within more than 1 % of an upper bound on the persons with several
    rows (at most half the ``n`` rows, at most those seen plus the rows still unread)."""

    def __init__(self, key_cols: list[str], person_cols: list[str], n: int, batch: int):
        self.n, self.batch, self.rows, self.chunks = n, batch, 0, 0
        self.keys = {c: KeyCounts.merge([]) for c in key_cols}
        self.people: dict[str, PersonValues | None] = dict.fromkeys(person_cols)
        self._keys: dict[str, list[KeyCounts]] = {c: [] for c in key_cols}
        self._people: dict[str, list[PersonValues]] = {c: [] for c in person_cols}

    def add(self, res: dict[str, Any]) -> None:
        for col, counts in res["keys"].items():
            self._keys[col].append(counts)
        for col, people in res["people"].items():
            self._people[col].append(people)
        self.rows += res["rows"]
        self.chunks += 1
        if self.chunks % self.batch == 0:
            self.flush()

    def flush(self) -> None:
        for col, parts in self._keys.items():
            if parts:
                self.keys[col] = KeyCounts.merge([self.keys[col], *parts])
                parts.clear()
        for col, pending in self._people.items():
            bound = min(self.n // 2, self.keys[col].repeated + self.n - self.rows)
            self.people[col] = _merge_people(self.people[col], pending, bound)
            pending.clear()


def _with_text(f: Finding, counts: dict[str, int], with_pii: int) -> Finding:
    spans = sum(counts.values())
    present = int(f.profile.get("rows", 0)) - int(f.profile.get("missing", 0))
    return replace(
        f,
        confidence=0.9 if (spans or f.text_entities) else f.confidence,
        evidence=[
            *f.evidence,
            f"redaction analyzer over all {present} values: {spans} PII span(s) "
            f"in {with_pii} values",
        ],
        text_entities_all_rows=dict(sorted(counts.items())),
        text_rows_with_pii=with_pii,
    )


def scan_source(
    chunks: list[Chunk],
    runner: Runner | None = None,
    *,
    name: str,
    seed: int | None = None,
    progress: Progress | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> ScanResult:
    """Classify every column of a chunked table and draft a schema (see module doc).

    ``runner``: where chunks are processed (None: in this process, one chunk at a time).
    Memory: one chunk per worker plus ``8 × KMV_K`` bytes per column; the driver holds
    ``sample_rows`` rows plus sketches of ``BATCH_PER_WORKER × workers`` chunks.
    The sample is drawn from fresh OS entropy; with a (test-only) ``seed`` and the same
    ``sample_rows``: the same result on any runner and any chunking.
    """
    if not chunks:
        raise InputError(f"{name}: table has no rows")
    if not chunks[0].header:
        raise InputError(f"{name}: table has no columns")
    runner = runner if runner is not None else InProcess()
    start = time.perf_counter()
    n = total_rows(chunks)
    if n == 0:
        raise InputError(f"{name}: table has no rows")
    rng = Randomness.create(seed).rng
    picks = sample_indices(n, sample_rows, rng)

    columns: list[str] = []
    max_cols = age_columns(list(chunks[0].header))
    key_cols = key_columns(list(chunks[0].header))
    person_cols = [c for c in key_cols if key_kind(c) == "person"]
    state = _KeyState(key_cols, person_cols, n, max(1, BATCH_PER_WORKER * runner.workers))
    maxima: dict[str, float | None] = dict.fromkeys(max_cols)
    rows = 0
    missing: np.ndarray = np.zeros(0, dtype=np.int64)
    sketches: list[np.ndarray] = []
    codes: list[tuple[str, ...] | None] = []
    samples: list[pd.DataFrame] = []
    for res in _batched(
        runner,
        chunk_counts,
        chunks,
        picks,
        KMV_K,
        max_cols,
        key_cols,
        person_cols,
        progress=progress,
        stage="reading chunks",
    ):
        if not columns:
            columns = res["columns"]
            missing = np.zeros(len(columns), dtype=np.int64)
            sketches = [np.zeros(0, dtype=np.uint64)] * len(columns)
            codes = [()] * len(columns)
        elif res["columns"] != columns:
            raise InputError(f"{name}: a chunk's columns differ from the first chunk's")
        rows += res["rows"]
        missing += np.asarray(res["missing"], dtype=np.int64)
        sketches = [merge_sketches([a, b]) for a, b in zip(sketches, res["sketches"], strict=True)]
        codes = [_merge_codes(a, b) for a, b in zip(codes, res["codes"], strict=True)]
        samples.append(res["sample"])
        state.add(res)
        for col, top in res["maxima"].items():
            if top is not None:
                old = maxima.get(col)
                maxima[col] = top if old is None else max(old, top)
    if rows != n:
        raise InputError(f"{name}: read {rows} rows where the chunk plan counted {n}")
    state.flush()
    keys = state.keys
    sample = pd.concat(samples)
    sample.columns = columns

    counted = [sketch_count(s) for s in sketches]
    exact_sample = len(picks) == n
    distinct: dict[str, int] = {}
    estimated: list[str] = []
    for j, col in enumerate(columns):
        count, is_estimate = counted[j]
        if col in keys:  # every value's hash: exact
            count, is_estimate = keys[col].distinct, False
        if is_estimate and exact_sample:  # the sample is the table: count it exactly
            count, is_estimate = int(present_values(sample[col]).astype(str).nunique()), False
        distinct[col] = count
        if is_estimate:
            estimated.append(col)

    findings: list[Finding] = []
    for j, col in enumerate(columns):
        totals = ColumnTotals(
            rows=n,
            missing=int(missing[j]),
            distinct=distinct[col],
            max_value=maxima.get(col),
            codes=codes[j],
        )
        f = classify(col, sample[col], rng, totals=totals)
        if col in estimated:
            f = replace(
                f, evidence=[f"≈{f.evidence[0]} (distinct count estimated)", *f.evidence[1:]]
            )
        findings.append(f)
        if progress is not None:
            progress("scanning columns", j + 1, len(columns))
    findings = _birth_dates(sample, findings, rng)
    unit = choose_unit(findings, keys)
    static_cols = static_candidates(findings, unit.column)
    person = unit.column if unit.rows_repeat and static_cols else None
    text_cols = [f.name for f in findings if f.type == "text"]
    repeated = keys[person].repeated if person is not None else 0
    # a person-named unit's person values came with pass 1; a record-named one's come now
    gathered = state.people.get(person) if person is not None else None
    text, people = _rows_pass(
        runner,
        chunks,
        text_cols,
        person if gathered is None else None,
        static_cols,
        repeated,
        progress,
    )
    if gathered is not None:
        people = _merge_people(None, [gathered.keep(static_cols)], repeated)
    findings = [_with_text(f, *text[f.name]) if f.type == "text" else f for f in findings]
    static = [] if people is None or person is None else static_columns(people, keys[person])
    findings = mark_static(findings, static)

    method = {
        "chunks": len(chunks),
        "sample_rows": len(picks),
        "sample": "uniform without replacement over global row indices (fresh randomness)",
        "exact_over_all_rows": [
            "rows",
            "missing",
            "maximum of age columns",
            "free-text PII spans and rows with PII",
            f"distinct counts of key columns ({', '.join(key_cols) or 'none'})",
            "privacy unit and static columns",
            f"distinct counts of other columns up to {KMV_K} distinct values",
        ],
        "estimated": {
            "distinct": f"KMV sketch, k={KMV_K}, 64-bit value hash (relative s.e. ≈ 0.8 %)",
            "columns": estimated,
        },
    }
    return ScanResult(
        source=name,
        rows=n,
        findings=findings,
        schema=draft_schema(findings, name, unit, static),
        nlp_engine=engine_name(),
        seconds=time.perf_counter() - start,
        method=method,
        unit=unit,
    )
