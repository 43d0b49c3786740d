"""Leakage metrics, each against the holdout baseline, and the result object.

The holdout rows come from the same real table as the training rows but were never
seen by the generator. So for an honest generator a synthetic row is as likely to
sit next to any real row as to any other: the share whose nearest real row is a
training row is ``p0 = n_train / (n_train + n_holdout)``. A generator that memorises
pushes that share above ``p0``; the gate blocks when the lower Wilson bound of the
share exceeds ``p0`` by more than the schema's margin. With a privacy unit (persons of
several rows, all on one side of the split) ``p0`` is the persons' training share instead:
under a random split of the persons every row is a training row with that probability
(:mod:`privacy.leakage.units`).

Ties: a synthetic row whose nearest training and nearest holdout rows are equally near,
with ``k`` training and ``m`` holdout rows at that distance, scores ``k / (k + m)`` (its
expectation under the null is ``p0``); a flat ½ would pull the share towards ½ and, with
``p0 > ½``, hide copies of common combinations. Exact matches are scored the same way,
with k and m the numbers of identical training and holdout rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from synth.schema.model import GateThresholds

Verdict = Literal["pass", "block", "info"]

#: two squared distances this close (relative) count as a tie
TIE_RTOL = 1e-12
DCR_QUANTILES = (0.01, 0.05, 0.25, 0.5)
#: what ``p0`` is with a privacy unit, in the explanations
PERSONS_P0 = "persons (every row carries its person's label)"


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    baseline: float | None
    interval: tuple[float, float] | None
    threshold: float | None
    verdict: Verdict
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _num(self.value),
            "baseline": _num(self.baseline),
            "interval": None if self.interval is None else [_num(v) for v in self.interval],
            "threshold": _num(self.threshold),
            "verdict": self.verdict,
            "explanation": self.explanation,
        }


def _num(x: float | None) -> float | None:
    """JSON-safe float to 4 significant digits (a share of real rows in full precision
    would give its denominator, a real count, back); NaN and infinities become None."""
    if x is None or not math.isfinite(float(x)):
        return None
    return float(f"{float(x):.4g}")


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson(p: float, n: int, confidence: float) -> tuple[float, float]:
    """Two-sided Wilson score interval for a proportion ``p`` observed on ``n`` trials."""
    if n <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(max(p * (1.0 - p), 0.0) / n + z2n / (4.0 * n))
    lo = 0.0 if p <= 0.0 else max(0.0, centre - half)
    hi = 1.0 if p >= 1.0 else min(1.0, centre + half)
    return lo, hi


def quantile_interval(x: np.ndarray, q: float, confidence: float) -> tuple[float, float] | None:
    """Distribution-free (order-statistic) interval for the ``q`` quantile of ``x``."""
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return None
    half = _z(confidence) * math.sqrt(n * q * (1.0 - q))
    lo = min(max(math.floor(n * q - half), 0), n - 1)
    hi = min(max(math.ceil(n * q + half), 0), n - 1)
    part = np.partition(x, [lo, hi])
    return float(part[lo]), float(part[hi])


def _clean(x: Any) -> Any:
    """Nested dicts/lists with JSON-safe floats (NaN/inf → None)."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return _num(float(x))
    if isinstance(x, np.integer):
        return int(x)
    return x


