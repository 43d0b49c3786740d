"""Marginal-based engine: MST (McKenna, Miklau & Sheldon, 2021).

Select–measure–generate, all in zCDP and charged to the ledger:

1. measure every 1-way marginal with Gaussian noise (a third of the engine's ρ), or take
   a column's from an earlier DP measurement of the same rows (:meth:`MSTEngine.use_one_way`:
   a category selection's counts, paid for with this step's share per column; the share
   saved goes to the later steps);
2. select a maximum spanning tree of column pairs: for each pair, the L1 gap between
   its true 2-way marginal and the one implied by the noisy 1-ways is the score, and
   d − 1 exponential-mechanism draws (Kruskal order) pick the edges (a third of ρ);
3. measure the selected 2-way marginals (the last third);
4. estimate a graphical model consistent with all noisy measurements (Private-PGM's
   mirror descent, :mod:`synth.engines.graphical`; option ``estimator="mbi"`` runs
   ``mbi`` 2.0's instead) and keep, as the model, the estimated marginals on the tree.

**Target-aware variant** (option ``target``: the schema's prediction target, when it is
modelled). The tree is a tree-augmented naive Bayes structure (Friedman, Geiger &
Goldszmidt, 1997) under DP: the budget is split four ways — 1-way marginals, the 2-way
marginal of the target with every other column, the exponential-mechanism choice of a
tree over the other columns scored by the L1 gap between each pair's true 3-way marginal
with the target and the one the noisy target pairs imply (conditional independence
given the target), and the 3-way marginals (target, a, b) of the chosen edges. Every
column then depends on the target directly and on its tree parent given the target,
which is what a model trained on the synthetic rows to predict the target needs.
Measured on UCI Adult (see BENCHMARKS.md): it raises TSTR AUC at the same ε.

Sampling is ancestral sampling along the tree with numpy, by randomised rounding
(:mod:`synth.engines.factors`), so the saved model is plain arrays (one table per
factor), nothing of ``mbi`` or JAX is needed to load it, and blocked tokens (e.g.
"missing" for non-nullable columns) are excluded by renormalising the conditionals.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from synth.engines.base import Engine, Progress, no_progress
from synth.engines.factors import chain_order, sample_factors
from synth.engines.graphical import estimate
from synth.engines.measure import (
    Tokens,
    batched_marginals,
    noisy_one_way,
    remap,
    require_rows,
    rows_estimate,
)
from synth.engines.registry import register_engine
from synth.ledger import PrivacyLedger, calibrate_rho
from synth.randomness import Randomness

DEFAULTS: dict[str, Any] = {"iters": 1000, "max_cells": 1_000_000}
MIN_ROWS = 50
#: (columns, noisy counts, noise σ) of each measured marginal
Measured = list[tuple[tuple[int, ...], np.ndarray, float | np.ndarray]]
#: ordered domains are grouped so that a bin expects at least this many rows (at least 8
#: groups): the joint structure is learnt at that resolution, the 1-way shape inside a group
#: comes back from the noisy 1-way counts. On UCI Adult (32k rows) 100 → 2000 took the
#: target-aware MST from 0.0408 to 0.0355 mean 2-way TVD at ε=1 and 0.0352 → 0.0320 at ε=10
#: (fewer, denser cells per measured 3-way table), TSTR AUC unchanged (0.889 → 0.893)
ROWS_PER_BIN = 2000
#: a token listed in option ``optional`` (a column's blank cells, its missing-value codes)
#: is emitted only when its noisy 1-way count is at least this many noise s.d. (MST's own
#: threshold for a value to stand alone). Noise alone gave blank cells in 0.1-0.6 % of the
#: rows of every Adult column (none blank in the real table); each pair's TVD carried two
#: columns' worth
ABSENT_Z = 3.0


@register_engine
class MSTEngine(Engine):
    name = "mst"

    def __init__(self, cardinalities: list[int], **options: Any) -> None:
        super().__init__(cardinalities, **{**DEFAULTS, **options})
        self.root = 0
        self.root_marginal = np.ones(self.cardinalities[0]) / self.cardinalities[0]
        #: (parents..., child) column indices per factor, in sampling order
        self.factor_cols: list[tuple[int, ...]] = []
        self.factor_tables: list[np.ndarray] = []
        self.mappings: list[np.ndarray] = [np.arange(k) for k in self.cardinalities]
        self.bucket_weights: list[np.ndarray] = [np.zeros(0) for _ in self.cardinalities]
        self.compressed_cards = list(self.cardinalities)
        #: per column, the optional tokens its 1-way counts did not find (never emitted)
        self.absent: list[list[int]] = [[] for _ in self.cardinalities]
        self.training_report: dict[str, Any] = {}
        #: earlier DP 1-way measurements by column (:meth:`use_one_way`); not saved
        self.given_one_way: dict[int, tuple[np.ndarray, float]] = {}

    @classmethod
    def one_way_share(cls, columns: int, **options: Any) -> float:
        """MST spends a third of its budget (a quarter with a target) on the 1-way counts."""
        with_target = options.get("target") is not None and columns >= 3
        return 1.0 / (cls._parts(with_target) * max(1, columns))

    @staticmethod
    def _parts(with_target: bool) -> float:
        """How many equal parts the budget is cut into (the target-aware variant: four)."""
        return 4.0 if with_target else 3.0

    def use_one_way(self, given: dict[int, tuple[np.ndarray, float]]) -> None:
        self.given_one_way = dict(given)

    def _target(self, d: int) -> int | None:
        t = self.options.get("target")
        if t is None or d < 3 or not 0 <= int(t) < d:
            return None
        return int(t)

    # -- fitting ------------------------------------------------------------------------
    def fit(
        self,
        tokens: Tokens,
        ledger: PrivacyLedger,
        rand: Randomness,
        progress: Progress = no_progress,
    ) -> None:
        d = tokens.shape[1]
        target = self._target(d)
        parts = self._parts(target is not None)
        rho = calibrate_rho(ledger)
        progress("MST: 1-way marginals", 0, 3)
        sigma1 = math.sqrt(d / (2.0 * rho / parts))
        measured, rho_1 = self._one_way(tokens, ledger, rand, sigma1, "1-way marginals (MST)")
        require_rows(self.rows_estimate, MIN_ROWS, "MST")
        # what the given 1-way counts saved goes to the later stages
        rest = (rho - rho_1) / (parts - 1.0)
        # MST's domain compression: values whose noisy count is below 3σ share one bucket
        # (post-processing of the 1-way measurements), so 2-way tables stay dense enough
        tokens, measured = self._compress(tokens, measured)
        progress("MST: selecting pairs", 1, 3)
        if target is None:
            edges = self._select(tokens, measured, ledger, rest, rand) if d > 1 else []
            cliques: list[tuple[int, ...]] = list(edges)
        else:
            pairs = self._measure(
                tokens,
                [(target, i) for i in range(d) if i != target],
                ledger,
                rest,
                rand,
                "2-way marginals with the target (MST, target-aware)",
            )
            measured.extend(pairs)
            edges = self._select_given(tokens, target, pairs, ledger, rest, rand)
            cliques = [(target, a, b) for a, b in edges]
        name = "2-way marginals (MST tree)" if target is None else "3-way (target, a, b) marginals"
        measured.extend(self._measure(tokens, cliques, ledger, rest, rand, name))
        progress("MST: estimating model", 2, 3)
        self._build(d, target, edges, self._estimate(measured, cliques, target, d))
        progress("MST: estimating model", 3, 3)
        self.training_report = {
            "rows_estimate": round(self.rows_estimate),
            "rho": rho,
            "pairs": len(edges),
            "target": target,
            "sigma_1way": sigma1,
            "one_way_given": sorted(self.given_one_way),
            "compressed_cardinalities": self.compressed_cards,
            "factors": [list(map(int, c)) for c in self.factor_cols],
        }

    def _one_way(
        self, tokens: Tokens, ledger: PrivacyLedger, rand: Randomness, sigma: float, purpose: str
    ) -> tuple[Measured, float]:
        """Every column's 1-way measurement: the given one (:attr:`given_one_way`: its
        uncounted tokens get σ = ∞, i.e. no weight), the others' counts measured now at
        noise ``sigma`` as one Gaussian mechanism (charged). Sets :attr:`rows_estimate`
        from the counts measured now (a given one leaves tokens uncounted); returns the
        measurements and the ρ charged."""
        d = tokens.shape[1]
        own = [i for i in range(d) if i not in self.given_one_way] or list(range(d))
        rho = len(own) / (2.0 * sigma**2)
        noisy, _ = noisy_one_way(
            tokens, self.cardinalities, ledger, rand, rho=rho, purpose=purpose, columns=own
        )
        self.rows_estimate = rows_estimate(noisy)
        mine = dict(zip(own, noisy, strict=True))
        measured: Measured = []
        for i in range(d):
            if i in mine:
                measured.append(((i,), mine[i], sigma))
                continue
            y, s = self.given_one_way[i]
            counted = np.isfinite(y)
            measured.append(((i,), np.where(counted, y, 0.0), np.where(counted, s, np.inf)))
        return measured, rho

    def _measure(
        self,
        tokens: Tokens,
        cliques: list[tuple[int, ...]],
        ledger: PrivacyLedger,
        rho: float,
        rand: Randomness,
        purpose: str,
    ) -> Measured:
        """Gaussian measurement of every clique's marginal as one ρ-zCDP mechanism."""
        if not cliques:
            return []
        sigma = math.sqrt(len(cliques) / (2.0 * rho))
        ledger.charge_gaussian(
            purpose,
            f"{len(cliques)} marginals",
            sigma=sigma,
            sensitivity=math.sqrt(len(cliques)),
            details={"marginals": len(cliques)},
        )
        out: Measured = []
        for c, m in zip(
            cliques, batched_marginals(tokens, cliques, self.compressed_cards), strict=True
        ):
            out.append((c, rand.gaussian_counts(m, sigma), sigma))
        return out

    def _compress(self, tokens: Tokens, measured: Measured) -> tuple[Tokens, Measured]:
        """Coarsen each column's domain from its noisy 1-way counts (post-processing).

        Unordered columns (MST): values whose noisy count is below 3σ share one bucket.
        Ordered columns (numeric/datetime bins, ``ordinal`` option = number of ordered
        tokens): neighbouring bins are grouped so that a group expects at least 3σ rows;
        the trailing 'missing' token stays its own value. Decoding draws a member of a
        group in proportion to its noisy count above σ (uniform when none is). A token a
        given measurement did not count (σ = ∞) stays alone.
        """
        ordinal = list(self.options.get("ordinal") or [0] * len(measured))
        optional = list(self.options.get("optional") or [[]] * len(measured))
        self.mappings = []
        self.bucket_weights = []
        self.absent = []
        new_measured = []
        for i, (c, y, s) in enumerate(measured):
            sigma = float(np.min(s))
            counted = np.isfinite(np.broadcast_to(s, np.shape(y)))
            self.absent.append(absent_tokens(y, s, optional[i]))
            mapping = self._mapping(np.where(counted, y, np.inf), sigma, int(ordinal[i]))
            k = int(mapping.max()) + 1
            y_new = np.bincount(mapping, weights=y, minlength=k)
            weights = self._member_weights(y, mapping, sigma, int(ordinal[i]))
            self.mappings.append(mapping.astype(np.int64))
            self.bucket_weights.append(weights.astype(float))
            sizes = np.bincount(mapping, minlength=k)
            if np.ndim(s):
                # a group's count sums its members' noisy counts: the sum of their variances
                var = np.bincount(mapping, weights=np.square(s), minlength=k)
                new_measured.append((c, y_new, np.sqrt(var)))
            elif (sizes > 1).any():
                # a group's count sums its members' noisy counts: noise σ·√(members)
                new_measured.append((c, y_new, s * np.sqrt(sizes.astype(float))))
            else:
                new_measured.append((c, y_new, s))
        self.compressed_cards = [int(m.max()) + 1 for m in self.mappings]
        return remap(tokens, self.mappings), new_measured

    @staticmethod
    def _member_weights(
        y: np.ndarray, mapping: np.ndarray, sigma: float, ordered: int
    ) -> np.ndarray:
        """How a group's rows are shared among its members on decoding (post-processing of
        the noisy 1-way counts ``y``, noise s.d. ``sigma``); 0 for a token alone.

        A group of neighbouring ordered tokens (numeric bins, values of a code) shrinks its
        members' noisy counts towards the group's mean by the empirical-Bayes factor
        ``s² / (s² + σ²)``, where ``s²`` is the spread of the counts beyond the noise
        (James–Stein): DP quantile bins hold about equal mass, and their counts of a few
        dozen rows under σ ≈ 40 at ε = 1 would otherwise set the shape inside a group by
        noise alone, while a group holding one heavy value (40 hours a week) keeps it.
        Unordered buckets (the categories below 3σ) and groups holding a trailing token
        draw in proportion to the count above σ, so an empty public candidate is rarely
        emitted."""
        k = int(mapping.max()) + 1
        sizes = np.bincount(mapping, minlength=k)
        weights = np.where(sizes[mapping] > 1, np.clip(y - sigma, 0, None), 0.0)
        if ordered <= 1:
            return weights
        for g in np.flatnonzero(sizes > 1):
            members = np.flatnonzero(mapping == g)
            if members.max() >= ordered:
                continue
            ym = y[members]
            mean = float(ym.mean())
            spread = max(0.0, float(ym.var()) - sigma**2)
            factor = spread / (spread + sigma**2)
            weights[members] = np.clip(mean + factor * (ym - mean), 0, None)
        return weights

    @staticmethod
    def _mapping(y: np.ndarray, sigma: float, ordered: int) -> np.ndarray:
        k = len(y)
        if ordered > 1:
            n_est = max(float(y.sum()), 1.0)  # unbiased: clipping would add the noise
            # groups expect ≥ 3σ rows (noise) and ≥ ROWS_PER_BIN rows (2-way tables built
            # on them stay dense enough to measure): few rows → coarser bins
            max_groups = max(8.0, n_est / ROWS_PER_BIN)
            # a column of at most 2·max_groups tokens keeps them (pairing neighbours would
            # halve the resolution of a code column for little density: Adult's education-num,
            # 1-16 read as 19 values, lost its one-to-one tie to education, pair TVD 0.37)
            dense = math.ceil(ordered / max_groups) if ordered > 2 * max_groups else 1
            group = max(1, math.ceil(ordered * 3.0 * sigma / n_est), dense)
            if group > 1:
                mapping = np.arange(k) // group
                rest = np.arange(ordered, k)  # trailing tokens (missing) stay apart
                mapping[rest] = mapping[ordered - 1] + 1 + np.arange(len(rest))
                return mapping
        keep = y >= 3.0 * sigma
        if keep.all() or not keep.any():
            return np.arange(k)
        kept = np.flatnonzero(keep)
        mapping = np.full(k, len(kept), dtype=np.int64)
        mapping[kept] = np.arange(len(kept))
        return mapping

    def _select(
        self,
        tokens: Tokens,
        measured: Measured,
        ledger: PrivacyLedger,
        rho: float,
        rand: Randomness,
    ) -> list[tuple[int, int]]:
        """MST: pairs scored by the L1 gap between their true 2-way marginal and the
        product of the noisy 1-ways."""
        d = tokens.shape[1]
        cards = self.compressed_cards
        probs = []
        for _c, y, _s in measured[:d]:
            p = np.clip(y, 0, None) + 1e-9
            probs.append(p / p.sum())
        n_est = max(1.0, float(np.mean([np.clip(y, 0, None).sum() for _c, y, _s in measured[:d]])))
        pairs = [
            (i, j)
            for i in range(d)
            for j in range(i + 1, d)
            if cards[i] * cards[j] <= self.options["max_cells"]
        ]
        scores = {}
        for (i, j), true in zip(pairs, batched_marginals(tokens, pairs, cards), strict=True):
            indep = n_est * np.outer(probs[i], probs[j])
            scores[(i, j)] = float(np.abs(true - indep).sum())
        return self._spanning_tree(list(range(d)), scores, ledger, rho, rand)

    def _select_given(
        self,
        tokens: Tokens,
        target: int,
        pairs: Measured,
        ledger: PrivacyLedger,
        rho: float,
        rand: Randomness,
    ) -> list[tuple[int, int]]:
        """Target-aware: pairs (a, b) of other columns scored by the L1 gap between the
        true (target, a, b) marginal and the one that the noisy (target, a) and
        (target, b) marginals imply if a and b were independent given the target."""
        cards = self.compressed_cards
        joint = {c[1]: np.clip(y, 0, None) + 1e-9 for c, y, _s in pairs}
        n_est = max(1.0, float(np.mean([m.sum() for m in joint.values()])))
        p_t = np.mean([m.sum(axis=1) / m.sum() for m in joint.values()], axis=0)
        cond = {i: m / m.sum(axis=1, keepdims=True) for i, m in joint.items()}
        others = sorted(joint)
        triples = [
            (target, a, b)
            for x, a in enumerate(others)
            for b in others[x + 1 :]
            if cards[target] * cards[a] * cards[b] <= self.options["max_cells"]
        ]
        scores = {}
        for (_t, a, b), true in zip(
            triples, batched_marginals(tokens, triples, cards), strict=True
        ):
            model = n_est * p_t[:, None, None] * cond[a][:, :, None] * cond[b][:, None, :]
            scores[(a, b)] = float(np.abs(true - model).sum())
        return self._spanning_tree(others, scores, ledger, rho, rand)

    def _spanning_tree(
        self,
        nodes: list[int],
        scores: dict[tuple[int, int], float],
        ledger: PrivacyLedger,
        rho: float,
        rand: Randomness,
    ) -> list[tuple[int, int]]:
        """Kruskal's order with each edge drawn by the exponential mechanism (as in MST).

        ``len(nodes) − 1`` draws, each ρ/(draws)-zCDP: ε_EM = √(8ρ) with sensitivity 1
        (one row moves a score's true marginal by 1 in L1; the model it is compared with
        comes from noisy measurements, i.e. post-processing — MST's treatment).
        """
        draws = max(1, len(nodes) - 1)
        eps_em = math.sqrt(8.0 * rho / draws)
        ledger.charge_zcdp(
            "pair selection (exponential mechanism, MST)",
            f"{draws} draws over {len(scores)} pairs",
            rho=rho,
            details={"epsilon_per_draw": eps_em},
        )
        parent = {v: v for v in nodes}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        chosen: list[tuple[int, int]] = []
        for _ in range(len(nodes) - 1):
            live = [e for e in scores if find(e[0]) != find(e[1])]
            if not live:
                break
            w = np.array([scores[e] for e in live])
            p = np.exp(eps_em / 2.0 * (w - w.max()))
            pick = live[int(rand.rng.choice(len(live), p=p / p.sum()))]
            chosen.append(pick)
            parent[find(pick[0])] = find(pick[1])
        return chosen

    def _estimate(
        self,
        measured: Measured,
        cliques: list[tuple[int, ...]],
        target: int | None,
        d: int,
    ) -> dict[tuple[int, ...], np.ndarray]:
        """Marginals of the model that best fits every measurement (Private-PGM).

        ``estimator="numpy"`` (default): :func:`synth.engines.graphical.estimate`;
        ``"mbi"``: ``mbi`` 2.0's ``MirrorDescent`` (same algorithm, JIT-compiled per
        structure: ~25–45 s per fit on two cores, which is why it is not the default).
        """
        wanted = [(i,) for i in range(d)] + list(cliques)
        if target is not None:
            wanted += [(target, i) for i in range(d) if i != target]
        iters = int(self.options["iters"])
        if self.options.get("estimator", "numpy") == "mbi":
            return _estimate_mbi(self.compressed_cards, measured, wanted, iters)
        model = estimate(self.compressed_cards, measured, iters=iters)
        out: dict[tuple[int, ...], np.ndarray] = {}
        for c in wanted:
            m = model.project(c)  # axes by column index
            out[c] = np.clip(np.transpose(m, np.argsort(np.argsort(c))), 0, None)
        return out

    def _build(
        self,
        d: int,
        target: int | None,
        edges: list[tuple[int, int]],
        marginals: dict[tuple[int, ...], np.ndarray],
    ) -> None:
        """Sampling order: root, then one factor per column (its parents, then itself)."""

        def table(cols: tuple[int, ...]) -> np.ndarray:
            for key, m in marginals.items():
                if sorted(key) == sorted(cols) and len(key) == len(cols):
                    return np.transpose(m, [key.index(c) for c in cols])
            raise KeyError(cols)  # pragma: no cover - every factor's clique is estimated

        if target is None:
            self.root = 0
            order = chain_order(d, 0, edges)
            factors = [(u, v) for u, v in order]
            tables = [
                table((u, v))
                if (u, v) in edges or (v, u) in edges
                else np.outer(marginals[(u,)], marginals[(v,)])
                for u, v in order
            ]
        else:
            self.root = target
            others = [i for i in range(d) if i != target]
            # a forest over the other columns, relabelled so chain_order can walk it
            pos = {c: k for k, c in enumerate(others)}
            order = chain_order(len(others), 0, [(pos[a], pos[b]) for a, b in edges])
            linked = {frozenset(e) for e in edges}
            factors = [(target, others[0])]
            tables = [table((target, others[0]))]
            for u, v in ((others[a], others[b]) for a, b in order):
                if frozenset((u, v)) in linked:
                    factors.append((target, u, v))
                    tables.append(table((target, u, v)))
                else:  # not reached by the tree: depends on the target only
                    factors.append((target, v))
                    tables.append(table((target, v)))
        root = marginals[(self.root,)]
        self.root_marginal = root / max(float(root.sum()), 1e-12)
        self.factor_cols = [tuple(int(c) for c in f) for f in factors]
        self.factor_tables = tables

    # -- sampling -----------------------------------------------------------------------
    def sample(
        self,
        n: int,
        rng: np.random.Generator,
        blocked: list[list[int]] | None = None,
    ) -> np.ndarray:
        d = len(self.cardinalities)
        blocked = self._with_absent(blocked)
        bl = [self._compressed_blocked(i, blocked[i]) for i in range(d)]
        comp = sample_factors(
            n,
            d,
            self.root,
            self.root_marginal,
            list(zip(self.factor_cols, self.factor_tables, strict=True)),
            bl,
            rng,
        )
        return np.column_stack([self._decode(i, comp[:, i], blocked[i], rng) for i in range(d)])

    def _with_absent(self, blocked: list[list[int]] | None) -> list[list[int]]:
        """``blocked`` plus the :attr:`absent` tokens, per column, unless that leaves the
        column nothing to emit."""
        out = []
        for i, k in enumerate(self.cardinalities):
            own = list(blocked[i]) if blocked else []
            more = sorted(set(own) | set(self.absent[i]))
            out.append(more if len(more) < k else own)
        return out

    def _compressed_blocked(self, i: int, blocked: list[int]) -> list[int]:
        """Compressed tokens all of whose original tokens are blocked."""
        mapping = self.mappings[i]
        allowed = np.ones(len(mapping), dtype=bool)
        allowed[blocked] = False
        k = self.compressed_cards[i]
        has_allowed = np.bincount(mapping[allowed], minlength=k) > 0
        return [int(t) for t in np.flatnonzero(~has_allowed)]

    def _decode(
        self, i: int, comp: np.ndarray, blocked: list[int], rng: np.random.Generator
    ) -> np.ndarray:
        mapping = self.mappings[i]
        k = self.compressed_cards[i]
        sizes = np.bincount(mapping, minlength=k)
        if (sizes == 1).all():
            inverse = np.empty(k, dtype=np.int64)
            inverse[mapping] = np.arange(len(mapping))
            return inverse[comp]
        out = np.empty_like(comp)
        allowed = np.ones(len(mapping), dtype=bool)
        allowed[blocked] = False
        for c in np.unique(comp):
            rows = np.flatnonzero(comp == c)
            members = np.flatnonzero((mapping == c) & allowed)
            if len(members) == 0:
                members = np.flatnonzero(mapping == c)
            w = self.bucket_weights[i][members]
            p = w / w.sum() if w.sum() > 0 else np.full(len(members), 1.0 / len(members))
            out[rows] = rng.choice(members, size=len(rows), p=p)
        return out

    # -- persistence --------------------------------------------------------------------
    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"root_marginal": self.root_marginal}
        for k, m in enumerate(self.factor_tables):
            arrays[f"edge_{k:04d}"] = m
        for i, (mp, w) in enumerate(zip(self.mappings, self.bucket_weights, strict=True)):
            arrays[f"map_{i:04d}"] = mp
            arrays[f"bucket_{i:04d}"] = w
        config = {
            "cardinalities": self.cardinalities,
            "options": self.options,
            "root": self.root,
            # (parents..., child) per factor; a plain MST edge is [parent, child]
            "edges": [list(map(int, c)) for c in self.factor_cols],
            "absent": self.absent,
            "training": self.training_report,
        }
        return config, arrays

    def load_state_dict(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        d = len(self.cardinalities)
        self.root = int(config["root"])
        self.factor_cols = [tuple(int(c) for c in f) for f in config["edges"]]
        self.root_marginal = np.asarray(arrays["root_marginal"], dtype=float)
        self.factor_tables = [
            np.asarray(arrays[f"edge_{k:04d}"], dtype=float) for k in range(len(self.factor_cols))
        ]
        self.mappings = [np.asarray(arrays[f"map_{i:04d}"], dtype=np.int64) for i in range(d)]
        self.bucket_weights = [np.asarray(arrays[f"bucket_{i:04d}"], dtype=float) for i in range(d)]
        self.compressed_cards = [int(m.max()) + 1 for m in self.mappings]
        absent = config.get("absent") or [[] for _ in range(d)]
        if len(absent) != d or not all(
            0 <= int(t) < k for a, k in zip(absent, self.cardinalities, strict=True) for t in a
        ):
            raise ValueError("absent tokens do not match the model's columns")
        self.absent = [[int(t) for t in a] for a in absent]
        root_shape = (self.compressed_cards[self.root],) if 0 <= self.root < d else None
        if self.root_marginal.shape != root_shape:
            raise ValueError("root marginal does not match the model's columns")
        for cols, m in zip(self.factor_cols, self.factor_tables, strict=True):
            if len(cols) < 2 or not all(0 <= c < d for c in cols):
                raise ValueError(f"factor {cols} names unknown columns")
            if m.shape != tuple(self.compressed_cards[c] for c in cols):
                raise ValueError(f"factor {cols} has the wrong shape")
        self.training_report = config.get("training", {})

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "training": self.training_report}


