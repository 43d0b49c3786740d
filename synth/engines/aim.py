"""Adaptive marginal engine: AIM (McKenna, Mullins, Sheldon & Miklau, VLDB 2022).

Select–measure–generate in rounds, all zCDP and charged to the ledger round by round:

1. measure every 1-way marginal (and coarsen each domain from it, as MST does), or take
   a column's from an earlier DP measurement of the same rows (:meth:`use_one_way`: the
   category selection's counts, paid for with this step's share per column);
2. repeat until the budget is spent: estimate the model from everything measured so far
   (mirror descent, warm-started, :mod:`synth.engines.graphical`); among the candidate
   marginals — the workload, every pair of columns, and its 1-way subsets (unless option
   ``remeasure_one_way`` is off) — whose addition keeps the model under a
   size limit that grows with the budget spent, pick one with the exponential mechanism,
   scored by its weighted L1 error under the current model minus the error its Gaussian
   measurement would add, ``w_r (‖M_r(D) − M_r(p̂)‖₁ − c·√(2/π) σ n_r)`` (``c`` = 1 in
   AIM's paper; here 0.5 when each person holds one row, :data:`ONE_ROW_PENALTY`);
   measure it. A pair holding an ordered column of many tokens is also a candidate in a
   coarse view (neighbouring tokens grouped, :meth:`AIMEngine._coarse_groups`): the model
   keeps the pair at full resolution, the measurement counts groups (a linear query the
   estimator fits, :func:`synth.engines.grouping.coarsen`), so a pair whose full table
   would drown in noise (age × hours-per-week: 17 × 16 cells) is measured over ≈ 8 × 8.
   AIM's budget annealing (halve the noise when a measurement barely moved the model) is
   an option, off by default: the rounds left after the 1-way marginals (at most
   ``max_rounds``) share the budget equally;
3. estimate the final model and keep it as conditional tables along its junction tree, so
   sampling and the saved model are exactly the MST engine's (:mod:`synth.engines.factors`).

Budget per round (AIM's rule): ``T`` rounds' worth, 90 % of a round to the measurement
(σ² = T / (2·0.9·ρ)) and 10 % to the selection (ε = √(8·0.1·ρ/T)); the 1-way marginals
take ``d`` rounds' worth, the rest is split over ``min(T − d, max_rounds)`` rounds; the
last round takes whatever remains. The quality score has sensitivity ``max_r w_r``: a
coarse view has its pair's weight, and one row moves one cell of its table by 1.

Workload: all pairs. Option ``target_triples`` adds every (target, a, b) triple when the
schema declares a target; measured on UCI Adult it does not pay: the same TSTR AUC
(0.897 / 0.906 at ε = 1 / 10) for worse 2-way TVD (0.0365 / 0.0252 against 0.0360 /
0.0150 with pairs only), so it is off by default.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from synth.engines.base import Progress, no_progress
from synth.engines.graphical import Measurement, Model, estimate, model_cells
from synth.engines.grouping import Grouping, coarsen
from synth.engines.marginal import MIN_ROWS, MSTEngine
from synth.engines.measure import (
    Tokens,
    batched_marginals,
    require_rows,
)
from synth.engines.registry import register_engine
from synth.ledger import PrivacyLedger, calibrate_rho
from synth.randomness import Randomness

DEFAULTS: dict[str, Any] = {
    # T = 4·d initial rounds (AIM's paper: 16·d). On Adult at ε = 1 and 10, T = 50–60 gave
    # 2-way TVD 0.0365–0.038 / 0.025, T = 16·d = 240 0.0415 / — (more rounds, more noise
    # each, the annealing rarely recovers it)
    "rounds_per_column": 4,
    "measure_share": 0.9,
    # model size limit in cells of the junction tree (8 bytes each, ≈ 1.2 MB): AIM's default
    # is 80 MB, but each round re-fits the model, so the fit time grows with it. On Adult at
    # ε = 10: 2-way TVD 0.0267 at 100k cells (27 s), 0.0252 at 150k (35 s), 0.0247 at
    # 300k (62 s), 0.0247 at 2M (444 s). 250k with the coarse views and no annealing: on
    # Adult's draft at ε = 1, 2-way TVD 0.0305 ± 0.0013 over 16 fits against 0.0317 ± 0.0009
    # (main, 18 fits), 0.0312 with 150k; 250k alone (annealing, no coarse views) 0.0326.
    # About 2× the fit's CPU (Adult 10 → 23 CPU-s, diabetes130 23 → 42)
    "max_model_cells": 250_000,
    "max_cells": 1_000_000,  # largest single marginal considered
    "round_iters": 100,
    "final_iters": 1500,
    # ordered columns with more tokens than this also enter pairs as a coarse view: their
    # neighbouring tokens merged into about this many groups of equal noisy mass (0: off).
    # 8 while a number's points stayed apart (8 groups plus ~30 points for a heaped
    # column); with the points placed among the bins (``value_order``), 12 against 8 on
    # the default path at ε = 1: Adult 0.0337 / 0.0340 (8 fits each), the census table
    # 0.0201 / 0.0208 (8), the 1,200-patient clinical table 0.361 / 0.441 (3 / 5),
    # diabetes130 and 6,000 patients unchanged (BENCHMARKS.md, session 11)
    "coarse_groups": 12,
    # ... for pairs of at least this many cells only (small pairs are measured as they are)
    "coarse_min_cells": 128,
    # AIM's budget annealing (halve σ when a measurement barely moved the model); without
    # it the rounds left after the 1-way marginals are at most ``max_rounds``, each with
    # the same share
    "anneal": False,
    "max_rounds": 60,
    # factor on the expected noise a measurement adds, in its score; None: ONE_ROW_PENALTY
    # when each person holds one row, else 1
    "penalty_scale": None,
    # whether a round may re-measure a 1-way marginal (AIM's paper: yes). At the selection's
    # small ε (≈ 0.013 a round on Adult at ε = 1) a 1-way's score, whose noise penalty
    # covers few cells, sits near the top: on Adult's draft at ε = 1, δ = 1e-9, 15 of 44
    # rounds went to 1-way marginals. Off, Adult's 2-way TVD went 0.0343 → 0.0333 (8 fits),
    # but diabetes130's (50 columns, the 1-way counts charged k² per person) stayed 0.0531
    # while number_inpatient's value share missed ±0.02 in 2 fits of 6 (none of 8 on): its
    # 1-way is re-measured when on (BENCHMARKS.md, session 11). Off, a 1-way is still the
    # fallback when no pair fits the model's size limit
    "remeasure_one_way": True,
}


#: the score's noise penalty when each person holds one row (AIM's paper: 1). The model's
#: estimate fits a measurement together with everything measured before, so a marginal
#: comes out less noisy than its raw counts, the more so the more pairs hold its
#: columns; the paper's full penalty overprices the bigger pairs. At ε = 1 on the
#: default path, 0.5 against 1: Adult (δ = 1e-9) 0.0308 against 0.0322 (7 and 4 fits;
#: 0.25 gave 0.0321, 0.7 0.0316, 1.5 0.0346), the census table 0.0196 against 0.0201
#: (16 and 8). Where a person holds k > 1 rows it stays 1:
#: there the engine's counts are charged k² per person and its 1-way counts need their
#: re-measures. On diabetes130 0.5 gave 0.0537 against 0.0527 (3 and 4 fits) and
#: number_inpatient's zero share missed ±0.02 in one fit of three; the 6,000-patient
#: clinical table was unchanged (0.104 against 0.103, 3 fits each). BENCHMARKS.md,
#: session 12
ONE_ROW_PENALTY = 0.5


@register_engine
class AIMEngine(MSTEngine):
    name = "aim"

    def __init__(self, cardinalities: list[int], **options: Any) -> None:
        super().__init__(cardinalities, **{**DEFAULTS, **options})

    @classmethod
    def one_way_share(cls, columns: int, **options: Any) -> float:
        """A round's measurement share per column: ``measure_share / T``."""
        o = {**DEFAULTS, **options}
        return float(o["measure_share"]) / _rounds(o, columns)

    def fit(
        self,
        tokens: Tokens,
        ledger: PrivacyLedger,
        rand: Randomness,
        progress: Progress = no_progress,
    ) -> None:
        d = tokens.shape[1]
        o = self.options
        rho = calibrate_rho(ledger) * (1 - 1e-6)
        alpha = float(o["measure_share"])
        rounds = _rounds(o, d)
        sigma = math.sqrt(rounds / (2.0 * alpha * rho))
        eps = math.sqrt(8.0 * (1.0 - alpha) * rho / rounds)
        progress("AIM: 1-way marginals", 0, 1)
        sigma1 = sigma
        measured, rho_1 = self._one_way(tokens, ledger, rand, sigma1, "1-way marginals (AIM)")
        require_rows(self.rows_estimate, MIN_ROWS, "AIM")
        tokens, measured = self._compress(tokens, measured)
        cards = self.compressed_cards
        used = rho_1

        anneal = bool(o.get("anneal", True))
        if not anneal:
            # the same per-round share as T rounds would give, over at most max_rounds
            n_rounds = max(1, min(rounds - d, int(o.get("max_rounds") or rounds)))
            sigma = math.sqrt(n_rounds / (2.0 * alpha * (rho - used)))
            eps = math.sqrt(8.0 * (1.0 - alpha) * (rho - used) / n_rounds)
        scale = o.get("penalty_scale")
        if scale is None:
            scale = ONE_ROW_PENALTY if ledger.rows_per_unit == 1 else 1.0
        penalty = float(scale) * math.sqrt(2.0 / math.pi)
        target = self._target(d)
        # a one-column table has no pairs: its workload is the column itself
        workload = [tuple(p) for p in itertools.combinations(range(d), 2)] or [(0,)]
        if target is not None and o.get("target_triples", False):
            others = [i for i in range(d) if i != target]
            workload += [
                tuple(sorted((target, a, b))) for a, b in itertools.combinations(others, 2)
            ]
        candidates = sorted(
            {tuple(s) for w in workload for k in (1, 2, 3) for s in itertools.combinations(w, k)},
            key=lambda c: (len(c), c),
        )
        candidates = [c for c in candidates if math.prod(cards[i] for i in c) <= o["max_cells"]]
        # Σ_w |c ∩ w| = Σ_{v ∈ c} (workload marginals holding v): the same integers, without
        # pairing every candidate with every workload marginal (1,225² on 50 columns)
        holding = np.bincount([v for w in workload for v in w], minlength=d)
        weight_of = {c: float(sum(int(holding[v]) for v in c)) for c in candidates}
        fine = dict(zip(candidates, batched_marginals(tokens, candidates, cards), strict=True))
        # a pair holding an ordered column of many tokens is also a candidate with that
        # column coarsened: the same columns in the model, measured over fewer cells (less
        # noise in all), so AIM can afford a pair its full resolution prices out
        coarse = self._coarse_groups(measured, int(o.get("coarse_groups") or 0))
        views: list[tuple[tuple[int, ...], Grouping | None]] = [(c, None) for c in candidates]
        views += [
            (c, tuple(coarse[v] for v in c))
            for c in candidates
            if len(c) == 2
            and any(coarse[v] is not None for v in c)
            and math.prod(cards[v] for v in c) >= int(o.get("coarse_min_cells") or 0)
        ]
        # a coarse view's score has the fine pair's weight and the same sensitivity: one
        # row moves one cell of the grouped table by 1
        weights = np.array([weight_of[c] for c, _g in views])
        # which views a round may pick (data-independent; the others get probability 0)
        pickable = np.array(
            [bool(o.get("remeasure_one_way")) or len(c) > 1 or d == 1 for c, _g in views]
        )
        truth = [coarsen(fine[c], g) for c, g in views]
        meas: list[Measurement] = [((i,), y, s) for (i,), y, s in measured]
        model = estimate(cards, meas, iters=int(o["round_iters"]))
        chosen: list[tuple[tuple[int, ...], Grouping | None]] = []
        t = 0
        final = False
        while not final:
            t += 1
            left = rho - used
            if left < 2.0 * (1.0 / (2.0 * sigma**2) + eps**2 / 8.0):
                # last round: what remains, split as before
                sigma = math.sqrt(1.0 / (2.0 * alpha * left))
                eps = math.sqrt(8.0 * (1.0 - alpha) * left)
                final = True
            used += 1.0 / (2.0 * sigma**2) + eps**2 / 8.0
            limit = o["max_model_cells"] * used / rho
            fitted = dict(zip(candidates, model.projections(candidates), strict=True))
            scores = np.array(
                [
                    weights[k]
                    * (
                        float(np.abs(truth[k] - coarsen(fitted[c], g)).sum())
                        - penalty * sigma * truth[k].size
                    )
                    for k, (c, g) in enumerate(views)
                ]
            )
            sens = float(weights.max())
            ledger.charge_zcdp(
                "marginal selection (exponential mechanism, AIM)",
                f"round {t}: 1 of the candidates within the model size limit",
                rho=eps**2 / 8.0,
                details={"round": t, "epsilon": eps, "sensitivity": sens},
            )
            cliques = [m[0] for m in meas]
            k = self._draw_fitting(
                model,
                cliques,
                [c for c, _g in views],
                limit,
                np.where(pickable, eps / (2.0 * sens) * scores, -np.inf),
                rand,
            )
            pick, groups = views[k]
            ledger.charge_gaussian(
                "marginal measurement (Gaussian, AIM)",
                f"round {t}: {len(pick)}-way marginal" + (" of grouped values" if groups else ""),
                sigma=sigma,
                details={"round": t, "columns": list(pick), "cells": int(truth[k].size)},
            )
            y = rand.gaussian_counts(truth[k], sigma)
            before = coarsen(model.project(pick), groups)
            meas.append((pick, y, sigma, groups))
            chosen.append((pick, groups))
            model = estimate(cards, meas, iters=int(o["round_iters"]), warm=model)
            progress("AIM: rounds", t, t + (0 if final else 1))
            moved = float(np.abs(coarsen(model.project(pick), groups) - before).sum())
            # AIM's annealing (option): with coarse views on Adult at ε = 1 it halved σ after
            # 12 rounds instead of 33, and the pairs left unmeasured cost more than it gave
            if anneal and not final and moved <= math.sqrt(2.0 / math.pi) * sigma * y.size:
                sigma /= 2.0
                eps *= 2.0
        progress("AIM: final estimate", 0, 1)
        model = estimate(cards, meas, iters=int(o["final_iters"]), warm=model)
        self._build_from(model)
        progress("AIM: final estimate", 1, 1)
        self.training_report = {
            "rows_estimate": round(self.rows_estimate),
            "rho": rho,
            "rounds": t,
            "penalty_scale": float(scale),
            "target": target,
            "sigma_1way": sigma1,
            "one_way_given": sorted(self.given_one_way),
            "selected": [list(map(int, c)) for c, _g in chosen],
            # cells of each measured table (fewer than the pair's when grouped)
            "selected_cells": [int(coarsen(fine[c], g).size) for c, g in chosen],
            "compressed_cardinalities": self.compressed_cards,
            "model_cells": model.tree.cells,
            "factors": [list(map(int, c)) for c in self.factor_cols],
        }

    def _coarse_groups(self, measured: list, target: int) -> list[np.ndarray | None]:
        """Per column, a grouping of its compressed tokens for coarse pair candidates, or
        ``None``: an ordered column (option ``ordinal``) with more than ``target`` ordered
        tokens gets its neighbours merged into about ``target`` groups of equal mass in its
        noisy 1-way counts (post-processing); a token holding more than a group's mass
        (40 hours a week) stays a group of its own, and every token that is not ordered
        (a missing-value code, missing, a bucket of rare values) stays alone. With option
        ``value_order`` (per column, each token's rank in value order, -1 for none) a
        number's points are ordered among its bins: a weight column heaped on 30 values
        then coarsens to about ``target`` groups, not to ``target`` plus its 30 points
        (the census table's person × housing weight pair, at 41 × 35 cells, was priced
        out of every round)."""
        ordinal = list(self.options.get("ordinal") or [0] * len(measured))
        value_order = list(self.options.get("value_order") or [None] * len(measured))
        out: list[np.ndarray | None] = []
        for i, (_c, y, _s) in enumerate(measured):
            ordered = int(ordinal[i])
            mapping = self.mappings[i]
            ranks = value_order[i]
            if ranks is None:  # the ordered bins, by token index
                ranks = [t if t < ordered else -1 for t in range(len(mapping))]
            rank = np.asarray(ranks, dtype=np.int64)
            k = len(y)
            runs = []
            for tok in range(k):
                members = np.flatnonzero(mapping == tok)
                top = int(members.max())
                # neighbouring bins (by index), or one point: placed by its value rank
                run = top < ordered and top - int(members.min()) + 1 == len(members)
                if run or (len(members) == 1 and rank[top] >= 0):
                    runs.append((int(rank[members].min()), tok))
            if target < 2 or ordered < 2 or len(runs) <= target:
                out.append(None)
                continue
            toks = [tok for _lo, tok in sorted(runs)]
            mass = np.clip(np.asarray(y, dtype=float)[toks], 0, None) + 1e-9
            mid = (np.cumsum(mass) - mass / 2.0) / mass.sum()
            # a token of more than a group's mass is a group of its own, and no group
            # spans it: (heavy tokens so far, its slot or -1 for a heavy one)
            heavy = mass / mass.sum() >= 1.0 / target
            slot = np.where(heavy, -1, np.floor(mid * target).astype(int))
            key = np.cumsum(heavy) * (target + 1) + slot
            _u, grp = np.unique(key, return_inverse=True)
            groups = np.empty(k, dtype=np.int64)
            groups[toks] = grp
            ordered_toks = set(toks)
            rest = [tok for tok in range(k) if tok not in ordered_toks]
            groups[rest] = int(grp.max()) + 1 + np.arange(len(rest))
            out.append(groups if int(groups.max()) + 1 < k else None)
        return out

    def _draw_fitting(
        self,
        model: Model,
        cliques: list[tuple[int, ...]],
        candidates: list[tuple[int, ...]],
        limit: float,
        logits: np.ndarray,
        rand: Randomness,
    ) -> int:
        """The exponential mechanism over the candidates whose addition keeps the model's
        junction tree within ``limit`` cells, drawn by the Gumbel-max trick: every
        candidate gets ``logit + Gumbel noise`` and the best key among those that fit wins,
        which is a draw from ``softmax(logits)`` restricted to them. Candidates are tested
        for fit in key order only until one fits, instead of building a junction tree for
        each of them every round (diabetes130, 48 columns: 84 % of the fit went there).
        When none fits, the best-keyed 1-way marginal (always inside the model) wins."""
        keys = logits + rand.rng.gumbel(size=len(candidates))
        nodes = [set(c) for c in model.tree.nodes]
        now = model.tree.cells
        for k in np.argsort(-keys, kind="stable"):
            c = candidates[int(k)]
            inside = any(set(c) <= v for v in nodes)
            size = now if inside else model_cells(self.compressed_cards, [*cliques, c])
            if size <= limit:
                return int(k)
        ones = [k for k, c in enumerate(candidates) if len(c) == 1]
        return max(ones, key=lambda k: keys[k])

    def _build_from(self, model: Model) -> None:
        root, root_marginal, factors = model.factors()
        self.root = root
        self.root_marginal = root_marginal / max(float(root_marginal.sum()), 1e-12)
        self.factor_cols = [tuple(int(c) for c in cols) for cols, _t in factors]
        self.factor_tables = [np.clip(t, 0, None) for _c, t in factors]


def _rounds(options: dict[str, Any], columns: int) -> int:
    """T, the rounds' worth the budget is cut into (the 1-way counts take ``columns``)."""
    return int(options.get("rounds") or max(2, int(options["rounds_per_column"]) * columns))
