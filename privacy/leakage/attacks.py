"""Attacks with a control set: inference, linkability and singling-out, after Anonymeter.

An attacker who knows some columns of a real person's record looks the record up in the
synthetic table (nearest synthetic row on the columns they know) and reads off what they
want. Every attack runs on *training* targets (people the generator saw) and on
*control* targets (the holdout, people it never saw); only the excess on training
targets is a leak (:mod:`privacy.leakage.risk`).

Inference
    Secrets are the schema's columns with role ``sensitive``. When none is declared,
    every compared column that is not a quasi-identifier is a secret in turn (the target
    first; at most ``MAX_SECRETS``, the rest listed as not attacked); without a schema,
    every compared column. Two attackers, Anonymeter's weak and strong settings:

    * ``quasi-identifiers``: knows the declared quasi-identifiers (one search serves every
      secret); only when some are declared;
    * ``all other columns``: knows every other compared column of the record (one search
      per secret) — what a bootstrap copy gives away whatever the schema says.

    A categorical guess succeeds when equal; a numeric one within 5% of the true value
    (Anonymeter's default tolerance); missing guesses missing. The gate blocks on the worst
    (secret, attacker) pair, Bonferroni-corrected over all pairs.
Linkability
    The compared columns are split in two halves, alternately; a record is linked when its
    nearest synthetic row on one half is its nearest on the other.
Singling-out
    Predicates read off the synthetic rows that isolate one real row
    (:mod:`privacy.leakage.singling_out`).

The nearest-neighbour search is :func:`privacy.leakage.distance.nearest_two`, exact, over
the same mixed-type distance as the DCR metrics. The synthetic rows are shuffled first so
that ties between equally near synthetic rows are broken at random, not by row order.
Targets are at most ``attack_rows`` training rows and as many holdout rows (random,
drawn from fresh OS entropy): at 2,000 the Wilson half-width of a rate is ≤ 2.2 points.
With a privacy unit (:mod:`privacy.leakage.units`) the targets are persons, at most
``attack_rows`` of each side, each attacked through one random row of theirs: a person's
rows are alike, and counting each as an independent success would narrow the intervals
beyond what the persons support.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared, encode, nearest_two
from privacy.leakage.leave_one_out import nearest_leaving_out
from privacy.leakage.metrics import Metric
from privacy.leakage.risk import AttackOutcome, risk_metric
from privacy.leakage.singling_out import SinglingOut, singling_out
from privacy.leakage.units import Units, one_row_each
from synth.schema.model import GateThresholds, Role, Schema

__all__ = ["AttackOutcome", "AttackReport", "attack_metrics", "choose_columns", "run_attacks"]

#: relative tolerance for a numeric guess (Anonymeter's default)
NUMERIC_TOLERANCE = 0.05
#: secrets attacked in turn when the schema declares none (bounded work)
MAX_SECRETS = 12
QI_ATTACKER = "quasi-identifiers"
FULL_ATTACKER = "all other columns"


@dataclass(frozen=True)
class AttackPlan:
    """What is attacked: secrets, the attacker's knowledge, what is left out and why."""

    secrets: list[str]
    quasi_identifiers: list[str]
    attackers: list[str]
    not_attacked: list[str]
    skipped: str | None


@dataclass(frozen=True)
class AttackReport:
    """Outcomes per attack plus what was attacked, or why nothing was."""

    inference: list[AttackOutcome]
    linkability: AttackOutcome | None
    singling_out: list[SinglingOut]
    plan: AttackPlan
    #: the targets are persons (one random row each), not rows
    per_person: bool = False

    @property
    def secrets(self) -> list[str]:
        return self.plan.secrets

    def to_dict(self, confidence: float, attack_rows: int | None = None) -> dict[str, Any]:
        return {
            "method": "Anonymeter-style attacks, training targets vs holdout (control) targets"
            + (", one random row per person" if self.per_person else ""),
            "secrets": list(self.plan.secrets),
            "not_attacked": list(self.plan.not_attacked),
            "auxiliary_columns": list(self.plan.quasi_identifiers),
            "attackers": list(self.plan.attackers),
            "inference": [o.to_dict(confidence, attack_rows) for o in self.inference],
            "linkability": None
            if self.linkability is None
            else self.linkability.to_dict(confidence, attack_rows),
            "singling_out": [o.to_dict(confidence) for o in self.singling_out],
            "skipped": self.plan.skipped,
        }


