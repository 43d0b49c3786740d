"""Fidelity: how closely the synthetic marginals and associations follow the real ones.

TVD (total variation distance, ½ Σ |p − q|) is 0 for identical distributions and 1 for
disjoint ones. 1-way TVD uses every category (numbers: 10 quantile bins of the real
training data, plus missing); 2- and 3-way TVDs use the coded bins (the 50 most frequent
categories per column, the rest pooled as "other").
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from synth.report.columns import Prepared
from synth.report.common import SEED
from synth.schema.model import Inequality, Schema

MAX_TRIPLES = 200
#: above this many cells a joint histogram is counted with np.unique instead of bincount
BINCOUNT_CELLS = 4_000_000


def tvd_counts(p: np.ndarray, q: np.ndarray) -> float:
    sp, sq = p.sum(), q.sum()
    if sp == 0 or sq == 0:
        return float("nan")
    return 0.5 * float(np.abs(p / sp - q / sq).sum())


def column_tvd(c: Prepared) -> float:
    """1-way TVD of one column (computed once per column: the fidelity rows and the
    marginals both read it)."""
    if "tvd" not in c.memo:
        c.memo["tvd"] = _column_tvd(c)
    return c.memo["tvd"]


def _column_tvd(c: Prepared) -> float:
    if c.numeric:
        n = c.n_codes
        return tvd_counts(
            np.bincount(c.real_codes, minlength=n), np.bincount(c.synth_codes, minlength=n)
        )
    p = c.real.fillna("\0missing").value_counts(normalize=True)
    q = c.synth.fillna("\0missing").value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return 0.5 * float((p - q).abs().sum())


def _joint(codes: list[np.ndarray], cards: list[int]) -> np.ndarray:
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c, k in zip(codes, cards, strict=True):
        key = key * k + c
    return key


def joint_tvd(cols: list[Prepared]) -> float:
    cards = [c.n_codes for c in cols]
    kr = _joint([c.real_codes for c in cols], cards)
    ks = _joint([c.synth_codes for c in cols], cards)
    cells = math.prod(cards)
    if cells <= BINCOUNT_CELLS:
        return tvd_counts(np.bincount(kr, minlength=cells), np.bincount(ks, minlength=cells))
    ur, cr = np.unique(kr, return_counts=True)
    us, cs = np.unique(ks, return_counts=True)
    p = pd.Series(cr / cr.sum(), index=ur)
    q = pd.Series(cs / cs.sum(), index=us)
    p, q = p.align(q, fill_value=0.0)
    return 0.5 * float((p - q).abs().sum())


def cramers_v(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> float:
    return _cramers_v(np.bincount(a * kb + b, minlength=ka * kb), ka, kb)


def _cramers_v(counts: np.ndarray, ka: int, kb: int) -> float:
    """Cramér's V of the joint counts of two coded columns (``a * kb + b``, as
    :func:`joint_tvd` counts them)."""
    table = counts.reshape(ka, kb).astype(float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, k = table.shape
    n = table.sum()
    if min(r, k) < 2 or n == 0:
        return float("nan")
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / n / (min(r, k) - 1))


def _triples(m: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    if m < 3:
        return []
    total = math.comb(m, 3)
    if total <= MAX_TRIPLES:
        return list(itertools.combinations(range(m), 3))
    picked: set[tuple[int, int, int]] = set()
    while len(picked) < MAX_TRIPLES:
        t = tuple(sorted(int(i) for i in rng.choice(m, 3, replace=False)))
        picked.add(t)  # type: ignore[arg-type]
    return sorted(picked)  # type: ignore[arg-type]


def _mean(xs: list[float]) -> float | None:
    vals = [x for x in xs if math.isfinite(x)]
    return float(np.mean(vals)) if vals else None


#: a value (a category, or a number holding ≥ 1/10 of the rows) whose share of rows moved
#: by more than this between real and synthetic is flagged
MOVED_SHARE = 0.02


def moved_values(c: Prepared) -> list[dict[str, Any]]:
    """Values whose share of rows moved by more than MOVED_SHARE: every category, and every
    point mass of a numeric column (``= 0`` in a zero-inflated one), largest move first."""
    points = len(c.bins.points) if c.bins is not None else 0
    values = points if c.numeric else len(c.categories)
    if values == 0 or not len(c.real_codes) or not len(c.synth_codes):
        return []
    real = np.bincount(c.real_codes, minlength=c.n_codes)[:values] / len(c.real_codes)
    syn = np.bincount(c.synth_codes, minlength=c.n_codes)[:values] / len(c.synth_codes)
    moved = [
        {"value": c.labels[i], "share_real": float(real[i]), "share_synthetic": float(syn[i])}
        for i in np.flatnonzero(np.abs(syn - real) > MOVED_SHARE)
    ]
    return sorted(moved, key=lambda m: -abs(m["share_synthetic"] - m["share_real"]))


def column_rows(cols: list[Prepared]) -> list[dict[str, Any]]:
    rows = []
    for c in cols:
        row: dict[str, Any] = {
            "column": c.name,
            "kind": c.kind,
            "tvd": column_tvd(c),
            "missing_real": float(c.real.isna().mean()) if len(c.real) else None,
            "missing_synthetic": float(c.synth.isna().mean()) if len(c.synth) else None,
        }
        if c.numeric:
            row["mean_real"] = None if c.kind == "datetime" else c.real.mean()
            row["mean_synthetic"] = None if c.kind == "datetime" else c.synth.mean()
            sr, ss = c.real.std(), c.synth.std()
            row["std_ratio"] = ss / sr if sr and sr > 0 else None
        else:
            counts = c.real_counts()  # the distinct non-missing real values
            row["categories_real"] = len(counts)
            row["categories_synthetic"] = int(c.synth.nunique())
            # names only when declared or DP-selected; the others as "category N"
            row["category_names_shown"] = c.names_shown
            seen = set(counts.index)
            present = c.synth.dropna()
            row["unseen_share_synthetic"] = (
                float((~present.isin(seen)).sum() / len(c.synth)) if len(c.synth) else None
            )
        if c.numeric:
            row["bin_edges"] = c.edges_from
        if c.numeric and c.bins is not None and len(c.bins.points):
            row["point_masses"] = [c.labels[i] for i in range(len(c.bins.points))]
        row["moved_values"] = moved_values(c)
        rows.append(row)
    return rows


def marginals(cols: list[Prepared]) -> dict[str, Any]:
    """Mean 1-, 2- and 3-way TVD, and Cramér's V real vs synthetic for every pair."""
    m = len(cols)
    one = [column_tvd(c) for c in cols]
    two: list[float] = []
    pairs: list[dict[str, Any]] = []
    v_real = np.full((m, m), np.nan)
    v_syn = np.full((m, m), np.nan)
    for i, j in itertools.combinations(range(m), 2):
        a, b = cols[i], cols[j]
        # one joint histogram per table gives both the 2-way TVD and Cramér's V (the
        # same counts joint_tvd and cramers_v each took)
        ka, kb = a.n_codes, b.n_codes
        if ka * kb <= BINCOUNT_CELLS:
            cr = np.bincount(a.real_codes * kb + b.real_codes, minlength=ka * kb)
            cs = np.bincount(a.synth_codes * kb + b.synth_codes, minlength=ka * kb)
            two.append(tvd_counts(cr, cs))
            vr, vs = _cramers_v(cr, ka, kb), _cramers_v(cs, ka, kb)
        else:
            two.append(joint_tvd([a, b]))
            vr = cramers_v(a.real_codes, b.real_codes, ka, kb)
            vs = cramers_v(a.synth_codes, b.synth_codes, ka, kb)
        v_real[i, j] = v_real[j, i] = vr
        v_syn[i, j] = v_syn[j, i] = vs
        pairs.append(
            {
                "columns": [a.name, b.name],
                "tvd": two[-1],
                "v_real": vr,
                "v_synthetic": vs,
                "v_difference": vr - vs,
            }
        )
    rng = np.random.default_rng(SEED)
    triples = _triples(m, rng)
    three = [joint_tvd([cols[i] for i in t]) for t in triples]
    pairs.sort(key=lambda p: -abs(p["v_difference"]) if math.isfinite(p["v_difference"]) else 0)
    return {
        "mean_tvd": {"1-way": _mean(one), "2-way": _mean(two), "3-way": _mean(three)},
        "counts": {"1-way": m, "2-way": len(two), "3-way": len(three)},
        "max_tvd": {"2-way": max(two, default=None), "3-way": max(three, default=None)},
        "three_way_sampled": math.comb(m, 3) > MAX_TRIPLES if m >= 3 else False,
        "association": {
            "method": "Cramér's V on the binned columns (real minus synthetic)",
            "columns": [c.name for c in cols],
            "real": v_real,
            "synthetic": v_syn,
            "difference": v_real - v_syn,
            "largest_differences": pairs[:10],
        },
    }


def constraint_rows(cols: list[Prepared], schema: Schema) -> list[dict[str, Any]]:
    """Share of rows breaking each inequality constraint, real vs synthetic."""
    by = {c.name: c for c in cols}
    out = []
    for con in schema.constraints:
        if not isinstance(con, Inequality) or con.low not in by or con.high not in by:
            continue
        lo, hi = by[con.low], by[con.high]
        rr = float((lo.real > hi.real).mean()) if len(lo.real) else None
        rs = float((lo.synth > hi.synth).mean()) if len(lo.synth) else None
        out.append(
            {
                "constraint": f"{con.low} ≤ {con.high}",
                "violations_real": rr,
                "violations_synthetic": rs,
            }
        )
    return out
