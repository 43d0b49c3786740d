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
4. an extension right after a number ("x9150", "ext. 12", "extension 4", "#201") joins
   its span.
"""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from privacy.recognizers.npi import luhn_ok

_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-/]{5,24}\d(?=$|[^\w]|[xX]\d)")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")
_EXT = re.compile(r"\s*(?:ext\.?|extn\.?|extension|x|#)\s*\d{1,6}\b", re.IGNORECASE)
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_SSN = re.compile(r"\d{3}[- ]\d{2}[- ]\d{4}")
_GROUPS = re.compile(r"\d+")
SHAPE_SCORE = 0.5


def phone_shaped(chunk: str) -> bool:
    """Does a digit run look like a phone number, valid or not (see module doc)?"""
    digits = "".join(c for c in chunk if c.isdigit())
    n = len(digits)
    groups = [len(g) for g in _GROUPS.findall(chunk)]
    if _IP.fullmatch(chunk) or _SSN.fullmatch(chunk) or "/" in chunk:
        return False
    card_groups = all(g == 4 for g in groups[:-1]) or len(groups) == 1
    if 13 <= n <= 19 and card_groups and luhn_ok(digits):
        return False  # a card number
    if chunk.startswith("+"):
        return 8 <= n <= 15
    if chunk.startswith("("):
        return n in (10, 11)
    if digits.startswith("0") and chunk[0] == "0":
        return 9 <= n <= 12 and len(groups) >= 2
    if n == 10:
        return groups == [3, 3, 4]
    if n == 11 and digits.startswith("1"):
        return len(groups) >= 3
    return False


class FastPhoneRecognizer(PhoneRecognizer):
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
            if phone_shaped(chunk):  # the whole run, even beyond the library's own match
                spans = [(start, start + len(chunk), SHAPE_SCORE, "shape")]
            for region in () if spans else self.supported_regions:
                hits = phonenumbers.PhoneNumberMatcher(chunk, region, leniency=self.leniency)
                spans = [(start + m.start, start + m.end, self.SCORE, region) for m in hits]
                if spans:
                    break
            for start, end, score, how in spans:
                ext = _EXT.match(text, end)
                if ext is not None:
                    end = ext.end()
                results.append(
                    RecognizerResult(
                        entity_type=self.supported_entities[0],
                        start=start,
                        end=end,
                        score=score,
                        analysis_explanation=self._get_analysis_explanation(how),
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return self.remove_duplicates(results)
