"""The leakage gate: measure the prepared columns, decide.

The columns compared and their normalised form are chosen by
:mod:`privacy.leakage.columns`; the information-only view over the quasi-identifiers is
:mod:`privacy.leakage.quasi_identifiers`.

The decision and its measured error rates
-----------------------------------------
Five metrics gate (defaults in :class:`~synth.schema.model.GateThresholds`); the gate
blocks when any one blocks:

* ``near_copy_share``: lower bound of the estimated share of synthetic rows that copy a
  training row closely, from the rows nearest to real rows (numbers snapped to nearby real
  values; and by the information of unmatched rare cells,
  :mod:`privacy.leakage.near_copy_view`), against the random train/holdout split
  (:mod:`privacy.leakage.near_copies`), above 3 % (``near_copy_min``) where honest output
  stands out a little, above a third of it in the strict tests, and never below the
  exact-match metric's allowance for the rows identical to a one-person record
  (``exact_match_margin / (1 − p0)`` per such row);
* ``exact_match_share``: lower 95% Wilson bound of the share of synthetic rows identical to
  a real row that copy a training row, above ``p0 + 0.05``;
* ``inference_risk``: lower bound of the worst secret's Anonymeter risk above 0.10;
* ``linkability_risk``: lower bound of the linkability risk above 0.02;
* ``singling_out_risk``: lower bound of the singling-out risk above 0.10
  (:mod:`privacy.leakage.singling_out`).

``dcr_share`` (the share over all rows) is shown for information: ``near_copy_share``
tests it, and the nearer subsets, without a fixed margin.

Persons. When the schema declares ``dataset.privacy_unit``, the null hypothesis is that the
synthetic data does not depend on which *persons* were in training
(:mod:`privacy.leakage.units`): the near-copy test relabels persons, ``p0`` is the persons'
training share, the attacks take one row per attacked person, singling-out counts
persons, and ``exact_match_share``'s interval is over the persons copied. The result's
``unit`` says which (``{"column": ..., "kind": "person"}``; ``"row"`` without a unit).

Measured error rates: BENCHMARKS.md, "Gate power (issue 18)".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage.attacks import attack_metrics, run_attacks
from privacy.leakage.columns import prepare_columns
from privacy.leakage.distance import (
    HOLDOUT,
    SYNTHETIC,
    TRAIN,
    Neighbours,
    Prepared,
    identical_counts,
    row_codes,
    row_hashes,
)
from privacy.leakage.metrics import (
    TIE_RTOL,
    LeakageResult,
    dcr_p5,
    dcr_share,
    exact_copies,
    exact_match_share,
    nndr,
    tied,
)
from privacy.leakage.near_copies import K, near_copy_share, tie_offsets
from privacy.leakage.near_copy_view import rare_match_lists, snap
from privacy.leakage.partitioned import BlockSearch
from privacy.leakage.quasi_identifiers import quasi_identifier_view
from privacy.leakage.units import Units, effective_persons, unit_summary, units_of
from synth.cluster import Runner
from synth.errors import InputError
from synth.schema.model import GateThresholds, Schema

Progress = Callable[[str, int, int], None]


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
    seed: int | None = None,
    runner: Runner | None = None,
    ref_rows: int | None = None,
    rename: dict[str, str] | None = None,
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

    ``attack`` runs the inference, linkability and singling-out attacks of
    :mod:`privacy.leakage.attacks`. Their targets, the near-copy test's tie-breakers and
    relabellings and every sample below are drawn from fresh OS entropy, never stored or
    printed (the draws touch real rows: a known seed would tell an attacker which rows were
    attacked); ``seed`` fixes them for tests only, and ``sampling["randomness"]`` then says
    so. Above ``exact_max_rows`` synthetic rows (``GateThresholds``), the distance metrics
    use a uniform random sample of that many synthetic rows — never of train or holdout —
    stated in ``sampling`` and ``warnings``; exact copies and the attacks still cover
    every synthetic row.

    Memory: the three frames, their normalised columns (8 B per cell), per task one
    query and one reference block encoded plus the GEMM buffer. For tables larger than
    memory use :func:`privacy.leakage.chunked.check_leakage_chunks`.

    The columns compared follow :func:`~privacy.leakage.columns.column_contract`: the
    schema's modelled columns (or, without a schema, the training table's), under their
    names in all three frames; ``rename`` maps synthetic column names to real ones
    (``{new: old}``) when a pipeline renamed them on purpose.

    Raises :class:`~synth.errors.InputError` for an empty frame, a column missing from a
    frame or unknown to the contract (a rename shows as both), every column excluded, or
    (with a schema) values that do not parse as the declared type; messages name the
    frame and column, never a value.

    With a schema that declares ``dataset.privacy_unit`` the gate works per person (module
    doc): train and holdout must hold that column (:class:`~synth.errors.InputError`
    otherwise), the synthetic table need not; the column is never compared.
    """
    _validate({"train": train, "holdout": holdout, "synthetic": synthetic})
    if block_rows < 1:
        raise ValueError("block_rows must be positive")
    units = units_of(train, holdout, schema)
    all_columns = prepare_columns(train, holdout, synthetic, schema, rename)
    return check_prepared(
        all_columns,
        schema,
        units=units,
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
    seed: int | None = None,
    runner: Runner | None = None,
    ref_rows: int | None = None,
    units: Units | None = None,
) -> LeakageResult:
    """:func:`check_leakage` on columns already normalised by :func:`prepare_columns`;
    ``units``: the persons of the training and holdout rows
    (:func:`~privacy.leakage.units.units_of`), required when the schema declares a
    privacy unit."""
    if block_rows < 1:
        raise ValueError("block_rows must be positive")
    if units is None and schema is not None and schema.dataset.privacy_unit:
        raise ValueError("the schema declares a privacy unit: pass the persons (units=)")
    gate = thresholds or (schema.dataset.gate if schema is not None else GateThresholds())
    parts = all_columns[0].parts
    n_tr, n_ho, n_syn, k = (
        len(parts[TRAIN]),
        len(parts[HOLDOUT]),
        len(parts[SYNTHETIC]),
        len(all_columns),
    )
    warn: list[str] = []
    if units is not None and (len(units.train), len(units.holdout)) != (n_tr, n_ho):
        raise ValueError("units: one person code per training and holdout row")
    if units is not None and units.overlap:
        warn.append(
            f"some persons ('{units.column}') have rows in both the training and the holdout "
            "table: the split was not made per person; each side's rows of such a person are "
            "relabelled as one group"
        )

    # distances: every synthetic row up to gate.exact_max_rows, else a uniform sample of
    # synthetic rows (never of train/holdout, which would hide copies)
    sampled = np.arange(n_syn)
    sampling: dict[str, Any] = {
        "synthetic_rows": n_syn,
        "rows_measured": n_syn,
        "exact": True,
        "randomness": "fresh OS entropy, never stored"
        if seed is None
        else "seeded (test only): the attacked rows can be replayed",
    }
    if n_syn > gate.exact_max_rows:
        sampled = np.sort(gate_rng(seed, 1).choice(n_syn, gate.exact_max_rows, False))
        sampling.update(
            rows_measured=len(sampled),
            exact=False,
            method="uniform random sample of synthetic rows; training and holdout "
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
    # distances compare a synthetic number within SNAP_RTOL of a real value as that value
    # (privacy.leakage.near_copy_view): a copy jittered next to a point mass sits next to
    # its source again; exact matches and the attacks read the columns unsnapped
    columns = snap(columns)
    search = BlockSearch(columns, runner, block_rows=block_rows, ref_rows=ref_rows)

    offsets = tie_offsets(n_tr, n_ho, gate_rng(seed, 4))
    knn_tr = search.nearest_k(
        SYNTHETIC,
        TRAIN,
        K,
        progress=progress,
        stage="leakage: synthetic vs train",
        offset=offsets[:n_tr],
    )
    knn_ho = search.nearest_k(
        SYNTHETIC,
        HOLDOUT,
        K,
        progress=progress,
        stage="leakage: synthetic vs holdout",
        offset=offsets[n_tr:],
    )
    to_tr, to_ho = _top_two(*knn_tr), _top_two(*knn_ho)
    d1_tr, d2_tr, d1_ho, d2_ho = (
        np.sqrt(x / k) for x in (to_tr.sq1, to_tr.sq2, to_ho.sq1, to_ho.sq2)
    )
    # the flagging threshold is a quantile of holdout-to-train distances: a random sample
    # of holdout rows estimates it (a search of every holdout row of a 1M-row holdout in a
    # 10M-row training table is 10¹³ distances)
    base_rows = None
    if n_ho > BASELINE_ROWS:
        pick = gate_rng(seed, 0xBA5E).choice(n_ho, BASELINE_ROWS, replace=False)
        base_rows = np.sort(pick)
        sampling["flag_threshold"] = (
            f"1st percentile of the nearest-training-row distance of a uniform random sample "
            f"of {BASELINE_ROWS} holdout rows"
        )
    to_base = search.nearest(
        HOLDOUT,
        TRAIN,
        two=False,
        progress=progress,
        stage="leakage: holdout vs train",
        rows=base_rows,
    )
    base = np.sqrt(to_base.sq1 / k)

    if progress is not None:
        progress("leakage: exact matches", 0, 1)
    codes = row_codes(all_columns)
    hashes = [row_hashes(c) for c in codes]
    cnt_tr = identical_counts(codes[SYNTHETIC], hashes[SYNTHETIC], codes[TRAIN], hashes[TRAIN])
    cnt_ho = identical_counts(codes[SYNTHETIC], hashes[SYNTHETIC], codes[HOLDOUT], hashes[HOLDOUT])
    in_tr, in_ho = cnt_tr > 0, cnt_ho > 0
    copied_persons = None
    if units is not None:
        syn_hash, real_hash = hashes[SYNTHETIC], np.concatenate(hashes[:SYNTHETIC])
        person = units.pooled()

        def copied_persons(matched: np.ndarray) -> float:
            return effective_persons(matched, syn_hash, real_hash, person)

    del codes, hashes
    if progress is not None:
        progress("leakage: exact matches", 1, 1)

    # the fair share: every row is a training row with the training share of the rows, or
    # with a privacy unit of the persons (a random split of persons labels rows with it)
    p0 = n_tr / (n_tr + n_ho) if units is None else units.share
    ties = tie_counter(search)
    tie_counts = ties(to_tr.sq1, to_ho.sq1)
    rare = rare_match_lists(columns, offsets)
    near, near_evidence = near_copy_share(
        knn_tr, knn_ho, n_tr, n_ho, gate, gate_rng(seed, 3), offsets, units, rare
    )
    metrics = [
        near,
        dcr_share(to_tr.sq1, to_ho.sq1, p0, gate, tie_counts, persons=units is not None),
        exact_match_share(in_tr, in_ho, p0, gate, (cnt_tr, cnt_ho), copied_persons),
        *exact_copies(in_tr, in_ho, n_tr, n_ho, gate.confidence),
        nndr(d1_tr, d2_tr, d1_ho, d2_ho, gate.confidence),
        dcr_p5(d1_tr, d1_ho, n_tr, n_ho, gate.confidence),
    ]
    if schema is not None:
        metrics += quasi_identifier_view(columns, schema, nn_subset(search), p0, gate, units)
    attacks = None
    if attack:
        if progress is not None:
            progress("leakage: attacks", 0, 1)
        report = run_attacks(
            all_columns,
            schema,
            attack_rows=gate.attack_rows,
            rng=gate_rng(seed, 2),
            block_rows=block_rows,
            units=units,
        )
        metrics += attack_metrics(report, gate)
        attacks = report.to_dict(gate.confidence, gate.attack_rows)
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
        near_copies=near_evidence,
        sampling=sampling,
        warnings=tuple(warn),
        unit=unit_summary(units),
        train_share=None if units is None else units.share,
    )


def _top_two(sq: np.ndarray, idx: np.ndarray) -> Neighbours:
    """The nearest two of a sorted k-nearest list (k ≥ 2; the second +inf, at the first's
    index, when the part has one row)."""
    second = np.where(idx[:, 1] >= 0, idx[:, 1], idx[:, 0])
    return Neighbours(sq[:, 0], idx[:, 0], sq[:, 1], second)


def gate_rng(seed: int | None, stream: int) -> np.random.Generator:
    """The gate's random draws: fresh OS entropy, or (tests) ``seed`` and a stream number."""
    return np.random.default_rng(None if seed is None else [seed, stream])


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
    distinct: dict[tuple[int, ...], tuple[BlockSearch, list[np.ndarray]]] = {}

    def nn(cols: list[Any], query: int, ref: int) -> np.ndarray:
        names = {c.name for c in cols}
        index = tuple(i for i, c in enumerate(search.columns) if c.name in names)
        if index not in distinct:  # the same distances, each distinct row once; built once
            distinct[index] = search.distinct(index)
        sub, inverse = distinct[index]
        nb = sub.nearest(query, ref, two=False)
        return nb.sq1[inverse[query]] / len(cols)

    return nn
