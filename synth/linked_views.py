"""How each linked table's model sees its rows (issue 17): the views and schemas a
:class:`~synth.linked.LinkedSynthesizer` fits on and checks against.

* The person view: the person table with its presence indicators
  (:mod:`synth.linked_presence`) and, per linked table, its rows of the person in public
  count bins (:mod:`synth.linked_counts`).
* A linked table's view: its rows joined with their person's modelled columns (prefixed
  ``table.``, the person model's DP domains public), for a deeper table also the
  person's key (its privacy unit) and a few small categorical columns of its parent row,
  the repeat flag of its presence model and the counts of its own children.

A mixin of :class:`~synth.linked.LinkedSynthesizer` (it reads the fitted models, links and
presence models held there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from synth.encoding import CategoricalCodec
from synth.errors import SchemaError
from synth.linked_columns import public_copy
from synth.linked_counts import child_counts, count_column, count_name, is_count
from synth.linked_graph import Link
from synth.linked_presence import indicator_columns, indicators, repeat_column, repeat_flags
from synth.schema.generalise import generalise
from synth.schema.model import Column, Schema

#: a deeper table is conditioned on at most this many columns of its parent row ...
PARENT_COLUMNS = 2
#: ... categorical ones with at most this many DP categories (rejection stays cheap)
PARENT_MAX_CATEGORIES = 12


class LinkedViews:
    """The views of :class:`~synth.linked.LinkedSynthesizer` (a mixin)."""

    def person_view(self, people: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """``people`` with the presence indicators of their rows in the linked ``tables``
        and how many rows each linked table (at any depth) has of them (binned,
        :mod:`synth.linked_counts`): the rows the person model is fitted on (real) or
        checked against (synthetic)."""
        extra = []
        for c, p in self.presence.items():
            frame, person = self.person_frame(c, tables)
            extra.append(indicators(people[self.key], frame, person, p))
        counts = {
            count_name(x.child): child_counts(people[self.key], self.person_keys(x.child, tables))
            for x in self.links
            if self._reachable(x.child, tables)
        }
        if counts:
            extra.append(pd.DataFrame(counts))
        if not extra:
            return people
        return pd.concat([people.reset_index(drop=True), *extra], axis=1)

    def _reachable(self, table: str, tables: Mapping[str, pd.DataFrame]) -> bool:
        """Whether ``tables`` hold ``table`` and every table between it and the person's."""
        while table != self.root:
            if table not in tables:
                return False
            table = self._links[table].parent
        return True

    def _person_schema(self) -> Schema:
        """The person table's schema with its key as the privacy unit, one row each."""
        s = self.schemas[self.root]
        extra = [
            c
            for child, p in self.presence.items()
            for c in indicator_columns(p, self.schemas[child].column(p.columns[0]).role)
        ]
        extra += [count_column(x.child) for x in self.links]
        taken = set(s.names) & {c.name for c in extra}
        if taken:
            raise SchemaError(f"{self.root}: column '{sorted(taken)[0]}' clashes with an indicator")
        if extra:
            s = s.model_copy(update={"columns": [*s.columns, *extra]})
        if not self.key:
            return s
        ds = s.dataset.model_copy(update={"privacy_unit": self.key, "max_rows_per_unit": 1})
        return s.model_copy(update={"dataset": ds})

    def _view_schema(self, table: str) -> Schema:
        """A linked table's fitted schema: its columns, its person's columns (static, the
        person model's DP domains public), for a deeper table the person key (its unit)
        and its parent row's given columns, the repeat flag and the counts of its own
        children; the person as the privacy unit."""
        link = self._links[table]
        s = self.schemas[table]
        extra = [public_copy(c, codec, f"{self.root}.{c.name}") for c, codec in self._given()]
        if link.parent != self.root:
            key_col = self.schemas[self.root].column(self.key)
            extra.append(key_col.model_copy(update={"name": self.person_column(table)}))
            extra += [
                public_copy(c, codec, f"{link.parent}.{c.name}", static=False)
                for c, codec in self.given_of_parent(table)
            ]
        pres = self.presence.get(table)
        if pres is not None:  # whether a row repeats a chosen value of its person
            extra.append(repeat_column(pres, s.column(pres.columns[0]).role))
        extra += [count_column(c) for c in self.children_of(table)]
        taken = set(s.names) & {c.name for c in extra}
        if taken:
            raise SchemaError(f"{table}: column '{sorted(taken)[0]}' clashes with a joined one")
        ds = s.dataset.model_copy(update={"privacy_unit": self.person_column(table), "links": []})
        return Schema.model_validate(
            {
                **s.model_dump(),
                "dataset": ds.model_dump(),
                "columns": [*(c.model_dump() for c in s.columns), *(c.model_dump() for c in extra)],
            }
        )

    def view(self, table: str, tables: Mapping[str, pd.DataFrame], *, raw: bool) -> pd.DataFrame:
        """``table``'s rows as its model sees them (real, ``raw``: generalised first; or
        synthetic): the person table with its indicators; a linked table with its
        person's columns, for a deeper table its person's key and its parent row's given
        columns, its repeat flags and the counts of its own children."""
        if table == self.root:
            return self.person_view(tables[self.root], tables)
        link = self._links[table]
        frame, person = self.person_frame(table, tables)
        out = frame.reset_index(drop=True)
        keys = out[person].astype(str)
        people = self._columns_by_key(
            tables[self.root], self.key, self.root, [c for c, _ in self._given()], raw
        )
        out = out.join(people.reindex(keys.to_numpy()).reset_index(drop=True))
        if link.parent != self.root:
            given = [c for c, _ in self.given_of_parent(table)]
            rows = self._columns_by_key(tables[link.parent], link.key, link.parent, given, raw)
            own = out[link.column].astype(str).to_numpy()
            out = out.join(rows.reindex(own).reset_index(drop=True))
        pres = self.presence.get(table)
        if pres is not None:
            out[pres.repeat] = repeat_flags(out, person, pres)
        for c in self.children_of(table):
            lk = self._links[c]
            out[count_name(c)] = child_counts(out[lk.key], tables[c][lk.column])
        return out

    def _columns_by_key(
        self, frame: pd.DataFrame, key: str, table: str, cols: list[Column], raw: bool
    ) -> pd.DataFrame:
        """``frame``'s ``cols`` (named ``table.column``) indexed by its key as text, raw
        values generalised as the schema says."""
        out = pd.DataFrame(index=frame[key].astype(str).to_numpy())
        for c in cols:
            values = frame[c.name]
            declared = self.schemas[table].column(c.name)
            if raw and declared.generalise is not None:
                values = generalise(values, declared.generalise)
            out[f"{table}.{c.name}"] = values.to_numpy()
        return out

    def joined(
        self, link: Link, people: pd.DataFrame, child: pd.DataFrame, *, raw: bool
    ) -> pd.DataFrame:
        """``child``'s view (:meth:`view`) for a child of the person table without
        children of its own."""
        return self.view(link.child, {self.root: people, link.child: child}, raw=raw)

    def view_schema(self, table: str) -> Schema:
        """The schema a table was fitted under: the person table's with its key as the
        unit, a linked table's with its person's columns joined (``table.column``)."""
        return self.models[table].schema

    def _given(self) -> list[tuple[Column, Any]]:
        """The person model's columns a child is conditioned on, with their codecs: all
        but the key, the presence indicators, the counts of children and category columns
        whose DP category set came out empty."""
        parent = self.models[self.root]
        flags = {n for p in self.presence.values() for n in p.names}
        return [
            (c, codec)
            for c, codec in zip(parent.columns, parent.codecs, strict=True)
            if c.name != self.key
            and c.name not in flags
            and not is_count(c.name)
            and not (isinstance(codec, CategoricalCodec) and not codec.categories)
        ]

    def given_of_parent(self, table: str) -> list[tuple[Column, Any]]:
        """The parent row's columns a deeper ``table`` is conditioned on, with the parent
        model's codecs: declared, or its first :data:`PARENT_COLUMNS` own categorical
        columns with 1 to :data:`PARENT_MAX_CATEGORIES` DP categories."""
        link = self._links[table]
        parent = self.models[link.parent]
        own = [
            (c, codec)
            for c, codec in zip(parent.columns, parent.codecs, strict=True)
            if "." not in c.name
            and "#" not in c.name
            and isinstance(codec, CategoricalCodec)
            and codec.categories
        ]
        declared = self.parent_columns.get(table)
        if declared is not None:
            return [(c, codec) for c, codec in own if c.name in declared]
        small = [(c, k) for c, k in own if len(k.categories) <= PARENT_MAX_CATEGORIES]
        return small[:PARENT_COLUMNS]


__all__ = ["PARENT_COLUMNS", "PARENT_MAX_CATEGORIES", "LinkedViews"]
