"""Diversity: duplicates, rare categories, tails, and regression to the mean."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synth.report.columns import Prepared
from synth.report.common import (
    RARE_COVERAGE_WARN,
    RARE_SHARE,
    STD_RATIO_HIGH,
    STD_RATIO_WARN,
    fmt,
    pct,
)


def row_hashes(
    cols: list[Prepared], which: str, memo: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """One 64-bit hash per row over the typed values of ``cols`` (real/synth/holdout);
    ``memo`` keeps them for the next caller over the same ``cols`` (the report's exact
    copies and its diversity section hash the same rows)."""
    if memo is not None and which in memo:
        return memo[which]
    frame = pd.DataFrame({c.name: getattr(c, which).reset_index(drop=True) for c in cols})
    out = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    if memo is not None:
        memo[which] = out
    return out


def duplicate_share(hashes: np.ndarray) -> float | None:
    if len(hashes) == 0:
        return None
    return 1.0 - len(np.unique(hashes)) / len(hashes)


def _rare(cols: list[Prepared]) -> tuple[list[dict[str, Any]], int, int]:
    rows, total, covered = [], 0, 0
    for c in cols:
        if c.numeric:
            continue
        shares = c.real_shares()
        rare = shares[shares < RARE_SHARE].index
        if len(rare) == 0:
            continue
        seen = int(pd.Index(rare).isin(pd.unique(c.synth.dropna())).sum())
        rows.append(
            {
                "column": c.name,
                "rare_categories": len(rare),
                "in_synthetic": seen,
                "coverage": seen / len(rare),
            }
        )
        total += len(rare)
        covered += seen
    return rows, total, covered


def _spread(cols: list[Prepared]) -> list[dict[str, Any]]:
    rows = []
    for c in cols:
        if not c.numeric:
            continue
        x = c.real.to_numpy(dtype=float)
        y = c.synth.to_numpy(dtype=float)
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if len(x) < 2 or len(y) < 2:
            continue
        lo, hi = np.quantile(x, [0.05, 0.95])
        sx, sy = float(np.std(x)), float(np.std(y))
        rows.append(
            {
                "column": c.name,
                "tail_share_real": float(np.mean((x < lo) | (x > hi))),
                "tail_share_synthetic": float(np.mean((y < lo) | (y > hi))),
                "std_ratio": sy / sx if sx > 0 else None,
            }
        )
    return rows


def diversity(cols: list[Prepared], hashes: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """``hashes``: :func:`row_hashes` already computed over ``cols``, by part."""
    dup_syn = duplicate_share(row_hashes(cols, "synth", hashes)) if cols else None
    dup_real = duplicate_share(row_hashes(cols, "real", hashes)) if cols else None
    rare_rows, rare_total, rare_covered = _rare(cols)
    spread = _spread(cols)
    coverage = rare_covered / rare_total if rare_total else None
    narrow = [r for r in spread if r["std_ratio"] is not None and r["std_ratio"] < STD_RATIO_WARN]
    thin_tails = [r for r in spread if r["tail_share_synthetic"] < 0.5 * r["tail_share_real"]]
    warnings = []
    if narrow:
        names = ", ".join(f"{r['column']} ({pct(r['std_ratio'], 0)})" for r in narrow)
        warnings.append(
            f"Regression to the mean: the synthetic spread (std) is below "
            f"{pct(STD_RATIO_WARN, 0)} of the real spread for {names}."
        )
    wide = [r for r in spread if r["std_ratio"] is not None and r["std_ratio"] > STD_RATIO_HIGH]
    if wide:
        names = ", ".join(f"{r['column']} ({pct(r['std_ratio'], 0)})" for r in wide)
        warnings.append(
            f"Inflated spread: the synthetic std exceeds {pct(STD_RATIO_HIGH, 0)} of the real "
            f"std for {names}; extreme synthetic values there are noise, not real outliers."
        )
    if coverage is not None and coverage < RARE_COVERAGE_WARN:
        warnings.append(
            f"Rare categories are lost: only {rare_covered} of {rare_total} categories with "
            f"under {pct(RARE_SHARE, 0)} real share appear in the synthetic data "
            f"({pct(coverage, 0)})."
        )
    if thin_tails:
        names = ", ".join(r["column"] for r in thin_tails)
        warnings.append(f"Thin tails: fewer than half the expected extreme values for {names}.")
    if dup_syn is not None and dup_real is not None and dup_syn > max(2 * dup_real, 0.01):
        warnings.append(
            f"Synthetic rows repeat more often than real rows ({pct(dup_syn)} vs "
            f"{pct(dup_real)}): the generator is collapsing onto common patterns."
        )
    return {
        "columns_compared": [c.name for c in cols],
        "duplicates": {"synthetic": dup_syn, "real": dup_real},
        "rare_categories": {
            "threshold_share": RARE_SHARE,
            "total": rare_total,
            "covered": rare_covered,
            "coverage": coverage,
            "by_column": rare_rows,
        },
        "tails": {
            "quantiles": [0.05, 0.95],
            "note": "expected share is the real share beyond the real 5th/95th percentiles "
            f"(about 10%, less when values tie); the std ratio warns below "
            f"{fmt(STD_RATIO_WARN)} (regression to the mean) and above {fmt(STD_RATIO_HIGH)}",
            "by_column": spread,
        },
        "warnings": warnings,
        "regression_to_mean": bool(narrow)
        or (coverage is not None and coverage < RARE_COVERAGE_WARN),
    }
