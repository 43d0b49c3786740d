"""An attack's outcome on training and control targets, and Anonymeter's risk.

An attack (inference, linkability, singling-out) succeeds on some training targets
(people the generator saw) and some control targets (holdout rows, people it never saw).
The control rate is what the synthetic data reveals about anybody; only the excess on
training targets is a leak. Anonymeter's risk is

    risk = (rate_train − rate_control) / (1 − rate_control)

(0 for an honest generator, 1 when every training record is betrayed beyond what the
population reveals). Its interval combines the two Wilson intervals monotonically: the
lower bound is ``risk(train_lo, control_hi)``, the upper ``risk(train_hi, control_lo)`` —
conservative, each rate carries its own full interval.

>>> o = AttackOutcome("s", success_train=900, n_train=1000, success_control=600, n_control=1000)
>>> round(o.risk(0.95)[0], 2)
0.75
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from privacy.leakage.metrics import Metric, wilson


@dataclass(frozen=True)
class AttackOutcome:
    """Success counts of one attack on training targets and on control targets."""

    name: str
    success_train: int
    n_train: int
    success_control: int
    n_control: int
    #: what the attacker knows (inference: "quasi-identifiers" or "all other columns")
    knows: str | None = None

    @property
    def rate_train(self) -> float:
        return self.success_train / self.n_train if self.n_train else math.nan

    @property
    def rate_control(self) -> float:
        return self.success_control / self.n_control if self.n_control else math.nan

    def risk(self, confidence: float) -> tuple[float, tuple[float, float]]:
        """Anonymeter's risk and its conservative interval (see the module docstring)."""
        t, c = self.rate_train, self.rate_control
        t_lo, t_hi = wilson(t, self.n_train, confidence)
        c_lo, c_hi = wilson(c, self.n_control, confidence)
        return _risk(t, c), (max(-1.0, _risk(t_lo, c_hi)), min(1.0, _risk(t_hi, c_lo)))

    def to_dict(self, confidence: float, attack_rows: int | None = None) -> dict[str, Any]:
        """JSON-able outcome. The number of targets is shown when it is the public
        ``attack_rows``; when the table had fewer rows it would be a real count, so it is
        withheld (None), and rates are rounded to 4 decimals for the same reason."""
        value, (lo, hi) = self.risk(confidence)

        def shown(n: int) -> int | None:
            return n if attack_rows is None or n == attack_rows else None

        return {
            "name": self.name,
            "knows": self.knows,
            "success_rate_train": _round(self.rate_train),
            "success_rate_control": _round(self.rate_control),
            "n_train_targets": shown(self.n_train),
            "n_control_targets": shown(self.n_control),
            "risk": _round(value),
            "risk_interval": [_round(lo), _round(hi)],
        }


def _round(x: float) -> float:
    return x if not math.isfinite(x) else round(x, 4)


def _risk(rate_train: float, rate_control: float) -> float:
    if rate_control >= 1.0:
        return 0.0  # the population reveals everything: nothing left to leak
    return (rate_train - rate_control) / (1.0 - rate_control)


def risk_metric(
    name: str,
    outcome: AttackOutcome,
    threshold: float,
    confidence: float,
    story: Callable[[float], str],
) -> Metric:
    """A gating risk metric: blocks when the lower confidence bound exceeds ``threshold``."""
    value, (lo, hi) = outcome.risk(confidence)
    block = lo > threshold
    return Metric(
        name=name,
        value=value,
        baseline=0.0,
        interval=(lo, hi),
        threshold=threshold,
        verdict="block" if block else "pass",
        explanation=(
            f"{story(value)} The {confidence:.0%} lower bound {lo:.1%} "
            + ("exceeds" if block else "does not exceed")
            + f" the threshold {threshold:.1%}."
        ),
    )
