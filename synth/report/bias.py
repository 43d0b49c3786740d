"""Bias: do protected groups keep their size, and their outcome rate, in the synthetic data?"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from synth.report.binning import MISSING, NumericBins, numeric_bins
from synth.report.columns import Prepared
from synth.report.common import RATE_TOLERANCE, SHARE_TOLERANCE, SMALL_GROUP_ROWS
from synth.report.tstr import MAX_CLASSES, positive_class
from synth.schema.generalise import AGE_BANDS
from synth.schema.model import Schema

QUANTILE_BANDS = 5


def _bands(c: Prepared, entity: str | None) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Band codes (real, synthetic) and labels for a numeric protected attribute."""
    is_age = entity == "AGE" or re.search(r"(^|_)age(_|$)", c.name.lower()) is not None
    if is_age and c.kind == "numeric":
        edges = np.array([lo for lo, _, _ in AGE_BANDS[1:]], dtype=float)
        labels = [label for _, _, label in AGE_BANDS]
        how = "standard age bands"
        bins = NumericBins(np.zeros(0), edges)
    else:
        bins = numeric_bins(c.real.to_numpy(dtype=float), QUANTILE_BANDS)
        labels = bins.labels(c.kind)[:-1]
        how = (
            f"{QUANTILE_BANDS} quantile bands of the real data (a value holding a band's "
            "share of the rows is a band of its own), labelled by quantile rank: no DP "
            "measurement paid for their edges"
        )

    def codes(s: pd.Series) -> np.ndarray:
        return bins.codes(s.to_numpy(dtype=float))

    return codes(c.real), codes(c.synth), [*labels, MISSING], how


def _outcome(t: Prepared | None) -> tuple[str, pd.Series, pd.Series] | None:
    """(description, real outcome, synthetic outcome) as floats, NaN where unknown."""
    if t is None:
        return None
    if t.numeric and t.real.nunique() > MAX_CLASSES:
        return f"mean {t.name}", t.real.astype(float), t.synth.astype(float)
    real = t.real.map(lambda v: None if pd.isna(v) else f"{v:g}") if t.numeric else t.real
    syn = t.synth.map(lambda v: None if pd.isna(v) else f"{v:g}") if t.numeric else t.synth
    pos = positive_class(real)
    if pos is None:
        return None

    def rate(s: pd.Series) -> pd.Series:
        return (s == pos).astype(float).where(s.notna(), np.nan)

    label = "masked" if t.masked else (pos if t.numeric else t.name_of(pos))
    return f"share of {t.name} = {label}", rate(real), rate(syn)


def _group_rows(
    rc: np.ndarray,
    sc: np.ndarray,
    labels: list[str],
    outcome: tuple[str, pd.Series, pd.Series] | None,
    rows_used: int,
) -> list[dict[str, Any]]:
    n = len(labels)
    cr, cs = np.bincount(rc, minlength=n), np.bincount(sc, minlength=n)
    sr, ss = cr / max(1, cr.sum()), cs / max(1, cs.sum())
    rows = []
    for g in range(n):
        if cr[g] == 0 and cs[g] == 0:
            continue
        row: dict[str, Any] = {
            "group": labels[g],
            "share_real": sr[g],
            "share_synthetic": ss[g],
            "share_diff": ss[g] - sr[g],
            "expected_real_rows": sr[g] * rows_used,
        }
        flags = []
        if abs(ss[g] - sr[g]) > SHARE_TOLERANCE:
            flags.append("share")
        if outcome is not None:
            r = float(np.nanmean(outcome[1].to_numpy()[rc == g])) if cr[g] else np.nan
            s = float(np.nanmean(outcome[2].to_numpy()[sc == g])) if cs[g] else np.nan
            row.update(rate_real=r, rate_synthetic=s, rate_diff=s - r)
            is_rate = not outcome[0].startswith("mean ")
            if is_rate and np.isfinite(s - r) and abs(s - r) > RATE_TOLERANCE:
                flags.append("rate")
        row["small"] = bool(0 < sr[g] * rows_used < SMALL_GROUP_ROWS)
        row["only_synthetic"] = bool(cr[g] == 0)
        row["flags"] = flags
        rows.append(row)
    return rows


def bias(cols: list[Prepared], schema: Schema, rows_used: int) -> dict[str, Any]:
    by = {c.name: c for c in cols}
    target = schema.dataset.target
    t = by.get(target) if target else None
    attrs = []
    for name in schema.dataset.protected:
        c = by.get(name)
        if c is None:
            attrs.append({"column": name, "skipped": "not a released modelled column"})
            continue
        outcome = _outcome(t) if t is not None and name != target else None
        if c.numeric:
            rc, sc, labels, how = _bands(c, schema.column(name).entity)
        else:
            rc, sc, labels, how = c.real_codes, c.synth_codes, c.labels, "categories"
        groups = _group_rows(rc, sc, labels, outcome, rows_used)
        attrs.append(
            {
                "column": name,
                "grouping": how,
                "outcome": outcome[0] if outcome else None,
                "groups": groups,
                "flagged": sum(1 for g in groups if g["flags"]),
            }
        )
    note = None
    if not schema.dataset.protected:
        note = "the schema names no protected attributes (dataset.protected)"
    elif target is None:
        note = "no target column: outcome rates per group are not computed"
    elif t is None:
        note = f"target '{target}' is not released: outcome rates per group are not computed"
    return {
        "tolerances": {
            "share_points": SHARE_TOLERANCE,
            "rate_points": RATE_TOLERANCE,
            "small_group_rows": SMALL_GROUP_ROWS,
        },
        "target": target,
        "attributes": attrs,
        "flagged_groups": sum(a.get("flagged", 0) for a in attrs),
        "note": note,
    }
