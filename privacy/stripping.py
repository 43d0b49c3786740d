"""Apply the schema's actions to a real table: a de-identified copy (NOT differentially private).

* drop — the column is removed;
* replace — fresh surrogates in the same format (:mod:`synth.surrogates`);
* redact — PII spans in free text replaced by ``<ENTITY>`` tags (presidio-anonymizer);
* generalise — ZIP3, year, age bands, top-coding at 90 (:mod:`synth.schema.generalise`);
* keep — unchanged.

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
from synth.schema.model import Action, Schema
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


def strip(
    data: pd.DataFrame,
    schema: Schema,
    *,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """The de-identified table and, per redacted column, the span counts by entity."""
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
            out[col.name] = generalise(values, col.generalise)
        else:
            out[col.name] = values
    return pd.DataFrame(out, index=data.index), report
