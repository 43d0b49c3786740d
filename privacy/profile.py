"""Value-shape statistics of a column (no values are kept, only counts and masked shapes).

>>> mask("852-27-3645"), mask("Kelly"), mask("MRN 0041")
('###-##-####', 'Aaaaa', 'AAA ####')
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from synth.io.numbers import to_numbers

DATE_FORMATS = [
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%m/%d/%Y %H:%M",
    "%B %d, %Y",
]
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_WORDS = re.compile(r"\S+")


def mask(value: str, limit: int = 24) -> str:
    out = []
    for ch in value[:limit]:
        if ch.isdigit():
            out.append("#")
        elif ch.isalpha():
            out.append("A" if ch.isupper() else "a")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(value) > limit else "")


@dataclass(frozen=True)
class Profile:
    rows: int
    missing: int
    distinct: int
    unique_ratio: float
    numeric_share: float
    integer_share: float
    leading_zero_share: float
    date_share: float
    date_format: str | None
    mean_length: float
    mean_words: float
    digit_share: float
    top_shape: str | None
    top_shape_share: float
    precision: int | None
    max_value: float | None
    #: non-numeric codes in an otherwise numeric column (e.g. 'N', '?'), from every row
    codes: tuple[str, ...] = ()
    #: the public vocabulary (yes/no, F/M, ...) that holds every value, if one does
    vocabulary: tuple[str, ...] = ()
    #: a public list most values come from (country names), spelt as the column spells
    #: them: the draft's candidate categories (the fit keeps those holding rows, under DP)
    candidates: tuple[str, ...] = ()
    #: the numbers are a few repeated values spread thinly over their range (area codes,
    #: a per-area value), in the sample: :func:`sparse_codes`
    sparse_codes: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _date_format(sample: list[str]) -> tuple[str | None, float]:
    best, share = None, 0.0
    if not sample:
        return None, 0.0
    for fmt in DATE_FORMATS:
        ok = 0
        for v in sample:
            try:
                datetime.strptime(v, fmt)
                ok += 1
            except ValueError:
                pass
        s = ok / len(sample)
        if s > share:
            best, share = fmt, s
        if share >= 0.999:
            break
    return best, share


def present_values(series: pd.Series) -> pd.Series:
    """The values that count as present: not missing and not blank.

    Blankness is decided once per distinct value, not per row (a column repeats its
    values: diabetes130's 101,766 rows hold at most a few hundred per column), and a
    numeric, boolean or datetime column holds no blank at all.

    >>> present_values(pd.Series(["a", " ", None, "", "b", "\t"])).tolist()
    ['a', 'b']
    """
    present = series.dropna()
    if len(present) == 0 or not (
        pd.api.types.is_object_dtype(present)
        or pd.api.types.is_string_dtype(present)
        or isinstance(present.dtype, pd.CategoricalDtype)
    ):
        return present
    try:
        distinct = pd.unique(present.to_numpy(dtype=object))
        blank = [v for v in distinct if str(v).strip() == ""]
    except TypeError:  # unhashable cells (lists): text of every row, as before
        return present[present.astype(str).str.strip() != ""]
    if not blank:
        return present
    return present[~present.isin(blank)]


#: a numeric column may hold at most this many distinct non-numeric codes
MAX_CODES = 3
#: a code is short and has no inner space ('N', '?', 'NA', '-', 'N/A', 'unknown')
_CODE = re.compile(r"^\S{1,12}$")


def non_numeric(present: pd.Series, limit: int = MAX_CODES) -> tuple[str, ...] | None:
    """The distinct non-numeric values (stripped) of a column, or None when more than
    ``limit`` or any of them is not code-like (then the column is not numbers + codes).

    >>> non_numeric(pd.Series(["1", "2.5", " N", "?", "N"]))
    ('?', 'N')
    >>> non_numeric(pd.Series(["1", "two words"])) is None
    True
    """
    text = present.astype(str).str.strip()
    x = to_numbers(text).to_numpy(dtype=float)
    bad = text[~np.isfinite(x)]  # 'inf' and 'nan' spelled out are codes too
    found = sorted(set(bad.unique().tolist()))
    if len(found) > limit or any(not _CODE.match(v) for v in found):
        return None
    return tuple(found)


#: a number written with 9s only ('-9', '-999', '999.9', '9999') is a missing-value code
#: (a sentinel) when it holds at least this share of a numeric column's sampled values ...
SENTINEL_MIN_SHARE = 0.005
#: ... and lies apart from every other value: negative where they are all ≥ 0, or at least
#: this many times the largest of them (Adult's capital-gain top code 99,999 is 2.4 times
#: the next value, a real amount; a BMI of 999.9 beside values up to 60 is not)
SENTINEL_RATIO = 5.0
_NINES = re.compile(r"^-?9+(\.9+)?$")


def sentinels(numbers: list[str]) -> tuple[str, ...]:
    """The missing-value codes written as numbers among a numeric column's sampled values
    (text): 9s only, frequent, and apart from the other values (see ``SENTINEL_RATIO``).

    >>> sentinels(["120", "-999", "131", "118"] * 50), sentinels(["29.4", "999.9", "31"] * 40)
    (('-999',), ('999.9',))
    >>> sentinels(["0", "41310", "99999", "5"] * 30), sentinels(["1", "98", "99"] * 30)
    ((), ())
    """
    text = pd.Series([v.strip() for v in numbers], dtype=object)
    if text.empty:
        return ()
    counts = text.value_counts()
    nines = [
        v for v in counts.index if _NINES.match(v) and counts[v] >= SENTINEL_MIN_SHARE * len(text)
    ]
    rest = to_numbers(text[~text.isin(nines)]).to_numpy(dtype=float)
    rest = rest[np.isfinite(rest)]
    if not nines or len(rest) == 0:
        return ()
    low, high = rest.min(), max(rest.max(), 0.0)
    out = [
        v
        for v in nines
        if (float(v) < 0 <= low) or (float(v) > 0 and float(v) >= SENTINEL_RATIO * high)
    ]
    return tuple(sorted(out))


def profile(
    series: pd.Series,
    rng: np.random.Generator,
    sample_size: int = 2000,
    codes: tuple[str, ...] | bool | None = False,
) -> Profile:
    """Profile of a column. ``codes``: the whole column's :func:`non_numeric` values when
    ``series`` is a sample of it (None: it has other non-numeric values); by default they
    are read from ``series``."""
    n = len(series)
    present = present_values(series)
    missing = n - len(present)
    as_str = present.astype(str)
    distinct = int(as_str.nunique())
    if len(as_str) > sample_size:
        idx = rng.choice(len(as_str), sample_size, replace=False)
        sample = as_str.iloc[np.sort(idx)].tolist()
    else:
        sample = as_str.tolist()
    if codes is False:
        codes = non_numeric(present)
    # non-numeric values that are not codes somewhere in the column: never numerical
    mixed = codes is None
    if codes:
        # codes count only when numbers outnumber them ten to one or better in kind:
        # a column of mostly codes with a few numbers is categorical
        coded = {v for v in sample if v.strip() in codes}
        rest = [v for v in sample if v not in coded]
        if len(rest) < 0.1 * len(sample) or not rest:
            codes = ()
        else:
            sample = rest
    codes = codes or ()
    k = max(1, len(sample))
    numeric = [v for v in sample if _NUM.match(v.strip())]
    numeric_share = len(numeric) / k
    if mixed:
        numeric_share = min(numeric_share, 0.5)
    integer_share = sum(1 for v in numeric if "." not in v and "e" not in v.lower()) / k
    leading_zero = sum(1 for v in numeric if len(v) > 1 and v.startswith("0") and "." not in v)
    fmt, date_share = (None, 0.0)
    if numeric_share < 0.95 or all(len(v) == 8 for v in numeric[:50]):
        fmt, date_share = _date_format(sample[:300])
    shapes = pd.Series([mask(v) for v in sample]).value_counts() if sample else pd.Series()
    precision = None
    max_value = None
    if numeric and numeric_share >= 0.95 and len(codes) < MAX_CODES:
        # a sentinel is a code too (its own state, written back verbatim, outside the bounds)
        codes = tuple(dict.fromkeys([*codes, *sentinels(numeric)]))[:MAX_CODES]
    if numeric and numeric_share >= 0.95:
        decimals = [len(v.split(".")[1]) if "." in v else 0 for v in numeric]
        precision = int(min(6, max(decimals)))
        max_value = float(to_numbers(present).max())
    lengths = [len(v) for v in sample]
    sparse = precision is not None and sparse_codes(pd.Series(numeric), precision)
    return Profile(
        rows=n,
        missing=missing,
        distinct=distinct,
        unique_ratio=distinct / max(1, len(present)),
        numeric_share=numeric_share,
        integer_share=integer_share,
        leading_zero_share=leading_zero / k,
        date_share=date_share,
        date_format=fmt if date_share >= 0.95 else None,
        mean_length=float(np.mean(lengths)) if lengths else 0.0,
        mean_words=float(np.mean([len(_WORDS.findall(v)) for v in sample])) if sample else 0.0,
        digit_share=(sum(sum(c.isdigit() for c in v) for v in sample) / max(1, sum(lengths))),
        top_shape=str(shapes.index[0]) if len(shapes) else None,
        top_shape_share=float(shapes.iloc[0] / k) if len(shapes) else 0.0,
        precision=precision,
        max_value=max_value,
        codes=tuple(codes) if numeric_share >= 0.95 else (),
        sparse_codes=bool(sparse),
    )


#: a column of sparse codes holds at most this many distinct numbers
SPARSE_MAX_VALUES = 64
#: ... filling at most this share of the values its range holds at its precision
SPARSE_SHARE = 0.25
#: ... each held by this many sampled rows or more (median): repeated codes, not the
#: thin positive part of a zero-inflated income
SPARSE_MIN_ROWS = 10


def sparse_codes(numbers: pd.Series, precision: int) -> bool:
    """Whether sampled numbers (text) are a few dozen repeated values with wide gaps:
    area codes or a per-area value, not a count (0, 1, 2, ... fill their range), a year
    or a measurement. The draft codes such a column as categories (partition selection
    keeps the values that hold rows; no value between two codes is ever written).

    >>> rng = np.random.default_rng(0)
    >>> sparse_codes(pd.Series(rng.choice(["119", "447", "2087", "3611"], 400)), 0)
    True
    >>> sparse_codes(pd.Series(rng.integers(0, 20, 400).astype(str)), 0)
    False
    """
    x = to_numbers(numbers).to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return False
    values, counts = np.unique(x, return_counts=True)
    if not 3 <= len(values) <= SPARSE_MAX_VALUES or np.median(counts) < SPARSE_MIN_ROWS:
        return False
    span = round((values[-1] - values[0]) * 10.0**precision) + 1
    return len(values) <= SPARSE_SHARE * span


#: values a distinct-count sketch keeps: the count is exact up to this many distinct
#: values, an estimate above it (relative standard error ≈ 1/sqrt(KMV_K - 2) ≈ 0.8 %)
KMV_K = 16384
_HASH_SPACE = float(2**64)


def distinct_sketch(values: pd.Series, k: int = KMV_K) -> np.ndarray:
    """KMV sketch of ``values`` (as text): the ``k`` smallest distinct 64-bit hashes, sorted.

    The hash is pandas' fixed-key SipHash of the UTF-8 text, the same in every process,
    so sketches of partitions merge exactly (:func:`merge_sketches`): the sketch of a
    union is the ``k`` smallest of the partitions' hashes, whatever the partitioning.
    Holds hashes only, never a value. Memory: ``8 × k`` bytes.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    hashes = pd.util.hash_array(values.astype(str).to_numpy(dtype=object))
    return np.unique(hashes)[:k]


def merge_sketches(sketches: list[np.ndarray], k: int = KMV_K) -> np.ndarray:
    """The sketch of the union of the partitions the ``sketches`` describe."""
    if not sketches:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(np.concatenate(sketches))[:k]


def sketch_count(sketch: np.ndarray, k: int = KMV_K) -> tuple[int, bool]:
    """(distinct count, estimated?): exact below ``k`` hashes, else the KMV estimate
    ``(k - 1) / u_k`` with ``u_k`` the k-th smallest hash scaled to (0, 1]."""
    if len(sketch) < k:
        return len(sketch), False
    return round((k - 1) * _HASH_SPACE / (float(sketch[k - 1]) + 1.0)), True


@dataclass(frozen=True)
class ColumnTotals:
    """Whole-column statistics from a pass over every row, for a profile of a row sample.

    ``max_value`` is the largest numeric value over all rows, or None when not computed
    (the profile's own, from its sample, is kept then).
    """

    rows: int
    missing: int
    distinct: int
    max_value: float | None = None
    #: the whole column's :func:`non_numeric` values (None: too many or not code-like)
    codes: tuple[str, ...] | None = None

    def apply(self, p: Profile) -> Profile:
        """``p`` (profiled on a sample of rows) with the whole column's counts."""
        present = self.rows - self.missing
        max_value = p.max_value
        if p.max_value is not None and self.max_value is not None:
            max_value = self.max_value
        return replace(
            p,
            rows=self.rows,
            missing=self.missing,
            distinct=self.distinct,
            unique_ratio=self.distinct / max(1, present),
            max_value=max_value,
        )