def choose_columns(columns: Sequence[Prepared], schema: Schema | None) -> AttackPlan:
    """The secrets and the attackers (see the module docstring)."""
    names = [c.name for c in columns]
    roles = {c.name: c.role for c in schema.columns} if schema is not None else {}
    qi = [n for n in names if roles.get(n) == Role.QUASI_IDENTIFIER]
    declared = [n for n in names if roles.get(n) == Role.SENSITIVE]
    if declared:
        secrets, rest = declared, []
    else:
        target = schema.dataset.target if schema is not None else None
        turn = [n for n in names if n not in qi]
        turn = sorted(turn, key=lambda n: n != target)  # the target first, else table order
        secrets, rest = turn[:MAX_SECRETS], turn[MAX_SECRETS:]
    attackers = []
    if qi and any(s not in qi for s in secrets):
        attackers.append(QI_ATTACKER)
    if len(names) >= 2:
        attackers.append(FULL_ATTACKER)
    skipped = None
    if not secrets:
        skipped = "every compared column is a quasi-identifier: nothing is secret"
    elif not attackers:
        skipped = "no column is left for the attacker to know besides the secret"
    return AttackPlan(secrets if skipped is None else [], qi, attackers, rest, skipped)


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


def _infer(
    cols: dict[str, Prepared], secret: str, near: tuple[np.ndarray, np.ndarray], knows: str
) -> AttackOutcome:
    ok_tr = _guessed(cols[secret], TRAIN, near[0])
    ok_ho = _guessed(cols[secret], HOLDOUT, near[1])
    return AttackOutcome(secret, int(ok_tr.sum()), len(ok_tr), int(ok_ho.sum()), len(ok_ho), knows)


def run_attacks(
    columns: Sequence[Prepared],
    schema: Schema | None,
    *,
    attack_rows: int = 2000,
    rng: np.random.Generator | None = None,
    block_rows: int = 4096,
    units: Units | None = None,
) -> AttackReport:
    """Run the inference, linkability and singling-out attacks (see the module docstring);
    ``rng`` draws the targets and breaks ties (default: fresh OS entropy); with ``units``
    the targets are persons, one random row each."""
    plan = choose_columns(columns, schema)
    rng = rng if rng is not None else np.random.default_rng()
    n_tr, n_ho, n_syn = (len(columns[0].parts[i]) for i in (TRAIN, HOLDOUT, SYNTHETIC))
    if units is None:
        n_targets = min(attack_rows, n_tr, n_ho)
        tr = np.sort(rng.choice(n_tr, n_targets, replace=False))
        ho = np.sort(rng.choice(n_ho, n_targets, replace=False))
    else:
        n_targets = min(attack_rows, units.n_train, units.n_holdout)
        tr, ho = (
            one_row_each(codes, n, rng.choice(n, n_targets, replace=False), rng)
            for codes, n in ((units.train, units.n_train), (units.holdout, units.n_holdout))
        )
    syn = rng.permutation(n_syn)  # random tie-breaking among equally near synthetic rows
    cols = {c.name: _subset(c, tr, ho, syn) for c in columns}
    names = [c.name for c in columns]

    inference: list[AttackOutcome] = []
    if QI_ATTACKER in plan.attackers:
        near = _nearest([cols[n] for n in plan.quasi_identifiers], block_rows)
        for s in plan.secrets:
            if s not in plan.quasi_identifiers:
                inference.append(_infer(cols, s, near, QI_ATTACKER))
    if FULL_ATTACKER in plan.attackers:
        every = [cols[n] for n in names]
        tr_near, ho_near = (
            nearest_leaving_out(every, plan.secrets, part, block_rows=block_rows)
            for part in (TRAIN, HOLDOUT)
        )
        for s in plan.secrets:
            inference.append(_infer(cols, s, (tr_near[s], ho_near[s]), FULL_ATTACKER))

    linkability = None
    if len(columns) >= 2:
        halves = [[cols[n] for n in names[0::2]], [cols[n] for n in names[1::2]]]
        (a_tr, a_ho), (b_tr, b_ho) = (_nearest(h, block_rows) for h in halves)
        linkability = AttackOutcome(
            "linkability",
            int((a_tr == b_tr).sum()),
            n_targets,
            int((a_ho == b_ho).sum()),
            n_targets,
        )
    singled = singling_out(columns, attack_rows, rng, units)
    return AttackReport(inference, linkability, singled, plan, units is not None)


