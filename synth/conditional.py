"""Conditional sampling and rebalancing of a fitted model: post-processing, no ε.

``--where "sex=F,age>=70"`` keeps only rows holding every condition; ``--rebalance
COLUMN[=value:share,...]`` sets the share of each value of a categorical column (without
shares: uniform over its values). Everything here reads the DP model only (its tables or
its network), never a real row, so it spends no privacy budget.

How rows are drawn given the conditions:

* **marginal engines (MST, AIM)**: exactly. The model is a decomposable graphical model
  (a root marginal and one conditional table per column); the conditions enter as
  evidence — a weight per compressed token, the share of that token's decoded values that
  hold the condition — the junction tree is calibrated with it and sampled ancestrally
  (:func:`synth.engines.factors.sample_factors`), and each compressed token is decoded
  only to allowed values. The model's probability of the conditions is computed exactly
  (chain rule, one calibration per conditioned column).
* **DP-SGD** (autoregressive network): rejection sampling from the unconditional model,
  measured: a pilot of :data:`PILOT` draws estimates the acceptance rate, and conditions
  the model gives less than :data:`MIN_ACCEPTANCE` of its rows are refused.

A numeric condition that cuts a bin of the model (``age>=70`` when a bin spans 68–72) is
exact at bin level, then the decoded values that miss it are drawn again (rejection,
measured the same way). The terms themselves (parsing, binding to codecs) are
:mod:`synth.conditions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synth.conditions import (
    Bound,
    Condition,
    Rebalance,
    bind,
)
from synth.constraints import enforce
from synth.encoding import CategoricalCodec
from synth.engines.factors import sample_factors
from synth.engines.graphical import Model, junction_tree
from synth.engines.marginal import MSTEngine
from synth.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from synth.synthesizer import Synthesizer

#: a condition whose model probability is below this is refused ("mass ~0")
MIN_MASS = 1e-6
#: rejection sampling refuses conditions the model satisfies in fewer rows than this
MIN_ACCEPTANCE = 1e-3
#: draws of the rejection pilot that measures the acceptance rate
PILOT = 20_000
#: unconditional model rows drawn to estimate its marginals when it has no exact form
REFERENCE_ROWS = 20_000
#: draws one conditional sample may take, as a multiple of the rows asked for (+ PILOT)
MAX_DRAW_FACTOR = 2_000


# -- backends: exact evidence or measured rejection ----------------------------------------
class _Exact:
    """MST/AIM: the saved conditional tables as a junction tree, conditioned exactly."""

    method = "exact: the conditions enter the model's junction tree as evidence"

    def __init__(self, engine: MSTEngine, base: list[np.ndarray]) -> None:
        self.engine = engine
        self.base = base  # per column, the original tokens the sampler may emit
        cards = engine.compressed_cards
        self.cliques: list[tuple[int, ...]] = [(engine.root,)]
        p0 = np.clip(engine.root_marginal, 0, None) + 1e-12
        self.logs: list[np.ndarray] = [np.log(p0 / p0.sum())]
        for cols, table in zip(engine.factor_cols, engine.factor_tables, strict=True):
            k = table.shape[-1]
            cond = table.reshape(-1, k) + 1e-12
            cond = (cond / cond.sum(axis=1, keepdims=True)).reshape(table.shape)
            order = np.argsort(cols)
            self.cliques.append(tuple(sorted(cols)))
            self.logs.append(np.log(np.transpose(cond, order)))
        self.tree = junction_tree(cards, self.cliques + [(i,) for i in range(len(cards))])
        self.shares = [self._member_shares(i) for i in range(len(cards))]

    def _member_shares(self, i: int) -> np.ndarray:
        """Each original token's probability given its compressed token, as decoded."""
        e = self.engine
        mapping, w, base = e.mappings[i], e.bucket_weights[i], self.base[i]
        k = e.compressed_cards[i]
        sizes = np.bincount(mapping, minlength=k)
        wb = np.where(base, w, 0.0)
        tot = np.bincount(mapping, weights=wb, minlength=k)
        count = np.bincount(mapping, weights=base.astype(float), minlength=k)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                tot[mapping] > 0, wb / tot[mapping], base / np.maximum(count[mapping], 1)
            )
        share[sizes[mapping] == 1] = 1.0
        return np.where(base, share, 0.0)

    def _evidence(self, weights: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        """Per conditioned column, the weight of each compressed token."""
        e = self.engine
        return {
            i: np.bincount(
                e.mappings[i], weights=self.shares[i] * w, minlength=e.compressed_cards[i]
            )
            for i, w in weights.items()
        }

    def _model(self, evidence: dict[int, np.ndarray]) -> Model:
        cliques = list(self.cliques)
        pots = list(self.logs)
        for i, w in evidence.items():
            with np.errstate(divide="ignore"):
                cliques.append((i,))
                pots.append(np.log(w))
        return Model(self.tree, cliques, pots, 1.0).calibrate()

    def mass(self, weights: dict[int, np.ndarray]) -> float:
        """The model's probability of the conditions (chain rule, exact)."""
        ev = self._evidence(weights)
        p, given = 1.0, {}
        for i, w in ev.items():
            m = self._model(given).marginal((i,))
            p *= float(np.dot(m / max(float(m.sum()), 1e-300), w))
            if p <= 0:
                return 0.0
            given[i] = w
        return p

    def marginals(self, weights: dict[int, np.ndarray]) -> list[np.ndarray]:
        """Per column, the model's distribution over original tokens given the conditions."""
        model = self._model(self._evidence(weights))
        out = []
        for i, mapping in enumerate(self.engine.mappings):
            m = model.marginal((i,))
            p = (m / max(float(m.sum()), 1e-300))[mapping] * self.shares[i]
            if i in weights:
                p = p * weights[i]
            out.append(p / max(float(p.sum()), 1e-300))
        return out

    def draw(self, n: int, weights: dict[int, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        e = self.engine
        ev = self._evidence(weights)
        root, root_marginal, factors = self._model(ev).factors()
        d = len(e.cardinalities)
        allowed = [
            self.base[i] & (weights[i] > 0) if i in weights else self.base[i] for i in range(d)
        ]
        blocked = [np.flatnonzero(~a).tolist() for a in allowed]
        comp_blocked = [e._compressed_blocked(i, blocked[i]) for i in range(d)]
        for i, w in ev.items():
            comp_blocked[i] = sorted(set(comp_blocked[i]) | set(np.flatnonzero(w <= 0).tolist()))
        comp = sample_factors(n, d, root, root_marginal, factors, comp_blocked, rng)
        return np.column_stack([e._decode(i, comp[:, i], blocked[i], rng) for i in range(d)])


class _Rejection:
    """Any engine: unconditional draws, kept when their tokens hold the conditions."""

    method = "rejection sampling from the model (measured acceptance rate)"

    def __init__(self, draw_tokens: Callable[[int], np.ndarray], cards: list[int]) -> None:
        self.draw_tokens = draw_tokens
        self.cards = cards
        self.reference: np.ndarray | None = None

    def _reference(self) -> np.ndarray:
        if self.reference is None:
            self.reference = self.draw_tokens(REFERENCE_ROWS)
        return self.reference

    def mass(self, weights: dict[int, np.ndarray]) -> float:
        ref = self._reference()
        ok = np.ones(len(ref), dtype=bool)
        for i, w in weights.items():
            ok &= w[ref[:, i]] > 0
        return float(ok.mean())

    def marginals(self, weights: dict[int, np.ndarray]) -> list[np.ndarray]:
        ref = self._reference()
        ok = np.ones(len(ref), dtype=bool)
        for i, w in weights.items():
            ok &= w[ref[:, i]] > 0
        rows = ref[ok]
        out = []
        for i, k in enumerate(self.cards):
            c = np.bincount(rows[:, i], minlength=k).astype(float)
            out.append(c / max(c.sum(), 1.0))
        return out

    def draw(self, n: int, weights: dict[int, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        toks = self.draw_tokens(n)
        ok = np.ones(len(toks), dtype=bool)
        for i, w in weights.items():
            ok &= w[toks[:, i]] > 0
        return toks[ok]


# -- the sampler -------------------------------------------------------------------------
class ConditionalSampler:
    """Rows of a fitted :class:`~synth.synthesizer.Synthesizer` given conditions."""

    def __init__(self, synth: Synthesizer, rng: np.random.Generator) -> None:
        self.synth = synth
        self.rng = rng
        self.names = [c.name for c in synth.codecs]
        base = []
        for c, block in zip(synth.codecs, synth.blocked(), strict=True):
            allowed = np.ones(c.cardinality, dtype=bool)
            allowed[block] = False
            base.append(allowed)
        self.base = base
        engine = synth._require_fitted()
        self.backend: _Exact | _Rejection = (
            _Exact(engine, base)
            if isinstance(engine, MSTEngine) and not synth.models_size
            else _Rejection(
                lambda m: synth._draw_tokens(m, rng), [c.cardinality for c in synth.codecs]
            )
        )
        self.drawn = 0
        self.kept = 0

    def bind(self, conditions: list[Condition]) -> list[Bound]:
        out = []
        for cond in conditions:
            if cond.column not in self.names:
                raise InputError(
                    f"--where: column '{cond.column}' is not modelled (the model has: "
                    f"{', '.join(self.names)})"
                )
            i = self.names.index(cond.column)
            out.append(bind(self.synth.codecs[i], i, cond))
        return out

    @staticmethod
    def weights(bounds: list[Bound]) -> dict[int, np.ndarray]:
        return {b.index: b.tokens.astype(float) for b in bounds}

    def mass(self, bounds: list[Bound]) -> float:
        return self.backend.mass(self.weights(bounds))

    def check(self, bounds: list[Bound], what: str) -> float:
        """The model's probability of ``bounds``; refused when ~0."""
        mass = self.mass(bounds)
        if isinstance(self.backend, _Rejection) and mass < MIN_ACCEPTANCE:
            raise InputError(
                f"{what}: {mass:.2%} of {REFERENCE_ROWS:,} model rows hold these conditions "
                f"(measured); too rare to sample (minimum {MIN_ACCEPTANCE:.1%}): widen them"
            )
        if mass < MIN_MASS:
            raise InputError(
                f"{what}: the model gives these conditions probability ~0 "
                f"({mass:.1e}): no row can be sampled"
            )
        return mass

    def rows(self, n: int, bounds: list[Bound]) -> pd.DataFrame:
        """``n`` decoded rows holding every bound, the schema's constraints enforced (rows
        that break one are drawn again under the same conditions)."""
        frame = self._raw(n, bounds)
        return enforce(
            frame, self.synth.schema, self.synth.columns, lambda m: self._raw(m, bounds), self.rng
        )

    def _raw(self, n: int, bounds: list[Bound]) -> pd.DataFrame:
        if n == 0:
            return self.synth._decode(np.zeros((0, len(self.names)), dtype=np.int64), self.rng)
        weights = self.weights(bounds)
        value_tested = [b for b in bounds if b.partial.any()]
        exact = isinstance(self.backend, _Exact) and not value_tested
        kept: list[pd.DataFrame] = []
        have, drawn, accepted = 0, 0, 0
        limit = MAX_DRAW_FACTOR * n + PILOT
        while have < n:
            rate = accepted / drawn if drawn else 1.0
            if drawn >= limit:
                raise InputError("--where: the conditions are too rare to sample")
            want = n - have
            if exact:
                m = want
            elif not drawn:
                m = max(PILOT, want)
            else:
                m = int(min(limit, want / max(rate, MIN_ACCEPTANCE) * 1.2 + 100))
            toks = self.backend.draw(m, weights, self.rng)
            drawn += m
            frame = self.synth._decode(toks, self.rng)
            ok = np.ones(len(frame), dtype=bool)
            for b in value_tested:
                ok &= b.holds(frame[self.names[b.index]])
            accepted += int(ok.sum())
            kept.append(frame[ok])
            have += int(ok.sum())
            if drawn >= PILOT and accepted / drawn < MIN_ACCEPTANCE:
                raise InputError(
                    f"--where: only {accepted / drawn:.2%} of the model's rows hold the "
                    f"conditions (measured over {drawn:,} draws); too rare to sample "
                    f"(minimum {MIN_ACCEPTANCE:.1%}): widen them"
                )
        self.drawn += drawn
        self.kept += accepted
        return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)


def _split(n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` rows split by ``shares`` (largest remainders, ties at random)."""
    raw = n * shares / max(float(shares.sum()), 1e-300)
    whole = np.floor(raw).astype(np.int64)
    rest = raw - whole
    order = np.lexsort((rng.random(len(rest)), -rest))
    whole[order[: n - int(whole.sum())]] += 1
    return whole


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    k = max(len(p), len(q))
    a, b = np.zeros(k), np.zeros(k)
    a[: len(p)], b[: len(q)] = p, q
    return 0.5 * float(np.abs(a / max(a.sum(), 1e-300) - b / max(b.sum(), 1e-300)).sum())


def sample_conditional(
    synth: Synthesizer,
    n: int,
    *,
    where: list[Condition] | None = None,
    rebalance: Rebalance | None = None,
    seed: int | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``n`` rows given ``where`` and rebalanced by ``rebalance``, and what was done: the
    conditions and their probability under the model, the shares asked for and obtained,
    and per column the TVD between the output and the model's (unconditional) marginal."""
    synth._require_fitted()
    if n <= 0:
        raise InputError(f"number of rows must be positive, got {n}")
    rng = np.random.default_rng(synth.seed if seed is None else seed)
    sampler = ConditionalSampler(synth, rng)
    bounds = sampler.bind(where or [])
    report: dict[str, Any] = {
        "privacy": "post-processing of the DP model: no ε spent, no real row read",
        "rows": n,
        "method": sampler.backend.method,
        "conditions": [b.condition.text for b in bounds],
    }
    mass = sampler.check(bounds, "--where") if bounds else 1.0
    report["model_share_of_conditions"] = mass
    report["model_share_from"] = (
        "the model, exactly"
        if isinstance(sampler.backend, _Exact)
        else f"{REFERENCE_ROWS:,} unconditional model rows"
    )
    strata: list[tuple[int, list[Bound]]] = []
    if rebalance is None:
        strata.append((n, bounds))
    else:
        strata, report["rebalance"] = _rebalance_strata(sampler, n, bounds, rebalance, mass, rng)
    frames = [sampler.rows(k, b) for k, b in strata if k > 0]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    report["acceptance_rate"] = sampler.kept / sampler.drawn if sampler.drawn else 1.0
    report["rows_drawn"] = sampler.drawn
    if rebalance is not None:
        col = frame[rebalance.column].map(lambda x: None if x is None else str(x))
        for v in report["rebalance"]["values"]:
            v["output_share"] = float((col == v["value"]).mean())
    model = sampler.backend.marginals({})
    out_cols = []
    for i, c in enumerate(synth.codecs):
        got = np.bincount(c.encode(frame[c.name]), minlength=c.cardinality).astype(float)
        out_cols.append({"column": c.name, "tvd_vs_model": round(tvd(got, model[i]), 4)})
    report["columns"] = out_cols
    report["constraints_enforced"] = bool(synth.schema.constraints)
    report["persons"] = "each row is its own synthetic person (conditional rows are not grouped)"
    out = synth._assemble(frame, len(frame), int(rng.integers(2**31)))
    return out, report


def _rebalance_strata(
    sampler: ConditionalSampler,
    n: int,
    bounds: list[Bound],
    rebalance: Rebalance,
    mass: float,
    rng: np.random.Generator,
) -> tuple[list[tuple[int, list[Bound]]], dict[str, Any]]:
    names = sampler.names
    if rebalance.column not in names:
        raise InputError(f"--rebalance: column '{rebalance.column}' is not modelled")
    i = names.index(rebalance.column)
    codec = sampler.synth.codecs[i]
    if not isinstance(codec, CategoricalCodec):
        raise InputError(
            f"--rebalance: column '{rebalance.column}' is not categorical: use --where "
            "with a range instead"
        )
    if any(b.index == i for b in bounds):
        raise InputError(f"--rebalance: column '{rebalance.column}' also has a --where condition")
    cats = codec.categories
    conditional = sampler.backend.marginals(sampler.weights(bounds))[i]

    def eq(values: list[str], op: str = "=") -> Bound:
        cond = Condition(
            rebalance.column, op, tuple(values), f"{rebalance.column}{op}{'|'.join(values)}"
        )
        return bind(codec, i, cond)

    values: list[dict[str, Any]] = []
    strata: list[tuple[int, list[Bound]]] = []
    if rebalance.shares is None:
        live = [v for v in cats if conditional[codec._index[v]] * mass >= MIN_MASS]
        dropped = [v for v in cats if v not in live]
        if not live:
            raise InputError(f"--rebalance: no value of '{rebalance.column}' is possible")
        counts = _split(n, np.ones(len(live)), rng)
        for v, k in zip(live, counts, strict=True):
            strata.append((int(k), [*bounds, eq([v])]))
            values.append(
                {
                    "value": v,
                    "requested": 1 / len(live),
                    "model_share": float(conditional[codec._index[v]]),
                }
            )
        return strata, {
            "column": rebalance.column,
            "mode": "uniform over the values the model can produce (missing values: none)",
            "values": values,
            "dropped_values_with_no_model_mass": dropped,
        }
    shares = rebalance.shares
    for v in shares:
        if v not in cats:
            raise InputError(
                f"--rebalance: '{v}' is not among the {len(cats)} values the model has "
                f"for column '{rebalance.column}'"
            )
        if shares[v] > 0 and conditional[codec._index[v]] * mass < MIN_MASS:
            raise InputError(
                f"--rebalance: the model gives '{v}' of column '{rebalance.column}' "
                "probability ~0 (under the --where conditions): it cannot be raised"
            )
    listed = list(shares)
    rest = 1.0 - sum(shares.values())
    parts = np.array([shares[v] for v in listed] + [max(rest, 0.0)])
    counts = _split(n, parts, rng)
    for v, k in zip(listed, counts[:-1], strict=True):
        strata.append((int(k), [*bounds, eq([v])]))
        values.append(
            {"value": v, "requested": shares[v], "model_share": float(conditional[codec._index[v]])}
        )
    if counts[-1] > 0:
        others = eq(listed, "!=")
        others.full[codec.missing] = True  # the rest keeps its missing values
        if sampler.mass([*bounds, others]) < MIN_MASS:
            raise InputError(
                f"--rebalance: shares add up to {sum(shares.values()):.3f}, but the model "
                f"has no other value of '{rebalance.column}' to fill the rest"
            )
        strata.append((int(counts[-1]), [*bounds, others]))
    return strata, {
        "column": rebalance.column,
        "mode": "shares as requested; the rest in the model's proportions",
        "values": values,
    }
