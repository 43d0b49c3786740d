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
from presidio_anonymizer.entities import OperatorConfig

from privacy.nlp import build_analyzer
from privacy.recognizers import ENTITIES
from synth.schema.generalise import generalise
from synth.schema.model import Action, Schema
from synth.surrogates import surrogate_series

#: spans below this score are left alone in prose (weak patterns fire on ordinary numbers)
REDACT_MIN_SCORE = 0.4
REDACT_ENTITIES = [e for e in ENTITIES if e != "US_ZIP_CODE"]


def redact_texts(
    texts: list[str | None], progress: Callable[[str, int, int], None] | None = None
) -> tuple[list[str | None], dict[str, int]]:
    """Replace PII spans by entity tags; return the texts and span counts per entity."""
    analyzer = build_analyzer()
    anonymizer = AnonymizerEngine()
    counts: dict[str, int] = {}
    out: list[str | None] = []
    for i, text in enumerate(texts):
        if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
            out.append(text)
            continue
        results = [
            r
            for r in analyzer.analyze(str(text), language="en", entities=REDACT_ENTITIES)
            if r.score >= REDACT_MIN_SCORE
        ]
        for r in results:
            counts[r.entity_type] = counts.get(r.entity_type, 0) + 1
        red = anonymizer.anonymize(
            text=str(text),
            analyzer_results=results,
            operators={"DEFAULT": OperatorConfig("replace", {})},
        )
        out.append(red.text)
        if progress is not None and (i + 1) % 500 == 0:
            progress("redacting free text", i + 1, len(texts))
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
