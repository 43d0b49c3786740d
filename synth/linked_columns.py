"""Columns a linked table's view joins from another table's fitted model (issue 17).

A child is fitted on its rows joined with its person's columns (and a deeper table with
a few of its parent row's): those columns enter the child's schema with the other
model's fitted domain declared public. The domain is the other model's DP output (its
DP-chosen categories, its DP bounds), so declaring it costs nothing more (post-processing,
no second estimate from the rows).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from synth.encoding import CategoricalCodec, DatetimeCodec, NumericCodec
from synth.schema.model import Column, ColumnType, Domain


def public_copy(col: Column, codec: Any, name: str, *, static: bool = True) -> Column:
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
        static=static,
        format=col.format if col.type == ColumnType.DATETIME else None,
        domain=domain,
        missing_values=list(col.missing_values),
    )


__all__ = ["public_copy"]
