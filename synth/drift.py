"""Drift: does a new real extract still look like what the model learned?

The reference is the fitted DP model only — its 1-way marginals and the column pairs it
models (the pairs inside its tables; MST/AIM: exact from the junction tree; DP-SGD: a
large sample of the network) — so the old data is not looked at again and no budget is
spent on it. Both sides are compared at the model's own resolution (its compressed
tokens: categories, or the groups of numeric bins it learnt), by total variation
distance (TVD).

**Threshold.** Under "no drift" the new extract (n rows) and the old one (≈ N rows, the
model's DP estimate) are two samples of one population q, and the model adds its DP
noise (σ per measured count) to the old one. Per cell j the gap between the new shares
and the model has variance ``s_j² = q_j (1 − q_j) (1/n + 1/N + 1/M) + (σ/N)²`` (M: the
reference sample's rows, ∞ when exact), so TVD = ½ Σ |gap_j| has mean
``½ √(2/π) Σ s_j`` and variance ``¼ (1 − 2/π) Σ s_j²`` (independent half-normals); a
column or pair is flagged when its TVD exceeds mean + :data:`Z` standard deviations
(one-sided, ≈ 1e-4 per test, a Bonferroni level for the ≤ 100 tests a table makes) **and**
the practical floor ``min_tvd`` (default :data:`MIN_TVD`): the model's own estimation
error (a tree or junction tree does not hold every interaction exactly) is not drift.
A refit is recommended when any column or pair is flagged.

**What is printed.** Column names, TVD figures and thresholds, and the verdict. No value,
no share and no count of the new extract (its row count enters the threshold only). The
TVDs are exact statistics of the new extract, not DP: the output is for the steward, not
for release.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synth.conditional import _Exact
from synth.engines.marginal import MSTEngine
from synth.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from synth.synthesizer import Synthesizer

#: one-sided z of the noise threshold (≈ 1e-4 per test)
Z = 3.7
#: below this TVD a difference is not called drift, however significant
MIN_TVD = 0.05
#: reference rows drawn from a model with no exact marginals (DP-SGD)
REFERENCE_ROWS = 100_000
#: DP-SGD: pairs compared when the table has at most this many columns (all pairs)
MAX_PAIR_COLUMNS = 16


@dataclass
class Reference:
    """The model's distributions at its own resolution: per column a map from original to
    compared tokens, the 1-way shares, the modelled pairs' joint shares, the DP noise
    (σ per count) and the sampling noise of the reference (rows, or None when exact)."""

    mappings: list[np.ndarray]
    one_way: list[np.ndarray]
    pairs: dict[tuple[int, int], np.ndarray]
    sigma_one: float
    sigma_pair: float
    reference_rows: int | None
    how: str
    notes: list[str] = field(default_factory=list)


def _ledger_sigmas(synth: Synthesizer) -> tuple[float, float]:
    """σ per count of the 1-way measurements and the largest σ of any Gaussian
    measurement, from the model's ledger (σ = k·√(m / 2ρ) for m marginals of a charge)."""
    sigmas = []
    for c in synth.ledger.charges:
        if c.kind != "gaussian" or c.rho <= 0:
            continue
        m = float(c.details.get("marginals", 1))
        k = float(c.details.get("rows_per_person", 1))
        sigmas.append(k * math.sqrt(m / (2.0 * c.rho)))
    top = max(sigmas, default=0.0)
    one = synth.engine.training_report.get("sigma_1way") if synth.engine else None  # type: ignore[attr-defined]
    return float(one if one is not None else top), top


def _is_product(table: np.ndarray) -> bool:
    """Whether a 2-D factor table is the product of its margins (an independence the
    model assumes, not a pair it measured)."""
    t = table / max(float(table.sum()), 1e-300)
    return bool(np.allclose(t, np.outer(t.sum(1), t.sum(0)), atol=1e-9))


def reference(synth: Synthesizer, rng: np.random.Generator) -> Reference:
    engine = synth._require_fitted()
    sigma_one, sigma_pair = _ledger_sigmas(synth)
    d = len(synth.codecs)
    if isinstance(engine, MSTEngine) and not synth.models_size:
        exact = _Exact(engine, [np.ones(c.cardinality, dtype=bool) for c in synth.codecs])
        model = exact._model({})
        one = [model.marginal((i,)) for i in range(d)]
        one = [m / max(float(m.sum()), 1e-300) for m in one]
        pairs: dict[tuple[int, int], np.ndarray] = {}
        for cols, table in zip(engine.factor_cols, engine.factor_tables, strict=True):
            *parents, child = cols
            if len(cols) == 2 and _is_product(table):
                continue
            for p in parents:
                a, b = sorted((int(p), int(child)))
                if (a, b) not in pairs:
                    m = model.project((a, b))
                    pairs[(a, b)] = m / max(float(m.sum()), 1e-300)
        return Reference(
            [np.asarray(m, dtype=np.int64) for m in engine.mappings],
            one,
            pairs,
            sigma_one,
            sigma_pair,
            None,
            "exact marginals of the model's junction tree, at its compressed resolution",
        )
    # a model of the person's size group draws rows weighted back to all rows' groups
    toks = (
        synth._draw_tokens(REFERENCE_ROWS, rng)
        if synth.models_size
        else engine.sample(REFERENCE_ROWS, rng)
    )
    mappings = [np.arange(c.cardinality, dtype=np.int64) for c in synth.codecs]
    one = [
        np.bincount(toks[:, i], minlength=c.cardinality) / len(toks)
        for i, c in enumerate(synth.codecs)
    ]
    pairs = {}
    notes = []
    if d <= MAX_PAIR_COLUMNS:
        for a, b in itertools.combinations(range(d), 2):
            pairs[(a, b)] = _joint(toks[:, a], toks[:, b], len(one[a]), len(one[b]))
    else:
        notes.append(f"more than {MAX_PAIR_COLUMNS} columns: pairs not compared (DP-SGD model)")
    return Reference(
        mappings,
        one,
        pairs,
        0.0,
        0.0,
        REFERENCE_ROWS,
        f"a sample of {REFERENCE_ROWS:,} model rows (DP-SGD has no exact marginals); the "
        "network's DP noise is not in the threshold, the floor covers it",
        notes,
    )


