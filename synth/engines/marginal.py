"""Marginal-based engine: MST (McKenna, Miklau & Sheldon, 2021) on private-pgm's ``mbi`` 2.0.

Select–measure–generate, all in zCDP and charged to the ledger:

1. measure every 1-way marginal with Gaussian noise (a third of the engine's ρ);
2. select a maximum spanning tree of column pairs: for each pair, the L1 gap between
   its true 2-way marginal and the one implied by the noisy 1-ways is the score, and
   d − 1 exponential-mechanism draws (Kruskal order) pick the edges (a third of ρ);
3. measure the selected 2-way marginals (the last third);
4. estimate a graphical model consistent with all noisy measurements (``mbi``'s
   mirror descent) and keep, as the model, the estimated marginals on the tree.

Sampling is exact ancestral sampling along the tree with numpy, so the saved model is
plain arrays (one marginal per tree edge), nothing of ``mbi`` or JAX is needed to load
it, and blocked tokens (e.g. "missing" for non-nullable columns) are excluded by
renormalising the conditionals.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from synth.engines.base import Engine, Progress, no_progress
from synth.engines.registry import register_engine
from synth.errors import BudgetError
from synth.ledger import PrivacyLedger, calibrate_rho

DEFAULTS: dict[str, Any] = {"iters": 1000, "max_cells": 1_000_000}
MIN_ROWS = 50


def _marginal(tokens: np.ndarray, cols: tuple[int, ...], cards: list[int]) -> np.ndarray:
    shape = tuple(cards[c] for c in cols)
    flat = np.ravel_multi_index(tuple(tokens[:, c] for c in cols), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).astype(float).reshape(shape)


@register_engine
class MSTEngine(Engine):
    name = "mst"

    def __init__(self, cardinalities: list[int], **options: Any) -> None:
        super().__init__(cardinalities, **{**DEFAULTS, **options})
        self.edges: list[tuple[int, int]] = []  # (parent, child) in sampling order
        self.root = 0
        self.root_marginal = np.ones(self.cardinalities[0]) / self.cardinalities[0]
        self.edge_marginals: list[np.ndarray] = []
        self.mappings: list[np.ndarray] = [np.arange(k) for k in self.cardinalities]
        self.bucket_weights: list[np.ndarray] = [np.zeros(0) for _ in self.cardinalities]
        self.compressed_cards = list(self.cardinalities)
        self.training_report: dict[str, Any] = {}

    # -- fitting ------------------------------------------------------------------------
    def fit(
        self,
        tokens: np.ndarray,
        ledger: PrivacyLedger,
        rng: np.random.Generator,
        progress: Progress = no_progress,
    ) -> None:
        n, d = tokens.shape
        if n < MIN_ROWS:
            raise BudgetError(f"{n} training rows are too few for the MST engine (need {MIN_ROWS})")
        cards = self.cardinalities
        rho = calibrate_rho(ledger)
        one_way = [(i,) for i in range(d)]
        progress("MST: 1-way marginals", 0, 3)
        sigma1 = math.sqrt(d / (2.0 * rho / 3.0))
        ledger.charge_gaussian(
            "1-way marginals (MST)",
            "all modelled columns",
            sigma=sigma1,
            sensitivity=math.sqrt(d),
            details={"columns": d},
        )
        measured: list[tuple[tuple[int, ...], np.ndarray, float]] = [
            (c, _marginal(tokens, c, cards) + rng.normal(0, sigma1, cards[c[0]]), sigma1)
            for c in one_way
        ]
        # MST's domain compression: values whose noisy count is below 3σ share one bucket
        # (post-processing of the 1-way measurements), so 2-way tables stay dense enough
        tokens, measured = self._compress(tokens, measured, sigma1)
        cards = self.compressed_cards
        edges: list[tuple[int, int]] = []
        if d > 1:
            progress("MST: selecting pairs", 1, 3)
            edges = self._select(tokens, measured, ledger, rho / 3.0, rng)
            sigma2 = math.sqrt(len(edges) / (2.0 * rho / 3.0))
            ledger.charge_gaussian(
                "2-way marginals (MST tree)",
                f"{len(edges)} column pairs",
                sigma=sigma2,
                sensitivity=math.sqrt(len(edges)),
                details={"pairs": len(edges)},
            )
            for e in edges:
                m = _marginal(tokens, e, cards)
                measured.append((e, m + rng.normal(0, sigma2, m.shape), sigma2))
        progress("MST: estimating model", 2, 3)
        marginals = self._estimate(measured, edges, n)
        self._build_tree(edges, marginals)
        progress("MST: estimating model", 3, 3)
        self.training_report = {
            "rows": n,
            "rho": rho,
            "pairs": len(edges),
            "sigma_1way": sigma1,
            "compressed_cardinalities": self.compressed_cards,
            "tree": [[int(a), int(b)] for a, b in self.edges],
        }

    def _compress(
        self,
        tokens: np.ndarray,
        measured: list[tuple[tuple[int, ...], np.ndarray, float]],
        sigma: float,
    ) -> tuple[np.ndarray, list[tuple[tuple[int, ...], np.ndarray, float]]]:
        self.mappings = []
        self.bucket_weights = []
        out = np.empty_like(tokens)
        new_measured = []
        for i, (c, y, s) in enumerate(measured):
            keep = y >= 3.0 * sigma
            if keep.all() or not keep.any():
                mapping = np.arange(len(y))
                y_new = y
                weights = np.zeros(0)
            else:
                kept = np.flatnonzero(keep)
                mapping = np.full(len(y), len(kept), dtype=np.int64)
                mapping[kept] = np.arange(len(kept))
                # the merged bucket's noisy count is the sum of its members' noisy counts
                y_new = np.append(y[kept], y[~keep].sum())
                # decode weights: the part of each merged cell's count above one σ (noise
                # alone rarely gets there); all-zero weights fall back to uniform
                weights = np.where(~keep, np.clip(y - sigma, 0, None), 0.0)
            self.mappings.append(mapping.astype(np.int64))
            self.bucket_weights.append(weights.astype(float))
            out[:, i] = mapping[tokens[:, i]]
            # the bucket sums several noisy cells: its variance grows, keep the mean σ
            new_measured.append((c, y_new, s))
        self.compressed_cards = [int(m.max()) + 1 for m in self.mappings]
        return out, new_measured

    def _select(
        self,
        tokens: np.ndarray,
        measured: list[tuple[tuple[int, ...], np.ndarray, float]],
        ledger: PrivacyLedger,
        rho: float,
        rng: np.random.Generator,
    ) -> list[tuple[int, int]]:
        d = tokens.shape[1]
        cards = self.compressed_cards
        probs = []
        for _c, y, _s in measured[:d]:
            p = np.clip(y, 0, None) + 1e-9
            probs.append(p / p.sum())
        n_est = max(1.0, float(np.mean([np.clip(y, 0, None).sum() for _c, y, _s in measured[:d]])))
        candidates = [
            (i, j)
            for i in range(d)
            for j in range(i + 1, d)
            if cards[i] * cards[j] <= self.options["max_cells"]
        ]
        scores = {}
        for i, j in candidates:
            true = _marginal(tokens, (i, j), cards)
            indep = n_est * np.outer(probs[i], probs[j])
            scores[(i, j)] = float(np.abs(true - indep).sum())
        # d-1 exponential-mechanism draws, each ρ/(d-1)-zCDP: ε_EM = √(8ρ) with sensitivity 1
        # (one row moves an L1 gap by at most 1 plus the shift of the n-scaled model;
        # as in MST we treat the score's sensitivity as 1)
        rho_each = rho / max(1, d - 1)
        eps_em = math.sqrt(8.0 * rho_each)
        ledger.charge_zcdp(
            "pair selection (exponential mechanism, MST)",
            f"{d - 1} draws over {len(candidates)} pairs",
            rho=rho,
            details={"epsilon_per_draw": eps_em},
        )
        parent = list(range(d))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        chosen: list[tuple[int, int]] = []
        for _ in range(d - 1):
            live = [e for e in candidates if find(e[0]) != find(e[1])]
            if not live:
                break
            w = np.array([scores[e] for e in live])
            logits = eps_em / 2.0 * (w - w.max())
            p = np.exp(logits)
            pick = live[int(rng.choice(len(live), p=p / p.sum()))]
            chosen.append(pick)
            parent[find(pick[0])] = find(pick[1])
        return chosen

    def _estimate(
        self,
        measured: list[tuple[tuple[int, ...], np.ndarray, float]],
        edges: list[tuple[int, int]],
        n: int,
    ) -> dict[tuple[int, ...], np.ndarray]:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jax

            jax.config.update("jax_enable_x64", True)
            jax.config.update("jax_enable_compilation_cache", False)
            from mbi import Domain, LinearMeasurement
            from mbi.estimation import MirrorDescent

        names = [f"c{i}" for i in range(len(self.compressed_cards))]
        domain = Domain(names, tuple(self.compressed_cards))
        ms = [
            LinearMeasurement(y.ravel(), tuple(names[i] for i in c), stddev=s)
            for c, y, s in measured
        ]
        model = MirrorDescent().estimate(domain, ms, iters=int(self.options["iters"]))
        out: dict[tuple[int, ...], np.ndarray] = {}
        for e in [*[(i,) for i in range(len(names))], *edges]:
            f = model.project(tuple(names[i] for i in e))
            out[e] = np.clip(np.asarray(f.datavector(flatten=False), dtype=float), 0, None)
        return out

    def _build_tree(
        self, edges: list[tuple[int, int]], marginals: dict[tuple[int, ...], np.ndarray]
    ) -> None:
        d = len(self.compressed_cards)
        adj: dict[int, list[int]] = {i: [] for i in range(d)}
        for a, b in edges:
            adj[a].append(b)
            adj[b].append(a)
        self.root = 0
        self.root_marginal = marginals[(0,)] / max(marginals[(0,)].sum(), 1e-12)
        order: list[tuple[int, int]] = []
        seen = {0}
        queue = [0]
        while queue:
            u = queue.pop(0)
            for v in sorted(adj[u]):
                if v not in seen:
                    seen.add(v)
                    order.append((u, v))
                    queue.append(v)
        mats = []
        for u, v in order:
            m = marginals[(u, v)] if (u, v) in marginals else marginals[(v, u)].T
            mats.append(m)
        # columns outside the tree (pairs too large to measure) hang off the root
        for v in range(d):
            if v not in seen:
                order.append((self.root, v))
                mats.append(np.outer(self.root_marginal, marginals[(v,)]))
        self.edges = order
        self.edge_marginals = mats

    # -- sampling -----------------------------------------------------------------------
    def sample(
        self,
        n: int,
        rng: np.random.Generator,
        blocked: list[list[int]] | None = None,
        fixed: dict[int, np.ndarray] | None = None,
    ) -> np.ndarray:
        d = len(self.cardinalities)
        bl = [self._compressed_blocked(i, blocked[i] if blocked else []) for i in range(d)]
        comp = np.zeros((n, d), dtype=np.int64)
        p0 = self.root_marginal.copy()
        p0[bl[self.root]] = 0
        comp[:, self.root] = rng.choice(len(p0), size=n, p=_normalise(p0))
        for (u, v), m in zip(self.edges, self.edge_marginals, strict=True):
            cond = m.copy() + 1e-12  # rows: parent token, cols: child token
            cond[:, bl[v]] = 0
            cond = cond / cond.sum(axis=1, keepdims=True)
            cum = np.cumsum(cond, axis=1)
            u_draw = rng.random(n)[:, None]
            comp[:, v] = np.minimum((u_draw > cum[comp[:, u]]).sum(axis=1), cond.shape[1] - 1)
        out = np.column_stack(
            [self._decode(i, comp[:, i], blocked[i] if blocked else [], rng) for i in range(d)]
        )
        if fixed:
            for i, vals in fixed.items():
                out[:, i] = vals[:n]
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
        if len(self.bucket_weights[i]) == 0:
            return comp
        inverse = np.full(self.compressed_cards[i], -1, dtype=np.int64)
        singles = np.bincount(mapping, minlength=self.compressed_cards[i]) == 1
        for orig, c in enumerate(mapping):
            if singles[c]:
                inverse[c] = orig
        out = inverse[comp]
        merged = out < 0
        if merged.any():
            w = self.bucket_weights[i].copy() + 1e-9 * (mapping == mapping.max())
            w[blocked] = 0
            w[mapping != mapping.max()] = 0
            out[merged] = rng.choice(len(w), size=int(merged.sum()), p=_normalise(w))
        return out

    # -- persistence --------------------------------------------------------------------
    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"root_marginal": self.root_marginal}
        for k, m in enumerate(self.edge_marginals):
            arrays[f"edge_{k:04d}"] = m
        for i, (mp, w) in enumerate(zip(self.mappings, self.bucket_weights, strict=True)):
            arrays[f"map_{i:04d}"] = mp
            arrays[f"bucket_{i:04d}"] = w
        config = {
            "cardinalities": self.cardinalities,
            "options": self.options,
            "root": self.root,
            "edges": [[int(a), int(b)] for a, b in self.edges],
            "training": self.training_report,
        }
        return config, arrays

    def load_state_dict(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.root = int(config["root"])
        self.edges = [(int(a), int(b)) for a, b in config["edges"]]
        self.root_marginal = np.asarray(arrays["root_marginal"], dtype=float)
        self.edge_marginals = [
            np.asarray(arrays[f"edge_{k:04d}"], dtype=float) for k in range(len(self.edges))
        ]
        d = len(self.cardinalities)
        self.mappings = [np.asarray(arrays[f"map_{i:04d}"], dtype=np.int64) for i in range(d)]
        self.bucket_weights = [np.asarray(arrays[f"bucket_{i:04d}"], dtype=float) for i in range(d)]
        self.compressed_cards = [int(m.max()) + 1 for m in self.mappings]
        for (u, v), m in zip(self.edges, self.edge_marginals, strict=True):
            if m.shape != (self.compressed_cards[u], self.compressed_cards[v]):
                raise ValueError(f"edge marginal {u}-{v} has the wrong shape")
        self.training_report = config.get("training", {})

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "training": self.training_report}


def _normalise(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0, None) + 1e-12
    return p / p.sum()
