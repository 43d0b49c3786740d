"""Person names by rule: a gazetteer of given and family names, titles, initials, context.

Two word lists, both shipped or installed, nothing downloaded:

* :func:`name_lexicon` — Faker's name lists for several locales (what the column scanner
  matches whole values against; unchanged);
* :func:`gazetteer` — the lexicon plus the 1990 US census lists (5,163 given, 88,799
  family names; public domain, ``privacy/data/``), lower-cased, for free text; and
  :func:`english_words`, lower-case English words (SCOWL), which tell a name met alone
  ("Kowalczyk") from a capitalised word ("Hope", "Patient", "Monday" are census surnames).

In prose a capitalised word is *G*/*F* (a given/family name), *E* (an English word that is
no name), or *U* (unknown: neither). Rules, each giving the span of the name words only
(never the title):

* a title or salutation (Mr, Mrs, Ms, Dr, Prof, Herr, Mme, ...) before 1–3 capitalised
  words that are not E → 0.85;
* initials before a capitalised non-E word ("J. Kowalski", "J.K. Rowling") → 0.75;
* "Given [Middle|Initial.] Family" by the name lists, English words or not ("Robin
  Marsh", "April Durham") → 0.8;
* a run of 2–4 capitalised words (particles such as "van", "de", "Mac", "Ó" allowed inside)
  holding a G or F word and no E word, after trimming leading/trailing E words → 0.8
  ("Given Family" → 0.85);
* a context word before 1–3 capitalised non-E words ("spoke with", "wife", "contact",
  "attn", "ask for", "per", "re", ...) → 0.65; after a relation ("Son", "Daughter", "attn")
  an English word will do ("Daughter Wren");
* "Family, Given" with a given name from the lists → 0.7;
* two or three capitalised U words in a row ("Amahle Madlanduna") → 0.6;
* nothing followed by an eponym's head noun ("Parkinson's disease", "Foley catheter");
* a lone G/F word that is no English word → 0.5; one that is also an English word ("Will",
  "Hope") → 0.3, too weak to act on alone in prose, enough over many values of a column.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from pathlib import Path

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers.result import found
from privacy.vocabularies import TITLES as VOCAB_TITLES

DATA = Path(__file__).resolve().parents[1] / "data"
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
#: words before a person's name: salutations, ranks, kinship in religious orders
TITLES = [*VOCAB_TITLES, "doctor", "professor", "capt", "sgt", "lt", "col", "sister", "brother"]
#: words after which a capitalised word is a person's name in notes and letters
CONTEXT_BEFORE = [
    "with",
    "wife",
    "husband",
    "son",
    "daughter",
    "mother",
    "father",
    "brother",
    "sister",
    "partner",
    "friend",
    "contact",
    "attn",
    "attention",
    "dear",
    "hi",
    "hello",
    "pt",
    "patient",
    "patient's",
    "caregiver",
    "proxy",
    "guardian",
    "per",
    "signed",
    "by",
    "named",
    "name",
    "nephew",
    "niece",
    "aunt",
    "uncle",
    "grandson",
    "granddaughter",
    "spouse",
    "fiancé",
    "reach",
    "re",
    "notify",
    "tell",
    "ask",
    "phoned",
    "paged",
    "visited",
    "for",
    "from",
    "to",
    "cc",
]
#: relations: the word after one is a name even when it is also an English word ("Son
#: Comfort", "Daughter Wren")
KINSHIP = {
    "wife", "husband", "son", "daughter", "mother", "father", "brother", "sister", "partner",
    "friend", "spouse", "nephew", "niece", "aunt", "uncle", "grandson", "granddaughter",
    "fiancé", "caregiver", "guardian", "proxy", "attn", "dear",
}  # fmt: skip
#: context words that need another before them ("ask for", "message for", "sent to")
_WEAK_CONTEXT = {"for", "from", "to", "by"}
_STRONG_BEFORE_WEAK = {"ask", "asked", "message", "msg", "left", "call", "called", "letter"}
_STRONG_BEFORE_WEAK |= {"visited", "seen", "referred", "signed", "accompanied", "examined"}
_STRONG_BEFORE_WEAK |= {"spoke", "speak", "spoken", "talked", "talk", "wrote", "sent", "emailed"}
#: particles inside names ("Ludwig van Beethoven", "Ó Flaithbhearta", "Mac Fheargail")
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "la", "le", "du"}
PARTICLES |= {"bin", "ibn", "al", "el", "dos", "das", "ter", "ten", "st"}
_CAP_PARTICLES = {"Mac", "Mc", "Ó", "O", "Ní", "Nic", "Ua", "Van", "De", "Di", "Da", "Le"}
#: capitalised words that are names in the lists but far more often something else in notes
_STOP = {
    "patient", "street", "avenue", "road", "lane", "drive", "court", "park", "place",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "north", "south", "east", "west", "doctor", "nurse", "clinic",
    "english", "spanish", "french", "german", "italian", "portuguese", "polish", "russian",
    "chinese", "mandarin", "cantonese", "japanese", "korean", "arabic", "hindi", "urdu",
    "vietnamese", "tagalog", "somali", "swahili", "dutch", "greek", "turkish", "farsi",
    "american", "british", "african", "asian", "hispanic", "latino", "european", "medicare",
    "medicaid",
}  # fmt: skip
#: drug-name stems (INN suffixes): capitalised in notes, never names
_DRUG = re.compile(
    r"(?:cillin|mycin|micin|pril|sartan|olol|statin|azole|oxetine|tidine|afil|mab|tinib"
    r"|vir|cycline|floxacin|dipine|lukast|gliptin|formin|semide|thiazide|parin|xaban"
    r"|gatran|triptan|zepam|zolam|barbital|caine|profen|coxib|dronate|tropium|glitazone"
    r"|gliflozin|isone|olone|asone|onide|setron|pramine|triptyline|azepine|adone|codone|morphone|fentanil)$"
)
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*\w)?\.?")
_INITIALS = re.compile(r"\b(?:[A-Z]\.\s?){1,2}(?=[A-Z])")


@lru_cache(maxsize=1)
def name_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """Faker's given and family names for :data:`_LOCALES` (as written)."""
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


