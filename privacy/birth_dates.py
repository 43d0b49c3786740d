"""Birth dates found by their values: a date column whose header says nothing."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from privacy.findings import Finding
from privacy.header_rules import normalise_header

#: header words that say what a date is (an event, a record time): such a column is left
#: to its name; only a column whose header says nothing is judged a birth date by values
_EVENT_WORDS = re.compile(
    r"start|stop|end|begin|admi|adm|disch|visit|encounter|service|onset|death|died|deceased"
    r"|creat|updat|modif|time|stamp|event|order|result|collect|sched|appoint|enrol|effective"
    r"|expir|issue|valid|last|first|since|until|from|to_|due|paid|claim|proced|test|exam|year"
)
#: a birth-date column: ages (years from it to the row's other dates, or to today) spread
#: over at least this many years between the 5th and 95th percentile
DOB_MIN_AGE_SPREAD = 20.0
DOB_MAX_AGE = 120.0
#: share of rows where it must precede every other date column of the row
DOB_EARLIER_SHARE = 0.99
DOB_ROWS = 20_000


def _header_silent(name: str) -> bool:
    norm = normalise_header(name)
    return _EVENT_WORDS.search(norm) is None


def _parse_dates(series: pd.Series, fmt: str | None) -> pd.Series:
    s = series.astype("string").str.strip()
    if fmt:
        return pd.to_datetime(s, format=fmt, errors="coerce")
    return pd.to_datetime(s, format="mixed", errors="coerce")


def birth_date_evidence(
    data: pd.DataFrame,
    col: str,
    others: list[str],
    formats: dict[str, str | None],
    rng: np.random.Generator,
) -> str | None:
    """Why ``col`` holds dates of birth, or None when its values do not say so.

    A date of birth precedes every other date of its row, lies in the past, and the
    ages it implies (years from it to the row's other dates, or to today when the
    table has no other date) spread over decades, as ages of a population do. Event
    dates fail one of these: an admission follows the birth date, a discharge follows
    the admission by days, not decades. Only counts and years appear in the evidence.
    """
    if len(data) <= DOB_ROWS:
        rows = data
    else:
        rows = data.iloc[np.sort(rng.choice(len(data), DOB_ROWS, replace=False))]
    dob = _parse_dates(rows[col], formats.get(col))
    present = dob.notna()
    if present.sum() < 20 or present.mean() < 0.9:
        return None
    today = pd.Timestamp.now().normalize()
    if (dob[present] > today).any():
        return None
    year = pd.Timedelta(days=365.25)
    earlier_than: list[str] = []
    ages: list[pd.Series] = []
    for other in others:
        when = _parse_dates(rows[other], formats.get(other))
        both = present & when.notna()
        if both.sum() < 20:
            continue
        gap = (when[both] - dob[both]) / year
        if (gap >= 0).mean() < DOB_EARLIER_SHARE:
            return None
        earlier_than.append(other)
        ages.append(gap)
    if not ages:
        ages = [(today - dob[present]) / year]
    age = pd.concat(ages)
    if (age > DOB_MAX_AGE).mean() > 0.01:
        return None
    spread = float(age.quantile(0.95) - age.quantile(0.05))
    if spread < DOB_MIN_AGE_SPREAD:
        return None
    against = (
        f"precedes {', '.join(earlier_than)} in ≥{DOB_EARLIER_SHARE:.0%} of rows"
        if earlier_than
        else "no other date column; ages counted to today"
    )
    return (
        f"header says nothing, values look like birth dates: all in the past, {against}, "
        f"implied ages spread over {spread:.0f} years (5th–95th percentile)"
    )


def _birth_dates(
    data: pd.DataFrame, findings: list[Finding], rng: np.random.Generator
) -> list[Finding]:
    """Date columns with a silent header whose values are birth dates become DATE_OF_BIRTH."""
    dates = [f for f in findings if f.type == "datetime"]
    if not dates:
        return findings
    formats = {f.name: f.format for f in dates}
    out = []
    for f in findings:
        if f.type == "datetime" and f.entity == "DATE_TIME" and _header_silent(f.name):
            others = [d.name for d in dates if d.name != f.name]
            why = birth_date_evidence(data, f.name, others, formats, rng)
            if why is not None:
                f = replace(
                    f,
                    role="direct_identifier",
                    entity="DATE_OF_BIRTH",
                    confidence=0.8,
                    action="generalise",
                    generalise="year",
                    hipaa="Dates (except year) directly related to an individual",
                    evidence=[*f.evidence, why],
                )
        out.append(f)
    return out
