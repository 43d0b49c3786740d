"""The leakage check on tables larger than memory: chunks normalised where they run.

:func:`check_leakage_chunks` takes the training and holdout tables as chunks
(:func:`synth.io.chunks.plan_chunks`) and never holds their text in full. Each chunk is
loaded where its task runs (a Dask worker, or this process one chunk at a time) and
normalised into the compact columns of :class:`~privacy.leakage.distance.Prepared`:
float64 values for numbers and dates, int64 category codes. Only those arrays (8 B per
cell) come back to the driver, which then runs the same check as
:func:`~privacy.leakage.gate.check_leakage` (:func:`~privacy.leakage.gate.check_prepared`,
whose neighbour searches are partitioned over real-row blocks on the runner).

Nothing depends on how the files are cut:

* category codes are assigned by first appearance in global row order (train chunks,
  then holdout chunks, then the synthetic rows), exactly as the in-memory path's
  ``pd.factorize`` over the concatenated frames assigns them;
* the decisions taken over whole columns add up per-chunk counts: whether a frame is
  already generalised (cells in generalised form against non-missing cells), the number
  of unparseable cells, and, without a schema, the type inference (distinct values in
  first-appearance order with their counts).

So the result equals ``check_leakage(read_table(train), read_table(holdout), ...)`` on
the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage.columns import (
    FRAMES,
    _generalise,
    _usable,
    apply_rename,
    column_contract,
    generalised_counts,
    generalised_state,
    infer_from_uniques,
)
from privacy.leakage.distance import Prepared
from privacy.leakage.gate import check_prepared
from privacy.leakage.metrics import LeakageResult
from privacy.leakage.normalise import _MISSING, _categories, _factorize, _numbers
from privacy.leakage.units import Units, merge_unit_chunks, unit_chunk_task, unit_column
from synth.cluster import InProcess, Runner
from synth.errors import InputError
from synth.io.chunks import Chunk
from synth.schema.generalise import generalised_column
from synth.schema.model import ColumnType, GateThresholds, Generalisation, Schema

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ColumnPlan:
    """How one shared column is normalised in every chunk (decided on the driver)."""

    name: str
    kind: ColumnType  # the type it is compared as
    fmt: str | None
    strict: bool  # unparseable values are an error (declared by a schema)
    top_code: bool
    generalise: Generalisation | None  # applied to the frames in ``raw``
    raw: tuple[bool, bool, bool]
    missing_codes: tuple[str, ...] = ()  # declared codes: compared as missing


# -- tasks (module level: imported by name on Dask workers) ------------------------------


def _uniques_task(df: pd.DataFrame, names: Sequence[str]) -> list[tuple[Any, ...]]:
    """Per column: a one-row dtype probe, the distinct values and their counts."""
    out = []
    for name in names:
        s = df[name]
        codes, u = _factorize(s)
        counts = np.bincount(codes[codes >= 0], minlength=len(u)).astype(np.int64)
        out.append((s.iloc[:1].reset_index(drop=True), u, counts))
    return out


def _generalised_task(
    df: pd.DataFrame, columns: Sequence[tuple[str, Generalisation]]
) -> list[tuple[int, int]]:
    return [generalised_counts(df[name], method) for name, method in columns]


def _normalise_task(
    df: pd.DataFrame, plans: Sequence[ColumnPlan], frame: int
) -> list[tuple[np.ndarray, Any]]:
    """Per column: (int64 codes, distinct canonical values) or (float64 values, #bad)."""
    out: list[tuple[np.ndarray, Any]] = []
    for p in plans:
        v = df[p.name]
        if p.generalise is not None and p.raw[frame]:
            v = _generalise(v, p.generalise)
        if p.kind == ColumnType.CATEGORICAL:
            cats = _categories(v)
            cats[pd.isna(cats)] = _MISSING
            codes, uniq = pd.factorize(cats)
            out.append((codes.astype(np.int64), np.asarray(uniq, dtype=object)))
        else:
            x, n_bad = _numbers(v, p.kind, p.fmt, p.missing_codes)
            out.append((np.minimum(x, 90.0) if p.top_code else x, n_bad))
    return out


# -- the driver ---------------------------------------------------------------------------


def _header(parts: Sequence[Any], frame: str) -> list[str]:
    first = parts[0]
    names = list(first.header) if isinstance(first, Chunk) else list(first.columns)
    if not names:
        raise InputError(f"{frame}: table has no columns")
    dup = pd.Index(names)[pd.Index(names).duplicated()]
    if len(dup):
        raise InputError(f"{frame}: column name '{dup[0]}' appears more than once")
    return names


def _rows(parts: Sequence[Any]) -> int:
    return sum(p.rows if isinstance(p, Chunk) else len(p) for p in parts)


def _infer_types(
    runner: Runner, real: Sequence[Any], names: list[str], n_real: int
) -> dict[str, ColumnType | None]:
    """Type inference over the real rows, from per-chunk distinct values and counts."""
    per_chunk = runner.map(_uniques_task, real, names)
    out: dict[str, ColumnType | None] = {}
    for i, name in enumerate(names):
        pieces = [r[i] for r in per_chunk]
        probe = pd.concat([p[0] for p in pieces], ignore_index=True)
        u_all = pd.concat([pd.Series(p[1]) for p in pieces], ignore_index=True)
        codes, uniq = pd.factorize(u_all, use_na_sentinel=True)
        counts = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(counts, codes, np.concatenate([p[2] for p in pieces]))
        u = pd.Series(uniq)
        if isinstance(u.dtype, pd.CategoricalDtype):
            u = u.astype(object)
        out[name] = infer_from_uniques(probe, u, counts, n_real)
        for r in per_chunk:
            r[i] = None
    return out


def _plan(
    runner: Runner,
    frames: Sequence[Sequence[Any]],
    shared: list[str],
    schema: Schema | None,
    n_real: int,
) -> list[ColumnPlan]:
    plans: list[ColumnPlan] = []
    if schema is None:
        kinds = _infer_types(runner, [*frames[0], *frames[1]], shared, n_real)
        for name in shared:
            kind = kinds[name]
            if kind is not None:
                plans.append(ColumnPlan(name, kind, None, False, False, None, (False,) * 3))
        return plans
    used = [n for n in shared if n in schema.names and _usable(schema.column(n))]
    to_judge = [
        (n, Generalisation(c.generalise))
        for n in used
        if (c := schema.column(n)).generalise is not None
        and Generalisation(c.generalise) != Generalisation.TOP_CODE_89
    ]
    states: dict[str, list[bool | None]] = {n: [] for n, _ in to_judge}
    if to_judge:
        for parts in frames:
            counts = runner.map(_generalised_task, parts, to_judge)
            for i, (n, _) in enumerate(to_judge):
                ok = sum(c[i][0] for c in counts)
                total = sum(c[i][1] for c in counts)
                states[n].append(generalised_state(ok, total))
    for name in used:
        col = schema.column(name)
        kind, fmt = ColumnType(col.type), col.format
        method, raw = None, (False, False, False)
        if col.generalise is not None:
            if Generalisation(col.generalise) == Generalisation.TOP_CODE_89:
                kind = ColumnType(generalised_column(col).type)
            elif any(s is True for s in states[name]):
                kind = ColumnType(generalised_column(col).type)
                method = Generalisation(col.generalise)
                st = states[name]
                raw = (st[0] is not True, st[1] is not True, st[2] is not True)
            fmt = None if kind != col.type else fmt
        top = col.generalise == Generalisation.TOP_CODE_89
        codes = tuple(schema.missing_codes(col.model_copy(update={"type": kind})))
        plans.append(ColumnPlan(str(name), kind, fmt, True, top, method, raw, codes))
    return plans


def _assemble(plans: list[ColumnPlan], results: list[list[list[Any]]]) -> list[Prepared]:
    """Per column, the three parts from the chunks' pieces (freed as they are used)."""
    out: list[Prepared] = []
    for i, p in enumerate(plans):
        if p.kind == ColumnType.CATEGORICAL:
            table: dict[Any, int] = {}
            parts = []
            for chunks in results:
                codes = []
                for r in chunks:
                    local, uniq = r[i]
                    glob = np.array([table.setdefault(v, len(table)) for v in uniq], np.int64)
                    codes.append(glob[local] if len(local) else local)
                    r[i] = None
                parts.append(np.concatenate(codes))
            out.append(Prepared(p.name, False, (parts[0], parts[1], parts[2])))
            continue
        parts = []
        for frame, chunks in zip(FRAMES, results, strict=True):
            n_bad = sum(r[i][1] for r in chunks)
            if n_bad and p.strict:
                what = (
                    "cannot be parsed as dates"
                    if p.kind == ColumnType.DATETIME
                    else "are not numbers"
                )
                raise InputError(
                    f"{frame}: column '{p.name}' is declared {p.kind} but {n_bad} value(s) {what}"
                )
            parts.append(np.concatenate([r[i][0] for r in chunks]))
            for r in chunks:
                r[i] = None
        out.append(Prepared(p.name, True, (parts[0], parts[1], parts[2])))
    return out


def prepare_chunks(
    train: Sequence[Chunk],
    holdout: Sequence[Chunk],
    synthetic: pd.DataFrame | Sequence[Chunk],
    schema: Schema | None,
    runner: Runner | None = None,
    progress: Progress | None = None,
    rename: dict[str, str] | None = None,
) -> list[Prepared]:
    """:func:`~privacy.leakage.columns.prepare_columns` over chunks, normalised on the runner."""
    runner = runner if runner is not None else InProcess()
    if rename:
        if not isinstance(synthetic, pd.DataFrame):
            raise InputError("--rename needs the synthetic table in memory")
        synthetic = apply_rename(synthetic, rename)
    syn = [synthetic] if isinstance(synthetic, pd.DataFrame) else list(synthetic)
    frames = [list(train), list(holdout), syn]
    for name, parts in zip(FRAMES, frames, strict=True):
        if not parts or _rows(parts) == 0:
            raise InputError(f"{name}: table has no rows")
    headers = [_header(parts, name) for name, parts in zip(FRAMES, frames, strict=True)]
    shared = column_contract(dict(zip(FRAMES, headers, strict=True)), schema)
    plans = _plan(runner, frames, shared, schema, _rows(frames[0]) + _rows(frames[1]))
    if not plans:
        why = "not modelled under the schema" if schema is not None else "identifier-like"
        raise InputError(
            f"train, holdout and synthetic: all {len(shared)} shared column(s) are excluded "
            f"({why}); nothing to compare"
        )
    results = [
        runner.map(
            _normalise_task, parts, plans, k, progress=progress, stage=f"leakage: read {name}"
        )
        for k, (name, parts) in enumerate(zip(FRAMES, frames, strict=True))
    ]
    return _assemble(plans, results)


def chunk_units(
    train: Sequence[Chunk], holdout: Sequence[Chunk], schema: Schema | None, runner: Runner | None
) -> Units | None:
    """:func:`~privacy.leakage.units.units_of` over chunks: the person codes (8 B per row)
    computed where the chunks are read, merged here in row order."""
    name = unit_column(schema)
    if name is None:
        return None
    runner = runner if runner is not None else InProcess()
    return merge_unit_chunks(
        name, [runner.map(unit_chunk_task, list(parts), name) for parts in (train, holdout)]
    )


def check_leakage_chunks(
    train: Sequence[Chunk],
    holdout: Sequence[Chunk],
    synthetic: pd.DataFrame | Sequence[Chunk],
    schema: Schema | None = None,
    *,
    runner: Runner | None = None,
    thresholds: GateThresholds | None = None,
    block_rows: int = 4096,
    ref_rows: int | None = None,
    progress: Progress | None = None,
    attack: bool = True,
    seed: int | None = None,
    rename: dict[str, str] | None = None,
) -> LeakageResult:
    """:func:`~privacy.leakage.gate.check_leakage` on chunked inputs, in bounded memory.

    ``train`` and ``holdout`` are chunks of the real tables
    (:func:`synth.io.chunks.plan_chunks`), ``synthetic`` a DataFrame or chunks. The result
    equals ``check_leakage(read_table(train_file), read_table(holdout_file), synthetic,
    ...)``; the other arguments are those of ``check_leakage``. On a Dask ``runner`` the
    chunks are loaded and normalised on the workers, and the neighbour searches run there.

    Memory on the driver: the compared columns of train, holdout and synthetic as
    float64 values / int64 codes, **≈ 8 B × rows × compared columns**, plus the distinct
    values of each categorical column, plus, transiently, one chunk's results being
    merged and the exact-match step's row-code matrix (another 8 B per cell, so ≈ 16 B
    per cell at that step's peak). Per task: one chunk's DataFrame
    (``chunk_bytes`` of text, see :mod:`synth.io.chunks`) while it is normalised; for the
    searches, one query and one reference block of ``ref_rows`` rows encoded plus the
    ``block_rows² × 8`` B GEMM buffer. The text of train and holdout is never held whole.
    Without a schema, the type inference first collects each shared column's distinct
    real values (a text column with many distinct values costs them all once); pass the
    schema for large tables.
    """
    if block_rows < 1:
        raise ValueError("block_rows must be positive")
    columns = prepare_chunks(train, holdout, synthetic, schema, runner, progress, rename)
    return check_prepared(
        columns,
        schema,
        units=chunk_units(train, holdout, schema, runner),
        thresholds=thresholds,
        block_rows=block_rows,
        progress=progress,
        attack=attack,
        seed=seed,
        runner=runner,
        ref_rows=ref_rows,
    )