def _read(name: str) -> set[str]:
    return set((DATA / name).read_text(encoding="utf-8").split())


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """Lower-cased given and family names: the census lists plus :func:`name_lexicon`."""
    lex_given, lex_family = name_lexicon()
    given = _read("given_names.txt") | {w.lower() for w in lex_given}
    family = _read("family_names.txt") | {w.lower() for w in lex_family}
    return frozenset(given), frozenset(family)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    return frozenset(_read("english_words.txt") | _STOP)


def _shouting(word: str) -> bool:
    """'SMITH', 'J.': a word in capitals."""
    core = word.rstrip(".")
    return core.isupper() and core.isalpha()


#: nouns after a name that make it an eponym, not a person ("Parkinson's disease",
#: "Foley catheter", "Glasgow Coma Scale", "Babinski sign")
EPONYM_HEADS = {
    "disease", "syndrome", "sign", "signs", "test", "catheter", "scale", "score", "lymphoma",
    "sarcoma", "stain", "maneuver", "manoeuvre", "reflex", "criteria", "classification",
    "fracture", "procedure", "tube", "stockings", "technique", "palsy", "ulcer", "phenomenon",
    "node", "nodes", "cell", "cells", "body", "bodies", "disorder", "dystrophy", "anomaly",
    "operation", "repair", "incision", "position", "triad", "law", "formula", "method",
    "needle", "forceps", "retractor", "drain", "valve", "shunt", "block", "tumor", "tumour",
    "encephalopathy", "thyroiditis", "ataxia", "chorea", "diverticulum", "hernia", "ligament",
    "duct", "canal", "gland", "glands", "area", "aphasia", "angina", "effect", "index",
    "virus", "coma", "equation", "solution", "splint", "cast", "bandage", "mask",
}  # fmt: skip
_LETTERS = re.compile(r"[A-Za-z]+")
_AFTER = re.compile(r"(?:'s|’s)?\s+([A-Za-z]+)")


def eponym_at(text: str, end: int) -> bool:
    """Is the name ending at ``end`` followed by an eponym's head noun?"""
    m = _AFTER.match(text, end)
    return m is not None and m.group(1).lower() in EPONYM_HEADS


def _capitalised(word: str) -> bool:
    """'Kowalski', 'McDonald', 'J.': yes; 'BID', 'pt', 'mg': no."""
    core = word.rstrip(".")
    return core[:1].isupper() and (len(core) == 1 or not core.isupper())


