"""AIM and MST written from the papers on ``mbi`` 2.0: benchmark peers, not product code.

``mbi`` 2.0 (the PyPI release of private-pgm) ships estimation and sampling but no
mechanisms, and SmartNoise's MST/AIM sit on mbi 1.x. So that the benchmark can show "AIM and
MST on mbi" next to our engine in one harness, this module implements the two mechanisms as
the papers describe them, kept out of the ``synth`` package on purpose (research code, no
schema handling, no ledger):

* MST -- McKenna, Miklau, Sheldon, "Winning the NIST Contest: A scalable and general
  approach to differentially private synthetic data" (JPC 2021). A third of the zCDP budget
  measures every 1-way marginal, a third picks a maximum spanning tree of pairs with the
  exponential mechanism (score: L1 gap between the measured 2-way counts and those implied
  by the 1-way model), a third measures the tree's pairs; mirror descent fits the graphical
  model; rows are sampled from it. (The paper's merging of rare values before
  selection is left out: Adult's public domain is small enough without it.)
* AIM -- McKenna, Mullins, Sheldon, Miklau, "AIM: An Adaptive and Iterative Mechanism for
  Differentially Private Synthetic Data" (VLDB 2022). Workload = all k-way marginals;
  candidates = its downward closure filtered by a model-size cap that grows with the budget
  spent; each round selects with the exponential mechanism on the paper's quality score
  ``w_r (||M_r(D) - M_r(p)||_1 - sqrt(2/pi) sigma n_r)``, measures with Gaussian noise,
  re-fits with warm start, and halves sigma when the fitted marginal barely moved
  (budget annealing). ``rounds`` is the paper's T (budget per round = rho / T; the paper's
  default is 16 d); ``max_rounds`` is a hard cap on selections so the run time is bounded.

Both work on a table of integer codes ``0..size-1`` per column with a public domain; the
adjacency is add/remove-one-row, so every marginal has L2 sensitivity 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax

jax.config.update("jax_enable_x64", True)

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from mbi import (  # noqa: E402
    Dataset,
    Domain,
    LinearMeasurement,
    estimation,
    junction_tree,
)
from mbi.junction_tree import hypothetical_model_size  # noqa: E402
from mbi.marginal_oracles import message_passing_stable, variable_elimination  # noqa: E402


def cdp_eps(rho: float, delta: float) -> float:
    """ε of ρ-zCDP at δ, by the conversion of Canonne, Kamath, Steinke (2020), Prop. 12."""
    if rho <= 0:
        return 0.0
    best = math.inf
    for alpha in np.exp(np.linspace(np.log(1.01), np.log(1e5), 4000)):
        eps = rho * alpha + (
            math.log(1 / delta) + (alpha - 1) * math.log(1 - 1 / alpha) - math.log(alpha)
        ) / (alpha - 1)
        best = min(best, eps)
    return max(best, 0.0)


def cdp_rho(epsilon: float, delta: float) -> float:
    """Largest ρ whose zCDP guarantee converts to at most (ε, δ) (bisection on cdp_eps)."""
    lo, hi = 0.0, max(1.0, epsilon)
    while cdp_eps(hi, delta) < epsilon:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdp_eps(mid, delta) <= epsilon else (lo, mid)
    return lo


def exponential_mechanism(
    scores: np.ndarray, epsilon: float, sensitivity: float, rng: np.random.Generator
) -> int:
    """Index drawn with probability ∝ exp(ε·score / (2Δ)); satisfies ε²/8-zCDP."""
    logits = epsilon * (scores - scores.max()) / (2 * sensitivity)
    p = np.exp(logits)
    return int(rng.choice(len(scores), p=p / p.sum()))


@dataclass(frozen=True)
class Fitted:
    """What a mechanism returns: the model, the zCDP budget it spent, and its history."""

    model: object
    rho_spent: float
    cliques: tuple[tuple[str, ...], ...]
    rounds: int


def _counts(data: Dataset, clique: Sequence[str]) -> np.ndarray:
    return np.asarray(data.project(tuple(clique)).datavector(), dtype=float)


def _measure(
    data: Dataset, clique: tuple[str, ...], sigma: float, rng: np.random.Generator
) -> LinearMeasurement:
    x = _counts(data, clique)
    return LinearMeasurement(x + rng.normal(0, sigma, x.size), clique, stddev=sigma)


def _estimate(domain: Domain, measurements, iters: int, warm_start=None):
    return estimation.MirrorDescent().estimate(
        domain, list(measurements), iters=iters, warm_start=warm_start
    )


class CliqueMarginals:
    """Every 1- and 2-way marginal of a fitted model, in numpy, from one belief propagation.

    AIM scores every candidate against the current model each round. mbi 2.0 answers a
    marginal outside the model's cliques by variable elimination compiled per clique, which
    costs minutes per round; here one jitted message pass gives the junction tree's clique
    marginals, and a pair (a, b) in different cliques is carried along the tree path between
    them (P(a, S_1) -> P(a, S_2) ... with P(C_i | S_{i-1})), or is a product when the tree
    does not connect them. Larger queries fall back to mbi's variable elimination.
    """

    def __init__(self, model) -> None:
        domain = model.potentials.domain
        self.model, self.total = model, float(model.total)
        self.tree, _ = junction_tree.make_junction_tree(domain, list(model.cliques))
        cliques = junction_tree.maximal_cliques(self.tree)
        marg = message_passing_stable(model.potentials.expand(cliques), self.total)
        self.tables = {}
        for c in cliques:
            f = marg[c]
            self.tables[c] = (tuple(f.domain.attributes), np.asarray(f.datavector(False)))
        self.home = {}
        for c in cliques:
            for a in c:
                self.home.setdefault(a, []).append(c)
        self.letters = {a: chr(97 + i) for i, a in enumerate(domain.attributes)}

    def _sum_to(self, attrs, table, keep):
        axes = tuple(i for i, a in enumerate(attrs) if a not in keep)
        return tuple(a for a in attrs if a in keep), table.sum(axis=axes)

    def _einsum(self, left, right, keep):
        """Σ over what is not kept of left × right (factors as (attrs, table))."""
        out = tuple(dict.fromkeys(a for a in left[0] + right[0] if a in keep))
        spec = "{},{}->{}".format(
            *("".join(self.letters[a] for a in x) for x in (left[0], right[0], out))
        )
        return out, np.einsum(spec, left[1], right[1])

    def __call__(self, query: tuple[str, ...]) -> np.ndarray:
        if len(query) > 2:
            return np.asarray(
                variable_elimination(self.model.potentials, query, self.total).datavector()
            )
        for c, (attrs, table) in self.tables.items():
            if set(query) <= set(c):
                got, t = self._sum_to(attrs, table, set(query))
                return np.transpose(t, [got.index(a) for a in query]).ravel()
        a, b = query
        best = None
        for ca in self.home[a]:
            for cb in self.home[b]:
                if nx.has_path(self.tree, ca, cb):
                    path = nx.shortest_path(self.tree, ca, cb)
                    if best is None or len(path) < len(best):
                        best = path
        if best is None:  # not connected in the model: independent
            pa, pb = self((a,)), self((b,))
            return np.outer(pa, pb).ravel() / self.total
        sep = set(best[0]) & set(best[1])
        f = self._sum_to(*self.tables[best[0]], {a} | sep)
        for i, c in enumerate(best[1:], start=1):
            attrs, table = self.tables[c]
            s_attrs, s_table = self._sum_to(attrs, table, set(best[i - 1]) & set(c))
            idx = [s_attrs.index(x) for x in attrs if x in s_attrs]
            denom = np.expand_dims(
                np.transpose(s_table, idx), [j for j, x in enumerate(attrs) if x not in s_attrs]
            )
            cond = np.divide(table, denom, out=np.zeros_like(table), where=denom > 0)
            nxt = set(c) & set(best[i + 1]) if i + 1 < len(best) else {b}
            f = self._einsum(f, (attrs, cond), {a} | nxt)
        got, t = f
        return np.transpose(t, [got.index(x) for x in query]).ravel()


# ---------------------------------------------------------------------------- MST


def mst(
    data: Dataset, epsilon: float, delta: float, seed: int = 0, iters: int = 1000, log=None
) -> Fitted:
    """MST (McKenna et al. 2021) on a discrete ``Dataset``; returns the fitted model."""
    rng = np.random.default_rng(seed)
    rho = cdp_rho(epsilon, delta)
    cols = list(data.domain.attributes)
    d = len(cols)
    # 1-way marginals with ρ/3 split evenly: σ = sqrt(3d / (2ρ))
    sigma1 = math.sqrt(3 * d / (2 * rho))
    ones = [_measure(data, (c,), sigma1, rng) for c in cols]
    model1 = _estimate(data.domain, ones, iters)
    if log is not None:
        log("mst: 1-way model fitted")
    # spanning-tree selection: ρ/3 over d-1 exponential-mechanism draws (ε²/8 each)
    eps_em = math.sqrt(8 * (rho / 3) / (d - 1))
    pairs = list(itertools.combinations(cols, 2))
    # the 1-way model is a product of its marginals, so its pair marginals are outer products
    one = {c: np.asarray(model1.project((c,)).datavector()) for c in cols}
    total = float(model1.total)
    gap = {
        p: float(np.abs(_counts(data, p) - np.outer(one[p[0]], one[p[1]]).ravel() / total).sum())
        for p in pairs
    }
    comp = {c: c for c in cols}

    def find(c: str) -> str:
        while comp[c] != c:
            c = comp[c]
        return c

    tree: list[tuple[str, str]] = []
    for _ in range(d - 1):
        cand = [p for p in pairs if find(p[0]) != find(p[1])]
        pick = cand[exponential_mechanism(np.array([gap[p] for p in cand]), eps_em, 1.0, rng)]
        tree.append(pick)
        comp[find(pick[0])] = find(pick[1])
    sigma2 = math.sqrt(3 * (d - 1) / (2 * rho))
    twos = [_measure(data, p, sigma2, rng) for p in tree]
    if log is not None:
        log(f"mst: tree {', '.join('x'.join(p) for p in tree)}")
    model = _estimate(data.domain, ones + twos, iters, warm_start=model1)
    spent = d / (2 * sigma1**2) + (d - 1) * eps_em**2 / 8 + (d - 1) / (2 * sigma2**2)
    return Fitted(model, spent, tuple(tree), d - 1)


# ---------------------------------------------------------------------------- AIM


def _downward_closure(workload: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for w in workload:
        for k in range(1, len(w) + 1):
            out.update(itertools.combinations(w, k))
    return sorted(out, key=lambda c: (len(c), c))


def aim(
    data: Dataset,
    epsilon: float,
    delta: float,
    seed: int = 0,
    degree: int = 3,
    rounds: int | None = None,
    max_rounds: int | None = None,
    max_model_size: float = 80.0,
    iters: int = 200,
    final_iters: int = 1000,
    log=None,
) -> Fitted:
    """AIM (McKenna et al. 2022) with the all-``degree``-way workload, unit weights.

    ``rounds`` is T of the paper (default 16·d): the initial per-round budget is ρ/T, of
    which 90% pays the Gaussian measurement and 10% the exponential-mechanism selection.
    ``max_model_size`` (MB) caps the junction tree, scaled by the fraction of ρ spent.
    ``iters`` mirror-descent steps refit after each measurement (warm-started),
    ``final_iters`` for the last fit.
    """
    rng = np.random.default_rng(seed)
    rho = cdp_rho(epsilon, delta)
    cols = list(data.domain.attributes)
    d = len(cols)
    T = rounds or 16 * d
    workload = list(itertools.combinations(cols, degree))
    candidates = _downward_closure(workload)
    weight = {r: float(sum(len(set(r) & set(w)) for w in workload)) for r in candidates}
    answers = {r: _counts(data, r) for r in candidates}
    cells = {r: data.domain.size(r) for r in candidates}

    sigma = math.sqrt(T / (2 * 0.9 * rho))
    eps = math.sqrt(8 * 0.1 * rho / T)
    measurements = [_measure(data, (c,), sigma, rng) for c in cols]
    used = d / (2 * sigma**2)
    model = _estimate(data.domain, measurements, iters)
    selected: list[tuple[str, ...]] = []
    t, last = 0, False
    while used < rho and (max_rounds is None or t < max_rounds):
        t += 1
        last = max_rounds is not None and t == max_rounds
        remaining = rho - used
        if last or remaining < 2 * (1 / (2 * sigma**2) + eps**2 / 8):
            # final round: spend all that is left, 90/10 as in the paper
            sigma = math.sqrt(1 / (2 * 0.9 * remaining))
            eps = math.sqrt(8 * 0.1 * remaining)
            last = True
        cliques = [m.clique for m in measurements]
        cap = max_model_size * used / rho
        cand = [
            r
            for r in candidates
            if hypothetical_model_size(data.domain, [*cliques, r]) <= cap or r in cliques
        ]
        est = CliqueMarginals(model)
        scores = np.array(
            [
                weight[r]
                * (np.abs(answers[r] - est(r)).sum() - math.sqrt(2 / math.pi) * sigma * cells[r])
                for r in cand
            ]
        )
        r = cand[exponential_mechanism(scores, eps, max(weight.values()), rng)]
        used += 1 / (2 * sigma**2) + eps**2 / 8
        measurements.append(_measure(data, r, sigma, rng))
        selected.append(r)
        before = est(r)
        model = _estimate(
            data.domain, measurements, final_iters if last else iters, warm_start=model
        )
        after = CliqueMarginals(model)(r)
        if log is not None:
            log(f"round {t}: {'x'.join(r)} sigma={sigma:.1f} rho {used:.4f}/{rho:.4f}")
        if last:
            break
        if np.abs(after - before).sum() <= math.sqrt(2 / math.pi) * sigma * cells[r]:
            sigma /= 2
            eps *= 2
    if not last:
        model = _estimate(data.domain, measurements, final_iters, warm_start=model)
    return Fitted(model, used, tuple(selected), t)
