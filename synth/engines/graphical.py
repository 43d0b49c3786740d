"""Graphical models over discrete columns, in numpy: junction tree, belief propagation and
Private-PGM's estimation from noisy marginals (McKenna, Sheldon & Miklau, ICML 2019).

A model is a set of cliques (tuples of column indices) with a log-potential table each.
Its junction tree is built by greedy elimination (each step eliminates the column whose
elimination clique has the fewest cells); calibration is two-pass sum-product message
passing (Hugin updates). :func:`estimate` finds the model whose marginals best fit Gaussian
measurements, minimising ``½ Σ ‖(μ_c − y)/σ‖²`` over the marginal polytope by entropic
mirror descent with an Armijo line search — the algorithm of ``mbi``'s ``MirrorDescent``
(same loss, initial step ``2 / (L·total)``, same acceptance test; the step grows by
``GROW`` per accepted step instead of 1.01, and a clique new to a warm start begins with
one proportional-fitting step), written in numpy so that a new clique structure costs no
compilation: ``mbi`` 2.0 JIT-compiles every structure, 25–45 s on two cores for the Adult
table's, which rules out AIM's dozens of rounds within a minute; the numpy descent runs
1000 steps of that model in ~1.3 s. ``tests/unit/test_graphical.py`` checks the estimates
against ``mbi``'s and the calibration against brute force. A measurement may count groups
of tokens instead of cells (:mod:`synth.engines.grouping`): a linear query the loss and
its gradient take as such.

>>> import numpy as np
>>> y = np.array([[30.0, 10.0], [10.0, 50.0]])          # a measured 2-way table
>>> m = estimate([2, 2], [((0, 1), y, 1.0)], iters=500)
>>> np.round(m.project((0, 1)), 1).tolist()
[[30.0, 10.0], [10.0, 50.0]]
>>> np.round(m.project((1,)), 1).tolist()
[40.0, 60.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from synth.engines.grouping import (
    Clique,
    Measurement,
    coarsen,
    largest_group,
    parts,
    sorted_axes,
    sorted_groups,
    spread,
)

#: step-size growth after an accepted step (mbi: 1.01). On the Adult MST model 1.2 reaches
#: in 300 steps the loss 1.01 reaches in 1000
GROW = 1.2


def maximal(cliques: Sequence[Sequence[int]]) -> list[Clique]:
    """The cliques not contained in another (each sorted), in first-seen order."""
    sets = [tuple(sorted(set(c))) for c in cliques]
    out: list[Clique] = []
    for i, c in enumerate(sets):
        if c in out:
            continue
        if any(set(c) < set(o) for j, o in enumerate(sets) if j != i):
            continue
        out.append(c)
    return out


def junction_tree(cards: Sequence[int], cliques: Sequence[Sequence[int]]) -> JunctionTree:
    """Junction tree over every column: greedy elimination, then a maximum spanning tree
    of the maximal elimination cliques weighted by separator size."""
    d = len(cards)
    adj: dict[int, set[int]] = {v: set() for v in range(d)}
    for c in cliques:
        for a in c:
            adj[a].update(b for b in c if b != a)
    left = set(range(d))
    found: list[Clique] = []
    while left:
        # fewest cells in the elimination clique, ties by column index
        v = min(left, key=lambda u: (math.prod(cards[w] for w in adj[u] | {u}), u))
        nb = adj[v]
        found.append(tuple(sorted(nb | {v})))
        for a in nb:
            adj[a].update(nb - {a})
            adj[a].discard(v)
        left.discard(v)
        del adj[v]
    nodes = maximal(found)
    # Kruskal on separator size (ties broken by index), connecting components too
    pairs = sorted(
        (
            (len(set(nodes[i]) & set(nodes[j])), i, j)
            for i in range(len(nodes))
            for j in range(i + 1, len(nodes))
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    root = list(range(len(nodes)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    edges: list[tuple[int, int]] = []
    for _w, i, j in pairs:
        if find(i) != find(j):
            root[find(i)] = find(j)
            edges.append((i, j))
    return JunctionTree(list(cards), nodes, edges)


def model_cells(cards: Sequence[int], cliques: Sequence[Sequence[int]]) -> int:
    """Cells of the junction tree a model on ``cliques`` would have (its size)."""
    return junction_tree(cards, cliques).cells


@dataclass
class JunctionTree:
    """Cliques of a junction tree rooted at clique 0, with parent links and separators."""

    cards: list[int]
    nodes: list[Clique]
    edges: list[tuple[int, int]]
    parent: list[int] = field(init=False)
    order: list[int] = field(init=False)  # pre-order from the root
    neighbours: dict[int, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        adj: dict[int, list[int]] = {i: [] for i in range(len(self.nodes))}
        for a, b in self.edges:
            adj[a].append(b)
            adj[b].append(a)
        self.neighbours = adj
        self.parent = [-1] * len(self.nodes)
        self.order = []
        stack = [0]
        seen = {0}
        while stack:
            u = stack.pop()
            self.order.append(u)
            for v in sorted(adj[u], reverse=True):
                if v not in seen:
                    seen.add(v)
                    self.parent[v] = u
                    stack.append(v)

    @property
    def cells(self) -> int:
        return int(sum(math.prod(self.cards[v] for v in c) for c in self.nodes))

    def separator(self, j: int) -> Clique:
        p = self.parent[j]
        return () if p < 0 else tuple(v for v in self.nodes[j] if v in self.nodes[p])

    def shape(self, cols: Sequence[int]) -> tuple[int, ...]:
        return tuple(self.cards[v] for v in cols)

    def home(self, clique: Sequence[int]) -> int:
        """A tree clique containing ``clique`` (the smallest)."""
        s = set(clique)
        fits = [j for j, c in enumerate(self.nodes) if s <= set(c)]
        if not fits:
            raise KeyError(f"no junction-tree clique contains {tuple(clique)}")
        return min(fits, key=lambda j: (math.prod(self.shape(self.nodes[j])), j))


def _expand(table: np.ndarray, cols: Clique, to: Clique, cards: list[int]) -> np.ndarray:
    """``table`` over sorted ``cols`` broadcast to the axes of sorted ``to`` (⊇ cols)."""
    return table.reshape(_shape_in(cols, to, cards))


def _shape_in(cols: Clique, to: Clique, cards: list[int]) -> tuple[int, ...]:
    return tuple(cards[v] if v in cols else 1 for v in to)


def _axes(cols: Clique, keep: Sequence[int]) -> tuple[int, ...]:
    return tuple(i for i, v in enumerate(cols) if v not in keep)


def _rescaled(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else x


def marginalise(table: np.ndarray, cols: Clique, keep: Sequence[int]) -> np.ndarray:
    """Sum ``table`` (axes = sorted ``cols``) down to the columns in ``keep``."""
    axes = _axes(cols, keep)
    return table.sum(axis=axes) if axes else table


class _Plan:
    """Index bookkeeping of one structure (tree, potential cliques), computed once."""

    def __init__(self, tree: JunctionTree, cliques: list[Clique]) -> None:
        t, cards = tree, tree.cards
        self.children: list[list[int]] = [[] for _ in t.nodes]
        for j in t.order[1:]:
            self.children[t.parent[j]].append(j)
        self.seps = [t.separator(j) for j in range(len(t.nodes))]
        #: axes of node j summed to get its separator with its parent
        self.sep_axes = [_axes(t.nodes[j], self.seps[j]) for j in range(len(t.nodes))]
        #: shape of node j's separator inside node j and inside its parent
        self.sep_in_self = [_shape_in(self.seps[j], t.nodes[j], cards) for j in range(len(t.nodes))]
        self.sep_in_parent = [
            _shape_in(self.seps[j], t.nodes[t.parent[j]], cards) if t.parent[j] >= 0 else ()
            for j in range(len(t.nodes))
        ]
        #: axes of the parent summed to get node j's separator (the downward message)
        self.down_axes = [
            _axes(t.nodes[t.parent[j]], self.seps[j]) if t.parent[j] >= 0 else ()
            for j in range(len(t.nodes))
        ]
        self.pot_home = [t.home(c) for c in cliques]
        self.pot_shape = [
            _shape_in(c, t.nodes[h], cards) for c, h in zip(cliques, self.pot_home, strict=True)
        ]
        self.pot_axes = [_axes(t.nodes[h], c) for c, h in zip(cliques, self.pot_home, strict=True)]


@dataclass
class Model:
    """A calibrated model: log-potentials on ``cliques`` and every tree clique's marginal
    (counts summing to ``total``)."""

    tree: JunctionTree
    cliques: list[Clique]
    potentials: list[np.ndarray]
    total: float
    beliefs: list[np.ndarray] = field(default_factory=list)  # counts per tree clique
    plan: _Plan | None = None
    #: tree cliques' conditionals given a separator, built on first use by
    #: :meth:`project` and :meth:`projections` (an AIM round asks for the same ones for
    #: every candidate)
    _conditionals: dict[tuple[int, Clique], np.ndarray] = field(default_factory=dict, repr=False)
    #: columns of the tree cliques reached through node n from node m, keyed (n, m)
    _beyond: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict, repr=False)

    def calibrate(self) -> Model:
        """Two-pass sum-product over the tree (Hugin updates, in probability space: each
        clique's potential is exponentiated once, shifted by its maximum, and messages are
        rescaled to a maximum of 1, so nothing overflows; cells whose message is 0 are 0
        in the clique already, so the 0/0 of the division is set to 0)."""
        t = self.tree
        plan = self.plan = self.plan or _Plan(t, self.cliques)
        log_psi = [np.zeros(t.shape(c)) for c in t.nodes]
        for th, h, shp in zip(self.potentials, plan.pot_home, plan.pot_shape, strict=True):
            log_psi[h] = log_psi[h] + th.reshape(shp)
        psi = [np.exp(x - x.max()) for x in log_psi]
        up: list[np.ndarray] = [np.zeros(0)] * len(t.nodes)
        for j in reversed(t.order):
            for k in plan.children[j]:
                psi[j] *= up[k].reshape(plan.sep_in_parent[k])
            if t.parent[j] >= 0:
                up[j] = _rescaled(psi[j].sum(axis=plan.sep_axes[j]) if plan.sep_axes[j] else psi[j])
        for j in t.order:
            for k in plan.children[j]:
                # where the upward message is 0 the clique is 0 already: dividing by 1 there
                # gives the 0 of the division's 0/0, with the where on the separator only
                msg = up[k]
                own = psi[j] / np.where(msg > 0, msg, 1.0).reshape(plan.sep_in_parent[k])
                axes = plan.down_axes[k]
                down = _rescaled(own.sum(axis=axes) if axes else own)
                psi[k] *= down.reshape(plan.sep_in_self[k])
        self.beliefs = [p * (self.total / max(float(p.sum()), 1e-300)) for p in psi]
        self._conditionals = {}
        return self

    def clique_marginals(self) -> list[np.ndarray]:
        """Counts of each potential clique."""
        plan = self.plan
        assert plan is not None
        return [
            self.beliefs[h].sum(axis=ax) if ax else self.beliefs[h]
            for h, ax in zip(plan.pot_home, plan.pot_axes, strict=True)
        ]

    def marginal(self, clique: Sequence[int]) -> np.ndarray:
        """Counts of ``clique`` (sorted axes) when one tree clique holds it."""
        c = tuple(sorted(clique))
        j = self.tree.home(c)
        return marginalise(self.beliefs[j], self.tree.nodes[j], c)

    def project(self, cols: Sequence[int]) -> np.ndarray:
        """Counts of any set of columns (axes in sorted order), exact: one tree clique
        when one holds them, else the product of the conditionals on the smallest subtree
        that connects them, contracted with ``einsum``."""
        q = tuple(sorted(set(cols)))
        t = self.tree
        try:
            return self.marginal(q)
        except KeyError:
            pass
        chosen = {t.home((v,)) for v in q}
        # the subtree joining the chosen cliques: union of their paths to the root, then
        # the top trimmed while it has a single branch and holds nothing asked for
        sub: set[int] = set()
        for j in chosen:
            while j >= 0 and j not in sub:
                sub.add(j)
                j = t.parent[j]
        top = t.order[0]
        while top not in chosen:
            nxt = [j for j in sub if t.parent[j] == top]
            if len(nxt) != 1:
                break
            sub.discard(top)
            top = nxt[0]
        letters: dict[int, int] = {}
        operands: list[object] = []
        for j in sorted(sub):
            cols_j = t.nodes[j]
            table = self.beliefs[j] / self.total if j == top else self._given(j, t.separator(j))
            operands += [table, [letters.setdefault(v, len(letters)) for v in cols_j]]
        # two tables contract directly; longer chains need a contraction order
        out = np.einsum(*operands, [letters[v] for v in q], optimize=len(sub) > 2 and "greedy")
        return self.total * out

    def projections(self, cliques: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """:meth:`project` of many cliques at once, the same numbers: a clique one tree
        clique holds is read from it; every pair across tree cliques is read off one pass
        over the tree per column, from the pair's column with fewer values, carrying that
        column's joint with each tree clique (AIM scores every pair every round: one
        contraction per pair took 70 % of a wide table's fit)."""
        out: list[np.ndarray | None] = [None] * len(cliques)
        sources: dict[int, dict[int, list[int]]] = {}
        for k, c in enumerate(cliques):
            q = tuple(sorted(set(c)))
            try:
                out[k] = self.marginal(q)
                continue
            except KeyError:
                pass
            if len(q) != 2:
                out[k] = self.project(q)
                continue
            cards = self.tree.cards
            src = min(q, key=lambda v: (cards[v], v))
            other = q[0] if q[1] == src else q[1]
            sources.setdefault(src, {}).setdefault(other, []).append(k)
        for src, wanted in sources.items():
            for other, table in self._joints_with(src, set(wanted)).items():
                for k in wanted[other]:
                    out[k] = table
        return [o for o in out if o is not None]

    def _joints_with(self, i: int, targets: set[int]) -> dict[int, np.ndarray]:
        """Counts of (i, j) for every j in ``targets`` (axes sorted), by carrying column
        i's joint with each tree clique from i's home clique outwards."""
        t = self.tree
        home = t.home((i,))
        found: dict[int, np.ndarray] = {}
        left = set(targets) - {i}
        stack = [(home, -1, self.beliefs[home] / self.total, t.nodes[home])]
        while stack:
            c, came_from, joint, cols = stack.pop()
            for j in left.intersection(cols):
                found[j] = self.total * marginalise(joint, cols, (i, j))
            left.difference_update(cols)
            for n in t.neighbours[c]:
                # a branch holding no column still wanted is not carried (the same numbers)
                if n == came_from or left.isdisjoint(self._columns_beyond(n, c)):
                    continue
                sep = tuple(v for v in t.nodes[n] if v in t.nodes[c])
                keep = tuple(sorted({*sep, i}))
                p_is = marginalise(joint, cols, keep)
                new_cols = tuple(sorted({*t.nodes[n], i}))
                letters = {v: k for k, v in enumerate(new_cols)}
                joint_n = np.einsum(
                    p_is,
                    [letters[v] for v in keep],
                    self._given(n, sep),
                    [letters[v] for v in t.nodes[n]],
                    [letters[v] for v in new_cols],
                )
                stack.append((n, c, joint_n, new_cols))
        return found

    def _columns_beyond(self, n: int, m: int) -> frozenset[int]:
        """Columns of the tree cliques reachable from node ``n`` without passing node ``m``."""
        key = (n, m)
        got = self._beyond.get(key)
        if got is None:
            t = self.tree
            cols = set(t.nodes[n])
            for k in t.neighbours[n]:
                if k != m:
                    cols |= self._columns_beyond(k, n)
            got = self._beyond[key] = frozenset(cols)
        return got

    def _given(self, j: int, sep: Clique) -> np.ndarray:
        """Tree clique ``j``'s table divided by its marginal on ``sep`` (0 where that is 0)."""
        key = (j, sep)
        got = self._conditionals.get(key)
        if got is None:
            t = self.tree
            cols_j = t.nodes[j]
            table = self.beliefs[j] / self.total
            p_sep = marginalise(table, cols_j, sep)
            with np.errstate(divide="ignore", invalid="ignore"):
                got = np.nan_to_num(table / _expand(p_sep, sep, cols_j, t.cards))
            self._conditionals[key] = got
        return got

    def factors(self) -> tuple[int, np.ndarray, list[tuple[Clique, np.ndarray]]]:
        """The model as ancestral-sampling factors (:mod:`synth.engines.factors`): the root
        column with its marginal, then per new column along the tree (pre-order) a table
        over (its separator and the clique's columns placed before it..., the column).
        A clique with an empty separator (an independent component) hangs its first
        column off the root with a product table."""
        t = self.tree
        first = t.order[0]
        root = t.nodes[first][0]
        root_marginal = marginalise(self.beliefs[first], t.nodes[first], (root,))
        placed = {root}
        out: list[tuple[Clique, np.ndarray]] = []
        for j in t.order:
            cols = t.nodes[j]
            cond = [v for v in cols if v in placed]
            for v in (v for v in cols if v not in placed):
                if not cond:
                    marg = marginalise(self.beliefs[j], cols, (v,))
                    out.append(((root, v), np.outer(root_marginal, marg) / max(marg.sum(), 1e-12)))
                else:
                    keep = (*cond, v)
                    table = marginalise(self.beliefs[j], cols, keep)  # axes by column index
                    order = np.argsort(np.argsort(keep))  # sorted position of each of keep
                    out.append((keep, np.transpose(table, order)))
                cond.append(v)
                placed.add(v)
        return root, root_marginal, out