def _kind(word: str, given: frozenset[str], family: frozenset[str], eng: frozenset[str]) -> str:
    """'G', 'F', 'E', 'N' (a name that is also a word, e.g. 'Hope'), 'U', 'P' (particle) or
    'I' (one letter: an initial)."""
    w = word.rstrip(".").lower()
    w = w[:-2] if w.endswith(("'s", "’s")) else w
    if word in _CAP_PARTICLES:
        return "P"
    if len(w) == 1:
        return "I"
    if "-" in w and all(len(p) < 2 or p in eng for p in w.split("-")):
        return "E"  # "E-mail", "Follow-up"
    in_name = w in given or w in family
    if w in _STOP:
        return "E"
    if w in eng:
        return "N" if in_name else "E"
    if in_name:
        return "G" if w in given else "F"
    if _DRUG.search(w) or _compound(w, eng):
        return "E"
    return "U"


def _compound(w: str, eng: frozenset[str]) -> bool:
    """Two English words of 4+ letters run together ("callback", "bedtime")."""
    return len(w) >= 8 and any(w[:k] in eng and w[k:] in eng for k in range(4, len(w) - 3))


class NameLexiconRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["PERSON"],
            supported_language=supported_language,
            name="NameLexiconRecognizer",
        )

    def load(self) -> None:
        gazetteer()
        english_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        given, family = gazetteer()
        eng = english_words()
        words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        out: list[tuple[int, int, float]] = []
        caps = [_capitalised(w[2]) for w in words]
        kinds = [
            _kind(w[2], given, family, eng) if c else "" for w, c in zip(words, caps, strict=True)
        ]
        n = len(words)
        i = 0
        while i < n:
            s, e, w = words[i]
            low = w.rstrip(".").lower()
            # title + name words
            if (
                low in TITLES
                and i + 1 < n
                and caps[i + 1]
                and kinds[i + 1] != "I"
                and words[i + 1][2].rstrip(".").lower() not in _STOP
                and self._gap_ok(text, e, words[i + 1][0])
            ):
                j = self._extend(i + 1, words, caps, kinds, text, limit=3)
                out.append((words[i + 1][0], self._end(words[j - 1]), 0.85))
                i = j
                continue
            # context word + name words
            if (
                low in CONTEXT_BEFORE
                and (not w.endswith(".") or low in ("attn", "pt"))
                and i + 1 < n
                and caps[i + 1]
                and kinds[i + 1] != "I"
                and (
                    kinds[i + 1] not in ("E", "N")
                    or (low in KINSHIP and words[i + 1][2].rstrip(".").lower() not in _STOP)
                )
                and words[i + 1][2].rstrip(".").lower() not in TITLES
                and self._gap_ok(text, e, words[i + 1][0])
                and (
                    low not in _WEAK_CONTEXT
                    or (i > 0 and words[i - 1][2].rstrip(".").lower() in _STRONG_BEFORE_WEAK)
                )
            ):
                j = self._extend(i + 1, words, caps, kinds, text, limit=3)
                out.append((words[i + 1][0], self._end(words[j - 1]), 0.65))
                i = j
                continue
            pair = self._pair(i, words, caps, text, given, family)
            if pair:
                out.append((s, self._end(words[pair - 1]), 0.8))
                i = pair
                continue
            inverted = self._inverted(i, words, caps, kinds, text, given)
            if inverted:
                out.append((s, self._end(words[i + 1]), 0.7))
                i += 2
                continue
            if caps[i] and kinds[i] in ("G", "F", "U", "N", "P"):
                j = self._extend(i, words, caps, kinds, text, limit=4) if kinds[i] != "N" else i + 1
                run = kinds[i:j]
                if j - i >= 2 and any(k in ("G", "F") for k in run) and "E" not in run:
                    score = 0.85 if run[0] == "G" and run[-1] in ("F", "G") else 0.8
                    out.append((s, self._end(words[j - 1]), score))
                    i = j
                    continue
                if j - i >= 2 and all(k == "U" for k in run) and self._unknown_pair(words[i:j]):
                    out.append((s, self._end(words[j - 1]), 0.6))
                    i = j
                    continue
                if kinds[i] in ("G", "F"):
                    out.append((s, self._end(words[i]), 0.5))
                elif kinds[i] == "N":
                    out.append((s, self._end(words[i]), 0.3))
            i += 1
        for m in _INITIALS.finditer(text):
            k = next((x for x in range(n) if words[x][0] == m.end()), None)
            before = next((x for x in range(n - 1, -1, -1) if words[x][1] <= m.start()), None)
            if before is not None and words[before][1] >= m.start() - 1:
                low = words[before][2].rstrip(".").lower()
                if caps[before] and low not in TITLES:
                    continue  # "Part B. Tylenol": the letter ends a name, no initial
            if k is not None and kinds[k] in ("G", "F", "U") and words[k][2].isalpha():
                out.append((m.start(), self._end(words[k]), 0.75))
        return [
            self._result(s, e, sc)
            for s, e, sc in out
            if not eponym_at(text, e)
            and not any(w.lower() in EPONYM_HEADS for w in _LETTERS.findall(text, s, e))
        ]

    def _pair(
        self,
        i: int,
        words: list[tuple[int, int, str]],
        caps: list[bool],
        text: str,
        given: frozenset[str],
        family: frozenset[str],
    ) -> int:
        """End index of "Given [Initial.|Middle] Family" at ``i`` by the name lists alone
        (English words too: "Robin Marsh", "April Durham"; or all in capitals: "JOHN
        SMITH"), else 0."""
        shout = _shouting(words[i][2])
        if not (caps[i] or shout) or words[i][2].rstrip(".").lower() not in given:
            return 0
        if words[i][2].endswith("."):
            return 0
        for j in (i + 1, i + 2):
            if j >= len(words) or not (_shouting(words[j][2]) if shout else caps[j]):
                return 0
            if not self._gap_ok(text, words[j - 1][1], words[j][0]):
                return 0
            w = words[j][2]
            core = w.rstrip(".")
            if core.lower() in family and len(core) > 1:
                return j + 1
            if not (len(w) == 2 and w.endswith(".")) and w.lower() not in given:
                return 0
        return 0

    @staticmethod
    def _unknown_pair(run: list[tuple[int, int, str]]) -> bool:
        """Two or three capitalised words in no list, plain letters of 3+ each, not ending a
        sentence inside: "Amahle Madlanduna", "Tõnu Randoja"."""
        return all(len(w.rstrip(".")) >= 3 and w.rstrip(".").isalpha() for _, _, w in run)

    @staticmethod
    def _inverted(
        i: int,
        words: list[tuple[int, int, str]],
        caps: list[bool],
        kinds: list[str],
        text: str,
        given: frozenset[str],
    ) -> bool:
        """ "Family, Given" (a list or a chart header: "Kowalczyk, Janina")."""
        if i + 1 >= len(words) or not caps[i] or not caps[i + 1]:
            return False
        if kinds[i] in ("E", "I", "") or text[words[i][1] : words[i + 1][0]].strip() != ",":
            return False
        w = words[i + 1][2]
        return w.rstrip(".").lower() in given and w.rstrip(".").lower() not in _STOP

    @staticmethod
    def _end(word: tuple[int, int, str]) -> int:
        _s, e, w = word
        return e - 1 if w.endswith(".") else e

    @staticmethod
    def _gap_ok(text: str, end: int, start: int) -> bool:
        """Only spaces, a colon or a comma between two words (not a sentence end)."""
        return text[end:start].strip() in ("", ":", ",", "-")

    def _extend(
        self,
        i: int,
        words: list[tuple[int, int, str]],
        caps: list[bool],
        kinds: list[str],
        text: str,
        limit: int,
    ) -> int:
        """End index of the run of name-like words starting at ``i`` (at least i+1)."""
        j = i + 1
        count = 1
        while j < len(words) and count < limit:
            prev = words[j - 1]
            if prev[2].endswith(".") and len(prev[2]) > 2:
                break  # "Kowalski. Next sentence"
            if kinds[j - 1] == "I" and "N" in kinds[i : j - 1]:
                break  # "Medicare Part B. Tamar": an initial after a word is no middle name
            if not self._gap_ok(text, prev[1], words[j][0]) or text[prev[1] : words[j][0]].strip():
                break
            w = words[j][2]
            if caps[j] and kinds[j] != "E":
                count += 1
                j += 1
            elif w.lower() in PARTICLES and j + 1 < len(words) and caps[j + 1]:
                j += 1
            else:
                break
        return j

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return found(self, "PERSON", start, end, score)
