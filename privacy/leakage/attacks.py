"""Attacks with a control set: inference and linkability, after Anonymeter's method.

An attacker who knows some columns of a real person's record looks the record up in the
synthetic table (nearest synthetic row on the columns they know) and reads off what they
want. The attack is run twice: on *training* rows (people whose data the generator saw)
and on *control* rows (the holdout, people it never saw). The control success rate is what
the synthetic data reveals about anybody from the population; only the excess on training
rows is a privacy leak. Anonymeter's risk is

    risk = (rate_train − rate_control) / (1 − rate_control)

(0 for an honest generator, 1 when every training record is betrayed beyond what the
population reveals). Its interval combines the two Wilson intervals at the gate's
confidence monotonically: the lower bound is ``risk(train_lo, control_hi)``, the upper
``risk(train_hi, control_lo)`` — conservative, each rate carries its own full interval.

Inference
    Secrets are the schema's columns with role ``sensitive``, else ``dataset.target``, else
    the attack is skipped (stated in the result). The attacker knows the quasi-identifiers
    (or, when none are declared, every other compared column). One nearest-neighbour search
    serves every secret. A categorical guess succeeds when equal; a numeric one within 5% of
    the true value (Anonymeter's default tolerance); missing guesses missing.
Linkability
    The compared columns (secrets included) are split in two halves, alternately; a record
    is linked when its nearest synthetic row on one half is its nearest on the other.

The nearest-neighbour search is :func:`privacy.leakage.distance.nearest_two`, exact, over
the same mixed-type distance as the DCR metrics. The synthetic rows are shuffled first so
that ties between equally near synthetic rows are broken at random, not by row order.
Targets are at most ``attack_rows`` training rows and as many holdout rows (random,
drawn from fresh OS entropy): at 2,000 the Wilson half-width of a rate is ≤ 2.2 points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared, encode, nearest_two
from privacy.leakage.metrics import Metric, wilson
from synth.schema.model import GateThresholds, Role, Schema

#: relative tolerance for a numeric guess (Anonymeter's default)
NUMERIC_TOLERANCE = 0.05


@dataclass(frozen=True)
class AttackOutcome:
    """Success counts of one attack on training targets and on control targets."""

    name: str
    success_train: int
    n_train: int
    success_control: int
    n_control: int

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


@dataclass(frozen=True)
class AttackReport:
    """Outcomes per attack plus what was attacked, or why nothing was."""

    inference: list[AttackOutcome]
    linkability: AttackOutcome | None
    secrets: list[str]
    auxiliary: list[str]
    skipped: str | None

    def to_dict(self, confidence: float, attack_rows: int | None = None) -> dict[str, Any]:
        return {
            "method": "Anonymeter-style attacks, training targets vs holdout (control) targets",
            "secrets": list(self.secrets),
            "auxiliary_columns": list(self.auxiliary),
            "inference": [o.to_dict(confidence, attack_rows) for o in self.inference],
            "linkability": None
            if self.linkability is None
            else self.linkability.to_dict(confidence, attack_rows),
            "skipped": self.skipped,
        }


def choose_columns(
    columns: Sequence[Prepared], schema: Schema | None
) -> tuple[list[str], list[str], str | None]:
    """(secrets, auxiliary columns, reason when the inference attack is skipped)."""
    names = [c.name for c in columns]
    if schema is None:
        return [], [], "no schema: no sensitive attribute or target is declared"
    roles = {c.name: c.role for c in schema.columns}
    secrets = [n for n in names if roles.get(n) == Role.SENSITIVE]
    if not secrets and schema.dataset.target in names:
        secrets = [str(schema.dataset.target)]
    if not secrets:
        return (
            [],
            [],
            ("the schema declares no sensitive column and no target among the compared columns"),
        )
    qi = [n for n in names if roles.get(n) == Role.QUASI_IDENTIFIER and n not in secrets]
    aux = qi or [n for n in names if n not in secrets]
    if not aux:
        return secrets, [], "no column is left for the attacker to know besides the secrets"
    return secrets, aux, None


def _subset(col: Prepared, tr: np.ndarray, ho: np.ndarray, syn: np.ndarray) -> Prepared:
    p = col.parts
    return Prepared(col.name, col.numeric, (p[TRAIN][tr], p[HOLDOUT][ho], p[SYNTHETIC][syn]))


def _nearest(cols: Sequence[Prepared], block_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest synthetic row for each training target and each control target."""
    out = []
    for part in (TRAIN, HOLDOUT):
        q, (r,) = encode(cols, part, [SYNTHETIC])
        out.append(nearest_two(q, r, block_rows=block_rows, two=False).idx1)
    return out[0], out[1]