def _quantile(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if len(x) else math.nan


def share_test(
    name: str,
    scores: np.ndarray,
    p0: float,
    margin: float,
    confidence: float,
    what: str = "synthetic rows",
    relation: str = "are closer to a training row than to a holdout row (ties count 1/2)",
    *,
    gating: bool = True,
    independent: float | None = None,
    p0_of: str = "rows",
    note: str = "",
) -> Metric:
    """Block when the lower Wilson bound of ``mean(scores)`` exceeds ``p0 + margin``
    (``gating=False``: the same figures, for information). ``independent``: the number
    of independent units the Wilson interval is over (default: one per score); ``p0_of``:
    whose training share ``p0`` is (the real rows', or persons'); ``note`` ends the
    explanation."""
    n = len(scores)
    p = float(scores.mean())
    lo, hi = wilson(p, n if independent is None else independent, confidence)
    block = lo - p0 > margin
    verdict: Verdict = ("block" if block else "pass") if gating else "info"
    return Metric(
        name=name,
        value=p,
        baseline=p0,
        interval=(lo, hi),
        threshold=p0 + margin if gating else None,
        verdict=verdict,
        explanation=(
            f"{p:.1%} of {n} {what} {relation}; an honest generator gives about {p0:.1%}, "
            "the training share "
            f"of the real {p0_of}. "
            + (
                f"The {confidence:.0%} lower bound {lo:.1%} "
                + ("exceeds" if block else "does not exceed")
                + f" that by more than the margin {margin:.1%}."
                if gating
                else "For information: near_copy_share tests it against the random split."
            )
            + note
        ),
    )


def tied(sq_train: np.ndarray, sq_holdout: np.ndarray) -> np.ndarray:
    """Rows whose nearest training and nearest holdout rows are equally near."""
    tol = TIE_RTOL * np.maximum(1.0, np.maximum(sq_train, sq_holdout))
    return np.abs(sq_train - sq_holdout) <= tol


def tie_scores(k_train: np.ndarray, m_holdout: np.ndarray) -> np.ndarray:
    """Fair score of a tie between ``k`` training and ``m`` holdout rows: ``k / (k + m)``.

    Under the null every tied real row is equally likely to be "the" nearest one, so
    a flat ½ would be biased whenever k ≠ m — towards ½ and away from ``p0``: with
    ``p0 = 0.8`` it would hide leakage among rows that tie (common combinations).
    """
    k = np.asarray(k_train, dtype=float)
    m = np.asarray(m_holdout, dtype=float)
    total = k + m
    return np.divide(k, total, out=np.full(len(k), 0.5), where=total > 0)


def dcr_scores(
    sq_train: np.ndarray,
    sq_holdout: np.ndarray,
    tie_counts: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, str]:
    """Per synthetic row, 1 when its nearest real row is a training row, 0 when a holdout
    row; a tie scores k/(k+m) with ``tie_counts`` (per tied row, in order of :func:`tied`,
    the numbers of training and holdout rows at the common distance), else ½. Also the
    rule in words."""
    tie = tied(sq_train, sq_holdout)
    scores = (sq_train < sq_holdout).astype(float)
    scores[tie] = 0.5 if tie_counts is None else tie_scores(*tie_counts)
    relation = "are closer to a training row than to a holdout row (" + (
        "ties count 1/2)"
        if tie_counts is None
        else "a tie with k training and m holdout rows counts k/(k+m))"
    )
    return scores, relation


def dcr_share(
    sq_train: np.ndarray,
    sq_holdout: np.ndarray,
    p0: float,
    gate: GateThresholds,
    tie_counts: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    persons: bool = False,
) -> Metric:
    """The share of synthetic rows nearer a training than a holdout row, for information:
    the gate's test of it is :func:`privacy.leakage.near_copies.near_copy_share`, which
    needs no fixed margin. ``persons``: ``p0`` is the persons' training share (its
    interval stays over the synthetic rows)."""
    scores, relation = dcr_scores(sq_train, sq_holdout, tie_counts)
    return share_test(
        "dcr_share",
        scores,
        p0,
        gate.dcr_margin,
        gate.confidence,
        "synthetic rows",
        relation,
        gating=False,
        p0_of=PERSONS_P0 if persons else "rows",
    )


def exact_match_share(
    in_train: np.ndarray,
    in_holdout: np.ndarray,
    p0: float,
    gate: GateThresholds,
    counts: tuple[np.ndarray, np.ndarray] | None = None,
    independent: Callable[[np.ndarray], float] | None = None,
) -> Metric:
    """``counts``: per synthetic row, how many training / holdout rows are identical to it;
    a row identical to k training and m holdout rows then scores k/(k+m) (else ½).

    ``independent`` (with a privacy unit): given the mask of synthetic rows identical to a
    real row, the effective number of persons they copy, the independent units of the
    Wilson interval (many rows copying one person are one person's label, not many);
    ``p0`` is then the persons' training share."""
    either = in_train | in_holdout
    if not either.any():
        return Metric(
            name="exact_match_share",
            value=p0,
            baseline=p0,
            interval=(0.0, 1.0),
            threshold=p0 + gate.exact_match_margin,
            verdict="pass",
            explanation="no synthetic row is identical to a real row",
        )
    if counts is None:
        both = in_train[either] & in_holdout[either]
        scores = np.where(both, 0.5, in_train[either].astype(float))
        rule = "a row found in both counts 1/2"
    else:
        scores = tie_scores(counts[0][either], counts[1][either])
        rule = "a row identical to k training and m holdout rows counts k/(k+m)"
    return share_test(
        "exact_match_share",
        scores,
        p0,
        gate.exact_match_margin,
        gate.confidence,
        "synthetic rows identical to a real row",
        f"copy a training row rather than a holdout row ({rule})",
        independent=None if independent is None else independent(either),
        p0_of="rows" if independent is None else PERSONS_P0,
        note=""
        if independent is None
        else " The interval treats the persons those rows copy as the independent units "
        "(an effective number, weighted by how many of the rows copy each person; not shown).",
    )


def exact_copies(
    in_train: np.ndarray, in_holdout: np.ndarray, n_train: int, n_holdout: int, confidence: float
) -> list[Metric]:
    n = len(in_train)
    share_tr, share_ho = float(in_train.mean()), float(in_holdout.mean())
    ratio = n_train / n_holdout
    return [
        Metric(
            name="exact_copies_train",
            value=share_tr,
            baseline=min(1.0, share_ho * ratio),
            interval=wilson(share_tr, n, confidence),
            threshold=None,
            verdict="info",
            explanation=(
                f"{share_tr:.2%} of synthetic rows are identical to a training row. Baseline: "
                f"the share identical to a holdout row ({share_ho:.2%}) scaled by the size "
                f"ratio train/holdout ({ratio:.2f}), i.e. how often an honest generator would "
                "reproduce real rows it never saw."
            ),
        ),
        Metric(
            name="exact_copies_holdout",
            value=share_ho,
            baseline=None,
            interval=wilson(share_ho, n, confidence),
            threshold=None,
            verdict="info",
            explanation=(
                f"{share_ho:.2%} of synthetic rows are identical to a holdout row (rows the "
                "generator never saw): chance coincidences, the reference for "
                "exact_copies_train."
            ),
        ),
    ]


def _ratio(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d1 / d2
    r[(d1 == 0) & (d2 == 0)] = 1.0  # several identical nearest rows: nobody singled out
    r[~np.isfinite(d2)] = np.nan
    return r


def nndr(
    d1_tr: np.ndarray, d2_tr: np.ndarray, d1_ho: np.ndarray, d2_ho: np.ndarray, confidence: float
) -> Metric:
    r_tr, r_ho = _ratio(d1_tr, d2_tr), _ratio(d1_ho, d2_ho)
    return Metric(
        name="nndr",
        value=_quantile(r_tr, 0.5),
        baseline=_quantile(r_ho, 0.5),
        interval=quantile_interval(r_tr, 0.5, confidence),
        threshold=None,
        verdict="info",
        explanation=(
            "median ratio of the distance to the nearest over the second-nearest training row "
            "(near 0: synthetic rows single out one training record); baseline: the same "
            "ratio against holdout rows."
        ),
    )


def dcr_p5(
    dcr_train: np.ndarray, dcr_holdout: np.ndarray, n_train: int, n_holdout: int, confidence: float
) -> Metric:
    return Metric(
        name="dcr_p5",
        value=_quantile(dcr_train, 0.05),
        baseline=_quantile(dcr_holdout, 0.05),
        interval=quantile_interval(dcr_train, 0.05, confidence),
        threshold=None,
        verdict="info",
        explanation=(
            "5th percentile of the distance from synthetic rows to their nearest training row; "
            "baseline: the same to the nearest holdout row. With "
            f"{'more' if n_train > n_holdout else 'no more'} training than holdout rows"
            + (
                ", distances to train are expected to be somewhat smaller even for an honest "
                "generator."
                if n_train > n_holdout
                else "."
            )
        ),
    )


@dataclass(frozen=True, eq=False)
class LeakageResult:
    """The gate's verdict and the evidence.

    ``dcr_train`` / ``dcr_holdout``: per synthetic row, the distance to the nearest
    training / holdout row (for plots; never serialised). ``flagged``: indices of
    synthetic rows worth a look (see :func:`privacy.leakage.check_leakage`).
    """

    passed: bool
    metrics: list[Metric]
    n_train: int
    n_holdout: int
    n_synthetic: int
    columns_used: list[str]
    dcr_train: np.ndarray
    dcr_holdout: np.ndarray
    flagged: np.ndarray
    attacks: dict[str, Any] | None = None
    near_copies: dict[str, Any] | None = None
    sampling: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    filter: dict[str, Any] | None = None
    #: the unit of privacy: ``{"column": name or None, "kind": "person" or "row"}``
    unit: dict[str, Any] | None = None
    #: the training share the baselines use: the persons' with a unit (None: the rows')
    train_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: distances only as quantiles, flagged rows only as indices."""
        share = (
            self.n_train / max(1, self.n_train + self.n_holdout)
            if self.train_share is None
            else self.train_share
        )
        return {
            "passed": bool(self.passed),
            "unit": dict(self.unit) if self.unit else {"column": None, "kind": "row"},
            "warnings": list(self.warnings),
            "attacks": _clean(self.attacks),
            "near_copies": _clean(self.near_copies),
            "sampling": _clean(self.sampling),
            "filter": _clean(self.filter),
            "metrics": [m.to_dict() for m in self.metrics],
            # real-row counts are never printed (the number of persons is private under
            # the DP guarantee); the training share (of the persons, with a privacy unit),
            # to two decimals, sets the baselines
            "sizes": {
                "synthetic": int(self.n_synthetic),
                "train_share": round(share, 2),
            },
            "columns_used": list(self.columns_used),
            "flagged_rows": [int(i) for i in self.flagged],
            "dcr_quantiles": {
                name: {str(q): _num(_quantile(x, q)) for q in DCR_QUANTILES}
                for name, x in (("train", self.dcr_train), ("holdout", self.dcr_holdout))
            },
        }
