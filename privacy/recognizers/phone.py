"""Phone numbers: python-phonenumbers on candidate digit runs, plus phone *shapes* it rejects.

Presidio's ``PhoneRecognizer`` runs ``PhoneNumberMatcher`` over the whole text once per
region and keeps only numbers the library calls valid, so fictional blocks ("555-0142"),
numbers of unlisted ranges and extensions ("x9150", "ext. 12") are missed. Here:

1. runs of digits and phone punctuation (≥ 7 digits, not a date) are found once;
2. a run that phonenumbers accepts for one of the regions scores as Presidio's does (0.4,
   raised by its context words "phone", "call", "cell", ...);
3. a run shaped like a phone number counts whole, valid or not (0.5): ``+`` and 8–15
   digits; a national number with trunk ``0`` and 9–12 digits in groups; ten digits as
   3-3-4 (NANP, with or without brackets), or 11 starting with 1; runs shaped like an IP
   address, an SSN or a card number (Luhn) are left to their own recognizers;
4. any other run of 7–15 digits scores 0.5 when a phone word ("call", "phone", "tel",
   "fax", "cell", "contact", "reach", ...) stands at most four words before it, else 0.3:
   under the redaction threshold unless Presidio's context words raise it;
5. an extension right after a number ("x9150", "ext. 12", "extension 4", "#201") joins
   its span.
"""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from privacy.recognizers.npi import luhn_ok
from privacy.recognizers.result import found

_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-/]{5,24}\d(?=$|[^\w]|[xX]\d)")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")
_EXT = re.compile(r"\s*(?:ext\.?|extn\.?|extension|x|#)\s*\d{1,6}\b", re.IGNORECASE)
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_SSN = re.compile(r"\d{3}[- ]\d{2}[- ]\d{4}")
_GROUPS = re.compile(r"\d+")
#: a phone word at most four words before a run ("Call back at 0324...", "cell: ...").
#: Presidio's context check cannot see some of these: "call" is a spaCy stop word.
_CUE_BEFORE = re.compile(
    r"\b(?:call|phone|tel|fax|cell|mobile|contact|reach|text|pager|landline|dial|ring)\w*"
    r"\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
SHAPE_SCORE = 0.5
#: any other run of 7–15 digits: a phone only when a context word is near
WEAK_SCORE = 0.3
CONTEXT = [
    *PhoneRecognizer.CONTEXT,
    "tel",
    "ph",
    "fax",
    "calling",
    "callback",
    "contact",
    "reach",
    "text",
    "pager",
    "landline",
    "ext",
]


def phone_shape(chunk: str) -> float:
    """How much a digit run looks like a phone number, valid or not (see module doc):
    :data:`SHAPE_SCORE`, :data:`WEAK_SCORE` (needs a context word) or 0."""
    digits = "".join(c for c in chunk if c.isdigit())
    n = len(digits)
    groups = [len(g) for g in _GROUPS.findall(chunk)]
    if _IP.fullmatch(chunk) or _SSN.fullmatch(chunk) or "/" in chunk or n > 15:
        return 0.0
    card_groups = all(g == 4 for g in groups[:-1]) or len(groups) == 1
    if 13 <= n <= 19 and card_groups and luhn_ok(digits):
        return 0.0  # a card number
    strong = False
    if chunk.startswith("+"):
        strong = 8 <= n <= 15
    elif chunk.startswith("("):
        strong = n in (10, 11)
    elif chunk.startswith(("00", "011")):
        strong = 10 <= n <= 15 and len(groups) >= 2  # dialled from abroad
    elif chunk[0] == "0":
        strong = 9 <= n <= 12 and len(groups) >= 2
    elif n == 10:
        strong = groups == [3, 3, 4]
    elif n == 11 and digits.startswith("1"):
        strong = len(groups) >= 3
    if strong:
        return SHAPE_SCORE
    return WEAK_SCORE if n >= 7 else 0.0


class FastPhoneRecognizer(PhoneRecognizer):
    CONTEXT = CONTEXT

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for run in _RUN.finditer(text):
            chunk = run.group(0).rstrip(" -.(")
            if sum(c.isdigit() for c in chunk) < 7 or _DATE.match(chunk):
                continue
            start = run.start()
            spans: list[tuple[int, int, float, str]] = []
            shape = phone_shape(chunk)
            if shape == SHAPE_SCORE:  # the whole run, even beyond the library's own match
                spans = [(start, start + len(chunk), SHAPE_SCORE, "shape")]
            for region in () if spans else self.supported_regions:
                hits = phonenumbers.PhoneNumberMatcher(chunk, region, leniency=self.leniency)
                spans = [(start + m.start, start + m.end, self.SCORE, region) for m in hits]
                if spans:
                    break
            if not spans and shape:
                cued = _CUE_BEFORE.search(text, max(0, start - 40), start) is not None
                score = SHAPE_SCORE if cued else WEAK_SCORE
                spans = [(start, start + len(chunk), score, "weak shape")]
            for start, end, score, how in spans:
                ext = _EXT.match(text, end)
                if ext is not None:
                    end = ext.end()
                results.append(
                    found(
                        self,
                        self.supported_entities[0],
                        start,
                        end,
                        score,
                        self._get_analysis_explanation(how),
                    )
                )
        return self.remove_duplicates(results)