def lipschitz(
    measurements: Sequence[Measurement], cliques: Sequence[Clique], cards: list[int]
) -> float:
    """L of the loss gradient: ``max_C Σ_{m→C} (|C| / |c_m|) · g_m / σ_m²`` (exact for
    marginals; ``g_m``, the cells of a grouped measurement's largest group, bounds ``‖Q‖²``)."""
    load: dict[Clique, float] = dict.fromkeys(cliques, 0.0)
    for m in measurements:
        c, _y, s, groups = parts(m)
        home = _home_of(tuple(sorted(c)), cliques)
        ratio = math.prod(cards[v] for v in home) / math.prod(cards[v] for v in c)
        load[home] += ratio * largest_group(groups) / float(np.min(s)) ** 2
    return max(load.values()) if load else 1.0


def _home_of(c: Clique, cliques: Sequence[Clique]) -> Clique:
    s = set(c)
    return min((k for k in cliques if s <= set(k)), key=lambda k: (len(k), k))


class _Loss:
    """``½ Σ ‖(μ_c − y)/σ‖²`` and its gradient per potential clique."""

    def __init__(
        self, measurements: Sequence[Measurement], cliques: list[Clique], cards: list[int]
    ) -> None:
        self.cliques = cliques
        self.shapes = [tuple(cards[v] for v in k) for k in cliques]
        self.items = []
        for m in measurements:
            c, y, s, groups = parts(m)
            cs = tuple(sorted(c))
            home = _home_of(cs, cliques)
            k = cliques.index(home)
            y_sorted = sorted_axes(y, c)
            w = 1.0 / s**2 if np.ndim(s) == 0 else sorted_axes(1.0 / np.asarray(s) ** 2, c)
            g = sorted_groups(groups, c)
            self.items.append((k, _axes(home, cs), _shape_in(cs, home, cards), y_sorted, w, g))

    def __call__(self, mu: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        grad = [np.zeros(s) for s in self.shapes]
        loss = 0.0
        for k, axes, shape, y, w, g in self.items:
            r = coarsen(mu[k].sum(axis=axes) if axes else mu[k], g) - y
            wr = w * r
            loss += 0.5 * float(np.vdot(r, wr))
            grad[k] += spread(wr, g).reshape(shape)
        return loss, grad


def estimate(
    cards: Sequence[int],
    measurements: Sequence[Measurement],
    *,
    total: float | None = None,
    iters: int = 1000,
    warm: Model | None = None,
    extra: Sequence[Clique] = (),
) -> Model:
    """The model whose marginals best fit ``measurements`` (mirror descent, see module doc).

    ``total``: the number of rows (default: the minimum-variance estimate from the
    measurements). ``warm``: a model whose potentials start the descent. ``extra``:
    cliques the model must hold besides the measured ones.
    """
    cards = list(cards)
    cliques = maximal([tuple(parts(m)[0]) for m in measurements] + [tuple(c) for c in extra])
    tree = junction_tree(cards, cliques)
    if total is None:
        total = minimum_variance_total(measurements)
    pots = [np.zeros(tree.shape(k)) for k in cliques]
    if warm is not None:
        for c, th in zip(warm.cliques, warm.potentials, strict=True):
            home = _home_of(c, cliques)
            k = cliques.index(home)
            pots[k] = pots[k] + _expand(th, c, home, cards)
        # a clique the warm model does not hold starts with one proportional-fitting step
        # towards its measurement (log of measured over modelled counts), so the descent
        # starts near the new data instead of at the old model
        held = [set(c) for c in warm.cliques]
        for m in measurements:
            c, y, _s, groups = parts(m)
            cs = tuple(sorted(c))
            if any(set(cs) <= h for h in held):
                continue
            g = sorted_groups(groups, c)
            now = coarsen(warm.project(cs), g)
            floor = max(1e-3 * float(total) / now.size, 1e-9)
            # a grouped measurement scales every member of a group by the group's ratio
            ratio = spread(np.log(np.maximum(sorted_axes(y, c), floor) / np.maximum(now, floor)), g)
            home = _home_of(cs, cliques)
            k = cliques.index(home)
            pots[k] = pots[k] + _expand(ratio, cs, home, cards)
            held.append(set(cs))
    loss_fn = _Loss(measurements, cliques, cards)
    model = Model(tree, cliques, pots, float(total)).calibrate()
    plan = model.plan
    alpha = 2.0 / (lipschitz(measurements, cliques, cards) * float(total))
    mu = model.clique_marginals()
    loss, grad = loss_fn(mu)
    for _ in range(iters):
        trial = Model(
            tree,
            cliques,
            [p - alpha * g for p, g in zip(pots, grad, strict=True)],
            float(total),
            plan=plan,
        ).calibrate()
        mu2 = trial.clique_marginals()
        loss2, grad2 = loss_fn(mu2)
        decrease = sum(float(np.vdot(g, a - b)) for g, a, b in zip(grad, mu, mu2, strict=True))
        if loss - loss2 >= 0.5 * alpha * decrease:
            model, pots, loss, grad, mu = trial, trial.potentials, loss2, grad2, mu2
            alpha *= GROW
        else:
            alpha *= 0.5
    return model


def minimum_variance_total(measurements: Sequence[Measurement]) -> float:
    """Inverse-variance weighted mean of the measured tables' sums (at least 1)."""
    est = np.array([float(np.sum(parts(m)[1])) for m in measurements])
    var = np.array(
        [
            float(np.sum(np.broadcast_to(np.square(s), np.shape(y))))
            for _c, y, s, _g in map(parts, measurements)
        ]
    )
    if len(est) == 0:
        return 1.0
    return max(1.0, float(np.average(est, weights=1.0 / var)))
