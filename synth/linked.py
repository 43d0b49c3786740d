"""Linked tables under one person-level budget: a person table and child tables whose
rows point at a person (patients → encounters, patients → conditions).

>>> model = LinkedSynthesizer({"patients": ps, "conditions": cs}, epsilon=1.0)  # doctest: +SKIP
>>> model.fit({"patients": patients, "conditions": conditions})  # doctest: +SKIP
>>> out = model.sample(seed=0)  # doctest: +SKIP

The person table is the one table without links; every other table declares one
``dataset.links`` entry ``{column, table, key}`` naming the person table and its key.

* **Budget.** The tables share ε by zCDP: the whole budget's ρ is split equally, each
  table's fit gets the (ε_t, δ/T) that ρ/T converts to, and one ledger composes every
  charge afterwards (refusing a total above ε). A person has one row in the person table
  and at most k rows in each child (the child's bound), so each fit protects the person.
* **Children given the person.** A child is fitted on its rows joined with the person's
  modelled columns (prefixed ``table.``, static, with the person model's DP domains as
  public domains: post-processing, no second estimate). At sampling each synthetic
  person gets a number of child rows (none with the DP share of persons without child
  rows; else from the child's DP rows-per-person histogram) drawn from the child model
  given the person's values (:meth:`Synthesizer.sample_given`), and the child's key
  column takes the person's surrogate key: every link joins.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from synth.encoding import CategoricalCodec, DatetimeCodec, NumericCodec
from synth.errors import BudgetError, InputError, SchemaError
from synth.ledger import ORDERS, PrivacyLedger, _bisect, check_budget, rdp_to_dp
from synth.schema.generalise import generalise
from synth.schema.model import Column, ColumnType, Domain, ForeignKey, Schema
from synth.synthesizer import Synthesizer


@dataclass(frozen=True)
class Link:
    """Rows of table ``child`` belong to the person whose ``key`` (in the person table)
    their ``column`` holds."""

    child: str
    column: str
    key: str


def links_of(schemas: Mapping[str, Schema]) -> tuple[str, list[Link]]:
    """The person table and the links to it; errors name the tables and columns."""
    roots = [t for t, s in schemas.items() if not s.dataset.links]
    if len(roots) != 1:
        raise SchemaError(
            "a linked release needs exactly one person table (the one table without "
            f"dataset.links); found {len(roots)}: {', '.join(sorted(roots)) or 'none'}"
        )
    root = roots[0]
    links = []
    for table, schema in schemas.items():
        for fk in schema.dataset.links:
            _check_link(table, fk, root, schemas)
            links.append(Link(table, fk.column, fk.key))
        if table != root and len(schema.dataset.links) != 1:
            raise SchemaError(
                f"table '{table}' declares {len(schema.dataset.links)} links; a child table "
                f"links once, to the person table '{root}'"
            )
    keys = {link.key for link in links}
    if len(keys) > 1:
        raise SchemaError(f"the links name different keys of '{root}': {sorted(keys)}")
    return root, links


def _check_link(table: str, fk: ForeignKey, root: str, schemas: Mapping[str, Schema]) -> None:
    if fk.table not in schemas:
        raise SchemaError(f"table '{table}' links to '{fk.table}', which is not given")
    if fk.table != root:
        raise SchemaError(
            f"table '{table}' links to '{fk.table}', which links further itself (a chain or "
            f"a cycle); this version links child tables to the person table '{root}' only"
        )
    if fk.key not in schemas[root].names:
        raise SchemaError(f"link {table}.{fk.column} names key '{fk.key}', not a column of {root}")


def budget_split(epsilon: float, delta: float, tables: int) -> tuple[float, float]:
    """(ε_t, δ_t) of each of ``tables`` fits so that their charges compose to (ε, δ): ρ of
    the whole budget split equally (zCDP composition is additive), δ split equally.

    >>> eps, dlt = budget_split(1.0, 1e-6, 2)
    >>> 0.5 < eps < 1.0, dlt
    (True, 5e-07)
    """
    check_budget(epsilon, delta)
    conversion = 0.9 * delta  # PrivacyLedger.conversion_delta of the composed ledger
    with warnings.catch_warnings():  # tiny ρ: Opacus notes its best order is the largest
        warnings.simplefilter("ignore", UserWarning)
        rho = _bisect(  # largest ρ whose curve converts to ≤ ε
            lambda r: rdp_to_dp(r * np.asarray(ORDERS), conversion) <= epsilon,
            good=0.0,
            bad=epsilon,
            close=lambda good, bad: False,
            rounds=80,
        )
        d_t = delta / tables
        return rdp_to_dp(rho / tables * np.asarray(ORDERS), 0.9 * d_t), d_t


class LinkedSynthesizer:
    """Learn a person table and its child tables under one (ε, δ) per person."""

    def __init__(
        self,
        schemas: Mapping[str, Schema],
        *,
        epsilon: float,
        delta: float = 1e-6,
        engine: str = "auto",
        seed: int | None = None,
    ) -> None:
        self.schemas = dict(schemas)
        self.root, self.links = links_of(self.schemas)
        self.epsilon, self.delta = float(epsilon), float(delta)
        self.engine, self.seed = engine, seed
        self.models: dict[str, Synthesizer] = {}
        self.ledger: PrivacyLedger | None = None

    def link_of(self, child: str) -> Link:
        """The link of child table ``child`` to the person table."""
        return next(link for link in self.links if link.child == child)

    @property
    def key(self) -> str:
        return self.links[0].key if self.links else ""

    def fit(self, tables: Mapping[str, pd.DataFrame]) -> LinkedSynthesizer:
        missing = [t for t in self.schemas if t not in tables]
        if missing:
            raise InputError(f"table '{missing[0]}' has a schema but no data")
        self._check_keys(tables)
        eps_t, delta_t = budget_split(self.epsilon, self.delta, len(self.schemas))
        root_schema = self._person_schema()
        parent = Synthesizer(
            root_schema, epsilon=eps_t, delta=delta_t, engine=self.engine, seed=self.seed
        )
        parent.fit(tables[self.root], source=self.root)
        self.models = {self.root: parent}
        for link in self.links:
            schema, joined = self._child_view(link, tables)
            child = Synthesizer(
                schema, epsilon=eps_t, delta=delta_t, engine=self.engine, seed=self.seed
            )
            self.models[link.child] = child.fit(joined, source=link.child)
        self.ledger = self._composed()
        return self

    def _check_keys(self, tables: Mapping[str, pd.DataFrame]) -> None:
        root = tables[self.root]
        if self.key and self.key not in root.columns:
            raise InputError(f"{self.root}: key column '{self.key}' is missing")
        keys = root[self.key].astype(str) if self.key else pd.Series(dtype=str)
        if self.key and (root[self.key].isna().any() or keys.duplicated().any()):
            raise InputError(
                f"{self.root}: key column '{self.key}' must name each person once (a value "
                "is missing or repeats)"
            )
        known = set(keys)
        for link in self.links:
            child = tables[link.child]
            if link.column not in child.columns:
                raise InputError(f"{link.child}: key column '{link.column}' is missing")
            values = child[link.column]
            if values.isna().any() or not values.astype(str).isin(known).all():
                raise InputError(
                    f"{link.child}.{link.column}: some values have no row in "
                    f"{self.root}.{self.key} (keys that do not join)"
                )

    def _person_schema(self) -> Schema:
        """The person table's schema with its key as the privacy unit, one row each."""
        s = self.schemas[self.root]
        if not self.key:
            return s
        ds = s.dataset.model_copy(update={"privacy_unit": self.key, "max_rows_per_unit": 1})
        return s.model_copy(update={"dataset": ds})

    def _child_view(
        self, link: Link, tables: Mapping[str, pd.DataFrame]
    ) -> tuple[Schema, pd.DataFrame]:
        """The child's rows joined with their person's modelled columns, and its schema:
        the person's columns static with the person model's DP domains declared public."""
        extra = [_public_copy(c, codec, f"{self.root}.{c.name}") for c, codec in self._given()]
        s = self.schemas[link.child]
        taken = set(s.names) & {c.name for c in extra}
        if taken:
            raise SchemaError(
                f"{link.child}: column '{sorted(taken)[0]}' clashes with a joined one"
            )
        ds = s.dataset.model_copy(update={"privacy_unit": link.column, "links": []})
        schema = Schema.model_validate(
            {
                **s.model_dump(),
                "dataset": ds.model_dump(),
                "columns": [*(c.model_dump() for c in s.columns), *(c.model_dump() for c in extra)],
            }
        )
        return schema, self.joined(link, tables[self.root], tables[link.child], raw=True)

    def joined(
        self, link: Link, people: pd.DataFrame, child: pd.DataFrame, *, raw: bool
    ) -> pd.DataFrame:
        """``child``'s rows with their person's modelled columns (``table.column``), as
        the person model sees them: ``raw`` rows are generalised first (a birth date as
        a year), synthetic rows already are."""
        person = pd.DataFrame({"__key": people[self.key].astype(str)})
        for c, _ in self._given():
            values = people[c.name]
            declared = self.schemas[self.root].column(c.name)
            if raw and declared.generalise is not None:
                values = generalise(values, declared.generalise)
            person[f"{self.root}.{c.name}"] = values.to_numpy()
        out = child.assign(__key=child[link.column].astype(str)).merge(
            person, on="__key", how="left"
        )
        return out.drop(columns="__key")

    def view_schema(self, table: str) -> Schema:
        """The schema a table was fitted under: the person table's with its key as the
        unit, a child's with its person's columns joined (``table.column``, static)."""
        return self.models[table].schema

    def _given(self) -> list[tuple[Column, Any]]:
        """The person model's columns a child is conditioned on, with their codecs: all
        but the key and category columns whose DP category set came out empty."""
        parent = self.models[self.root]
        return [
            (c, codec)
            for c, codec in zip(parent.columns, parent.codecs, strict=True)
            if c.name != self.key
            and not (isinstance(codec, CategoricalCodec) and not codec.categories)
        ]

    def _composed(self) -> PrivacyLedger:
        """One ledger over every table's charges, checked against the whole budget."""
        led = PrivacyLedger(self.epsilon, self.delta, unit=self.key or None)
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
        """Synthetic persons (default: the DP persons estimate) and their child rows;
        every child row's key is a synthetic person's key."""
        if not self.models:
            raise InputError("the linked synthesizer is not fitted yet")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        parent = self.models[self.root]
        rows = persons
        if rows is None and parent.persons is not None:
            rows = parent.persons.persons_estimate
        people = parent.sample(rows, seed=int(rng.integers(2**31)))
        out = {self.root: people}
        given = people[[c.name for c, _ in self._given()]]
        given = given.set_axis([f"{self.root}.{c}" for c in given.columns], axis=1)
        for link in self.links:
            child = self.models[link.child]
            sizes = self.children_per_person(link.child, len(people), rng)
            has = np.flatnonzero(sizes > 0)
            frame, person = child.sample_given(
                given.iloc[has], sizes[has], seed=int(rng.integers(2**31))
            )
            frame[link.column] = people[self.key].to_numpy()[has][person] if self.key else ""
            keep = [c for c in frame.columns if not c.startswith(f"{self.root}.")]
            out[link.child] = frame[keep]
        return out

    def children_per_person(self, table: str, persons: int, rng: np.random.Generator) -> np.ndarray:
        """Child rows of each of ``persons`` synthetic persons: none with the DP share of
        persons without child rows, else from the child's DP rows-per-person model."""
        child, parent = self.models[table], self.models[self.root]
        assert child.persons is not None and parent.persons is not None
        with_rows = min(1.0, child.persons.persons_estimate / parent.persons.persons_estimate)
        has = rng.random(persons) < with_rows
        sizes = np.zeros(persons, dtype=np.int64)
        sizes[has] = child.persons.draw(int(has.sum()), rng)
        return sizes

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
            "tables": {t: m.describe() for t, m in self.models.items()},
        }


def _public_copy(col: Column, codec: Any, name: str) -> Column:
    """``col`` renamed, static, with the fitted codec's (DP or declared) domain public."""
    if isinstance(codec, CategoricalCodec):
        domain = Domain(categories=list(codec.categories))
    elif isinstance(codec, DatetimeCodec):
        lo = pd.Timestamp("1970-01-01") + pd.Timedelta(days=float(codec.low))
        hi = pd.Timestamp("1970-01-01") + pd.Timedelta(days=float(codec.high))
        domain = Domain(min=lo.date(), max=hi.date())
    elif isinstance(codec, NumericCodec):
        domain = Domain(min=float(codec.low), max=float(codec.high), precision=codec.precision)
    else:  # pragma: no cover - every codec kind is above
        raise TypeError(type(codec).__name__)
    return Column(
        name=name,
        type=ColumnType(col.type),
        static=True,
        format=col.format if col.type == ColumnType.DATETIME else None,
        domain=domain,
        missing_values=list(col.missing_values),
    )


__all__ = ["Link", "LinkedSynthesizer", "budget_split", "links_of"]