def _joint(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    return np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb) / max(len(a), 1)


def threshold(q: np.ndarray, n: int, big_n: float, sigma: float, m: int | None) -> float:
    """TVD that ``n`` new rows exceed with probability ≈ 1e-4 when nothing drifted."""
    q = np.clip(np.asarray(q, dtype=float).ravel(), 0.0, 1.0)
    inv = 1.0 / n + 1.0 / max(big_n, 1.0) + (0.0 if m is None else 1.0 / m)
    s2 = q * (1.0 - q) * inv + (sigma / max(big_n, 1.0)) ** 2
    s = np.sqrt(s2)
    mean = 0.5 * math.sqrt(2.0 / math.pi) * float(s.sum())
    sd = 0.5 * math.sqrt((1.0 - 2.0 / math.pi) * float(s2.sum()))
    return mean + Z * sd


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.ravel(p) - np.ravel(q)).sum())


def check_drift(
    synth: Synthesizer,
    new: pd.DataFrame,
    *,
    source: str = "new data",
    min_tvd: float = MIN_TVD,
    seed: int | None = None,
) -> dict[str, Any]:
    """Per column and per modelled pair, the TVD between ``new`` and the model, its
    threshold and whether it drifted; the verdict. Names and figures only (see module)."""
    from synth.prepare import model_view
    from synth.statistics import encode_view

    synth._require_fitted()
    if not 0.0 <= min_tvd <= 1.0:
        raise InputError(f"--min-tvd must be in 0..1, got {min_tvd}")
    names = [c.name for c in synth.codecs]
    missing = [c for c in names if c not in new.columns]
    if missing:
        raise InputError(
            f"{source}: lacks the modelled column(s) {', '.join(missing)}: the extract must "
            "hold the columns the model learnt"
        )
    n = len(new)
    if n == 0:
        raise InputError(f"{source}: table has no rows")
    sub = synth.schema.model_copy(
        update={"columns": [c for c in synth.schema.columns if c.name in names]}
    )
    _, view = model_view(new[names].reset_index(drop=True), sub, source)
    tokens = encode_view(view, synth.codecs)
    rng = np.random.default_rng(seed)
    ref = reference(synth, rng)
    comp = np.column_stack([ref.mappings[i][tokens[:, i]] for i in range(len(names))])
    big_n = float(synth.rows_estimate or n)
    columns = []
    for i, name in enumerate(names):
        k = len(ref.one_way[i])
        got = np.bincount(comp[:, i], minlength=k) / n
        t = threshold(ref.one_way[i], n, big_n, ref.sigma_one, ref.reference_rows)
        v = tvd(got, ref.one_way[i])
        columns.append(_row({"column": name}, v, t, min_tvd))
    pairs = []
    for (a, b), joint in ref.pairs.items():
        got = _joint(comp[:, a], comp[:, b], *joint.shape)
        t = threshold(joint, n, big_n, ref.sigma_pair, ref.reference_rows)
        pairs.append(_row({"columns": [names[a], names[b]]}, tvd(got, joint), t, min_tvd))
    columns.sort(key=lambda r: -r["excess"])
    pairs.sort(key=lambda r: -r["excess"])
    drifted_cols = [r["column"] for r in columns if r["drifted"]]
    drifted_pairs = [r["columns"] for r in pairs if r["drifted"]]
    refit = bool(drifted_cols or drifted_pairs)
    return {
        "verdict": "drift: refit recommended" if refit else "no drift",
        "refit_recommended": refit,
        "drifted_columns": drifted_cols,
        "drifted_pairs": drifted_pairs,
        "columns": columns,
        "pairs": pairs,
        "reference": ref.how,
        "notes": ref.notes,
        "test": (
            f"TVD above max(noise threshold, {min_tvd:g}); the noise threshold is mean + "
            f"{Z:g} sd of the TVD two samples of one population give (the new extract's "
            "size, the model's DP row estimate and its DP noise per count)"
        ),
        "min_tvd": min_tvd,
        "released": (
            "column names, TVD figures and thresholds only: no value, share or count of the "
            "new extract. The TVDs are exact (not DP) statistics of the new extract: keep "
            "this output internal"
        ),
        "privacy": "reads the DP model only: the old data is not looked at, no ε is spent",
    }


def _row(head: dict[str, Any], v: float, t: float, min_tvd: float) -> dict[str, Any]:
    limit = max(t, min_tvd)
    return {
        **head,
        "tvd": round(v, 4),
        "noise_threshold": round(t, 4),
        "limit": round(limit, 4),
        "excess": round(v - limit, 4),
        "drifted": bool(v > limit),
    }
