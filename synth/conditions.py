"""The terms of conditional sampling, parsed and bound to a model's codecs: ``--where``
conditions (:class:`Condition`, :func:`parse_where`), ``--rebalance`` shares
(:class:`Rebalance`, :func:`parse_rebalance`), and each condition as the tokens that hold
it fully or in part plus the exact test on decoded values (:class:`Bound`, :func:`bind`).
Reads no data: text and the DP model's codecs only. Used by :mod:`synth.conditional`.

>>> c = parse_where(["sex=F|M, age=30..40", "bmi<25"])
>>> [(x.column, x.op, x.values) for x in c]
[('sex', '=', ('F', 'M')), ('age', 'range', ('30', '40')), ('bmi', '<', ('25',))]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.encoding import CategoricalCodec, Codec, DatetimeCodec, NumericCodec
from synth.errors import InputError
from synth.io.numbers import to_numbers

_TERM = re.compile(r"^\s*(?P<col>[^=<>!]+?)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<val>.*?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One term of ``--where``: ``column op value``; ``op`` is ``=``/``!=`` (values: the
    alternatives separated by ``|``), ``<``, ``<=``, ``>``, ``>=`` (one value) or
    ``range`` (``column=low..high``, inclusive; either end may be empty)."""

    column: str
    op: str
    values: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Rebalance:
    """``--rebalance COLUMN[=value:share,...]``: ``shares`` None means uniform."""

    column: str
    shares: dict[str, float] | None
    text: str


def parse_where(texts: list[str]) -> list[Condition]:
    """Conditions from one or more ``--where`` strings (terms separated by commas)."""
    out: list[Condition] = []
    for text in texts:
        for term in (t for t in text.split(",") if t.strip()):
            m = _TERM.match(term)
            if m is None or not m["val"]:
                raise InputError(
                    f"--where: cannot read '{term.strip()}': write COLUMN=VALUE, "
                    "COLUMN=V1|V2, COLUMN!=VALUE, COLUMN>=NUMBER or COLUMN=LOW..HIGH"
                )
            col, op, val = m["col"].strip(), m["op"], m["val"]
            if op == "=" and ".." in val:
                low, _, high = val.partition("..")
                if not low.strip() and not high.strip():
                    raise InputError(f"--where: '{term.strip()}' gives neither end of the range")
                out.append(Condition(col, "range", (low.strip(), high.strip()), term.strip()))
            elif op in ("=", "!="):
                values = tuple(v.strip() for v in val.split("|"))
                out.append(Condition(col, op, values, term.strip()))
            else:
                out.append(Condition(col, op, (val,), term.strip()))
    seen: set[str] = set()
    for c in out:
        if c.column in seen:
            raise InputError(
                f"--where: column '{c.column}' has two conditions: combine them into one "
                "(e.g. age=30..40)"
            )
        seen.add(c.column)
    return out


def parse_rebalance(text: str) -> Rebalance:
    """``COLUMN`` (uniform) or ``COLUMN=value:share,value:share`` (shares in [0, 1] or %)."""
    col, eq, rest = text.partition("=")
    col = col.strip()
    if not col:
        raise InputError("--rebalance: give a column, e.g. --rebalance diagnosis=E11:0.1")
    if not eq:
        return Rebalance(col, None, text)
    shares: dict[str, float] = {}
    for part in (p for p in rest.split(",") if p.strip()):
        value, colon, share = part.rpartition(":")
        if not colon or not value.strip():
            raise InputError(f"--rebalance: cannot read '{part.strip()}': write VALUE:SHARE")
        s = share.strip()
        try:
            x = float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
        except ValueError:
            raise InputError(f"--rebalance: share '{s}' is not a number") from None
        if not 0.0 <= x <= 1.0 or not math.isfinite(x):
            raise InputError(f"--rebalance: share '{s}' is outside 0..1")
        shares[value.strip()] = x
    if not shares:
        raise InputError("--rebalance: no VALUE:SHARE after '='")
    if sum(shares.values()) > 1.0 + 1e-9:
        raise InputError(f"--rebalance: the shares add up to {sum(shares.values()):.3f} > 1")
    return Rebalance(col, shares, text)


# -- conditions on tokens and values ------------------------------------------------------
@dataclass
class Bound:
    """A condition bound to a model column: per token, whether all (``full``) or some
    (``partial``) of its decoded values hold it, and the test of a decoded value."""

    index: int
    condition: Condition
    full: np.ndarray
    partial: np.ndarray
    holds: Callable[[pd.Series], np.ndarray]

    @property
    def tokens(self) -> np.ndarray:
        return self.full | self.partial


