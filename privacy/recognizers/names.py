"""Person names without a statistical NER model: a lexicon of given and family names.

The lexicon is Faker's name lists for several locales (``en`` is the long US list of
given and family names also used by other generators) (shipped with Faker, so
nothing is downloaded). Scores: a title followed by a capitalised word ("Ms.
Lawrence") 0.85; two or three capitalised words of which the first is a given name
and the last a family name 0.8; a lone given-or-family name 0.3 (too weak to act
on alone in prose; enough, over many values of one column, to call it a name column).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

_LOCALES = [
    "en",
    "en_US",
    "en_GB",
    "en_CA",
    "es_MX",
    "es_ES",
    "de_DE",
    "fr_FR",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "en_IN",
    "pt_BR",
]
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?"
_CAP = r"[A-Z][a-zA-Z'\-]+"
_FULL = re.compile(rf"\b{_CAP}(?:\s+{_CAP}){{1,3}}\b")
_TITLED = re.compile(rf"\b{_TITLE}\s+{_CAP}(?:\s+{_CAP})?\b")
_WORD = re.compile(rf"\b{_CAP}\b")
#: capitalised words that are also names but far more often ordinary words in notes
_STOP = {
    "May",
    "June",
    "April",
    "August",
    "Will",
    "Patient",
    "Grace",
    "Hope",
    "Faith",
    "Bill",
    "Mark",
    "Art",
    "Guy",
    "Rose",
    "Summer",
    "Dawn",
    "Joy",
    "Iris",
    "Ray",
    "Chase",
    "Case",
    "Page",
    "Long",
    "Young",
    "Brown",
    "White",
    "Black",
    "Green",
    "Gray",
    "North",
    "West",
    "Price",
    "Hill",
    "Banks",
    "Day",
    "Street",
    "Avenue",
}


@lru_cache(maxsize=1)
def name_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    given: set[str] = set()
    family: set[str] = set()
    for loc in _LOCALES:
        try:
            mod = importlib.import_module(f"faker.providers.person.{loc}")
        except ImportError:
            continue
        prov = mod.Provider
        for attr in ("first_names", "first_names_female", "first_names_male"):
            given.update(getattr(prov, attr, ()))
        family.update(getattr(prov, "last_names", ()))
    return frozenset(given), frozenset(family)


class NameLexiconRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["PERSON"],
            supported_language=supported_language,
            name="NameLexiconRecognizer",
        )

    def load(self) -> None:
        name_lexicon()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        given, family = name_lexicon()
        out: list[RecognizerResult] = []
        taken: list[tuple[int, int]] = []
        for m in _TITLED.finditer(text):
            out.append(self._result(m.start(), m.end(), 0.85))
            taken.append((m.start(), m.end()))
        for m in _FULL.finditer(text):
            span = self._name_in_run(m.group(0), given, family)
            if span is None:
                continue
            start, end = m.start() + span[0], m.start() + span[1]
            if not any(s <= start < e for s, e in taken):
                out.append(self._result(start, end, 0.8))
                taken.append((start, end))
        for m in _WORD.finditer(text):
            w = m.group(0)
            if w in _STOP or any(s <= m.start() < e for s, e in taken):
                continue
            if w in given or w in family:
                out.append(self._result(m.start(), m.end(), 0.3))
        return out

    @staticmethod
    def _name_in_run(
        run: str, given: frozenset[str], family: frozenset[str]
    ) -> tuple[int, int] | None:
        """Offsets of 'Given [Middle] Family' inside a run of capitalised words."""
        words = [(w.start(), w.end(), w.group(0)) for w in re.finditer(r"\S+", run)]
        for i, (s0, _e0, w0) in enumerate(words):
            if w0 not in given:
                continue
            for j in range(len(words) - 1, i, -1):
                if words[j][2] in family:
                    return s0, words[j][1]
        return None

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            entity_type="PERSON",
            start=start,
            end=end,
            score=score,
            analysis_explanation=None,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
