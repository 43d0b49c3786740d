"""Apply the schema's actions to a real table: a de-identified copy (NOT differentially private).

* drop — the column is removed;
* replace — fresh surrogates in the same format (:mod:`synth.surrogates`);
* redact — PII spans in free text replaced by ``<ENTITY>`` tags (presidio-anonymizer);
* generalise — ZIP3 (postcode areas for postcodes with letters), year, age bands,
  top-coding at 90 (:mod:`synth.schema.generalise`);
* keep — unchanged, except what HIPAA Safe Harbor does not allow (:func:`safe_harbor`):
  a kept date of the person's (a column whose ``hipaa`` class is the dates class: death,
  admission, discharge dates, ...) is written as its year, and a kept age column
  (``entity: AGE`` or the ages-over-89 class) is top-coded at 90. A steward who may keep
  them (an expert determination, a data-use agreement) says so in the schema by removing
  the column's ``hipaa`` class, or on the command line with ``--safe-harbor-dates off``;
  ``--safe-harbor-dates all`` takes every kept date column to its year, whatever its
  class (a schema written without ``hipaa`` classes, or a cautious hand-out).

Years, ages and top-coded numbers are written as whole numbers ("2006", not "2006.0").

The synthetic release does not need this step (the generator drops and
generalises on its own); it exists for stewards who must hand out a
de-identified extract, and for redacting notes.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from privacy.redaction import analyze_texts
from synth.schema.generalise import generalise
from synth.schema.model import Action, Column, ColumnType, Generalisation, Schema
from synth.surrogates import surrogate_series


def redact_texts(
    texts: list[str | None], progress: Callable[[str, int, int], None] | None = None
) -> tuple[list[str | None], dict[str, int]]:
    """Replace PII spans by entity tags; return the texts and span counts per entity.

    Spans are found in batches on every core (:func:`privacy.redaction.analyze_texts`)
    and replaced by presidio-anonymizer's ``replace`` operator (``<ENTITY>`` tags).
    """
    keep = [
        i
        for i, t in enumerate(texts)
        if not (t is None or (isinstance(t, float) and pd.isna(t)) or not str(t).strip())
    ]
    spans = analyze_texts([str(texts[i]) for i in keep], progress=progress)
    anonymizer = AnonymizerEngine()
    operators = {"DEFAULT": OperatorConfig("replace", {})}
    counts: dict[str, int] = {}
    out: list[str | None] = list(texts)
    for i, found in zip(keep, spans, strict=True):
        for s in found:
            counts[s.entity] = counts.get(s.entity, 0) + 1
        if not found:
            out[i] = str(texts[i])
            continue
        results = [RecognizerResult(s.entity, s.start, s.end, s.score) for s in found]
        out[i] = anonymizer.anonymize(
            text=str(texts[i]), analyzer_results=results, operators=operators
        ).text
    return out, counts


#: the HIPAA classes of kept columns that Safe Harbor still generalises
DATE_CLASS = "Dates (except year)"
AGE_CLASS = "Ages over 89"
#: ``--safe-harbor-dates``: by the schema's ``hipaa`` classes (default), every kept date
#: column, or none (the steward may keep full dates: expert determination, a data-use
#: agreement)
SAFE_HARBOR_MODES = ("schema", "all", "off")


def safe_harbor(col: Column, mode: str = "schema") -> Generalisation | None:
    """What Safe Harbor does to a column the schema keeps: its dates to years, ages above
    89 to 90; None when the schema's action already decides or allows the column as it is.
    ``mode`` (:data:`SAFE_HARBOR_MODES`): "schema" follows the column's ``hipaa`` class,
    "all" also takes every other kept date column to its year and tops every kept
    ``AGE`` column, "off" changes no kept column.

    >>> from synth.schema.model import Column
    >>> safe_harbor(Column(name="died", type="datetime", hipaa="Dates (except year) ..."))
    <Generalisation.YEAR: 'year'>
    >>> safe_harbor(Column(name="died", type="datetime")) is None
    True
    >>> safe_harbor(Column(name="died", type="datetime"), mode="all")
    <Generalisation.YEAR: 'year'>
    """
    if mode not in SAFE_HARBOR_MODES:
        raise ValueError(f"safe-harbor mode must be one of {', '.join(SAFE_HARBOR_MODES)}")
    if col.action != Action.KEEP or mode == "off":
        return None
    hipaa = col.hipaa or ""
    if not hipaa and mode != "all":
        return None
    if col.type == ColumnType.DATETIME and (mode == "all" or hipaa.startswith(DATE_CLASS)):
        return Generalisation.YEAR
    if col.type == ColumnType.NUMERICAL and (hipaa.startswith(AGE_CLASS) or col.entity == "AGE"):
        return Generalisation.TOP_CODE_89
    return None


def whole_numbers(values: pd.Series) -> pd.Series:
    """``values`` as nullable integers when every present value is a whole number (years,
    ages: "2006", not "2006.0"); unchanged otherwise.

    >>> whole_numbers(pd.Series([2006.0, None])).tolist()
    [2006, <NA>]
    """
    if not pd.api.types.is_float_dtype(values):
        return values
    present = values.dropna()
    if len(present) and not (present == present.round()).all():
        return values
    return values.round().astype("Int64")


def strip(
    data: pd.DataFrame,
    schema: Schema,
    *,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
    safe_harbor_dates: bool | str = True,
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """The de-identified table and, per redacted column, the span counts by entity.

    ``safe_harbor_dates``: kept dates of the person to years and kept ages top-coded
    (:func:`safe_harbor`): a mode of :data:`SAFE_HARBOR_MODES`; True is "schema", False
    is "off" (kept as the schema's ``keep`` says)."""
    if isinstance(safe_harbor_dates, bool):
        mode = "schema" if safe_harbor_dates else "off"
    else:
        mode = safe_harbor_dates
    out: dict[str, pd.Series] = {}
    report: dict[str, dict[str, int]] = {}
    for i, col in enumerate(schema.columns):
        if col.name not in data.columns:
            continue
        values = data[col.name]
        if col.action == Action.DROP:
            continue
        if col.action == Action.REPLACE:
            s = surrogate_series(col.entity, len(values), seed + i, col.format)
            s.index = values.index
            out[col.name] = s.where(values.notna(), None)
        elif col.action == Action.REDACT:
            red, counts = redact_texts(values.tolist(), progress)
            out[col.name] = pd.Series(red, index=values.index, dtype=object)
            report[col.name] = counts
        elif col.action == Action.GENERALISE and col.generalise is not None:
            out[col.name] = whole_numbers(generalise(values, col.generalise))
        elif (method := safe_harbor(col, mode)) is not None:
            done = whole_numbers(generalise(values, method))
            if method == Generalisation.TOP_CODE_89:
                # top-code only the numbers; codes ('N', '?') and blanks stay as they were
                done = done.astype(object).where(done.notna(), values)
            out[col.name] = done
        else:
            out[col.name] = values
    return pd.DataFrame(out, index=data.index), report
