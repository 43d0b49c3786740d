"""The NLP engine and the analyzer, built offline.

``AnalyzerEngine()`` with no configuration tries to download spaCy's
``en_core_web_lg``; nothing here may download. The default engine is a blank
spaCy English pipeline (tokenizer only) plus a tiny component that copies the
lower-cased word into the lemma, so Presidio's context words ("ssn", "mrn",
"phone") still raise scores. It has no statistical NER: person names come from
the lexicon recognizer (:mod:`privacy.recognizers.names`).
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from spacy.language import Language

from privacy.recognizers import build_registry

ENGINE_NAME = "spacy-blank-en (tokenizer + lemma copy; names by lexicon)"


@Language.component("lemma_from_lower")
def _lemma_from_lower(doc):
    for token in doc:
        token.lemma_ = token.lower_
    return doc


class BlankSpacyNlpEngine(SpacyNlpEngine):
    """A SpacyNlpEngine over ``spacy.blank('en')``: nothing to download."""

    engine_name = "spacy_blank"

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": "blank:en"}])

    def load(self) -> None:
        nlp = spacy.blank("en")
        nlp.add_pipe("lemma_from_lower")
        self.nlp = {"en": nlp}


@lru_cache(maxsize=1)
def build_analyzer() -> AnalyzerEngine:
    """The analyzer every scan and redaction uses (built once per process)."""
    engine = BlankSpacyNlpEngine()
    engine.load()
    return AnalyzerEngine(registry=build_registry(), nlp_engine=engine, supported_languages=["en"])


def build_batch_analyzer() -> BatchAnalyzerEngine:
    return BatchAnalyzerEngine(analyzer_engine=build_analyzer())
