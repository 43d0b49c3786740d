"""The leakage gate: choose and normalise the columns, measure, decide.

Columns used are those present in all three frames; with a schema, only the
modelled-like ones (categorical/numerical/datetime, not a direct identifier, not
dropped/replaced/redacted). A generalised column is compared in its generalised
form: frames still holding raw values (e.g. 5-digit ZIPs) are generalised first,
so ZIP3 meets ZIP3. Without a schema a column is numeric when ≥95% of its
non-missing real values parse as numbers, else datetime when ≥95% parse as
dates, else categorical; categorical columns unique in >90% of real rows are
treated as identifiers and skipped.

Normalisation makes formatting irrelevant: numbers are rounded to 12
significant digits ("1.50", "1.5" and 1.5 are one value), dates become day
counts (UTC), blank strings are missing, and in categorical columns a number or
a decimal-looking string is written canonically ("1.0" → "1") while integer-like
strings keep their leading zeros ("021" stays "021").

The decision and its measured error rates
-----------------------------------------
Four metrics gate (defaults in :class:`~synth.schema.model.GateThresholds`); the gate
blocks when any one blocks:

* ``dcr_share``: lower 95% Wilson bound of the share of synthetic rows nearer a training
  than a holdout row above ``p0 + 0.05``;
* ``exact_match_share``: the same among synthetic rows identical to a real row;
* ``inference_risk``: lower bound of the worst secret's Anonymeter risk above 0.10;
* ``linkability_risk``: lower bound of the linkability risk above 0.02.

Measured on Adult (``benchmarks/leakage_bench.py --seeds``, BENCHMARKS.md "Leakage
gate"), 2026-11-22, seeds 0–4 at 5k, 0–2 at 20k, 0 at 39k: **false-block rate 0/12**
honest runs (independent marginals; MST at ε = 1) and **miss rate 0/18** leaky runs
(bootstrap copy; 10% near-copies). Each gating metric alone blocked every leaky run and
passed every honest one. Honest inference-risk lower bounds were ≤ −0.075 against
≥ 0.25 for leaky sets; honest linkability upper bounds ≤ 0.006 against leaky lower
bounds ≥ 0.043. The attack thresholds sit between: an honest generator's risk is ~0
with a two-sided interval, so its lower bound falls below 0.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage.attacks import attack_metrics, run_attacks
from privacy.leakage.distance import (
    HOLDOUT,
    SYNTHETIC,
    TRAIN,
    Prepared,
    identical_counts,
    identical_to,
    row_codes,
    row_hashes,
)
from privacy.leakage.metrics import (
    TIE_RTOL,
    LeakageResult,
    Metric,
    dcr_p5,
    dcr_share,
    exact_copies,
    exact_match_share,
    nndr,
    tied,
    wilson,
)
from privacy.leakage.partitioned import BlockSearch
from synth.cluster import Runner
from synth.errors import InputError
from synth.schema.generalise import AGE_BANDS, generalise, generalised_column
from synth.schema.model import Column, ColumnType, GateThresholds, Generalisation, Role, Schema

FRAMES = ("train", "holdout", "synthetic")
PARSE_SHARE = 0.95
ID_UNIQUE_SHARE = 0.90
SIG_DIGITS = 12
_DATE_PROBE = 200
_MISSING = "\x00missing"
_FLOATISH = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+|\.\d+[eE][+-]?\d+)")
_AGE_LABELS = {label for _, _, label in AGE_BANDS}
_EPOCH = pd.Timestamp("1970-01-01")
_COMPARABLE = {ColumnType.CATEGORICAL, ColumnType.NUMERICAL, ColumnType.DATETIME}

Progress = Callable[[str, int, int], None]


# -- value normalisation ----------------------------------------------------------------


def canonical_floats(x: np.ndarray) -> np.ndarray:
    """Round to ``SIG_DIGITS`` significant digits so that formatting noise disappears.

    The result is the double nearest to the rounded decimal, whichever way the value
    was written ("0.3", 0.1 + 0.2, "3e-1" all give the same double).
    """
    x = np.array(x, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(x) & (x != 0))
    v = x[ok]
    k = SIG_DIGITS - 1 - np.floor(np.log10(np.abs(v)))
    fast = np.abs(k) <= 22  # 10**|k| is exact: one correctly rounded multiply/divide
    scale = 10.0 ** np.abs(k[fast])
    vf = v[fast]
    x[ok[fast]] = np.where(k[fast] >= 0, np.rint(vf * scale) / scale, np.rint(vf / scale) * scale)
    x[ok[~fast]] = [float(f"{t:.{SIG_DIGITS}g}") for t in v[~fast]]
    x[x == 0] = 0.0  # no negative zero
    return x


def _canon_number(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    y = float(canonical_floats(np.array([x]))[0])
    return str(int(y)) if y.is_integer() and abs(y) < 1e16 else repr(y)


def _canon_category(v: Any) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else _canon_number(float(v))
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return None
        return _canon_number(float(t)) if _FLOATISH.fullmatch(t) else v
    return str(v)


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (−1 = missing) and the uniques; blank strings count as missing."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniq)
    if isinstance(u.dtype, pd.CategoricalDtype):
        u = u.astype(object)
    if u.dtype == object or pd.api.types.is_string_dtype(u):
        blank = u.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        if blank.any():
            codes = np.where(blank[np.maximum(codes, 0)] & (codes >= 0), -1, codes)
    return codes, u


def _per_row(codes: np.ndarray, per_unique: np.ndarray, fill: Any) -> np.ndarray:
    if len(per_unique) == 0:
        return np.full(len(codes), fill)
    out = per_unique[np.maximum(codes, 0)]  # fancy indexing: a fresh array
    out[codes < 0] = fill
    return out


def _parse_numbers(u: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(u) or pd.api.types.is_numeric_dtype(u):
        return u.to_numpy(dtype=float, na_value=np.nan)
    stripped = u.map(lambda v: v.strip() if isinstance(v, str) else v)
    parsed = pd.to_numeric(stripped, errors="coerce")
    return pd.Series(parsed, dtype=object).astype(float).to_numpy()


def _parse_dates(u: pd.Series, fmt: str | None) -> np.ndarray:
    """Day counts (float, UTC) per unique value; NaN where it is not a date."""
    if pd.api.types.is_datetime64_any_dtype(u):
        ts = u.dt.tz_convert("UTC").dt.tz_localize(None) if u.dt.tz is not None else u
        return ((ts - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(u):
        u = u.map(lambda v: _canon_number(float(v)))
    out = np.full(len(u), np.nan)
    todo = u.notna().to_numpy()
    for f in [*([fmt] if fmt else []), "ISO8601", "mixed"]:
        if not todo.any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = pd.to_datetime(u[todo], errors="coerce", format=f, utc=True)
        days = ((got.dt.tz_localize(None) - _EPOCH) / pd.Timedelta(days=1)).to_numpy(
            dtype=float, na_value=np.nan
        )
        idx = np.flatnonzero(todo)
        out[idx] = days
        todo[idx[~np.isnan(days)]] = False
    return out


def _numbers(s: pd.Series, kind: ColumnType, fmt: str | None) -> tuple[np.ndarray, int]:
    """Float values per row (NaN = missing) and the number of unparseable cells."""
    codes, u = _factorize(s)
    vals = _parse_dates(u, fmt) if kind == ColumnType.DATETIME else _parse_numbers(u)
    present = u.notna().to_numpy()
    bad_u = np.isnan(vals) & present
    n_bad = int(np.bincount(codes[codes >= 0], minlength=len(u))[bad_u].sum())
    return canonical_floats(_per_row(codes, vals, np.nan)), n_bad


def _categories(s: pd.Series) -> np.ndarray:
    codes, u = _factorize(s)
    canon = np.array([_canon_category(v) for v in u], dtype=object)
    return _per_row(codes, canon, None)


# -- column choice ----------------------------------------------------------------------


def _infer(real: pd.Series) -> ColumnType | None:
    """Type of an undeclared column, or None for an identifier-like one."""
    by_dtype = _typed(real)
    if by_dtype is not None:
        return by_dtype
    codes, u = _factorize(real)
    counts = np.bincount(codes[codes >= 0], minlength=len(u))
    return infer_from_uniques(real, u, counts, len(real))


def _typed(probe: pd.Series) -> ColumnType | None:
    """The type a typed (bool, numeric, datetime) column has; None for text/object."""
    if pd.api.types.is_bool_dtype(probe):
        return ColumnType.CATEGORICAL
    if pd.api.types.is_numeric_dtype(probe):
        return ColumnType.NUMERICAL
    if pd.api.types.is_datetime64_any_dtype(probe):
        return ColumnType.DATETIME
    return None


def infer_from_uniques(
    probe: pd.Series, u: pd.Series, counts: np.ndarray, n_rows: int
) -> ColumnType | None:
    """:func:`_infer` from the column's distinct values ``u`` (first-appearance order, as
    :func:`_factorize` gives them), their ``counts`` and the row count; ``probe`` is any
    Series with the column's dtype (a few rows suffice)."""
    by_dtype = _typed(probe)
    if by_dtype is not None:
        return by_dtype
    total = counts.sum()
    if total == 0:
        return ColumnType.CATEGORICAL
    if counts[~np.isnan(_parse_numbers(u))].sum() >= PARSE_SHARE * total:
        return ColumnType.NUMERICAL
    probe_at = np.unique(np.linspace(0, len(u) - 1, min(len(u), _DATE_PROBE)).astype(int))
    if (
        np.mean(~np.isnan(_parse_dates(u.iloc[probe_at], None))) >= 0.5
        and counts[~np.isnan(_parse_dates(u, None))].sum() >= PARSE_SHARE * total
    ):
        return ColumnType.DATETIME
    if len(u) > ID_UNIQUE_SHARE * n_rows:
        return None
    return ColumnType.CATEGORICAL


