"""Text to numbers without handing arbitrary text to pandas' number parser.

pandas 2.3's ``to_numeric`` crashes the interpreter (segmentation fault) on some strings
shaped like a digit run, ``e`` and a very long exponent, e.g. the hex key
``820e28588050405e9a0f6c95222a23c1`` (one random UUID in a few thousand). Any column of
a table, an identifier included, may be probed for numbers, so every such probe goes
through :func:`to_numbers`: only text shaped like a number (an exponent of at most four
digits; ``inf``/``nan`` spelled out) is parsed, by Python's ``float``; anything else is
NaN.

>>> to_numbers(pd.Series(["1", " 2.5 ", "1e3", "-inf", "820e28588050405e9a0f", "x", None]))
0       1.0
1       2.5
2    1000.0
3      -inf
4       NaN
5       NaN
6       NaN
dtype: float64
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

_NUMBER = re.compile(
    r"^\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?|inf|infinity|nan)\s*$",
    re.IGNORECASE,
)


def is_number_text(value: str) -> bool:
    """Whether ``value`` is text :func:`to_numbers` parses."""
    return _NUMBER.match(value) is not None


def to_numbers(values: pd.Series | Any) -> pd.Series:
    """Floats per cell (NaN where a cell is missing or not a number), same index."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    obj = s.astype(object)
    text = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    out = np.full(len(obj), np.nan)
    if (~text).any():  # numbers and missing markers held as objects: pandas is safe here
        out[~text] = pd.to_numeric(obj[~text], errors="coerce").to_numpy(dtype=float)
    if text.any():
        strings = obj[text]
        ok = strings.map(is_number_text).to_numpy(dtype=bool)
        parsed = np.full(len(strings), np.nan)
        parsed[ok] = strings[ok].astype(float).to_numpy()
        out[text] = parsed
    return pd.Series(out, index=s.index, dtype=float)
