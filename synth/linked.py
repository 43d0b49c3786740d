"""Linked tables under one person-level budget: a person table, child tables whose
rows point at a person (patients → encounters, patients → conditions) and deeper tables
whose rows point at a child's row (encounters → conditions).

>>> model = LinkedSynthesizer({"patients": ps, "conditions": cs}, epsilon=1.0)  # doctest: +SKIP
>>> model.fit({"patients": patients, "conditions": conditions})  # doctest: +SKIP
>>> out = model.sample(seed=0)  # doctest: +SKIP

The person table is the one table without links; every other table declares its link
to its parent in ``dataset.links`` (:mod:`synth.linked_graph`: a tree, checked).

* **Budget.** The tables share ε by zCDP: the whole budget's ρ is split equally, each
  table's fit gets the (ε_t, δ/T) that ρ/T converts to, and one ledger composes every
  charge afterwards (refusing a total above ε). Every table's privacy unit is the
  person at the root (a deeper table's rows find it through their parent row): a person
  has one row in the person table and at most k_t rows in table t (its own DP bound),
  and each fit is ρ_t-zCDP for adding or removing a person's rows in its view, so the
  person's rows across all tables are covered by the sum, ρ. ``describe()['bounds']``
  states each table's k and its mechanisms' L2 sensitivities.
* **Which values go together in one person** (:mod:`synth.linked_presence`). For each
  linked table (at any depth), the values of one categorical column held by the most
  persons are chosen under DP (a share of that table's part of the budget) and become
  0/1 columns of the person table, learnt jointly with the person's columns; a
  synthetic person's rows then hold each indicated value at least once and no other of
  the chosen values.
* **Rows given the person (and their parent row).** A child is fitted on its rows
  joined with the person's modelled columns (prefixed ``table.``, static, with the
  person model's DP domains as public domains: post-processing, no second estimate). A
  deeper table's rows are also joined with a few low-cardinality columns of their
  parent row (``encounters.ENCOUNTERCLASS``, the parent model's DP categories).
* **How many rows each parent row has** (:mod:`synth.linked_counts`). Every parent's
  view carries, per table linking to it, the count of that table's rows of each of its
  rows in public bins (the person view ``encounters#rows``, the encounter view
  ``conditions#rows``): a function of the person's own rows, covered by the parent
  fit's per-person bound, learnt jointly with the parent's columns. At sampling
  (:mod:`synth.linked_sample`) each synthetic parent row gets the number of child rows
  its modelled count says (uncut at the child's k: the bound limits what a fit sees of
  a person, and cutting there cannot keep both conditions per patient and conditions
  per encounter), each child row drawn given its person and parent row. Every link
  column takes its synthetic parent row's surrogate key: every link joins.
* **Rows per person within the bound** (:func:`~synth.linked_counts.measure_person_rows`).
  Each linked table also spends :data:`~synth.linked_counts.ROWS_PART` of its part on
  one histogram of its rows per person over every person of the person table (0, 1, …,
  10, more; one bin per person, L2 1): a synthetic person's number of rows within the
  table's k is drawn from it (the count column says who has more, and how many beyond
  k). The table's fit measures rows per person too, to choose its k, but with 3 % of
  its part and without the persons holding none: at ε = 1 on 2,300 persons its noise
  alone left rows per person within k at a TVD of 0.10–0.15.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from synth.engines.aim import DEFAULTS as AIM_DEFAULTS
from synth.errors import BudgetError, InputError, SchemaError
from synth.ledger import Charge, PrivacyLedger
from synth.linked_budget import budget_parts, budget_split
from synth.linked_counts import (
    ROWS_PART,
    PersonRows,
    count_name,
    kept_bins,
    measure_person_rows,
    model_shares,
)
from synth.linked_graph import Link, check_keys, depth, links_of, person_keys
from synth.linked_presence import (
    PRESENCE_SHARE,
    PRESENCE_VALUES,
    Presence,
    measure_presence,
    noise_floor,
    presence_column,
)
from synth.linked_views import PARENT_COLUMNS, PARENT_MAX_CATEGORIES, LinkedViews
from synth.randomness import Randomness
from synth.schema.model import ColumnType, Schema
from synth.synthesizer import Synthesizer

#: rows per parent row shown separately in the report ("5": 5 or more)
COUNT_CAP = 5


class LinkedSynthesizer(LinkedViews):
    """Learn a person table and its linked tables under one (ε, δ) per person."""

    def __init__(
        self,
        schemas: Mapping[str, Schema],
        *,
        epsilon: float,
        delta: float = 1e-6,
        engine: str = "auto",
        seed: int | None = None,
        presence: Mapping[str, str | Sequence[str] | None] | None = None,
        presence_values: int = PRESENCE_VALUES,
        parent_columns: Mapping[str, Sequence[str]] | None = None,
        indicator_rounds: int | None = 1,
    ) -> None:
        """``presence`` names the column of a child whose values are modelled per person,
        or a group of columns naming one thing together (a code and its description; None:
        not for that child; default: :func:`presence_column`), ``presence_values`` how
        many of its values (0: none for any child). ``parent_columns``: for a deeper
        table, the parent's categorical columns it is conditioned on (default: the first
        :data:`PARENT_COLUMNS` with at most :data:`PARENT_MAX_CATEGORIES` DP categories).
        ``indicator_rounds``: AIM rounds per presence indicator in the person model
        (None: the engine's default, 4 as for any column; :meth:`_person_options`)."""
        self.schemas = dict(schemas)
        self.root, self.links = links_of(self.schemas)
        self._links = {link.child: link for link in self.links}
        to_root = [x.key for x in self.links if x.parent == self.root]
        self.key = to_root[0] if to_root else ""
        self.epsilon, self.delta = float(epsilon), float(delta)
        self.engine, self.seed = engine, seed
        self.models: dict[str, Synthesizer] = {}
        self.ledger: PrivacyLedger | None = None
        self.presence_values = int(presence_values)
        self.indicator_rounds = indicator_rounds
        #: wall seconds of each table's fit (the last fit)
        self.fit_seconds: dict[str, float] = {}
        self.presence_columns = self._presence_columns(presence or {})
        self.parent_columns = self._parent_columns(parent_columns or {})
        #: the presence model of each child that has one (after the fit)
        self.presence: dict[str, Presence] = {}
        #: every child's choice, those that chose no value (nothing cleared the threshold)
        #: included
        self.presence_tried: dict[str, Presence] = {}
        #: each part of the budget: table fits and presence choices (ε, δ, ρ)
        self.parts: dict[str, dict[str, float]] = {}
        #: per child: child rows forced by an indicator, free, dropped (last sample)
        self.sample_stats: dict[str, dict[str, int]] = {}
        #: per linked table: the count bins a person's rows there, and a deeper table's
        #: rows per parent row, are drawn from (after the fit,
        #: :func:`~synth.linked_counts.kept_bins`)
        self.count_kept: dict[str, dict[str, list[str]]] = {}
        #: per linked table: its DP histogram of rows per person, 0 included (after the
        #: fit, :func:`~synth.linked_counts.measure_person_rows`)
        self.person_rows: dict[str, PersonRows] = {}
        self._selection: list[Charge] = []

    def _presence_columns(
        self, declared: Mapping[str, str | Sequence[str] | None]
    ) -> dict[str, list[str]]:
        """The column of each child modelled per person (declared or chosen from the
        schema), checked."""
        unknown = sorted(set(declared) - set(self._links))
        if unknown:
            raise SchemaError(f"presence names '{unknown[0]}', which is not a child table")
        out: dict[str, list[str]] = {}
        if self.presence_values <= 0:
            return out
        for link in self.links:
            schema = self.schemas[link.child]
            col = declared.get(link.child, presence_column(schema, link.column))
            if not col:  # declared off, or no categorical column
                continue
            group = [col] if isinstance(col, str) else list(col)
            for name in group:
                if name not in schema.names or not schema.column(name).modelled:
                    raise SchemaError(
                        f"presence column '{name}' is not a modelled column of '{link.child}'"
                    )
                if schema.column(name).type != ColumnType.CATEGORICAL:
                    raise SchemaError(f"presence column '{link.child}.{name}' is not categorical")
            out[link.child] = group
        return out

    def _parent_columns(self, declared: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """Declared parent columns of the deeper tables, checked against the schemas."""
        out: dict[str, list[str]] = {}
        for child, cols in declared.items():
            link = self._links.get(child)
            if link is None or link.parent == self.root:
                raise SchemaError(f"parent_columns names '{child}', which is not a deeper table")
            parent = self.schemas[link.parent]
            for c in cols:
                if c not in parent.names or not parent.column(c).modelled:
                    raise SchemaError(f"'{c}' is not a modelled column of '{link.parent}'")
                if parent.column(c).type != ColumnType.CATEGORICAL:
                    raise SchemaError(f"parent column '{link.parent}.{c}' is not categorical")
            out[child] = list(cols)
        return out

    def link_of(self, child: str) -> Link:
        """The link of table ``child`` to its parent."""
        return self._links[child]

    def children_of(self, table: str) -> list[str]:
        """The tables whose link names ``table`` as parent."""
        return [x.child for x in self.links if x.parent == table]

    def depth(self, table: str) -> int:
        return depth(table, self._links, self.root)

    def person_column(self, table: str) -> str:
        """The column of ``table``'s fitted view holding the person's key (its privacy
        unit): the link column of a child of the person table, else a joined column."""
        link = self._links[table]
        return link.column if link.parent == self.root else f"{self.root}.{self.key}"

    def person_keys(self, table: str, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
        """The person key (text) of each row of ``table`` (:func:`linked_graph.person_keys`)."""
        return person_keys(table, tables, self._links, self.root, self.key)

    def person_frame(
        self, table: str, tables: Mapping[str, pd.DataFrame]
    ) -> tuple[pd.DataFrame, str]:
        """``table``'s rows with a column holding their person's key, and its name."""
        col = self.person_column(table)
        if self._links[table].parent == self.root:
            return tables[table], col
        frame = tables[table].reset_index(drop=True)
        return frame.assign(**{col: self.person_keys(table, tables).to_numpy()}), col

    def fit(self, tables: Mapping[str, pd.DataFrame]) -> LinkedSynthesizer:
        missing = [t for t in self.schemas if t not in tables]
        if missing:
            raise InputError(f"table '{missing[0]}' has a schema but no data")
        if self.key:
            check_keys(tables, self._links, self.root, self.key)
        self._plan()
        self._selection = []
        self._measure_rows(tables)
        self._choose_values(tables)
        part = self.parts[self.root]
        person_schema = self._person_schema()
        parent = Synthesizer(
            person_schema,
            epsilon=part["epsilon"],
            delta=part["delta"],
            engine=self.engine,
            seed=self.seed,
            engine_options=self._person_options(person_schema),
        )
        self.models = {self.root: parent}
        self.fit_seconds = {}
        start = time.perf_counter()
        parent.fit(self.person_view(tables[self.root], tables), source=self.root)
        self.fit_seconds[self.root] = round(time.perf_counter() - start, 1)
        for link in self.links:  # parents first: a deeper view takes its parent's domains
            start = time.perf_counter()
            part = self.parts[link.child]
            child = Synthesizer(
                self._view_schema(link.child),
                epsilon=part["epsilon"],
                delta=part["delta"],
                engine=self.engine,
                seed=self.seed,
            )
            joined = self.view(link.child, tables, raw=True)
            self.models[link.child] = child.fit(joined, source=link.child)
            self.fit_seconds[link.child] = round(time.perf_counter() - start, 1)
        self.ledger = self._composed()
        self._keep_counts()
        return self

    def _keep_counts(self) -> None:
        """The count bins drawn from, per linked table: a person's rows there (the person
        model's count) and, for a deeper table, a parent row's rows (the parent model's);
        those clear of the model's noise (:func:`~synth.linked_counts.kept_bins`;
        post-processing of the fitted models)."""
        rng = np.random.default_rng(self.seed)
        self.count_kept = {}
        for link in self.links:
            sides = {"per_person": self.root}
            if link.parent != self.root:
                sides["per_parent_row"] = link.parent
            self.count_kept[link.child] = {
                side: self._kept(table, count_name(link.child), rng)
                for side, table in sides.items()
            }

    def _kept(self, table: str, column: str, rng: np.random.Generator) -> list[str]:
        model = self.models[table]
        report = getattr(model.engine, "training_report", None) or {}
        sigma, rows = report.get("sigma_1way"), report.get("rows_estimate")
        shares = model_shares(model, column, rng)
        return kept_bins(shares, float(rows or 0), None if rows is None else sigma)

    def _person_options(self, schema: Schema) -> dict[str, Any]:
        """The person model's engine options: with presence indicators, AIM's initial
        rounds are 4 per own column (its default) and :attr:`indicator_rounds` per
        indicator, instead of 4 per indicator too.

        Why: AIM starts from 4·d rounds and re-fits its graphical model every round, and
        it scores every column pair every round (d² candidates), so 40 indicator columns
        beside 18 own ones (Synthea) made the person fit ≈ 5× slower (profile: 125
        rounds, 70 % of the time in the per-round model estimate). An indicator is one
        0/1 value; fewer rounds also means less noise per measurement (σ ∝ √rounds)."""
        if self.indicator_rounds is None or self.engine not in ("auto", "aim"):
            return {}
        flags = {n for p in self.presence.values() for n in p.names}
        if not flags:
            return {}
        own = [c for c in schema.columns if c.modelled and c.name not in flags]
        per_column = int(AIM_DEFAULTS["rounds_per_column"])
        return {"rounds": max(2, per_column * len(own) + self.indicator_rounds * len(flags))}

    def _plan(self) -> None:
        """Each table's part of ρ (equal); a linked table gives :data:`ROWS_PART` of its
        part to its histogram of rows per person (when the tables link to a person key)
        and, with a presence model, :data:`PRESENCE_SHARE` to choosing the values; δ
        split equally."""
        tables = [self.root, *(link.child for link in self.links)]
        names, shares = [], []
        for t in tables:
            cuts = {}
            if t in self.presence_columns:
                cuts[f"{t}: presence"] = PRESENCE_SHARE
            if t != self.root and self.key:
                cuts[f"{t}: rows per person"] = ROWS_PART
            names.append(t)
            shares.append((1.0 - sum(cuts.values())) / len(tables))
            for name, cut in cuts.items():
                names.append(name)
                shares.append(cut / len(tables))
        parts = budget_parts(self.epsilon, self.delta, shares)
        self.parts = {
            n: {"epsilon": e, "delta": d, "rho": r, "rho_share": round(sh, 6)}
            for n, sh, (e, d, r) in zip(names, shares, parts, strict=True)
        }

    def _measure_rows(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Each linked table's rows per person over every person, 0 included, under DP
        (:func:`~synth.linked_counts.measure_person_rows`; fresh OS entropy): the shape
        a synthetic person's number of rows there is drawn from within the table's k."""
        self.person_rows = {}
        rng = Randomness.secret().rng
        people = tables[self.root][self.key].astype(str)
        for link in self.links:
            name = f"{link.child}: rows per person"
            if name not in self.parts or not self._reachable(link.child, tables):
                continue
            part = self.parts[name]
            led = PrivacyLedger(part["epsilon"], part["delta"], unit=self.key or None)
            keys = self.person_keys(link.child, tables)
            per = keys.value_counts().reindex(people.to_numpy(), fill_value=0).to_numpy()
            self.person_rows[link.child] = measure_person_rows(
                per, table=link.child, ledger=led, rho=part["rho"] * (1 - 1e-9), rng=rng
            )
            self._selection.extend(
                replace(c, target=f"{link.child}: {c.target}") for c in led.charges
            )

    def _choose_values(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """The values of each child held by the most persons, under DP (fresh OS entropy)."""
        self.presence, self.presence_tried = {}, {}
        counted = [r.persons for r in self.person_rows.values()]
        persons = float(np.median(counted)) if counted else None
        rng = Randomness.secret().rng
        for child, col in self.presence_columns.items():
            part = self.parts[f"{child}: presence"]
            led = PrivacyLedger(part["epsilon"], part["delta"], unit=self.key or None)
            frame, person = self.person_frame(child, tables)
            pres = measure_presence(
                frame,
                table=child,
                link_column=person,
                columns=[self.schemas[child].column(c) for c in col],
                ledger=led,
                rho=part["rho"] * (1 - 1e-9),
                rng=rng,
                values=self.presence_values,
                persons=persons,
            )
            self._selection.extend(replace(c, target=f"{child}: {c.target}") for c in led.charges)
            self.presence_tried[child] = pres
            if pres.values:
                self.presence[child] = pres

    def _composed(self) -> PrivacyLedger:
        """One ledger over every table's charges, checked against the whole budget."""
        led = PrivacyLedger(self.epsilon, self.delta, unit=self.key or None)
        led.charges.extend(self._selection)
        for table, model in self.models.items():
            for c in model.ledger.charges:
                led.charges.append(replace(c, target=f"{table}: {c.target}"))
        eps, dlt = led.spent()
        if eps > self.epsilon * (1 + 1e-6) or dlt > self.delta * (1 + 1e-6):
            raise BudgetError(
                f"the linked tables spent ε={eps:.4g}, δ={dlt:.3g} together, beyond the "
                f"budget ε={self.epsilon:g}, δ={self.delta:g}"
            )
        return led

    def sample(
        self, persons: int | None = None, *, seed: int | None = None
    ) -> dict[str, pd.DataFrame]:
        """Synthetic persons (default: the DP persons estimate) and their rows in every
        linked table; every link column holds a synthetic parent row's key
        (:func:`synth.linked_sample.sample_linked`)."""
        from synth.linked_sample import sample_linked

        if not self.models:
            raise InputError("the linked synthesizer is not fitted yet")
        return sample_linked(
            self, persons, np.random.default_rng(self.seed if seed is None else seed)
        )

    def bounds(self) -> dict[str, Any]:
        """What one person contributes to each table's fit, and the L2 sensitivities the
        mechanisms were calibrated for (from each table's DP bound k): the statement the
        composed ledger's budget rests on."""
        out: dict[str, Any] = {}
        for table, model in self.models.items():
            k = model.persons.k if model.persons is not None else 1
            d = len(model.columns)
            path = [table]
            while path[-1] != self.root:
                path.append(self._links[path[-1]].parent)
            out[table] = {
                "rows_per_person": k,
                "person_found_by": " → ".join(path),
                "one_marginal_l2": k,
                "all_one_way_marginals_l2": round(k * d**0.5, 3),
                "columns": d,
                "rho": self.parts[table]["rho"],
            }
        return out

    def describe(self) -> dict[str, Any]:
        """Tables, links, the composed budget and each table's model description."""
        if self.ledger is None:
            raise InputError("the linked synthesizer is not fitted yet")
        eps, dlt = self.ledger.spent()
        return {
            "person_table": self.root,
            "key": self.key,
            "links": [link.__dict__ for link in self.links],
            "budget": {"epsilon": self.epsilon, "delta": self.delta},
            "spent": {"epsilon": eps, "delta": dlt},
            "budget_parts": self.parts,
            "bounds": self.bounds(),
            "fit_seconds": self.fit_seconds,
            "presence": {c: p.describe() for c, p in self.presence_tried.items()},
            "presence_floor": self.floor(),
            "count_bins": self.count_kept,
            "rows_per_person": {t: r.describe() for t, r in self.person_rows.items()},
            "tables": {t: m.describe() for t, m in self.models.items()},
        }

    def floor(self) -> dict[str, Any]:
        """What DP noise alone allows for a value's share of persons
        (:func:`~synth.linked_presence.noise_floor`)."""
        if not self.presence_tried or self.root not in self.models:
            return {}
        rho = self.parts[self.root]["rho"]
        return noise_floor(self.models[self.root], self.presence, rho)


__all__ = [
    "PARENT_COLUMNS",
    "PARENT_MAX_CATEGORIES",
    "Link",
    "LinkedSynthesizer",
    "budget_parts",
    "budget_split",
    "count_name",
    "links_of",
]