def _is_generalised(s: pd.Series, method: Generalisation) -> bool | None:
    """Whether the values already have the generalised form (None: nothing to judge)."""
    return generalised_state(*generalised_counts(s, method))


def generalised_state(ok: int, total: int) -> bool | None:
    """:func:`_is_generalised` from the counts of :func:`generalised_counts` (summable)."""
    return None if total == 0 else bool(ok >= PARSE_SHARE * total)


def generalised_counts(s: pd.Series, method: Generalisation) -> tuple[int, int]:
    """Non-missing cells already in the generalised form, and all non-missing cells."""
    codes, u = _factorize(s)
    counts = np.bincount(codes[codes >= 0], minlength=len(u))
    if counts.sum() == 0:
        return 0, 0
    canon = [_canon_category(v) for v in u]
    if method == Generalisation.ZIP3:
        ok = [c is not None and c.isdigit() and len(c) <= 3 for c in canon]
    elif method == Generalisation.AGE_BAND:
        ok = [c in _AGE_LABELS for c in canon]
    else:  # YEAR: whole numbers
        nums = pd.to_numeric(pd.Series(canon, dtype=object), errors="coerce").to_numpy(float)
        ok = list(np.isfinite(nums) & (nums == np.round(nums)))
    return int(counts[np.array(ok, dtype=bool)].sum()), int(counts.sum())