def _bonferroni(confidence: float, tests: int) -> float:
    """Per-test confidence so that ``tests`` tests together err within 1 − confidence."""
    return 1.0 - (1.0 - confidence) / max(tests, 1)


def attack_metrics(report: AttackReport, gate: GateThresholds) -> list[Metric]:
    """``inference_risk`` (the worst secret and attacker), ``linkability_risk`` and
    ``singling_out_risk`` (the worse of univariate and multivariate), all gating."""
    out: list[Metric] = []
    # what a target is: a real row, or a person attacked through one random row of theirs
    targets = "persons (one random row each)" if report.per_person else "rows"
    people = "persons" if report.per_person else "rows"
    if report.inference:
        # the gate blocks on the worst of many tests: Bonferroni over them keeps the chance
        # that an honest generator is blocked by any within 1 − confidence
        conf = _bonferroni(gate.confidence, len(report.inference))
        ranked = sorted(report.inference, key=lambda o: o.risk(conf)[1][0], reverse=True)
        worst = ranked[0]
        per = "; ".join(
            f"{o.name} ({o.knows}): {o.rate_train:.1%} vs {o.rate_control:.1%}" for o in ranked[:4]
        )
        out.append(
            risk_metric(
                "inference_risk",
                worst,
                gate.inference_risk_max,
                conf,
                lambda value: (
                    f"An attacker who knows {worst.knows} of a real record guesses a secret "
                    f"from its nearest synthetic row ({len(report.secrets)} secret(s), "
                    f"{len(report.inference)} tests). Success on training vs control (holdout) "
                    f"{targets}, up to {gate.attack_rows} each, worst first: {per}. Worst: "
                    f"'{worst.name}', risk {value:.1%} = excess over control / (1 − control); "
                    "an honest generator gives about 0."
                ),
            )
        )
    elif report.plan.skipped:
        out.append(
            Metric(
                name="inference_risk",
                value=None,
                baseline=None,
                interval=None,
                threshold=None,
                verdict="info",
                explanation=f"Inference attack skipped: {report.plan.skipped}.",
            )
        )
    link = report.linkability
    if link is not None:
        out.append(
            risk_metric(
                "linkability_risk",
                link,
                gate.linkability_risk_max,
                gate.confidence,
                lambda value: (
                    "An attacker holding two halves of a real record's columns links them "
                    "through the synthetic rows (same nearest synthetic row on both halves): "
                    f"{link.rate_train:.1%} of training vs {link.rate_control:.1%} of control "
                    f"{targets} linked (up to {gate.attack_rows} each); risk {value:.1%}."
                ),
            )
        )
    if report.singling_out:
        conf = _bonferroni(gate.confidence, len(report.singling_out))
        worst_so = max(report.singling_out, key=lambda o: o.risk(conf)[1][0])
        per = "; ".join(
            # the number of people singled out is a count of real rows: not printed
            f"{o.name.split(':')[1]} ({o.predicates} predicates): {o.share:.1%} of the "
            f"{'persons' if report.per_person else 'people'} singled out are training {people}"
            for o in report.singling_out
        )
        out.append(
            risk_metric(
                "singling_out_risk",
                worst_so,  # type: ignore[arg-type]  # same risk() contract
                gate.singling_out_risk_max,
                conf,
                lambda value: (
                    "Predicates read off the synthetic rows (a value only one synthetic row "
                    "has, or three of a row's values) that match exactly one real person"
                    + (" (rows of one person only)" if report.per_person else "")
                    + f": {per}; a random train/holdout split "
                    + ("of the persons " if report.per_person else "")
                    + f"gives {worst_so.p0:.1%}. Worst: "
                    f"{worst_so.name.split(':')[1]}, risk {value:.1%} = excess share of "
                    f"training {people} / (1 − expected)."
                ),
            )
        )
    return out
