"""What the schema's ``generalise`` methods do, and the public domain each one yields.

>>> generalise(pd.Series(["02139", "10001", None]), Generalisation.ZIP3).tolist()
['021', '100', nan]
>>> generalise(pd.Series([17, 45, 93]), Generalisation.AGE_BAND).tolist()
['0-17', '45-54', '90+']
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from synth.io.numbers import to_numbers
from synth.schema.model import Column, ColumnType, Domain, Generalisation

YEAR_MIN, YEAR_MAX = 1900, 2030

AGE_BANDS: list[tuple[int, int, str]] = [
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 74, "65-74"),
    (75, 89, "75-89"),
    (90, 10_000, "90+"),
]


#: postcodes with letters, generalised to their area as ZIP3 is for ZIPs: Canada's forward
#: sortation area, the UK's postcode area (letters of the outward code), the Netherlands'
#: first two digits, Ireland's routing key. An area maps to itself (a synthetic column
#: already generalised stays as it is)
_AREAS = [
    (re.compile(r"^([A-Z]\d[A-Z])(?: ?\d[A-Z]\d)?$"), 1),
    (re.compile(r"^([A-Z]{1,2})\d[A-Z\d]?(?: ?\d[A-Z]{2})?$"), 1),
    (re.compile(r"^(\d{2})\d{2} ?[A-Z]{2}$"), 1),
    (re.compile(r"^([AC-FHKNPRTV-Y]\d[\dW]) ?[\dAC-FHKNPRTV-Y]{4}$"), 1),
]


def postcode_area(code: str) -> str:
    """The area of a postcode with letters ('LA4 5XY' → 'LA', 'K1A 0B1' → 'K1A').

    >>> postcode_area("rm17 6aa"), postcode_area("K1A 0B1"), postcode_area("1636 HO")
    ('RM', 'K1A', '16')
    """
    c = " ".join(str(code).upper().split())
    for rx, group in _AREAS:
        m = rx.match(c)
        if m:
            return m.group(group)
    return re.sub(r"[^A-Z0-9]", "", c)[:2]


def generalise(values: pd.Series, method: Generalisation | str) -> pd.Series:
    method = Generalisation(method)
    if method == Generalisation.ZIP3:
        text = values.astype("string")
        digits = text.str.replace(r"\D", "", regex=True).str.zfill(5)
        out = digits.str[:3].astype(object)
        letters = text.str.contains(r"[A-Za-z]", regex=True).fillna(False).astype(bool)
        if letters.any():
            out[letters] = [postcode_area(v) for v in text[letters]]
        return out.where(values.notna(), np.nan)
    if method == Generalisation.YEAR:
        dates = pd.to_datetime(values, errors="coerce", format="mixed")
        return dates.dt.year.astype(float)
    nums = to_numbers(values)
    if method == Generalisation.TOP_CODE_89:
        return nums.clip(upper=90)
    labels = pd.Series(np.nan, index=values.index, dtype=object)
    for lo, hi, label in AGE_BANDS:
        labels[(nums >= lo) & (nums <= hi)] = label
    return labels


def looks_generalised(values: pd.Series, method: Generalisation | str) -> bool:
    """Whether ``values`` are already in the generalised form (e.g. a synthetic table).

    >>> looks_generalised(pd.Series(["021", None]), "zip3")
    True
    >>> looks_generalised(pd.Series(["02139"]), "zip3")
    False
    """
    method = Generalisation(method)
    present = values.dropna().astype(str)
    if len(present) == 0 or method == Generalisation.TOP_CODE_89:
        return method != Generalisation.TOP_CODE_89
    if method == Generalisation.ZIP3:
        return bool((present.str.len() <= 3).all())
    if method == Generalisation.YEAR:
        return bool(to_numbers(present).notna().all())
    labels = {label for _, _, label in AGE_BANDS}
    return bool(present.isin(labels).all())


def generalised_column(col: Column) -> Column:
    """The column as the generator sees it after generalisation (type and public domain)."""
    if col.generalise is None:
        return col
    method = Generalisation(col.generalise)
    if method == Generalisation.ZIP3:
        # with no declared list the prefixes are chosen under DP (partition selection):
        # all 1000 codes as a public domain would spread mass over prefixes nobody lives in
        dom = None
        if col.domain is not None and col.domain.categories:
            cats = pd.Series([str(c) for c in col.domain.categories])
            dom = Domain(categories=sorted(set(generalise(cats, method).dropna())))
        return col.model_copy(update={"type": ColumnType.CATEGORICAL, "domain": dom})
    if method == Generalisation.AGE_BAND:
        cats = [label for _, _, label in AGE_BANDS]
        return col.model_copy(
            update={"type": ColumnType.CATEGORICAL, "domain": Domain(categories=cats)}
        )
    if method == Generalisation.YEAR:
        # public default: birth years of living people lie in [1900, 2030]
        dom = Domain(min=float(YEAR_MIN), max=float(YEAR_MAX), precision=0)
        if col.domain is not None and col.domain.has_bounds:
            lo = pd.Timestamp(col.domain.min).year  # type: ignore[arg-type]
            hi = pd.Timestamp(col.domain.max).year  # type: ignore[arg-type]
            dom = Domain(min=float(lo), max=float(hi), precision=0)
        return col.model_copy(update={"type": ColumnType.NUMERICAL, "domain": dom})
    # top-coding keeps the column numerical; ages above 89 become 90
    dom = col.domain
    if dom is not None and dom.has_bounds:
        dom = Domain(min=dom.min, max=min(float(dom.max), 90.0), precision=dom.precision)  # type: ignore[arg-type]
    return col.model_copy(update={"domain": dom})
