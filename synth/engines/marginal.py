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
from synth.engines.measure import marginal, noisy_one_way
from synth.engines.registry import register_engine
from synth.errors import BudgetError
from synth.ledger import PrivacyLedger, calibrate_rho

DEFAULTS: dict[str, Any] = {"iters": 1000, "max_cells": 1_000_000}
MIN_ROWS = 50
#: ordered domains are grouped so that a bin expects at least this many rows
ROWS_PER_BIN = 100


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
        progress("MST: 1-way marginals", 0, 3)
        noisy, sigma1 = noisy_one_way(
            tokens, cards, ledger, rng, rho=rho / 3.0, purpose="1-way marginals (MST)"
        )
        measured: list[tuple[tuple[int, ...], np.ndarray, float]] = [
            ((i,), y, sigma1) for i, y in enumerate(noisy)
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
                m = marginal(tokens, e, cards)
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
        """Coarsen each column's domain from its noisy 1-way counts (post-processing).

        Unordered columns (MST): values whose noisy count is below 3σ share one bucket.
        Ordered columns (numeric/datetime bins, ``ordinal`` option = number of ordered
        tokens): neighbouring bins are grouped so that a group expects at least 3σ rows;
        the trailing 'missing' token stays its own value. Decoding draws a member of a
        group in proportion to its noisy count above σ (uniform when none is).
        """
        ordinal = list(self.options.get("ordinal") or [0] * len(measured))
        self.mappings = []
        self.bucket_weights = []
        out = np.empty_like(tokens)
        new_measured = []
        for i, (c, y, s) in enumerate(measured):
            mapping = self._mapping(y, sigma, int(ordinal[i]))
            k = int(mapping.max()) + 1
            y_new = np.bincount(mapping, weights=y, minlength=k)
            grouped = np.bincount(mapping, minlength=k)[mapping] > 1
            weights = np.where(grouped, np.clip(y - sigma, 0, None), 0.0)
            self.mappings.append(mapping.astype(np.int64))
            self.bucket_weights.append(weights.astype(float))
            out[:, i] = mapping[tokens[:, i]]
            new_measured.append((c, y_new, s))
        self.compressed_cards = [int(m.max()) + 1 for m in self.mappings]
        return out, new_measured

    @staticmethod
    def _mapping(y: np.ndarray, sigma: float, ordered: int) -> np.ndarray:
        k = len(y)
        if ordered > 1:
            n_est = max(float(y.sum()), 1.0)  # unbiased: clipping would add the noise
            # groups expect ≥ 3σ rows (noise) and ≥ ROWS_PER_BIN rows (2-way tables built
            # on them stay dense enough to measure): few rows → coarser bins
            max_groups = max(8.0, n_est / ROWS_PER_BIN)
            group = max(
                1, math.ceil(ordered * 3.0 * sigma / n_est), math.ceil(ordered / max_groups)
            )
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
            true = marginal(tokens, (i, j), cards)
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
