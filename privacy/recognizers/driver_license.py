"""Driver's licence numbers, only after a word that says so.

US licence numbers have dozens of state shapes (a letter and 7–12 digits, 9 digits,
"A123-456-78-901", ...), which alone are indistinguishable from record numbers, so the
pattern *requires* a licence cue right before the number: "driver's license",
"driving licence", "DL", "D/L", "licence [no./number/#]", "lic #". The span is the number
only (a Python recognizer, since Presidio's patterns cannot exclude the cue from the
match). Score 0.75; a number needs at least 5 digits.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers.result import found

_CUE = (
    r"(?:driver'?s?|driving|drivers)\s+licen[cs]e(?:\s+(?:no|number|num|#)\.?)?"
    r"|\bd\.?/?l\b\.?(?:\s*(?:no|number|num)\.?)?"
    r"|\blicen[cs]e(?:\s+(?:no|number|num|#)\.?)?|\blic\.?\s*(?:no\.?|#)"
)
_RX = re.compile(
    rf"(?:{_CUE})\s*(?:#|:|is|was)?\s*(?P<id>(?=[A-Za-z0-9\-]*\d)[A-Za-z]{{0,3}}\d[A-Za-z0-9\-]{{3,17}}\b)",
    re.IGNORECASE,
)
SCORE = 0.75


class DriverLicenseRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["US_DRIVER_LICENSE"],
            supported_language=supported_language,
            name="DriverLicenseRecognizer",
        )

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in _RX.finditer(text):
            ident = m.group("id").rstrip("-")
            if sum(c.isdigit() for c in ident) < 5:
                continue
            start = m.start("id")
            out.append(found(self, "US_DRIVER_LICENSE", start, start + len(ident), SCORE))
        return out
