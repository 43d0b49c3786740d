"""Train-on-synthetic, test-on-real (TSTR) against train-on-real (TRTR).

One fixed classifier (scikit-learn's HistGradientBoostingClassifier, seeded, no early
stopping) is trained once on the synthetic rows and once on the real training rows;
both are scored by ROC AUC on the real holdout rows, which neither has seen.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from synth.report.columns import Prepared
from synth.report.common import SEED

MODEL = "HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, early_stopping=False)"
#: numeric targets with more distinct values than this are not treated as classes
MAX_CLASSES = 20
#: training rows used per model (a seeded subsample above this keeps the report fast)
MAX_FIT_ROWS = 50_000
POSITIVE = ("1", "yes", "y", "true", "t", "positive", "pos")


def positive_class(labels: pd.Series) -> str | None:
    """The class whose rate the report follows: a conventional 'positive', else the rarest."""
    counts = labels.dropna().value_counts()
    if len(counts) == 0:
        return None
    for c in counts.index:
        if str(c).strip().lower() in POSITIVE:
            return str(c)
    return str(counts.index[-1])


def _target_labels(t: Prepared, which: str) -> pd.Series | None:
    values = {"real": t.real, "synth": t.synth, "holdout": t.holdout}[which]
    if values is None:
        return None
    if t.numeric:
        return values.map(lambda v: None if pd.isna(v) else f"{v:g}")
    return values


def _features(cols: list[Prepared], which: str) -> np.ndarray:
    parts = []
    for c in cols:
        if c.numeric:
            parts.append(
                {"real": c.real, "synth": c.synth, "holdout": c.holdout}[which].to_numpy(
                    dtype=float
                )
            )
        else:
            codes = {"real": c.real_codes, "synth": c.synth_codes, "holdout": c.holdout_codes}[
                which
            ]
            parts.append(codes.astype(float))
    return np.column_stack(parts)


def _fit_score(
    x: np.ndarray, y: np.ndarray, xh: np.ndarray, yh: np.ndarray, cat_mask: list[bool]
) -> float | None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    if len(np.unique(y)) < 2:
        return None
    if len(y) > MAX_FIT_ROWS:
        pick = np.random.default_rng(SEED).choice(len(y), MAX_FIT_ROWS, replace=False)
        x, y = x[pick], y[pick]
    clf = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        early_stopping=False,
        random_state=SEED,
        categorical_features=cat_mask if any(cat_mask) else None,
    )
    # one thread: OpenMP spinning on a shared, busy machine costs far more than it gains
    with threadpool_limits(limits=1):
        clf.fit(x, y)
        proba = clf.predict_proba(xh)
    classes = list(clf.classes_)
    scores = []
    for k in np.unique(yh):
        truth = (yh == k).astype(int)
        if truth.min() == truth.max():
            continue
        score = proba[:, classes.index(k)] if k in classes else np.zeros(len(yh))
        scores.append(roc_auc_score(truth, score))
    return float(np.mean(scores)) if scores else None


def tstr(cols: list[Prepared], target: str | None, has_holdout: bool) -> dict[str, Any]:
    """TSTR and TRTR ROC AUC on the holdout, or the reason they were skipped."""
    out: dict[str, Any] = {"model": MODEL, "target": target, "metric": "ROC AUC on holdout"}
    by = {c.name: c for c in cols}
    if target is None:
        return {**out, "skipped": "the schema names no target column (dataset.target)"}
    if target not in by:
        return {**out, "skipped": f"target '{target}' is not among the released modelled columns"}
    if not has_holdout:
        return {
            **out,
            "skipped": "no holdout table was given, so there is no unseen real data to score on",
        }
    t = by[target]
    if t.holdout is None:
        return {**out, "skipped": f"the holdout table has no column '{target}'"}
    if t.numeric and t.real.nunique() > MAX_CLASSES:
        return {
            **out,
            "skipped": f"target '{target}' is a continuous number; the fixed "
            "classifier needs classes",
        }
    feats = [c for c in cols if c.name != target and c.holdout is not None]
    if not feats:
        return {**out, "skipped": "no feature columns besides the target"}
    start = time.perf_counter()
    y_real, y_syn, y_hold = (_target_labels(t, w) for w in ("real", "synth", "holdout"))
    assert y_real is not None and y_syn is not None and y_hold is not None
    cat_mask = [not c.numeric for c in feats]
    xr, xs, xh = (_features(feats, w) for w in ("real", "synth", "holdout"))
    keep_h = y_hold.notna().to_numpy()
    keep_r, keep_s = y_real.notna().to_numpy(), y_syn.notna().to_numpy()
    yh = y_hold[keep_h].astype(str).to_numpy()
    trtr = _fit_score(xr[keep_r], y_real[keep_r].astype(str).to_numpy(), xh[keep_h], yh, cat_mask)
    tstr_ = _fit_score(xs[keep_s], y_syn[keep_s].astype(str).to_numpy(), xh[keep_h], yh, cat_mask)
    classes = int(pd.Series(yh).nunique())
    return {
        **out,
        "features": [c.name for c in feats],
        "classes": classes,
        "averaging": "binary" if classes <= 2 else "one-vs-rest, macro",
        "trtr_auc": trtr,
        "tstr_auc": tstr_,
        "gap": None if trtr is None or tstr_ is None else trtr - tstr_,
        "seconds": time.perf_counter() - start,
        "skipped": None
        if trtr is not None or tstr_ is not None
        else "the holdout or training rows hold a single class",
    }
