"""Towns and places after words that say where someone lives or comes from.

"Moved to Eursinge", "originally from Finbar Ville", "lives in East Patrick": the place is
the run of capitalised words (up to four; lower-case joiners such as "am", "upon", "on",
"de" inside) after a cue. HIPAA Safe Harbor counts every geographic unit smaller than a
state, so a town is an identifier. spaCy's NER misses many small or unusual place names,
and the blank engine has no NER at all. A run of only ordinary English words ("moved to
Intensive Care") is skipped; the cue itself is not part of the span. Score 0.6. After a
plain "in", "near" or "from" (lower case) a run scores 0.5 when it holds a word that is
no English word (nor a month, weekday, language) and does not start with a title.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers.names import (
    _STOP,
    _WORD,
    TITLES,
    _capitalised,
    english_words,
    gazetteer,
)
from privacy.recognizers.result import found

_CUE = re.compile(
    r"\b(?:(?:moved|moving|relocated|relocating|travel+ed|travel+ing|flew|emigrated|returned"
    r"|transferred\s+home)\s+(?:back\s+)?to"
    r"|(?:originally|is|are|was|were|came|comes|hails|emigrated|immigrated)\s+from"
    r"|(?:lives|living|lived|resides|residing|resided|born|raised|grew\s+up|based|settled"
    r"|staying|stays|works|working)\s+(?:near\s+|outside\s+)?in"
    r"|native\s+of|hometown(?:\s+is)?:?|city(?:\s+of\s+residence)?:|town:|visiting)\s+",
    re.IGNORECASE,
)
#: plain prepositions (lower case only): weaker, so a run needs a word that is no English
#: word, and a title after them means a person ("from Dr. Okafor")
_PREP = re.compile(r"\b(?:in|near|from)\s+")
#: a cheap necessary condition for any match (the redaction fast path's gate)
GATE = re.compile(rf"{_CUE.pattern}|\b(?:in|near|from)\s", re.IGNORECASE)
PREP_SCORE = 0.5
_JOINERS = {"am", "an", "der", "upon", "on", "de", "la", "le", "sur", "en", "del", "of", "the"}
SCORE = 0.6


def _stopword(word: str) -> bool:
    return word.rstrip(".").lower() in _STOP


class PlaceContextRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["LOCATION"],
            supported_language=supported_language,
            name="PlaceContextRecognizer",
        )

    def load(self) -> None:
        gazetteer()
        english_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        eng = english_words()
        cues = [(m.end(), SCORE) for m in _CUE.finditer(text)]
        seen = {end for end, _ in cues}
        cues += [(m.end(), PREP_SCORE) for m in _PREP.finditer(text) if m.end() not in seen]
        for pos, score in cues:
            words = []
            for m in _WORD.finditer(text, pos):
                gap = text[pos : m.start()]
                if gap.strip() not in ("", "-") or len(words) >= 6:
                    break
                w = m.group(0)
                if _capitalised(w) or (w.lower() in _JOINERS and words):
                    words.append((m.start(), m.end(), w))
                else:
                    break
                pos = m.end()
                if w.endswith(".") and len(w) > 3:
                    break  # a sentence ends here
            while words and not _capitalised(words[-1][2]):
                words.pop()
            caps = [w for _, _, w in words if _capitalised(w)]
            if not caps or len(caps) > 4:
                continue
            if all(w.rstrip(".").lower() in eng for w in caps):
                continue
            if score == PREP_SCORE and (
                caps[0].rstrip(".").lower() in TITLES
                or all(w.rstrip(".").lower() in eng or _stopword(w) for w in caps)
            ):
                continue
            end = words[-1][1] - (1 if words[-1][2].endswith(".") else 0)
            out.append(found(self, "LOCATION", words[0][0], end, score))
        return out
