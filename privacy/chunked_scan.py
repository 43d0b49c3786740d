"""The scan of a table read in chunks, in this process or on a Dask cluster.

:func:`scan_source` gives the same :class:`ScanResult` as :func:`privacy.scanner.scan`
without holding the table: every chunk is read where its task runs (one chunk per
worker at a time), and the driver holds a row sample and small per-column sketches.

Two passes over the chunks:

1. *Counts and sample.* Per chunk: rows, missing values per column, a KMV sketch of
   each column's distinct values (:func:`privacy.profile.distinct_sketch`), the largest
   value of columns named like an age (the HIPAA rule on ages over 89 is the one use of
   a column maximum), and the rows of a seeded uniform sample drawn on the driver by
   GLOBAL row index (so the sample does not depend on how the file was cut or where
   chunks ran). The column classifier then runs on the sample (``SAMPLE_ROWS`` rows; the
   whole table when it is smaller) with the whole-column counts
   (:class:`privacy.profile.ColumnTotals`).
2. *Every row of the free text* (only when the sample shows free text). Per chunk, the
   redaction analyzer (:func:`privacy.redaction.analyze_fast`) runs on every value of
   the free-text columns and counts spans per entity type and rows with a span (no
   value is kept).

Exact over all rows: row count, missing counts, the maximum of age columns, free-text
span counts and rows with PII; distinct counts up to ``KMV_K`` distinct values.
Estimated: distinct counts above ``KMV_K`` (KMV, relative standard error ≈ 0.8 %; the
columns are listed in ``scan_method``). Sample-based, as in :func:`scan`: value shapes,
types, formats, the Presidio checks of sampled values (and the profile's maximum of
other numeric columns, which nothing reads). Every per-chunk result is an exact quantity
reduced in chunk order, so in-process and Dask runs give identical results for the
same seed.

Memory: per worker, one chunk (see :mod:`synth.io.chunks`) plus ``8 × KMV_K`` bytes per
column; on the driver, the row sample (``SAMPLE_ROWS`` rows) plus the sketches of at most
``BATCH_PER_WORKER × workers`` chunks per column at a time (128 KiB each).
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
#: a column is scanned as free text in pass 2 when its sampled values average this many
#: words (the classifier's threshold is 4, on its own sub-sample) and over 30 % are distinct
TEXT_MIN_WORDS = 3.0
TEXT_MIN_UNIQUE = 0.3

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
    df: pd.DataFrame, picks: np.ndarray, k: int, max_cols: list[str]
) -> dict[str, Any]:
    """Pass 1 on one chunk: rows, missing and KMV sketch per column, the numeric maximum
    of ``max_cols``, and the sampled rows (``picks`` are global row indices; ``df``
    carries its global RangeIndex)."""
    first = int(df.index[0]) if len(df) else 0
    lo, hi = np.searchsorted(picks, [first, first + len(df)])
    missing: list[int] = []
    sketches: list[np.ndarray] = []
    maxima: dict[str, float | None] = {}
    codes: list[tuple[str, ...] | None] = []
    for col in df.columns:
        present = present_values(df[col])
        missing.append(len(df) - len(present))
        sketches.append(distinct_sketch(present, k))
        codes.append(non_numeric(present))
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
    """Pass 2 on one chunk: per free-text column, PII spans per entity type over every
    value and the number of values with a span (no value is kept)."""
    return {col: _text_counts([str(v) for v in present_values(df[col])]) for col in text_cols}


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


def _text_candidates(sample: pd.DataFrame, unique: dict[str, float]) -> list[str]:
    """Columns whose sampled values look like free text (generously: the classifier
    decides later; a column it calls free text that is not here gets its own pass)."""
    out: list[str] = []
    for col in sample.columns:
        values = present_values(sample[col]).astype(str)
        if len(values) == 0 or unique[col] <= TEXT_MIN_UNIQUE:
            continue
        if values.str.count(r"\S+").mean() >= TEXT_MIN_WORDS:
            out.append(col)
    return out


def _text_pass(
    runner: Runner, chunks: Sequence[Chunk], text_cols: list[str], progress: Progress | None
) -> dict[str, tuple[dict[str, int], int]]:
    text: dict[str, tuple[dict[str, int], int]] = {c: ({}, 0) for c in text_cols}
    if not text_cols:
        return text
    for res in _batched(
        runner, chunk_text, chunks, text_cols, progress=progress, stage="free text, all rows"
    ):
        for col, (counts, with_pii) in res.items():
            total, rows = text[col]
            for ent, c in counts.items():
                total[ent] = total.get(ent, 0) + c
            text[col] = (total, rows + with_pii)
    return text


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
        for col, top in res["maxima"].items():
            if top is not None:
                old = maxima.get(col)
                maxima[col] = top if old is None else max(old, top)
    if rows != n:
        raise InputError(f"{name}: read {rows} rows where the chunk plan counted {n}")
    sample = pd.concat(samples)
    sample.columns = columns

    counted = [sketch_count(s) for s in sketches]
    exact_sample = len(picks) == n
    distinct: dict[str, int] = {}
    estimated: list[str] = []
    for j, col in enumerate(columns):
        count, is_estimate = counted[j]
        if is_estimate and exact_sample:  # the sample is the table: count it exactly
            count, is_estimate = int(present_values(sample[col]).astype(str).nunique()), False
        distinct[col] = count
        if is_estimate:
            estimated.append(col)
    unique = {c: distinct[c] / max(1, n - int(missing[j])) for j, c in enumerate(columns)}

    text = _text_pass(runner, chunks, _text_candidates(sample, unique), progress)

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

    late = [f.name for f in findings if f.type == "text" and f.name not in text]
    if late:  # free text the generous pre-selection missed: one more pass for them
        text.update(_text_pass(runner, chunks, late, progress))
    findings = [_with_text(f, *text[f.name]) if f.type == "text" else f for f in findings]

    method = {
        "chunks": len(chunks),
        "sample_rows": len(picks),
        "sample": "uniform without replacement over global row indices (fresh randomness)",
        "exact_over_all_rows": [
            "rows",
            "missing",
            "maximum of age columns",
            "free-text PII spans and rows with PII",
            f"distinct counts up to {KMV_K} distinct values",
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
        schema=draft_schema(findings, name),
        nlp_engine=engine_name(),
        seconds=time.perf_counter() - start,
        method=method,
    )
