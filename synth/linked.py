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
* **Which values go together in one person** (:mod:`synth.linked_presence`). For each
  child, the values of one categorical column held by the most persons are chosen under
  DP (a share of that child's part of the budget) and become 0/1 columns of the person
  table, learnt jointly with the person's columns; a synthetic person's child rows then
  hold each indicated value at least once and no other of the chosen values.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from synth.encoding import CategoricalCodec, DatetimeCodec, NumericCodec
from synth.errors import BudgetError, InputError, SchemaError
from synth.ledger import ORDERS, Charge, PrivacyLedger, _bisect, check_budget, rdp_to_dp
from synth.linked_presence import (
    PRESENCE_SHARE,
    PRESENCE_VALUES,
    Presence,
    draw_children,
    indicator_columns,
    indicators,
    measure_presence,
    noise_floor,
    presence_column,
    repeat_column,
    repeat_flags,
    sizes_given,
)
from synth.randomness import Randomness
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
    eps, dlt, _ = budget_parts(epsilon, delta, [1.0 / tables] * tables)[0]
    return eps, dlt


def whole_rho(epsilon: float, delta: float) -> float:
    """The largest zCDP ρ whose curve converts to ≤ ε at the composed ledger's δ."""
    check_budget(epsilon, delta)
    conversion = 0.9 * delta  # PrivacyLedger.conversion_delta of the composed ledger
    with warnings.catch_warnings():  # tiny ρ: Opacus notes its best order is the largest
        warnings.simplefilter("ignore", UserWarning)
        return _bisect(
            lambda r: rdp_to_dp(r * np.asarray(ORDERS), conversion) <= epsilon,
            good=0.0,
            bad=epsilon,
            close=lambda good, bad: False,
            rounds=80,
        )


def budget_parts(
    epsilon: float, delta: float, shares: Sequence[float]
) -> list[tuple[float, float, float]]:
    """(ε_i, δ_i, ρ_i) of parts taking ``shares`` (summing to ≤ 1) of the whole budget's ρ
    and an equal share of δ: each part's own ledger (conversion at 0.9 δ_i, partition
    selection within 0.1 δ_i) calibrated to ε_i spends ρ_i, so the parts compose to
    (ε, δ).

    >>> parts = budget_parts(1.0, 1e-6, [0.5, 0.4, 0.1])
    >>> [round(r / parts[0][2], 3) for _, _, r in parts], parts[2][1]
    ([1.0, 0.8, 0.2], 3.333333333333333e-07)
    """
    if not shares or min(shares) <= 0 or sum(shares) > 1 + 1e-12:
        raise BudgetError("budget shares must be positive and add up to at most 1")
    rho = whole_rho(epsilon, delta)
    d_i = delta / len(shares)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for share in shares:
            r = rho * share
            out.append((rdp_to_dp(r * np.asarray(ORDERS), 0.9 * d_i), d_i, r))
    return out


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
        presence: Mapping[str, str | Sequence[str] | None] | None = None,
        presence_values: int = PRESENCE_VALUES,
    ) -> None:
        """``presence`` names the column of a child whose values are modelled per person,
        or a group of columns naming one thing together (a code and its description; None:
        not for that child; default: :func:`presence_column`), ``presence_values`` how
        many of its values (0: none for any child)."""
        self.schemas = dict(schemas)
        self.root, self.links = links_of(self.schemas)
        self.epsilon, self.delta = float(epsilon), float(delta)
        self.engine, self.seed = engine, seed
        self.models: dict[str, Synthesizer] = {}
        self.ledger: PrivacyLedger | None = None
        self.presence_values = int(presence_values)
        self.presence_columns = self._presence_columns(presence or {})
        #: the presence model of each child that has one (after the fit)
        self.presence: dict[str, Presence] = {}
        #: every child's choice, those that chose no value (nothing cleared the threshold)
        #: included
        self.presence_tried: dict[str, Presence] = {}
        #: each part of the budget: table fits and presence choices (ε, δ, ρ)
        self.parts: dict[str, dict[str, float]] = {}
        #: per child: child rows forced by an indicator, free, dropped (last sample)
        self.sample_stats: dict[str, dict[str, int]] = {}
        self._selection: list[Charge] = []

    def _presence_columns(
        self, declared: Mapping[str, str | Sequence[str] | None]
    ) -> dict[str, list[str]]:
        """The column of each child modelled per person (declared or chosen from the
        schema), checked."""
        unknown = sorted(set(declared) - {link.child for link in self.links})
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
        self._plan()
        self._choose_values(tables)
        part = self.parts[self.root]
        parent = Synthesizer(
            self._person_schema(),
            epsilon=part["epsilon"],
            delta=part["delta"],
            engine=self.engine,
            seed=self.seed,
        )
        self.models = {self.root: parent}
        parent.fit(self.person_view(tables[self.root], tables), source=self.root)
        for link in self.links:
            schema, joined = self._child_view(link, tables)
            part = self.parts[link.child]
            child = Synthesizer(
                schema,
                epsilon=part["epsilon"],
                delta=part["delta"],
                engine=self.engine,
                seed=self.seed,
            )
            self.models[link.child] = child.fit(joined, source=link.child)
        self.ledger = self._composed()
        return self

    def _plan(self) -> None:
        """Each table's part of ρ (equal), a child with a presence model giving
        :data:`PRESENCE_SHARE` of its part to choosing the values; δ split equally."""
        tables = [self.root, *(link.child for link in self.links)]
        names, shares = [], []
        for t in tables:
            cut = PRESENCE_SHARE if t in self.presence_columns else 0.0
            names.append(t)
            shares.append((1.0 - cut) / len(tables))
            if cut:
                names.append(f"{t}: presence")
                shares.append(cut / len(tables))
        parts = budget_parts(self.epsilon, self.delta, shares)
        self.parts = {
            n: {"epsilon": e, "delta": d, "rho": r, "rho_share": round(sh, 6)}
            for n, sh, (e, d, r) in zip(names, shares, parts, strict=True)
        }

    def _choose_values(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """The values of each child held by the most persons, under DP (fresh OS entropy)."""
        self.presence, self.presence_tried, self._selection = {}, {}, []
        rng = Randomness.secret().rng
        for child, col in self.presence_columns.items():
            part = self.parts[f"{child}: presence"]
            led = PrivacyLedger(part["epsilon"], part["delta"], unit=self.key or None)
            pres = measure_presence(
                tables[child],
                table=child,
                link_column=self.link_of(child).column,
                columns=[self.schemas[child].column(c) for c in col],
                ledger=led,
                rho=part["rho"] * (1 - 1e-9),
                rng=rng,
                values=self.presence_values,
            )
            self._selection.extend(replace(c, target=f"{child}: {c.target}") for c in led.charges)
            self.presence_tried[child] = pres
            if pres.values:
                self.presence[child] = pres

    def person_view(self, people: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """``people`` with the presence indicators of their rows in the child ``tables``:
        the rows the person model is fitted on (real) or checked against (synthetic)."""
        extra = [
            indicators(people[self.key], tables[c], self.link_of(c).column, p)
            for c, p in self.presence.items()
        ]
        if not extra:
            return people
        return pd.concat([people.reset_index(drop=True), *extra], axis=1)

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
        extra = [
            c
            for child, p in self.presence.items()
            for c in indicator_columns(p, self.schemas[child].column(p.columns[0]).role)
        ]
        taken = set(s.names) & {c.name for c in extra}
        if taken:
            raise SchemaError(f"{self.root}: column '{sorted(taken)[0]}' clashes with an indicator")
        if extra:
            s = s.model_copy(update={"columns": [*s.columns, *extra]})
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
        pres = self.presence.get(link.child)
        if pres is not None:  # whether a row repeats a chosen value of its person
            extra.append(repeat_column(pres, s.column(pres.columns[0]).role))
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
        pres = self.presence.get(link.child)
        if pres is not None:
            out[pres.repeat] = repeat_flags(child, link.column, pres)
        return out.drop(columns="__key")

    def view_schema(self, table: str) -> Schema:
        """The schema a table was fitted under: the person table's with its key as the
        unit, a child's with its person's columns joined (``table.column``, static)."""
        return self.models[table].schema

    def _given(self) -> list[tuple[Column, Any]]:
        """The person model's columns a child is conditioned on, with their codecs: all
        but the key, the presence indicators and category columns whose DP category set
        came out empty."""
        parent = self.models[self.root]
        flags = {n for p in self.presence.values() for n in p.names}
        return [
            (c, codec)
            for c, codec in zip(parent.columns, parent.codecs, strict=True)
            if c.name != self.key
            and c.name not in flags
            and not (isinstance(codec, CategoricalCodec) and not codec.categories)
        ]

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
        """Synthetic persons (default: the DP persons estimate) and their child rows;
        every child row's key is a synthetic person's key."""
        if not self.models:
            raise InputError("the linked synthesizer is not fitted yet")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        parent = self.models[self.root]
        rows = persons
        if rows is None and parent.persons is not None:
            rows = parent.persons.persons_estimate
        full = parent.sample(rows, seed=int(rng.integers(2**31)))
        flags = [n for p in self.presence.values() for n in p.names]
        people = full.drop(columns=flags)
        out = {self.root: people}
        given = people[[c.name for c, _ in self._given()]]
        given = given.set_axis([f"{self.root}.{c}" for c in given.columns], axis=1)
        keys = people[self.key].to_numpy() if self.key else np.full(len(people), "")
        for link in self.links:
            child = self.models[link.child]
            pres = self.presence.get(link.child)
            if pres is None:
                sizes = self.children_per_person(link.child, len(people), rng)
                has = np.flatnonzero(sizes > 0)
                frame, person = child.sample_given(
                    given.iloc[has], sizes[has], seed=int(rng.integers(2**31))
                )
                person = has[person]
            else:
                present = full[list(pres.names)].to_numpy() == "1"
                sizes = self.children_per_person(
                    link.child, len(people), rng, at_least=present.sum(axis=1)
                )
                frame, person, stats = draw_children(child, given, present, pres, sizes, rng)
                self.sample_stats[link.child] = stats
            frame[link.column] = keys[person]
            keep = [
                c
                for c in frame.columns
                if not c.startswith(f"{self.root}.") and (pres is None or c != pres.repeat)
            ]
            out[link.child] = frame[keep]
        return out

    def children_per_person(
        self,
        table: str,
        persons: int,
        rng: np.random.Generator,
        *,
        at_least: np.ndarray | None = None,
    ) -> np.ndarray:
        """Child rows of each of ``persons`` synthetic persons: none with the DP share of
        persons without child rows, else from the child's DP rows-per-person model (at
        least ``at_least[i]``: the values indicated for the person,
        :func:`~synth.linked_presence.sizes_given`)."""
        child, parent = self.models[table], self.models[self.root]
        assert child.persons is not None and parent.persons is not None
        with_rows = min(1.0, child.persons.persons_estimate / parent.persons.persons_estimate)
        if at_least is None:
            at_least = np.zeros(persons, dtype=np.int64)
        return sizes_given(with_rows, child.persons, at_least, rng)

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
            "presence": {c: p.describe() for c, p in self.presence_tried.items()},
            "presence_floor": self.floor(),
            "tables": {t: m.describe() for t, m in self.models.items()},
        }

    def floor(self) -> dict[str, Any]:
        """What DP noise alone allows for a value's share of persons
        (:func:`~synth.linked_presence.noise_floor`)."""
        if not self.presence_tried or self.root not in self.models:
            return {}
        rho = self.parts[self.root]["rho"]
        return noise_floor(self.models[self.root], self.presence, rho)


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


__all__ = ["Link", "LinkedSynthesizer", "budget_parts", "budget_split", "links_of"]