def _intervals(codec: NumericCodec) -> tuple[np.ndarray, np.ndarray]:
    """Per value token (bins, then points), the lowest and highest value it decodes to."""
    t = np.arange(codec.n_bins)
    if codec.n_bins == 1 and codec.edges is None:
        lo = hi = np.full(1, codec.low)
    elif codec.exact:
        lo = hi = codec.low + t * codec.step
    elif codec.edges is not None:
        lo, hi = codec.edges[:-1], codec.edges[1:]
    else:
        w = (codec.high - codec.low) / codec.n_bins
        lo, hi = codec.low + t * w, codec.low + (t + 1) * w
    lo = np.clip(np.r_[lo, codec.points], codec.low, codec.high)
    hi = np.clip(np.r_[hi, codec.points], codec.low, codec.high)
    return lo, hi


def _number(codec: NumericCodec, text: str, cond: Condition) -> float:
    if isinstance(codec, DatetimeCodec):
        days = DatetimeCodec.to_days(pd.Series([text]), None).iloc[0]
        if not np.isfinite(days):
            raise InputError(f"--where {cond.text}: '{text}' is not a date")
        return float(days)
    x = to_numbers(pd.Series([text])).iloc[0]
    if not np.isfinite(x):
        raise InputError(f"--where {cond.text}: '{text}' is not a number")
    return float(x)


def bind(codec: Codec, index: int, cond: Condition) -> Bound:
    """The token sets and value test of ``cond`` on ``codec``'s column."""
    k = codec.cardinality
    full, partial = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    if isinstance(codec, CategoricalCodec):
        if cond.op not in ("=", "!="):
            raise InputError(
                f"--where {cond.text}: column '{cond.column}' is categorical: use = or !="
            )
        unknown = [v for v in cond.values if v not in codec.categories]
        if unknown:
            raise InputError(
                f"--where {cond.text}: '{unknown[0]}' is not among the "
                f"{len(codec.categories)} values the model has for column '{cond.column}'"
            )
        chosen = np.isin(np.arange(len(codec.categories)), [codec._index[v] for v in cond.values])
        full[: len(codec.categories)] = chosen if cond.op == "=" else ~chosen
        wanted = set(cond.values)

        def holds_cat(values: pd.Series) -> np.ndarray:
            inside = values.astype(object).map(lambda v: v is not None and str(v) in wanted)
            ok = inside.to_numpy(dtype=bool)
            return ok if cond.op == "=" else (~ok & values.notna().to_numpy())

        return Bound(index, cond, full, partial, holds_cat)
    assert isinstance(codec, NumericCodec)
    nums = [_number(codec, v, cond) for v in cond.values if v != ""]
    lo, hi = _intervals(codec)
    point = lo == hi
    if cond.op in ("=", "!="):
        targets = np.asarray(nums, dtype=float)
        tol = 1e-9 * max(1.0, float(np.abs(targets).max()))

        def equal(x: np.ndarray) -> np.ndarray:
            return (np.abs(x[:, None] - targets[None, :]) <= tol).any(axis=1)

        inside = equal if cond.op == "=" else (lambda x: ~equal(x))
        meets = (
            (targets[None, :] >= lo[:, None] - tol) & (targets[None, :] <= hi[:, None] + tol)
        ).any(1)
        if cond.op == "=":
            tok_full, tok_part = point & meets, ~point & meets
        else:
            tok_full, tok_part = ~meets, ~point & meets
    else:
        # an interval condition: (low, high) with open or closed ends
        if cond.op == "range":
            low = _number(codec, cond.values[0], cond) if cond.values[0] else -math.inf
            high = _number(codec, cond.values[1], cond) if cond.values[1] else math.inf
            if low > high:
                raise InputError(f"--where {cond.text}: the range is empty (low > high)")
            low_open = high_open = False
        else:
            v = nums[0]
            low, high = (v, math.inf) if cond.op in (">", ">=") else (-math.inf, v)
            low_open, high_open = cond.op == ">", cond.op == "<"

        def inside(x: np.ndarray) -> np.ndarray:
            above = x > low if low_open else x >= low
            below = x < high if high_open else x <= high
            return above & below

        # a token's values [lo, hi] all hold it, or some do (the intervals meet)
        meets = (hi > low if low_open else hi >= low) & (lo < high if high_open else lo <= high)
        tok_full = inside(lo) & inside(hi)
        tok_part = meets & ~tok_full
    # decoded values of a bin are rounded (to the precision, to whole days), which may move
    # one across the condition's edge: a bin is always checked value by value
    tok_part = tok_part | (tok_full & ~point)
    tok_full = tok_full & point
    full[: len(lo)], partial[: len(lo)] = tok_full, tok_part

    def holds_num(values: pd.Series) -> np.ndarray:
        if isinstance(codec, DatetimeCodec):
            x = DatetimeCodec.to_days(values.astype(object), codec.fmt).to_numpy(dtype=float)
        else:
            x = to_numbers(values.astype(object)).to_numpy(dtype=float)
        ok = np.isfinite(x)
        ok[ok] = inside(x[ok])
        return ok

    return Bound(index, cond, full, partial, holds_num)
