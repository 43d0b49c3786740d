"""Phone numbers via python-phonenumbers, run only on candidate digit runs.

Presidio's ``PhoneRecognizer`` runs ``PhoneNumberMatcher`` over the whole text once per
region; in clinical notes most of that time goes to dates and record numbers. This one
first finds runs of digits and phone punctuation (at least 7 digits, not a date), runs
the matcher on each run only, and stops at the first region that accepts it. Same
scores, same context words, same leniency.
"""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-]{5,24}\d(?!\w)")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")


class FastPhoneRecognizer(PhoneRecognizer):
    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for run in _RUN.finditer(text):
            chunk = run.group(0)
            if sum(c.isdigit() for c in chunk) < 7 or _DATE.match(chunk):
                continue
            for region in self.supported_regions:
                hits = list(phonenumbers.PhoneNumberMatcher(chunk, region, leniency=self.leniency))
                for m in hits:
                    results.append(
                        RecognizerResult(
                            entity_type=self.supported_entities[0],
                            start=run.start() + m.start,
                            end=run.start() + m.end,
                            score=self.SCORE,
                            analysis_explanation=self._get_analysis_explanation(region),
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        )
                    )
                if hits:
                    break
        return self.remove_duplicates(results)
