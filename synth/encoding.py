"""Column codecs: real values ⇄ integer tokens for the generators.

A codec is built only from public or DP-estimated facts (category lists, bounds,
precision); nothing in it is fitted on raw values. Every codec has a ``MISSING``
token, so missing values are modelled explicitly.

>>> c = NumericCodec("x", low=0.0, high=10.0, precision=0)
>>> c.cardinality  # 11 exact integer values + missing
12
>>> c.encode(pd.Series([0, 10, None])).tolist()
[0, 10, 11]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import pandas as pd

MAX_NUMERIC_BINS = 64
EPOCH = np.datetime64("1970-01-01", "D")


class Codec(ABC):
    kind: ClassVar[str]
    name: str

    @property
    @abstractmethod
    def cardinality(self) -> int: ...

    @abstractmethod
    def encode(self, values: pd.Series) -> np.ndarray: ...

    @abstractmethod
    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.Series: ...

    @abstractmethod
    def state_dict(self) -> dict[str, Any]: ...

    def blocked_tokens(self) -> list[int]:
        """Tokens the sampler must never emit (e.g. the 'other' bucket)."""
        return []


class CategoricalCodec(Codec):
    """Tokens: each category, then 'other' (values outside the list), then missing."""

    kind = "categorical"

    def __init__(self, name: str, categories: list[str]) -> None:
        self.name = name
        self.categories = [str(c) for c in categories]
        self._index = {c: i for i, c in enumerate(self.categories)}

    @property
    def other(self) -> int:
        return len(self.categories)

    @property
    def missing(self) -> int:
        return len(self.categories) + 1

    @property
    def cardinality(self) -> int:
        return len(self.categories) + 2

    def encode(self, values: pd.Series) -> np.ndarray:
        """Token per value: its category's index, ``other`` when unlisted, ``missing``.

        >>> CategoricalCodec("c", ["a", "b"]).encode(pd.Series(["b", None, "z", "a"])).tolist()
        [1, 3, 2, 0]
        """
        present = values.notna().to_numpy()
        text = values.astype(object)[present].astype(str)
        codes = pd.Categorical(text, categories=self.categories).codes.astype(np.int64)
        out = np.full(len(values), self.missing, dtype=np.int64)
        out[present] = np.where(codes < 0, self.other, codes)
        return out

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.Series:
        lookup = np.array([*self.categories, None, None], dtype=object)
        return pd.Series(lookup[tokens], dtype=object)

    def blocked_tokens(self) -> list[int]:
        return [self.other]

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "categories": self.categories}


class NumericCodec(Codec):
    """Exact values when the range holds few of them at this precision, else uniform bins."""

    kind = "numerical"

    def __init__(
        self,
        name: str,
        low: float,
        high: float,
        precision: int | None = None,
        max_bins: int = MAX_NUMERIC_BINS,
    ) -> None:
        self.name = name
        self.low = float(low)
        self.high = float(high)
        self.precision = precision
        self.max_bins = int(max_bins)
        if precision is not None:
            step = 10.0 ** (-precision)
            n_values = round((self.high - self.low) / step) + 1
        else:
            step, n_values = 0.0, self.max_bins + 1
        self.exact = precision is not None and n_values <= self.max_bins
        self.step = step
        self.n_bins = int(n_values) if self.exact else self.max_bins
        if self.high <= self.low:
            self.n_bins = 1
            self.exact = True

    @property
    def missing(self) -> int:
        return self.n_bins

    @property
    def cardinality(self) -> int:
        return self.n_bins + 1

    def _bin_width(self) -> float:
        return (self.high - self.low) / self.n_bins

    def encode(self, values: pd.Series) -> np.ndarray:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        miss = ~np.isfinite(x)
        x = np.clip(np.where(miss, self.low, x), self.low, self.high)
        if self.n_bins == 1:
            tok = np.zeros(len(x), dtype=np.int64)
        elif self.exact:
            tok = np.rint((x - self.low) / self.step).astype(np.int64)
        else:
            tok = np.floor((x - self.low) / self._bin_width()).astype(np.int64)
        tok = np.clip(tok, 0, self.n_bins - 1)
        tok[miss] = self.missing
        return tok

    def _values(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = np.minimum(tokens, self.n_bins - 1).astype(float)
        if self.n_bins == 1:
            x = np.full(len(t), self.low)
        elif self.exact:
            x = self.low + t * self.step
        else:
            w = self._bin_width()
            x = self.low + (t + rng.random(len(t))) * w
        x = np.clip(x, self.low, self.high)
        if self.precision is not None:
            x = np.round(x, self.precision)
        return x

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.Series:
        x = self._values(tokens, rng)
        miss = tokens == self.missing
        if self.precision == 0:
            out = pd.Series(pd.array(np.rint(x).astype(np.int64), dtype="Int64"))
            out[miss] = pd.NA
            return out
        x[miss] = np.nan
        return pd.Series(x)

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "precision": self.precision,
            "max_bins": self.max_bins,
        }


class DatetimeCodec(NumericCodec):
    """Dates as whole days since 1970-01-01, binned like numbers, written back in ``fmt``."""

    kind = "datetime"

    def __init__(
        self,
        name: str,
        low: float,
        high: float,
        fmt: str = "%Y-%m-%d",
        max_bins: int = MAX_NUMERIC_BINS,
    ) -> None:
        super().__init__(name, low, high, precision=0, max_bins=max_bins)
        self.fmt = fmt

    @staticmethod
    def to_days(values: pd.Series, fmt: str | None) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(values):
            dates = values
        else:
            dates = pd.to_datetime(values, errors="coerce", format=fmt or "mixed")
        days = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
        return (days - pd.Timestamp("1970-01-01")).dt.days.astype(float)

    def encode(self, values: pd.Series) -> np.ndarray:
        if not pd.api.types.is_numeric_dtype(values):
            values = self.to_days(values, self.fmt)
        return super().encode(values)

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.Series:
        days = np.rint(self._values(tokens, rng)).astype(np.int64)
        dates = pd.to_datetime(EPOCH + days.astype("timedelta64[D]"))
        out = pd.Series(dates.strftime(self.fmt), dtype=object)
        out[tokens == self.missing] = None
        return out

    def state_dict(self) -> dict[str, Any]:
        state = {**super().state_dict(), "fmt": self.fmt}
        state.pop("precision")
        return state


CODECS: dict[str, type[Codec]] = {
    "categorical": CategoricalCodec,
    "numerical": NumericCodec,
    "datetime": DatetimeCodec,
}


def codec_from_state(state: dict[str, Any]) -> Codec:
    kind = state.get("kind")
    if kind not in CODECS:
        raise ValueError(f"unknown codec kind {kind!r}")
    args = {k: v for k, v in state.items() if k != "kind"}
    return CODECS[kind](**args)