def _guessed(col: Prepared, part: int, nearest: np.ndarray) -> np.ndarray:
    """Whether the nearest synthetic row's value of ``col`` is a correct guess."""
    truth, guess = col.parts[part], col.parts[SYNTHETIC][nearest]
    if not col.numeric:
        return truth == guess
    both_missing = np.isnan(truth) & np.isnan(guess)
    with np.errstate(invalid="ignore"):
        close = np.abs(guess - truth) <= NUMERIC_TOLERANCE * np.abs(truth)
    return both_missing | close


def run_attacks(
    columns: Sequence[Prepared],
    schema: Schema | None,
    *,
    attack_rows: int = 2000,
    rng: np.random.Generator | None = None,
    block_rows: int = 4096,
) -> AttackReport:
    """Run the inference and linkability attacks (see the module docstring); ``rng`` draws
    the targets and breaks ties (default: fresh OS entropy)."""
    secrets, aux, skipped = choose_columns(columns, schema)
    n_tr, n_ho, n_syn = (len(columns[0].parts[i]) for i in (TRAIN, HOLDOUT, SYNTHETIC))
    rng = rng if rng is not None else np.random.default_rng()
    n_targets = min(attack_rows, n_tr, n_ho)
    tr = np.sort(rng.choice(n_tr, n_targets, replace=False))
    ho = np.sort(rng.choice(n_ho, n_targets, replace=False))
    syn = rng.permutation(n_syn)  # random tie-breaking among equally near synthetic rows
    cols = {c.name: _subset(c, tr, ho, syn) for c in columns}

    inference: list[AttackOutcome] = []
    if skipped is None:
        near_tr, near_ho = _nearest([cols[n] for n in aux], block_rows)
        for s in secrets:
            ok_tr = _guessed(cols[s], TRAIN, near_tr)
            ok_ho = _guessed(cols[s], HOLDOUT, near_ho)
            inference.append(
                AttackOutcome(s, int(ok_tr.sum()), n_targets, int(ok_ho.sum()), n_targets)
            )

    linkability = None
    if len(columns) >= 2:
        names = [c.name for c in columns]
        halves = [[cols[n] for n in names[0::2]], [cols[n] for n in names[1::2]]]
        (a_tr, a_ho), (b_tr, b_ho) = (_nearest(h, block_rows) for h in halves)
        linkability = AttackOutcome(
            "linkability",
            int((a_tr == b_tr).sum()),
            n_targets,
            int((a_ho == b_ho).sum()),
            n_targets,
        )
    return AttackReport(inference, linkability, secrets, aux, skipped)


def attack_metrics(report: AttackReport, gate: GateThresholds) -> list[Metric]:
    """``inference_risk`` (the worst secret, gating) and ``linkability_risk`` (gating)."""
    out: list[Metric] = []
    conf = gate.confidence
    if report.inference:
        # one test per secret, and the gate blocks on the worst: Bonferroni over the
        # secrets keeps the chance that an honest generator is blocked by any of them
        # within 1 − confidence (six secrets each at 95 % would allow about six times that)
        conf = 1.0 - (1.0 - gate.confidence) / len(report.inference)
        worst = max(report.inference, key=lambda o: o.risk(conf)[1][0])
        per = "; ".join(
            f"{o.name}: {o.rate_train:.1%} vs {o.rate_control:.1%}" for o in report.inference
        )
        out.append(
            _risk_metric(
                "inference_risk",
                worst,
                gate.inference_risk_max,
                conf,
                lambda value: (
                    f"An attacker who knows {len(report.auxiliary)} column(s) of a real record "
                    "guesses a secret from its nearest synthetic row. Success on training vs "
                    f"control (holdout) rows, up to {gate.attack_rows} each: {per}. Worst secret "
                    f"'{worst.name}': risk {value:.1%} = excess over control / (1 − control); "
                    "an honest generator gives about 0."
                ),
            )
        )
    elif report.skipped:
        out.append(
            Metric(
                name="inference_risk",
                value=None,
                baseline=None,
                interval=None,
                threshold=None,
                verdict="info",
                explanation=f"Inference attack skipped: {report.skipped}.",
            )
        )
    link = report.linkability
    conf = gate.confidence
    if link is not None:
        out.append(
            _risk_metric(
                "linkability_risk",
                link,
                gate.linkability_risk_max,
                conf,
                lambda value: (
                    "An attacker holding two halves of a real record's columns links them "
                    "through the synthetic rows (same nearest synthetic row on both halves): "
                    f"{link.rate_train:.1%} of training vs {link.rate_control:.1%} of control "
                    f"rows linked (up to {gate.attack_rows} each); risk {value:.1%}."
                ),
            )
        )
    return out


def _risk_metric(
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