def _align_generalised(col: Column, values: list[pd.Series]) -> tuple[ColumnType, list[pd.Series]]:
    """Bring every frame to the coarsest form present; return the type to compare as."""
    method = Generalisation(col.generalise)  # type: ignore[arg-type]
    gcol = generalised_column(col)
    if method == Generalisation.TOP_CODE_89:
        return ColumnType(gcol.type), values  # clipped after parsing
    state = [_is_generalised(v, method) for v in values]
    if not any(s is True for s in state):
        return ColumnType(col.type), values
    return ColumnType(gcol.type), [
        v if s is True else _generalise(v, method) for v, s in zip(values, state, strict=True)
    ]


def _generalise(values: pd.Series, method: Generalisation) -> pd.Series:
    """:func:`generalise`, applied once per distinct value (it is elementwise)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    done = generalise(pd.Series(uniq, dtype=object), method).to_numpy(dtype=object)
    return pd.Series(_per_row(codes, done, None), index=values.index, dtype=object)


def _usable(col: Column) -> bool:
    """Modelled-like: a comparable type, not a direct identifier, not dropped/replaced/redacted."""
    return col.modelled and col.role != Role.DIRECT_IDENTIFIER and col.type in _COMPARABLE


def _prepare(
    name: str,
    kind: ColumnType,
    values: list[pd.Series],
    fmt: str | None,
    strict: bool,
    top_code: bool = False,
) -> Prepared:
    if kind == ColumnType.CATEGORICAL:
        cats = np.concatenate([_categories(v) for v in values])
        cats[pd.isna(cats)] = _MISSING
        codes, _ = pd.factorize(cats)
        cuts = np.cumsum([len(v) for v in values])[:-1]
        tr, ho, syn = np.split(codes.astype(np.int64), cuts)
        return Prepared(name, False, (tr, ho, syn))
    parts: list[np.ndarray] = []
    for frame, v in zip(FRAMES, values, strict=True):
        x, n_bad = _numbers(v, kind, fmt)
        if n_bad and strict:
            what = "cannot be parsed as dates" if kind == ColumnType.DATETIME else "are not numbers"
            raise InputError(
                f"{frame}: column '{name}' is declared {kind} but {n_bad} value(s) {what}"
            )
        parts.append(np.minimum(x, 90.0) if top_code else x)
    return Prepared(name, True, (parts[0], parts[1], parts[2]))


def prepare_columns(
    train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema | None
) -> list[Prepared]:
    others = set(holdout.columns) & set(synthetic.columns)
    shared = [c for c in train.columns if c in others]
    if not shared:
        raise InputError("train, holdout and synthetic have no column in common")
    out: list[Prepared] = []
    for name in shared:
        values = [train[name], holdout[name], synthetic[name]]
        if schema is not None:
            if name not in schema.names or not _usable(col := schema.column(name)):
                continue
            kind, fmt = ColumnType(col.type), col.format
            if col.generalise is not None:
                kind, values = _align_generalised(col, values)
                fmt = None if kind != col.type else fmt
            top = col.generalise == Generalisation.TOP_CODE_89
            out.append(_prepare(str(name), kind, values, fmt, strict=True, top_code=top))
            continue
        inferred = _infer(pd.concat(values[:2], ignore_index=True))
        if inferred is not None:
            out.append(_prepare(str(name), inferred, values, None, strict=False))
    if not out:
        why = "not modelled under the schema" if schema is not None else "identifier-like"
        raise InputError(
            f"train, holdout and synthetic: all {len(shared)} shared column(s) are excluded "
            f"({why}); nothing to compare"
        )
    return out


# -- the gate ---------------------------------------------------------------------------


def _validate(frames: dict[str, pd.DataFrame]) -> None:
    for name, df in frames.items():
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"{name}: expected a table (pandas DataFrame)")
        if df.shape[1] == 0:
            raise InputError(f"{name}: table has no columns")
        if len(df) == 0:
            raise InputError(f"{name}: table has no rows")
        dup = df.columns[df.columns.duplicated()]
        if len(dup):
            raise InputError(f"{name}: column name '{dup[0]}' appears more than once")


#: holdout rows whose distance to the training rows sets the flagging threshold (all of
#: them up to this many, else a seeded sample of this many)
BASELINE_ROWS = 10_000


def check_leakage(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema | None = None,
    *,
    thresholds: GateThresholds | None = None,
    block_rows: int = 4096,
    progress: Progress | None = None,
    attack: bool = True,
    seed: int = 0,
    runner: Runner | None = None,
    ref_rows: int | None = None,
) -> LeakageResult:
    """Compare synthetic rows with training rows, against the holdout baseline.

    ``train`` is what the generator was fitted on, ``holdout`` real rows it never saw
    (same table, random split), ``synthetic`` its output. ``thresholds`` override the
    schema's ``dataset.gate`` (defaults when neither is given). ``block_rows`` bounds
    the GEMM buffer to about ``block_rows² × 8`` bytes. ``progress(stage, done, total)``
    is called per task of each neighbour search.

    The neighbour searches run through ``runner`` (:func:`synth.cluster.connect`; None:
    in this process), partitioned over fixed blocks of ``ref_rows`` real rows (default
    ``16 × block_rows``) and merged exactly on the driver in block order
    (:mod:`privacy.leakage.partitioned`): the result is the same on every runner. The
    attacks (at most ``attack_rows`` targets) run in this process.

    ``flagged`` lists synthetic rows worth a look: exact copies of a training row, and
    rows closer to a training row than 99% of holdout rows are to theirs (below the
    1st percentile ``q01`` of holdout→train nearest distances; over a seeded sample of
    ``BASELINE_ROWS`` holdout rows when there are more, stated in ``sampling``) *and*
    farther from every holdout row by more than that same ``q01``. By construction about
    1% of an honest generator's rows can meet the second rule; the gate does not use
    ``flagged``, the optional :func:`privacy.leakage.filter.filter_flagged` removes them.

    ``attack`` runs the inference and linkability attacks of
    :mod:`privacy.leakage.attacks` (``seed`` picks their targets and breaks ties). Above
    ``exact_max_rows`` synthetic rows (``GateThresholds``), the distance metrics use a
    seeded uniform sample of that many synthetic rows — never of train or holdout —
    stated in ``sampling`` and ``warnings``; exact copies and the attacks still cover
    every synthetic row.

    Memory: the three frames, their normalised columns (8 B per cell), per task one
    query and one reference block encoded plus the GEMM buffer. For tables larger than
    memory use :func:`privacy.leakage.chunked.check_leakage_chunks`.

    Raises :class:`~synth.errors.InputError` for an empty frame, no shared column,
    every shared column excluded, or (with a schema) values that do not parse as the
    declared type; messages name the frame and column, never a value.
    """
    _validate({"train": train, "holdout": holdout, "synthetic": synthetic})
    if block_rows < 1:
        raise ValueError("block_rows must be positive")
    all_columns = prepare_columns(train, holdout, synthetic, schema)
    return check_prepared(
        all_columns,
        schema,
        thresholds=thresholds,
        block_rows=block_rows,
        progress=progress,
        attack=attack,
        seed=seed,
        runner=runner,
        ref_rows=ref_rows,
    )


def check_prepared(
    all_columns: list[Prepared],
    schema: Schema | None = None,
    *,
    thresholds: GateThresholds | None = None,
    block_rows: int = 4096,
    progress: Progress | None = None,
    attack: bool = True,
    seed: int = 0,
    runner: Runner | None = None,
    ref_rows: int | None = None,
) -> LeakageResult:
    """:func:`check_leakage` on columns already normalised by :func:`prepare_columns`."""
    if block_rows < 1:
        raise ValueError("block_rows must be positive")
    gate = thresholds or (schema.dataset.gate if schema is not None else GateThresholds())
    parts = all_columns[0].parts
    n_tr, n_ho, n_syn, k = (
        len(parts[TRAIN]),
        len(parts[HOLDOUT]),
        len(parts[SYNTHETIC]),
        len(all_columns),
    )
    warn: list[str] = []

    # distances: every synthetic row up to gate.exact_max_rows, else a uniform sample of
    # synthetic rows (never of train/holdout, which would hide copies)
    sampled = np.arange(n_syn)
    sampling: dict[str, Any] = {"synthetic_rows": n_syn, "rows_measured": n_syn, "exact": True}
    if n_syn > gate.exact_max_rows:
        sampled = np.sort(np.random.default_rng(seed).choice(n_syn, gate.exact_max_rows, False))
        sampling.update(
            rows_measured=len(sampled),
            exact=False,
            method="uniform random sample of synthetic rows (seeded); training and holdout "
            "rows are never sampled; exact copies are checked on every synthetic row",
        )
        warn.append(
            f"{n_syn} synthetic rows exceed exact_max_rows={gate.exact_max_rows}: the "
            f"distance metrics use a uniform random sample of {len(sampled)} synthetic rows; "
            "their intervals are over that sample"
        )
    columns = (
        [_take_synthetic(c, sampled) for c in all_columns]
        if not sampling["exact"]
        else (all_columns)
    )
    search = BlockSearch(columns, runner, block_rows=block_rows, ref_rows=ref_rows)

    def nn(
        query: int, ref: int, stage: str, two: bool = True, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        nb = search.nearest(query, ref, two=two, progress=progress, stage=stage, rows=rows)
        return np.sqrt(nb.sq1 / k), np.sqrt(nb.sq2 / k)

    d1_tr, d2_tr = nn(SYNTHETIC, TRAIN, "leakage: synthetic vs train")
    d1_ho, d2_ho = nn(SYNTHETIC, HOLDOUT, "leakage: synthetic vs holdout")
    # the flagging threshold is a quantile of holdout-to-train distances: a seeded sample
    # of holdout rows estimates it (a search of every holdout row of a 1M-row holdout in a
    # 10M-row training table is 10¹³ distances)
    base_rows = None
    if n_ho > BASELINE_ROWS:
        pick = np.random.default_rng([seed, 0xBA5E]).choice(n_ho, BASELINE_ROWS, replace=False)
        base_rows = np.sort(pick)
        sampling["flag_threshold"] = (
            f"1st percentile of the nearest-training-row distance of a seeded uniform sample "
            f"of {BASELINE_ROWS} of the {n_ho} holdout rows"
        )
    base, _ = nn(HOLDOUT, TRAIN, "leakage: holdout vs train", two=False, rows=base_rows)

    if progress is not None:
        progress("leakage: exact matches", 0, 1)
    codes = row_codes(all_columns)
    hashes = [row_hashes(c) for c in codes]
    cnt_tr = identical_counts(codes[SYNTHETIC], hashes[SYNTHETIC], codes[TRAIN], hashes[TRAIN])
    cnt_ho = identical_counts(codes[SYNTHETIC], hashes[SYNTHETIC], codes[HOLDOUT], hashes[HOLDOUT])
    in_tr, in_ho = cnt_tr > 0, cnt_ho > 0
    del codes, hashes
    if progress is not None:
        progress("leakage: exact matches", 1, 1)

    p0 = n_tr / (n_tr + n_ho)
    ties = tie_counter(search)
    metrics = [
        dcr_share(d1_tr**2, d1_ho**2, p0, gate, ties(d1_tr**2 * k, d1_ho**2 * k)),
        exact_match_share(in_tr, in_ho, p0, gate, (cnt_tr, cnt_ho)),
        *exact_copies(in_tr, in_ho, n_tr, n_ho, gate.confidence),
        nndr(d1_tr, d2_tr, d1_ho, d2_ho, gate.confidence),
        dcr_p5(d1_tr, d1_ho, n_tr, n_ho, gate.confidence),
    ]
    if schema is not None:
        metrics += quasi_identifier_view(columns, schema, nn_subset(search), p0, gate)
    attacks = None
    if attack:
        if progress is not None:
            progress("leakage: attacks", 0, 1)
        report = run_attacks(
            all_columns, schema, attack_rows=gate.attack_rows, seed=seed, block_rows=block_rows
        )
        metrics += attack_metrics(report, gate)
        attacks = report.to_dict(gate.confidence)
        if progress is not None:
            progress("leakage: attacks", 1, 1)
    q01 = float(np.quantile(base, 0.01))
    close = (d1_tr < q01) & (d1_tr + q01 < d1_ho)
    flagged = np.union1d(np.flatnonzero(in_tr), sampled[close])
    return LeakageResult(
        passed=not any(m.verdict == "block" for m in metrics),
        metrics=metrics,
        n_train=n_tr,
        n_holdout=n_ho,
        n_synthetic=n_syn,
        columns_used=[c.name for c in columns],
        dcr_train=d1_tr,
        dcr_holdout=d1_ho,
        flagged=flagged,
        attacks=attacks,
        sampling=sampling,
        warnings=tuple(warn),
    )


def _take_synthetic(col: Prepared, rows: np.ndarray) -> Prepared:
    p = col.parts
    return Prepared(col.name, col.numeric, (p[TRAIN], p[HOLDOUT], p[SYNTHETIC][rows]))


def tie_counter(
    search: BlockSearch,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Counts, for synthetic rows whose nearest train and holdout rows tie, how many training
    and holdout rows sit at that distance (``sq_*`` are un-normalised squared distances)."""

    def count(sq_tr: np.ndarray, sq_ho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        rows = np.flatnonzero(tied(sq_tr, sq_ho))
        if len(rows) == 0:
            return np.zeros(0), np.zeros(0)
        tr, ho = (
            search.count_within(rows, ref, sq[rows], rtol=TIE_RTOL, query=SYNTHETIC)
            for ref, sq in ((TRAIN, sq_tr), (HOLDOUT, sq_ho))
        )
        return tr, ho

    return count


def nn_subset(search: BlockSearch) -> Callable[[list[Any], int, int], np.ndarray]:
    """Nearest distance (no progress reports) over a subset of the prepared columns."""

    def nn(cols: list[Any], query: int, ref: int) -> np.ndarray:
        names = {c.name for c in cols}
        index = [i for i, c in enumerate(search.columns) if c.name in names]
        nb = search.nearest(query, ref, cols=index, two=False)
        return nb.sq1 / len(cols)

    return nn


def quasi_identifier_view(
    columns: list[Any],
    schema: Schema,
    nn: Callable[[list[Any], int, int], np.ndarray],
    p0: float,
    gate: GateThresholds,
) -> list[Metric]:
    """Second view, information only: the same tests on the quasi-identifiers alone.

    ``dcr_share_qi`` is the DCR share over quasi-identifier columns; ``qi_unique_reproduced``
    is the share of training rows whose quasi-identifier combination is unique in the
    training rows and appears in the synthetic rows, against the same share for holdout
    rows (unique in the holdout): a linkage attacker's best targets.
    """
    roles = {c.name: c.role for c in schema.columns}
    qi = [c for c in columns if roles.get(c.name) == Role.QUASI_IDENTIFIER]
    if not qi:
        return []
    share = dcr_share(nn(qi, SYNTHETIC, TRAIN), nn(qi, SYNTHETIC, HOLDOUT), p0, gate)
    out = [
        dataclasses.replace(
            share,
            name="dcr_share_qi",
            threshold=None,
            verdict="info",
            explanation=f"DCR share over the {len(qi)} quasi-identifier column(s) only "
            f"({', '.join(c.name for c in qi)}); information, not gating. " + share.explanation,
        )
    ]
    codes = row_codes(qi)
    hashes = [row_hashes(c) for c in codes]

    def reproduced(part: int) -> tuple[float, int]:
        h = pd.Series(hashes[part])
        unique = ~h.duplicated(keep=False).to_numpy()
        if not unique.any():
            return 0.0, 0
        hit = identical_to(
            codes[part][unique], hashes[part][unique], codes[SYNTHETIC], hashes[SYNTHETIC]
        )
        return float(hit.mean()), int(unique.sum())

    tr, n_tr_u = reproduced(TRAIN)
    ho, n_ho_u = reproduced(HOLDOUT)
    out.append(
        Metric(
            name="qi_unique_reproduced",
            value=tr,
            baseline=ho,
            interval=wilson(tr, n_tr_u, gate.confidence) if n_tr_u else None,
            threshold=None,
            verdict="info",
            explanation=f"{tr:.1%} of the {n_tr_u} training rows with a unique "
            f"quasi-identifier combination appear in the synthetic rows; baseline: "
            f"{ho:.1%} of the {n_ho_u} holdout rows unique in the holdout (never seen). A "
            "value well above the baseline means rare real combinations are being copied.",
        )
    )
    return out
