"""Sampling under the schema's constraints and conditions, exactly, by redrawing.

Post-processing of the DP model: rows that break a constraint (``low <= high``, a fixed
list of combinations) are drawn again from the model; conditions keep the rows that
hold them. Row positions are kept, so rows grouped into synthetic persons stay grouped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.io.numbers import to_numbers
from synth.schema.model import Column, ColumnType, FixedCombinations, Inequality, Schema

CONSTRAINT_ROUNDS = 20

Draw = Callable[[int], pd.DataFrame]


def condition(frame: pd.DataFrame, n: int, conditions: dict[str, Any], draw: Draw) -> pd.DataFrame:
    """``n`` rows holding every ``column = value`` of ``conditions``: the rows of
    ``frame`` that do, then rows of ``draw`` (rejection: exact)."""
    for name in conditions:
        if name not in frame.columns:
            raise InputError(f"condition on column '{name}', which is not modelled")

    def ok(f: pd.DataFrame) -> pd.Series:
        mask = pd.Series(True, index=f.index)
        for name, value in conditions.items():
            mask &= f[name].astype(str) == str(value)
        return mask

    kept = [frame[ok(frame)]]
    have = len(kept[0])
    for _ in range(200):
        if have >= n:
            break
        more = draw(max(1000, 2 * n))
        more = more[ok(more)]
        kept.append(more)
        have += len(more)
    if have < n:
        raise InputError("the conditions are too rare for the model to sample")
    return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)


def violations(frame: pd.DataFrame, schema: Schema, columns: list[Column]) -> pd.Series:
    """Per row, whether it breaks one of the schema's constraints."""
    bad = pd.Series(False, index=frame.index)
    names = set(frame.columns)
    for con in schema.constraints:
        if isinstance(con, Inequality):
            if con.low not in names or con.high not in names:
                continue
            lo = comparable(frame, con.low, columns)
            hi = comparable(frame, con.high, columns)
            bad |= (lo > hi).fillna(False)
        elif isinstance(con, FixedCombinations) and set(con.columns) <= names:
            allowed = {tuple(map(str, a)) for a in con.allowed}
            combos = frame[con.columns].astype(str).apply(tuple, axis=1)
            bad |= ~combos.isin(allowed)
    return bad


def comparable(frame: pd.DataFrame, name: str, columns: list[Column]) -> pd.Series:
    col = next(c for c in columns if c.name == name)
    if col.type == ColumnType.DATETIME:
        return pd.to_datetime(frame[name], format=col.format or "%Y-%m-%d", errors="coerce")
    return to_numbers(frame[name])


def enforce(
    frame: pd.DataFrame,
    schema: Schema,
    columns: list[Column],
    draw: Draw,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``frame`` with every row that breaks a constraint drawn again, in place."""
    if not schema.constraints:
        return frame
    for _ in range(CONSTRAINT_ROUNDS):
        bad = violations(frame, schema, columns)
        if not bad.any():
            return frame
        redo = draw(int(bad.sum()))
        redo.index = frame.index[bad.to_numpy()]
        frame.loc[bad, :] = redo
    bad = violations(frame, schema, columns)
    if bad.any():
        # last resort, still exact: refill the rows that never satisfied the constraints
        # from rows that do
        good = frame[~bad]
        if len(good) == 0:
            raise InputError("the model cannot produce rows that satisfy the constraints")
        fill = good.sample(int(bad.sum()), replace=True, random_state=int(rng.integers(2**31)))
        fill.index = frame.index[bad.to_numpy()]  # in place: row positions carry persons
        frame.loc[bad, :] = fill
    return frame