def absent_tokens(y: np.ndarray, sigma: float | np.ndarray, optional: list[int]) -> list[int]:
    """The ``optional`` tokens whose noisy 1-way count ``y`` (noise s.d. ``sigma``, ∞ where
    not counted) is under ``ABSENT_Z`` s.d.: a column's blank cells, or a missing-value
    code, that its counts do not show (post-processing of the measurement).

    >>> absent_tokens(np.array([500.0, 20.0, 31.0, 2.0]), 10.0, [2, 3])
    [3]
    >>> absent_tokens(np.array([500.0, 2.0]), np.array([10.0, np.inf]), [1])
    []
    """
    s = np.broadcast_to(np.asarray(sigma, dtype=float), np.shape(y))
    return [int(t) for t in optional if np.isfinite(s[t]) and y[t] < ABSENT_Z * s[t]]


def _estimate_mbi(
    cards: list[int], measured: Measured, wanted: list[tuple[int, ...]], iters: int
) -> dict[tuple[int, ...], np.ndarray]:
    """The same estimate with ``mbi`` 2.0 (the reference the numpy estimator is tested on)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_enable_compilation_cache", False)
        from mbi import Domain, LinearMeasurement
        from mbi.estimation import MirrorDescent

    names = [f"c{i}" for i in range(len(cards))]
    domain = Domain(names, tuple(cards))
    ms = [
        LinearMeasurement(
            y.ravel(), tuple(names[i] for i in c), stddev=float(np.sqrt(np.mean(np.square(s))))
        )
        for c, y, s in measured
    ]
    model = MirrorDescent().estimate(domain, ms, iters=iters)
    out: dict[tuple[int, ...], np.ndarray] = {}
    for c in wanted:
        f = model.project(tuple(names[i] for i in c))
        out[c] = np.clip(np.asarray(f.datavector(flatten=False), dtype=float), 0, None)
    return out
