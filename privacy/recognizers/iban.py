"""IBANs in any letter case: Presidio's IBAN recognizer run on an upper-cased copy.

Presidio's checksum maps only upper-case letters, so "de89 3704 0044 0532 0130 00" fails
it. ASCII letters are upper-cased one for one (offsets unchanged) before the usual regex,
country format and mod-97 checks.
"""

from __future__ import annotations

import string

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import IbanRecognizer

_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


class AnyCaseIbanRecognizer(IbanRecognizer):
    def __init__(self) -> None:
        super().__init__(name="AnyCaseIbanRecognizer")

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        return super().analyze(text.translate(_UPPER), entities, nlp_artifacts, regex_flags)
