"""Names and places from spaCy's NER tags, checked against the gazetteer and word list.

The small English model tags most person names PERSON, but also calls some of them ORG,
GPE or NORP ("Sörensen Sofie" → ORG), and tags departments and drugs now and then. So:

* PERSON → PERSON (0.85), the span trimmed of titles ("Dr.") and a possessive "'s";
  dropped when every capitalised word in it is an ordinary English word that is no name
  ("Physical Therapy"), or it is one word of under three letters ("Hb") or one that is a
  name but mostly an English word ("Main") unless a title or relation precedes it ("Son
  Comfort"); leading English words are trimmed ("Daughter Turid" → "Turid");
* ORG, NORP, PRODUCT, WORK_OF_ART → PERSON (0.7) only when a word is in the name gazetteer
  and none is an ordinary English word;
* GPE, LOC, FAC → LOCATION (0.7), dropped when every capitalised word is an ordinary
  English word ("Emergency Department").

Reads the spaCy ``Doc`` in the NLP artifacts; without one (the blank engine) it finds
nothing.
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers.names import (
    _WORD,
    CONTEXT_BEFORE,
    EPONYM_HEADS,
    KINSHIP,
    TITLES,
    _capitalised,
    _kind,
    english_words,
    eponym_at,
    gazetteer,
)
from privacy.recognizers.result import found

PERSON_LABELS = {"PERSON"}
NAME_LIKE_LABELS = {"ORG", "NORP", "PRODUCT", "WORK_OF_ART"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}


def _alpha(word: str) -> bool:
    return any(c.isalpha() for c in word)


class SpacyNameRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["PERSON", "LOCATION"],
            supported_language=supported_language,
            name="SpacyNameRecognizer",
        )

    @staticmethod
    def _lead_word(toks: list, doc: Any, given: Any, family: Any, eng: Any) -> bool:
        """Is the first word of a name-like span no part of the name? An English word, a
        relation or context word ("Son", "Daughter"), or an initial right after another
        capitalised word ("Part B. Karlsson")."""
        first = toks[0]
        if first.lower_ in KINSHIP or first.lower_ in CONTEXT_BEFORE:
            return len(toks) > 1
        kind = _kind(first.text, given, family, eng)
        if kind == "E":
            return True
        if kind == "I" and first.i > 0:
            prev = doc[first.i - 1]
            return _capitalised(prev.text) and prev.lower_.rstrip(".") not in TITLES
        return False

    def load(self) -> None:
        gazetteer()
        english_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        doc = getattr(nlp_artifacts, "tokens", None)
        if doc is None or not hasattr(doc, "ents"):
            return []
        want = set(entities or self.supported_entities)
        given, family = gazetteer()
        eng = english_words()
        out: list[RecognizerResult] = []
        for ent in doc.ents:
            label = ent.label_
            if label not in PERSON_LABELS | NAME_LIKE_LABELS | PLACE_LABELS:
                continue
            toks = list(ent)
            place = label in PLACE_LABELS
            while toks and (
                not _alpha(toks[0].text)
                or toks[0].lower_.rstrip(".") in TITLES
                or not _capitalised(toks[0].text)
                or (not place and self._lead_word(toks, doc, given, family, eng))
            ):
                toks.pop(0)
            while toks and (toks[-1].lower_ in ("'s", "’s") or not _alpha(toks[-1].text)):
                toks.pop()
            caps = [t.text for t in toks if _capitalised(t.text)]
            if not caps:
                continue
            kinds = [_kind(w, given, family, eng) for w in caps]
            before = doc[toks[0].i - 1].lower_.rstrip(".") if toks[0].i > 0 else ""
            vouched = before in KINSHIP or before in TITLES
            if len(caps) == 1 and (
                len(caps[0].rstrip(".")) < 3 or (kinds[0] == "N" and not vouched)
            ):
                continue  # "Hb", "St."; one word that is mostly an ordinary word ("Main")
            if label in PERSON_LABELS:
                entity, score = "PERSON", 0.85
                if all(k in ("E", "I") for k in kinds):
                    continue  # "Physical Therapy"
            elif label in NAME_LIKE_LABELS:
                entity, score = "PERSON", 0.7
                if "E" in kinds or not any(k in ("G", "F") for k in kinds):
                    continue
            else:
                entity, score = "LOCATION", 0.7
                if all(k == "E" for k in kinds):
                    continue
            end = toks[-1].idx + len(toks[-1].text)
            if entity not in want:
                continue
            if entity == "PERSON" and (
                eponym_at(text, end) or any(t.lower_ in EPONYM_HEADS for t in toks)
            ):
                continue  # "Parkinson's disease", "Glasgow Coma Scale"
            start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
            out.append(found(self, entity, start, end, score))
        return out


def ner_windows(
    text: str, covered: list[tuple[int, int]], before: int = 4, after: int = 4
) -> list[tuple[int, int]]:
    """Where NER can still add a name or place: windows of a few words around each
    capitalised word that is neither an English word nor in the gazetteer ("U") and lies
    in no span already found. Capitalised gazetteer names are the rules' (a lone one
    already scores 0.5), and a span of only English words is dropped whatever its tag, so
    NER is not run where it could change nothing that matters."""
    given, family = gazetteer()
    eng = english_words()
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    ranges: list[list[int]] = []
    for k, (s, _e, w) in enumerate(words):
        if len(w.rstrip(".")) < 2 or not _capitalised(w):
            continue
        if any(cs <= s < ce for cs, ce in covered) or _kind(w, given, family, eng) != "U":
            continue
        lo, hi = max(0, k - before), min(len(words) - 1, k + after)
        if ranges and lo <= ranges[-1][1] + 1:
            ranges[-1][1] = hi
        else:
            ranges.append([lo, hi])
    return [(words[lo][0], words[hi][1]) for lo, hi in ranges]
