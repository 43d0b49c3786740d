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
measured the same way).

>>> c = parse_where(["sex=F|M, age=30..40", "bmi<25"])
>>> [(x.column, x.op, x.values) for x in c]
[('sex', '=', ('F', 'M')), ('age', 'range', ('30', '40')), ('bmi', '<', ('25',))]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synth.constraints import enforce
from synth.encoding import CategoricalCodec, Codec, DatetimeCodec, NumericCodec
from synth.engines.factors import sample_factors
from synth.engines.graphical import Model, junction_tree
from synth.engines.marginal import MSTEngine
from synth.errors import InputError
from synth.io.numbers import to_numbers

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

_TERM = re.compile(r"^\s*(?P<col>[^=<>!]+?)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<val>.*?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One term of ``--where``: ``column op value``; ``op`` is ``=``/``!=`` (values: the
    alternatives separated by ``|``), ``<``, ``<=``, ``>``, ``>=`` (one value) or
    ``range`` (``column=low..high``, inclusive; either end may be empty)."""

    column: str
    op: str
    values: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Rebalance:
    """``--rebalance COLUMN[=value:share,...]``: ``shares`` None means uniform."""

    column: str
    shares: dict[str, float] | None
    text: str


def parse_where(texts: list[str]) -> list[Condition]:
    """Conditions from one or more ``--where`` strings (terms separated by commas)."""
    out: list[Condition] = []
    for text in texts:
        for term in (t for t in text.split(",") if t.strip()):
            m = _TERM.match(term)
            if m is None or not m["val"]:
                raise InputError(
                    f"--where: cannot read '{term.strip()}': write COLUMN=VALUE, "
                    "COLUMN=V1|V2, COLUMN!=VALUE, COLUMN>=NUMBER or COLUMN=LOW..HIGH"
                )
            col, op, val = m["col"].strip(), m["op"], m["val"]
            if op == "=" and ".." in val:
                low, _, high = val.partition("..")
                if not low.strip() and not high.strip():
                    raise InputError(f"--where: '{term.strip()}' gives neither end of the range")
                out.append(Condition(col, "range", (low.strip(), high.strip()), term.strip()))
            elif op in ("=", "!="):
                values = tuple(v.strip() for v in val.split("|"))
                out.append(Condition(col, op, values, term.strip()))
            else:
                out.append(Condition(col, op, (val,), term.strip()))
    seen: set[str] = set()
    for c in out:
        if c.column in seen:
            raise InputError(
                f"--where: column '{c.column}' has two conditions: combine them into one "
                "(e.g. age=30..40)"
            )
        seen.add(c.column)
    return out


def parse_rebalance(text: str) -> Rebalance:
    """``COLUMN`` (uniform) or ``COLUMN=value:share,value:share`` (shares in [0, 1] or %)."""
    col, eq, rest = text.partition("=")
    col = col.strip()
    if not col:
        raise InputError("--rebalance: give a column, e.g. --rebalance diagnosis=E11:0.1")
    if not eq:
        return Rebalance(col, None, text)
    shares: dict[str, float] = {}
    for part in (p for p in rest.split(",") if p.strip()):
        value, colon, share = part.rpartition(":")
        if not colon or not value.strip():
            raise InputError(f"--rebalance: cannot read '{part.strip()}': write VALUE:SHARE")
        s = share.strip()
        try:
            x = float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
        except ValueError:
            raise InputError(f"--rebalance: share '{s}' is not a number") from None
        if not 0.0 <= x <= 1.0 or not math.isfinite(x):
            raise InputError(f"--rebalance: share '{s}' is outside 0..1")
        shares[value.strip()] = x
    if not shares:
        raise InputError("--rebalance: no VALUE:SHARE after '='")
    if sum(shares.values()) > 1.0 + 1e-9:
        raise InputError(f"--rebalance: the shares add up to {sum(shares.values()):.3f} > 1")
    return Rebalance(col, shares, text)


# -- conditions on tokens and values ------------------------------------------------------
@dataclass
class Bound:
    """A condition bound to a model column: per token, whether all (``full``) or some
    (``partial``) of its decoded values hold it, and the test of a decoded value."""

    index: int
    condition: Condition
    full: np.ndarray
    partial: np.ndarray
    holds: Callable[[pd.Series], np.ndarray]

    @property
    def tokens(self) -> np.ndarray:
        return self.full | self.partial


def _intervals(codec: NumericCodec) -> tuple[np.ndarray, np.ndarray]:
    """Per value token (bins, then points), the lowest and highest value it decodes to."""
    t = np.arange(codec.n_bins)
    if codec.n_bins == 1 and codec.edges is None:
        lo = hi = np.full(1, codec.low)
    elif codec.exact:
        lo = hi = codec.low + t * codec.step
    elif codec.edges is not None:
        lo, hi = codec.edges[:-1], codec.edges[1:]
    else:
        w = (codec.high - codec.low) / codec.n_bins
        lo, hi = codec.low + t * w, codec.low + (t + 1) * w
    lo = np.clip(np.r_[lo, codec.points], codec.low, codec.high)
    hi = np.clip(np.r_[hi, codec.points], codec.low, codec.high)
    return lo, hi


def _number(codec: NumericCodec, text: str, cond: Condition) -> float:
    if isinstance(codec, DatetimeCodec):
        days = DatetimeCodec.to_days(pd.Series([text]), None).iloc[0]
        if not np.isfinite(days):
            raise InputError(f"--where {cond.text}: '{text}' is not a date")
        return float(days)
    x = to_numbers(pd.Series([text])).iloc[0]
    if not np.isfinite(x):
        raise InputError(f"--where {cond.text}: '{text}' is not a number")
    return float(x)


def bind(codec: Codec, index: int, cond: Condition) -> Bound:
    """The token sets and value test of ``cond`` on ``codec``'s column."""
    k = codec.cardinality
    full, partial = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    if isinstance(codec, CategoricalCodec):
        if cond.op not in ("=", "!="):
            raise InputError(
                f"--where {cond.text}: column '{cond.column}' is categorical: use = or !="
            )
        unknown = [v for v in cond.values if v not in codec.categories]
        if unknown:
            raise InputError(
                f"--where {cond.text}: '{unknown[0]}' is not among the "
                f"{len(codec.categories)} values the model has for column '{cond.column}'"
            )
        chosen = np.isin(np.arange(len(codec.categories)), [codec._index[v] for v in cond.values])
        full[: len(codec.categories)] = chosen if cond.op == "=" else ~chosen
        wanted = set(cond.values)

        def holds_cat(values: pd.Series) -> np.ndarray:
            inside = values.astype(object).map(lambda v: v is not None and str(v) in wanted)
            ok = inside.to_numpy(dtype=bool)
            return ok if cond.op == "=" else (~ok & values.notna().to_numpy())

        return Bound(index, cond, full, partial, holds_cat)
    assert isinstance(codec, NumericCodec)
    nums = [_number(codec, v, cond) for v in cond.values if v != ""]
    lo, hi = _intervals(codec)
    point = lo == hi
    if cond.op in ("=", "!="):
        targets = np.asarray(nums, dtype=float)
        tol = 1e-9 * max(1.0, float(np.abs(targets).max()))

        def equal(x: np.ndarray) -> np.ndarray:
            return (np.abs(x[:, None] - targets[None, :]) <= tol).any(axis=1)

        inside = equal if cond.op == "=" else (lambda x: ~equal(x))
        meets = (
            (targets[None, :] >= lo[:, None] - tol) & (targets[None, :] <= hi[:, None] + tol)
        ).any(1)
        if cond.op == "=":
            tok_full, tok_part = point & meets, ~point & meets
        else:
            tok_full, tok_part = ~meets, ~point & meets
    else:
        # an interval condition: (low, high) with open or closed ends
        if cond.op == "range":
            low = _number(codec, cond.values[0], cond) if cond.values[0] else -math.inf
            high = _number(codec, cond.values[1], cond) if cond.values[1] else math.inf
            if low > high:
                raise InputError(f"--where {cond.text}: the range is empty (low > high)")
            low_open = high_open = False
        else:
            v = nums[0]
            low, high = (v, math.inf) if cond.op in (">", ">=") else (-math.inf, v)
            low_open, high_open = cond.op == ">", cond.op == "<"

        def inside(x: np.ndarray) -> np.ndarray:
            above = x > low if low_open else x >= low
            below = x < high if high_open else x <= high
            return above & below

        # a token's values [lo, hi] all hold it, or some do (the intervals meet)
        meets = (hi > low if low_open else hi >= low) & (lo < high if high_open else lo <= high)
        tok_full = inside(lo) & inside(hi)
        tok_part = meets & ~tok_full
    # decoded values of a bin are rounded (to the precision, to whole days), which may move
    # one across the condition's edge: a bin is always checked value by value
    tok_part = tok_part | (tok_full & ~point)
    tok_full = tok_full & point
    full[: len(lo)], partial[: len(lo)] = tok_full, tok_part

    def holds_num(values: pd.Series) -> np.ndarray:
        if isinstance(codec, DatetimeCodec):
            x = DatetimeCodec.to_days(values.astype(object), codec.fmt).to_numpy(dtype=float)
        else:
            x = to_numbers(values.astype(object)).to_numpy(dtype=float)
        ok = np.isfinite(x)
        ok[ok] = inside(x[ok])
        return ok

    return Bound(index, cond, full, partial, holds_num)


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
        for c, col in zip(synth.codecs, synth.columns, strict=True):
            allowed = np.ones(c.cardinality, dtype=bool)
            block = c.blocked_tokens() + ([] if col.nullable else [c.missing])  # type: ignore[attr-defined]
            if len(set(block)) >= c.cardinality:
                block = c.blocked_tokens()
            allowed[block] = False
            base.append(allowed)
        self.base = base
        engine = synth._require_fitted()
        self.backend: _Exact | _Rejection = (
            _Exact(engine, base)
            if isinstance(engine, MSTEngine)
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
