"""The joined person view a linked release is gated on besides each table (issue 17).

Each table's own gate (:mod:`synth.linked_release`) compares rows of one table with the
person as the unit. A person can still be singled out by what only the join shows: how
many encounters and conditions they have together with their age, sex and which
conditions they hold. This view is **one row per person**: the person table's columns,
the presence indicators of the values modelled per person (which values they hold in
each linked table) and, per linked table, how many rows the person has there (cut at
that table's DP bound k, the most the fit saw). It is built the same way from the
training persons, the holdout persons and the synthetic persons, and gated with
:func:`privacy.leakage.check_leakage` (its public API; nothing of it is changed here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synth.schema.model import Column, ColumnType, Domain, Role, Schema

if TYPE_CHECKING:
    from synth.linked import LinkedSynthesizer

#: the key of the joined view's verdict among the per-table ones (not a table name:
#: it holds a space)
JOINED = "joined persons"


def rows_column(table: str) -> str:
    """The joined view's column: the person's rows in ``table``."""
    return f"{table}#per_person"


def bound_of(model: LinkedSynthesizer, table: str) -> int:
    fitted = model.models[table]
    return fitted.persons.k if fitted.persons is not None else 1


def joined_view(model: LinkedSynthesizer, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per person of ``tables`` (real or synthetic): the person view with its
    indicators and each linked table's rows per person, cut at that table's bound."""
    people = tables[model.root]
    out = model.person_view(people, tables).reset_index(drop=True)
    keys = people[model.key].astype(str).to_numpy()
    for link in model.links:
        per = model.person_keys(link.child, tables).value_counts()
        n = per.reindex(keys, fill_value=0).to_numpy()
        out[rows_column(link.child)] = np.minimum(n, bound_of(model, link.child))
    return out


def joined_schema(model: LinkedSynthesizer) -> Schema:
    """The person model's schema with a whole-number column per linked table (public
    domain 0..k)."""
    s = model.models[model.root].schema
    extra = [
        Column(
            name=rows_column(link.child),
            type=ColumnType.NUMERICAL,
            role=Role.QUASI_IDENTIFIER,
            domain=Domain(min=0, max=bound_of(model, link.child), precision=0),
            nullable=False,
        )
        for link in model.links
    ]
    return s.model_copy(update={"columns": [*s.columns, *extra]})


def check_joined(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    holdout: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
):
    """The leakage verdict on the joined person view, and the three views."""
    from privacy import check_leakage

    views = (joined_view(model, train), joined_view(model, holdout), joined_view(model, synthetic))
    return check_leakage(*views, joined_schema(model)), views


__all__ = ["JOINED", "check_joined", "joined_schema", "joined_view", "rows_column"]
